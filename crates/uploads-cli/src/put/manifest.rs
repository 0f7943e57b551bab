//! `--manifest`: one JSON line per upload as it finishes, appended and flushed, so a crash
//! leaves a true partial record; a re-run skips what the manifest says is already uploaded.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::args::PutArgs;
use super::job::{Job, Stat};
use crate::output::{exit, fail, shown};

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The file as given on the command line (or found under a directory); a name that is
    /// not UTF-8 is kept as its bytes (`{"hex": ...}`).
    #[serde(with = "uploads_ext::path_json")]
    pub path: PathBuf,
    /// What identifies it across runs: its canonical path, and the byte range for a piece.
    #[serde(with = "uploads_ext::path_json")]
    pub key: PathBuf,
    pub bytes: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: Option<i128>,
    /// An object's ETag or version id when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub md5: Option<String>,
    pub upload_id: Option<String>,
    pub file_id: Option<String>,
    /// `ok` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub seconds: f64,
    /// When it finished, Unix seconds.
    pub finished_at: i64,
}

/// The manifest file, open for appending, with what earlier runs uploaded.
pub struct Manifest {
    path: PathBuf,
    file: File,
    uploaded: HashMap<PathBuf, Record>,
}

impl Manifest {
    /// Opens (or creates) the manifest and reads its records; a line that does not parse (a
    /// crash mid-line) is passed over.
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut uploaded = HashMap::new();
        match std::fs::read(path) {
            Ok(bytes) => {
                // Line by line as bytes: a line cut anywhere (even inside a character, as a
                // full disk leaves it) is passed over like any other torn line.
                for line in bytes.split(|b| *b == b'\n') {
                    if let Ok(r) = serde_json::from_slice::<Record>(line)
                        && r.status == "ok"
                    {
                        uploaded.insert(r.key.clone(), r);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        // A crash may have left a partial last line: start ours on a line of their own.
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
            && std::fs::read(path).is_ok_and(|b| b.last() != Some(&b'\n'))
        {
            let _ = file.write_all(b"\n");
        }
        Ok(Self {
            path: path.to_owned(),
            file,
            uploaded,
        })
    }

    /// The File ids the manifest records: Files already accounted for, which the search for
    /// a lost complete's File must never take.
    pub fn file_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.uploaded.values().filter_map(|r| r.file_id.clone())
    }

    /// The record of an earlier upload of exactly this file (same path, size and
    /// modification time; for an object, same URL, size and ETag), if there is one.
    pub fn already(&self, stat: &Stat) -> Option<&Record> {
        self.same_size(stat)
            .filter(|r| r.mtime_ns == stat.mtime_ns && r.version == stat.version)
    }

    /// The record of an earlier upload of this path at this size, whatever its time.
    fn same_size(&self, stat: &Stat) -> Option<&Record> {
        self.uploaded
            .get(&stat.key)
            .filter(|r| r.bytes == stat.bytes)
    }

    /// Appends one record and flushes it to the OS, so it survives this process.
    pub fn append(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("writing {}: {e}", self.path.display()))?;
        if record.status == "ok" {
            self.uploaded.insert(record.key.clone(), record.clone());
        }
        Ok(())
    }
}

/// The File id an earlier run uploaded `job` as, and why it counts as the same file: same
/// path, size and modification time; or, with `checksum`, same path and size and the md5 the
/// manifest recorded (the file is read to know).
pub async fn uploaded_before(
    manifest: &Manifest,
    job: &Job,
    checksum: bool,
) -> Option<(String, &'static str)> {
    let stat = job.stat().await?;
    if let Some(r) = manifest.already(&stat) {
        return Some((r.file_id.clone()?, "in the manifest"));
    }
    // An object is read once, by its upload: its ETag decides, not a second read.
    let r = manifest
        .same_size(&stat)
        .filter(|_| checksum && job.source.is_replayable())?;
    let recorded = r.md5.as_deref()?;
    let now = job.source.md5_hex(stat.bytes).await.ok()?;
    (now == recorded).then(|| {
        (
            r.file_id.clone().unwrap_or_default(),
            "same md5 as in the manifest",
        )
    })
}

/// With `--manifest` (and no `--force`), the jobs it records as uploaded are said and left
/// out; the manifest comes back open for this run's records, with the jobs left out and the
/// File ids recorded for them.
pub(super) async fn skip_recorded(
    args: &PutArgs,
    jobs: Vec<Job>,
) -> Result<(Vec<Job>, Option<Manifest>, Vec<(Job, String)>), u8> {
    let Some(path) = &args.manifest else {
        return Ok((jobs, None, Vec::new()));
    };
    let manifest = Manifest::open(path).map_err(|message| fail(exit::USAGE, message))?;
    if args.force {
        return Ok((jobs, Some(manifest), Vec::new()));
    }
    let mut left = Vec::new();
    let mut recorded = Vec::new();
    for job in jobs {
        match uploaded_before(&manifest, &job, args.checksum).await {
            Some((file_id, why)) => {
                // Quiet means errors only; stdout still gets the recorded id in its place.
                if !args.quiet {
                    eprintln!(
                        "{}",
                        shown(&format!(
                            "{}: already uploaded as {file_id} ({why}; --force uploads it again)",
                            job.label
                        ))
                    );
                }
                recorded.push((job, file_id));
            }
            None => left.push(job),
        }
    }
    Ok((left, Some(manifest), recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, bytes: u64, mtime: i128, status: &str) -> Record {
        Record {
            path: key.into(),
            key: key.into(),
            bytes,
            mtime_ns: Some(mtime),
            version: None,
            md5: None,
            upload_id: Some("upload_1".into()),
            file_id: (status == "ok").then(|| "file-1".into()),
            status: status.into(),
            error: None,
            seconds: 0.5,
            finished_at: 1,
        }
    }

    #[test]
    fn a_rerun_finds_what_was_uploaded_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let mut m = Manifest::open(&path).unwrap();
        m.append(&record("/a", 10, 5, "ok")).unwrap();
        m.append(&record("/b", 10, 5, "failed")).unwrap();
        // A crash mid-line leaves a partial record behind.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"path\":\"/c\",\"ke")
            .unwrap();
        let mut m = Manifest::open(&path).unwrap();
        let stat = |key: &str, bytes, mtime| Stat {
            key: key.into(),
            bytes,
            mtime_ns: Some(mtime),
            version: None,
        };
        assert!(m.already(&stat("/a", 10, 5)).is_some());
        assert!(m.already(&stat("/a", 11, 5)).is_none(), "size changed");
        assert!(m.already(&stat("/a", 10, 6)).is_none(), "modified");
        assert!(m.already(&stat("/b", 10, 5)).is_none(), "failed last time");
        m.append(&record("/c", 1, 1, "ok")).unwrap();
        // An object: same URL and size, another ETag, is another object.
        let object = |etag: &str| Stat {
            key: "s3://b/k".into(),
            bytes: 7,
            mtime_ns: None,
            version: Some(etag.into()),
        };
        m.append(&Record {
            mtime_ns: None,
            version: Some("\"e1\"".into()),
            ..record("s3://b/k", 7, 0, "ok")
        })
        .unwrap();
        assert!(m.already(&object("\"e1\"")).is_some());
        assert!(m.already(&object("\"e2\"")).is_none(), "replaced");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(serde_json::from_str::<Record>(lines[3]).is_ok(), "{text}");
    }

    #[test]
    fn a_manifest_that_cannot_be_read_is_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        // A directory: reading it fails, and not because it is missing.
        let err = Manifest::open(dir.path()).err().unwrap();
        assert!(
            err.starts_with(&format!("reading {}: ", dir.path().display())),
            "{err}"
        );
        // A missing manifest is a new one.
        let path = dir.path().join("new.jsonl");
        let m = Manifest::open(&path).unwrap();
        assert_eq!(m.file_ids().count(), 0);
        assert!(path.exists());
    }
}
