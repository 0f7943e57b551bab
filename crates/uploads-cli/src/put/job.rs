//! One upload of the command (a file, or a piece of one), and its identity for the manifest.

use std::path::PathBuf;

use uploads_ext::Source;

/// One upload of the command.
pub struct Job {
    /// How messages name it: the path, and for a piece which one.
    pub label: String,
    /// The file, or its piece.
    pub source: Source,
    /// The File's name, for a piece (`<stem>.NN.jsonl`).
    pub filename: Option<String>,
    /// The file (`-` for stdin).
    pub path: PathBuf,
    /// Its place among the command's inputs: results are printed in this order.
    pub order: usize,
}

impl Job {
    /// Its identity now, for the manifest; `None` if the file cannot be read.
    pub async fn stat(&self) -> Option<Stat> {
        let id = self.source.identity().await.ok()?;
        Some(Stat::from_identity(&id))
    }

    /// How a message names it: by its label when the command has several uploads, else not
    /// at all (the one file is clear).
    pub fn label_if(&self, several: bool) -> Option<&str> {
        several.then_some(self.label.as_str())
    }
}

/// A source's identity now, to compare with a record.
#[derive(Clone, Debug, PartialEq)]
pub struct Stat {
    pub key: PathBuf,
    pub bytes: u64,
    pub mtime_ns: Option<i128>,
    /// An object's ETag or version id.
    pub version: Option<String>,
}

impl Stat {
    /// A source's identity as the engine reads it (canonical path, region, size, time),
    /// keyed as its journal is.
    /// An object is keyed by its URL.
    pub fn from_identity(id: &uploads_ext::Identity) -> Self {
        if let Some(remote) = &id.remote {
            return Self {
                key: PathBuf::from(&remote.location),
                bytes: id.size,
                mtime_ns: None,
                version: remote.version.clone(),
            };
        }
        let path = id.path.clone().unwrap_or_default();
        Self {
            key: uploads_ext::journal::key_for(&path, id.region),
            bytes: id.size,
            mtime_ns: id.mtime_ns,
            version: None,
        }
    }
}
