//! The ledger of steps after the upload: one JSON line per change, appended and synced, so a
//! run stopped at any point leaves what it had created (or was about to create) on record.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::marker::{new_marker, unix_now};

/// One step as recorded: before its create is sent (`id` empty), after it is answered (`id`),
/// and once it has ended (`done`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepRecord {
    /// What the step is, stable across runs of the same command (e.g. the batch of a local
    /// file, by its path, size and modification time, and the batch's options).
    pub key: String,
    /// `batch`, `vector_store`, `file_batch`, `fine_tune`.
    pub kind: String,
    /// The marker the create carries, by which a lost create is found.
    pub marker: String,
    /// Unix seconds when the create was first sent: the listing looks no further back.
    pub since: i64,
    /// The File the step started from, once uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// The created object's id, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The step ended (its wait finished and its results were kept): a later run starts anew.
    #[serde(default)]
    pub done: bool,
    /// What the step ended as (`completed`, `failed`, ...), for the next run to report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl StepRecord {
    /// A step about to start, with a fresh marker.
    pub fn new(key: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            kind: kind.into(),
            marker: new_marker(),
            since: unix_now(),
            file_id: None,
            id: None,
            done: false,
            outcome: None,
        }
    }
}

/// The ledger file and the latest record of each step.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    latest: HashMap<String, StepRecord>,
}

impl Ledger {
    /// The ledger in a journal directory (`after/steps.jsonl` under it).
    pub fn in_journal_dir(dir: &Path) -> io::Result<Self> {
        let sub = dir.join("after");
        std::fs::create_dir_all(&sub)?;
        Self::open(&sub.join("steps.jsonl"))
    }

    /// Opens (or creates) a ledger and reads it; a line that does not parse (cut by a crash
    /// or a full disk) is passed over.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut latest = HashMap::new();
        match std::fs::read(path) {
            Ok(bytes) => {
                for line in bytes.split(|b| *b == b'\n') {
                    if let Ok(rec) = serde_json::from_slice::<StepRecord>(line) {
                        latest.insert(rec.key.clone(), rec);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        // A torn last line must not swallow the next record.
        if std::fs::read(path)?.last().is_some_and(|b| *b != b'\n') {
            file.write_all(b"\n")?;
        }
        Ok(Self {
            path: path.to_owned(),
            inner: Mutex::new(Inner { file, latest }),
        })
    }

    /// Where the ledger is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The latest record of a step, if it has one and has not ended.
    pub fn open_step(&self, key: &str) -> Option<StepRecord> {
        self.lock().latest.get(key).filter(|r| !r.done).cloned()
    }

    /// The latest record of a step, ended or not.
    pub fn last(&self, key: &str) -> Option<StepRecord> {
        self.lock().latest.get(key).cloned()
    }

    /// Appends a record and syncs it before returning: once this returns, a crash keeps it.
    pub fn record(&self, rec: &StepRecord) -> io::Result<()> {
        let mut line = serde_json::to_vec(rec).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut inner = self.lock();
        inner.file.write_all(&line)?;
        inner.file.flush()?;
        inner.file.sync_data()?;
        inner.latest.insert(rec.key.clone(), rec.clone());
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_record_of_a_step_wins_and_a_torn_line_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::in_journal_dir(dir.path()).unwrap();
        let mut rec = StepRecord::new("batch|a.jsonl", "batch");
        ledger.record(&rec).unwrap();
        rec.id = Some("batch_1".into());
        ledger.record(&rec).unwrap();
        drop(ledger);
        // A crash cut the next line in half.
        let path = dir.path().join("after/steps.jsonl");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(br#"{"key":"batch|a.jsonl","kind":"batch","mar"#)
            .unwrap();
        drop(f);
        let ledger = Ledger::in_journal_dir(dir.path()).unwrap();
        assert_eq!(
            ledger.open_step("batch|a.jsonl").unwrap().id.as_deref(),
            Some("batch_1")
        );
        rec.done = true;
        ledger.record(&rec).unwrap();
        let reread = Ledger::open(&path).unwrap();
        assert!(reread.open_step("batch|a.jsonl").is_none());
        assert!(reread.last("batch|a.jsonl").unwrap().done);
    }
}
