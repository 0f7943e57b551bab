//! The end of each upload as it comes: its File id on stdout (in the order given, whatever
//! order they finish in), its manifest record, and the command's summary.

use std::collections::BTreeMap;
use std::time::Instant;

use uploads_ext::{FinishedUpload, UploadError, human_bytes};

use super::args::PutArgs;
use super::job::{Job, Stat};
use super::manifest::{Manifest, Record};
use crate::output::shown;

/// What the uploads' ends add up to.
pub struct Ends {
    json: bool,
    /// stdout lines waiting for the uploads before them.
    waiting: BTreeMap<usize, Option<String>>,
    next: usize,
    total: usize,
    ok: usize,
    failed: Vec<String>,
    already: usize,
    bytes: u64,
    started: Instant,
    /// A summary is printed for several uploads, or with a manifest.
    summarize: bool,
    /// stdout's reader went away: ids are no longer printed, and the command stops.
    stdout_closed: bool,
}

impl Ends {
    pub fn new(args: &PutArgs, total: usize, already: usize) -> Self {
        Self {
            json: args.json,
            waiting: BTreeMap::new(),
            next: 0,
            total,
            ok: 0,
            failed: Vec::new(),
            already,
            bytes: 0,
            started: Instant::now(),
            summarize: !args.quiet && (total > 1 || already > 0 || args.manifest.is_some()),
            stdout_closed: false,
        }
    }

    /// True once stdout's reader has gone away.
    pub fn stdout_closed(&self) -> bool {
        self.stdout_closed
    }

    /// Records one finished upload: counts, the manifest line, and its stdout line once the
    /// ones before it are out. An error is the manifest's.
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
                Some(stdout_line(self.json, done))
            }
            Err(_) => {
                self.failed.push(job.label.clone());
                None
            }
        };
        self.waiting.insert(f.index, line);
        while let Some(line) = self.waiting.remove(&self.next) {
            if let Some(line) = line
                && !self.stdout_closed
                && crate::output::out(line).is_err()
            {
                self.stdout_closed = true;
            }
            self.next += 1;
        }
        match manifest {
            Some((m, stat)) => m.append(&record(job, f, stat)),
            None => Ok(()),
        }
    }

    /// The last line: files ok and failed, bytes, time, rate.
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
        if self.already > 0 {
            line.push_str(&format!(", {} already uploaded (manifest)", self.already));
        }
        line.push_str(&format!(
            "; {} in {secs:.1}s ({}/s)",
            human_bytes(self.bytes),
            human_bytes((self.bytes as f64 / secs) as u64)
        ));
        eprintln!("{line}");
        for label in &self.failed {
            eprintln!("failed: {}", shown(label));
        }
    }
}

/// What stdout says of a completed upload: its File id, or with `--json` the Upload object.
pub fn stdout_line(json: bool, done: &uploads_ext::Completed) -> String {
    if json {
        serde_json::to_string(&done.upload).unwrap_or_default()
    } else {
        done.file.id.clone()
    }
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
        mtime_ns: stat.and_then(|s| s.mtime_ns),
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
