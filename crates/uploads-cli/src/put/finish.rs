//! The end of each upload as it comes: its File id on stdout (in the order given, whatever
//! order they finish in), its manifest record, and the command's summary.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use uploads_ext::{FinishedUpload, UploadError, human_bytes};

use super::args::PutArgs;
use super::job::{Job, Stat};
use super::manifest::{Manifest, Record};
use crate::output::{StdoutLost, shown};

/// What the uploads' ends add up to.
pub struct Ends {
    json: bool,
    /// stdout lines waiting for the inputs before them, by input order.
    waiting: BTreeMap<usize, String>,
    next: usize,
    /// Inputs of the command: one stdout line (or JSON document) each.
    total: usize,
    ok: usize,
    /// Each failed input and why (the first line of its error).
    failed: Vec<(String, String)>,
    already: usize,
    /// Of `already`, those an earlier run's step after the upload recorded (not the manifest).
    earlier: usize,
    bytes: u64,
    started: Instant,
    /// A summary is printed for several uploads, or with a manifest.
    summarize: bool,
    /// stdout took no more (its reader went away, or a write failed): ids are no longer
    /// printed, and the command stops.
    stdout_lost: Option<StdoutLost>,
}

impl Ends {
    /// The ends of `total` inputs, `already` of them recorded by the manifest.
    pub fn new(args: &PutArgs, total: usize, already: usize) -> Self {
        Self {
            json: args.json,
            waiting: BTreeMap::new(),
            next: 0,
            total,
            ok: 0,
            failed: Vec::new(),
            already,
            earlier: 0,
            bytes: 0,
            started: Instant::now(),
            summarize: !args.quiet && (total > 1 || already > 0 || args.manifest.is_some()),
            stdout_lost: None,
        }
    }

    /// Why stdout takes no more lines, once it does not.
    pub fn stdout_lost(&self) -> Option<StdoutLost> {
        self.stdout_lost
    }

    /// An input the manifest records as uploaded: its recorded File id, in its place.
    pub fn already(&mut self, job: &Job, file_id: &str) {
        let line = if self.json {
            serde_json::json!({"path": path_text(&job.path), "file_id": file_id, "already_uploaded": true})
                .to_string()
        } else {
            file_id.to_owned()
        };
        self.put(job.order, line);
    }

    /// An input an earlier run uploaded for its step after the upload (the ledger's record).
    pub fn earlier_run(&mut self, job: &Job, file_id: &str) {
        self.earlier += 1;
        self.already(job, file_id);
    }

    /// An input refused before its upload started.
    pub fn refused(&mut self, job: &Job, err: &UploadError) {
        self.failed.push((job.label.clone(), first_line(err)));
        let line = failure_line(self.json, job, err);
        self.put(job.order, line);
    }

    /// Records one finished upload: counts, the manifest line, and its stdout line once the
    /// inputs before it are out. An error is the manifest's.
    pub fn record(
        &mut self,
        job: &Job,
        f: &FinishedUpload,
        manifest: Option<(&mut Manifest, Option<Stat>)>,
    ) -> Result<(), String> {
        let line = match &f.result {
            Ok(done) => {
                self.ok += 1;
                self.bytes += done.upload.bytes as u64;
                stdout_line(self.json, &job.path, done)
            }
            Err(e) => {
                self.failed.push((job.label.clone(), first_line(e)));
                failure_line(self.json, job, e)
            }
        };
        self.put(job.order, line);
        match manifest {
            Some((m, stat)) => m.append(&record(job, f, stat)),
            None => Ok(()),
        }
    }

    /// Queues `line` at `order` and prints every line whose turn has come.
    fn put(&mut self, order: usize, line: String) {
        self.waiting.insert(order, line);
        while let Some(line) = self.waiting.remove(&self.next) {
            if self.stdout_lost.is_none() {
                self.stdout_lost = crate::output::out(line).err();
            }
            self.next += 1;
        }
    }

    /// The last line: files ok and failed, bytes, time, rate; then each failed input with why.
    pub fn summary(&self) {
        if !self.summarize {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-6);
        let mut line = format!(
            "{} of {} uploaded, {} failed",
            self.ok,
            self.total,
            self.failed.len()
        );
        let manifest = self.already - self.earlier.min(self.already);
        if manifest > 0 {
            line.push_str(&format!(", {manifest} already uploaded (manifest)"));
        }
        if self.earlier > 0 {
            line.push_str(&format!(", {} uploaded by an earlier run", self.earlier));
        }
        line.push_str(&format!(
            "; {} in {secs:.1}s ({}/s)",
            human_bytes(self.bytes),
            human_bytes((self.bytes as f64 / secs) as u64)
        ));
        eprintln!("{line}");
        for (label, why) in &self.failed {
            eprintln!("failed: {}", shown(&format!("{label}: {why}")));
        }
    }
}

/// What stdout says of a completed upload: its File id, or with `--json` the input's path and
/// the completed Upload object (its File nested).
pub fn stdout_line(json: bool, path: &Path, done: &uploads_ext::Completed) -> String {
    if json {
        let mut upload = serde_json::to_value(&done.upload).unwrap_or_default();
        live_shape(&mut upload);
        serde_json::json!({"path": path_text(path), "upload": upload}).to_string()
    } else {
        done.file.id.clone()
    }
}

/// The Upload as the live service sends it: the nullable fields of its File that the typed
/// client leaves out when null (`status_details`, `expires_at`) are there, null.
fn live_shape(upload: &mut serde_json::Value) {
    if let Some(file) = upload.get_mut("file").and_then(|f| f.as_object_mut()) {
        for field in ["status_details", "expires_at"] {
            file.entry(field).or_insert(serde_json::Value::Null);
        }
    }
}

/// What stdout says of a failed input: `-` in its place (so ids stay matched to inputs), or
/// with `--json` its path and the error.
fn failure_line(json: bool, job: &Job, e: &UploadError) -> String {
    if !json {
        return "-".to_owned();
    }
    let api = match e {
        UploadError::Stopped { cause, .. } => cause.api_error(),
        _ => None,
    };
    serde_json::json!({
        "path": path_text(&job.path),
        "error": {
            "message": e.to_string(),
            "status": api.and_then(|a| a.status()),
            "request_id": api.and_then(|a| a.body()).and_then(|b| b.request_id.clone()),
            "upload_id": upload_of(e),
            "resumable": e.resumable_upload().is_some(),
        }
    })
    .to_string()
}

/// The first line of an error, for the summary.
fn first_line(e: &UploadError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_owned()
}

/// A path for JSON: its text (a name that is not UTF-8 with its odd bytes replaced).
fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The manifest line for one upload.
fn record(job: &Job, f: &FinishedUpload, stat: Option<Stat>) -> Record {
    let (status, upload_id, file_id, md5, error) = match &f.result {
        Ok(done) => (
            "ok",
            Some(done.upload.id.clone()),
            Some(done.file.id.clone()),
            done.md5.clone(),
            None,
        ),
        Err(e) => ("failed", upload_of(e), None, None, Some(e.to_string())),
    };
    Record {
        path: job.path.clone(),
        key: stat.as_ref().map(|s| s.key.clone()).unwrap_or_default(),
        bytes: stat.as_ref().map_or(0, |s| s.bytes),
        mtime_ns: stat.as_ref().and_then(|s| s.mtime_ns),
        version: stat.and_then(|s| s.version),
        md5,
        upload_id,
        file_id,
        status: status.into(),
        error,
        seconds: (f.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        finished_at: uploads_client::rules::unix_now(),
    }
}

/// The upload a failure left (resumable, cancelled or maybe completed), if one was created.
fn upload_of(e: &UploadError) -> Option<String> {
    match e {
        UploadError::Stopped { disposition, .. } => disposition.upload_id().map(str::to_owned),
        _ => None,
    }
}
