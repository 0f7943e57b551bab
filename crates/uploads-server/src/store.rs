//! Crash-safe storage: part bodies as files, metadata as JSON documents written atomically.
//!
//! Layout of a data directory:
//! - `parts/<part_id>`: a part's bytes, streamed to disk as they arrive;
//! - `uploads/<upload_id>.json`, `files/<file_id>.json`: metadata, each written to a temporary
//!   file, synced and renamed into place, so a crash leaves either the old or the new document.
//!
//! A completed upload's File lists its parts in order; nothing is copied, downloads stream the
//! parts one after the other.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UploadRecord {
    pub id: String,
    pub filename: String,
    pub purpose: String,
    pub mime_type: String,
    pub bytes: u64,
    pub created_at: i64,
    pub expires_at: i64,
    /// `pending`, `completed`, `cancelled` or `expired`.
    pub status: String,
    /// When the File made from this upload expires (`expires_after` on create).
    pub file_expires_after: Option<i64>,
    pub parts: BTreeMap<String, PartRecord>,
    pub file_id: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartRecord {
    pub size: u64,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    pub id: String,
    pub upload_id: String,
    pub filename: String,
    pub purpose: String,
    pub bytes: u64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// The part ids, in the order given on complete.
    pub parts: Vec<String>,
}

#[derive(Default)]
struct Index {
    uploads: HashMap<String, UploadRecord>,
    files: HashMap<String, FileRecord>,
}

pub struct Store {
    dir: PathBuf,
    index: Mutex<Index>,
}

impl Store {
    /// Opens (or creates) a data directory and loads its metadata.
    pub async fn open(dir: &Path) -> io::Result<Self> {
        for sub in ["parts", "uploads", "files", "tmp"] {
            tokio::fs::create_dir_all(dir.join(sub)).await?;
        }
        let mut index = Index::default();
        for rec in load_all::<UploadRecord>(&dir.join("uploads")).await? {
            index.uploads.insert(rec.id.clone(), rec);
        }
        for rec in load_all::<FileRecord>(&dir.join("files")).await? {
            index.files.insert(rec.id.clone(), rec);
        }
        Ok(Self {
            dir: dir.to_owned(),
            index: Mutex::new(index),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn part_path(&self, part_id: &str) -> PathBuf {
        self.dir.join("parts").join(part_id)
    }

    /// A fresh path for a part body being received, inside the data directory.
    pub fn temp_path(&self, name: &str) -> PathBuf {
        self.dir.join("tmp").join(name)
    }

    /// Runs `f` on the upload under the store's lock and persists the record if `f` succeeds and
    /// changed it. `None` if there is no such upload.
    pub async fn update_upload<T, E: From<io::Error>>(
        &self,
        id: &str,
        f: impl FnOnce(&mut UploadRecord) -> Result<T, E>,
    ) -> Option<Result<T, E>> {
        let mut index = self.index.lock().await;
        let rec = index.uploads.get_mut(id)?;
        let before = rec.clone();
        let out = match f(rec) {
            Ok(out) => out,
            Err(e) => {
                *rec = before;
                return Some(Err(e));
            }
        };
        if *rec != before {
            let snapshot = rec.clone();
            if let Err(e) = self.write_json("uploads", &snapshot.id, &snapshot).await {
                *index.uploads.get_mut(id)? = before;
                return Some(Err(e.into()));
            }
        }
        Some(Ok(out))
    }

    pub async fn insert_upload(&self, rec: UploadRecord) -> io::Result<()> {
        let mut index = self.index.lock().await;
        self.write_json("uploads", &rec.id, &rec).await?;
        index.uploads.insert(rec.id.clone(), rec);
        Ok(())
    }

    pub async fn upload(&self, id: &str) -> Option<UploadRecord> {
        self.index.lock().await.uploads.get(id).cloned()
    }

    pub async fn insert_file(&self, rec: FileRecord) -> io::Result<()> {
        let mut index = self.index.lock().await;
        self.write_json("files", &rec.id, &rec).await?;
        index.files.insert(rec.id.clone(), rec);
        Ok(())
    }

    pub async fn file(&self, id: &str) -> Option<FileRecord> {
        self.index.lock().await.files.get(id).cloned()
    }

    /// Deletes a File: its metadata, then its content (the parts it was made of). False if
    /// there was none.
    pub async fn delete_file(&self, id: &str) -> io::Result<bool> {
        let mut index = self.index.lock().await;
        let Some(file) = index.files.remove(id) else {
            return Ok(false);
        };
        tokio::fs::remove_file(self.dir.join("files").join(format!("{id}.json"))).await?;
        for part in &file.parts {
            match tokio::fs::remove_file(self.part_path(part)).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(true)
    }

    async fn write_json<T: Serialize>(&self, kind: &str, id: &str, value: &T) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        let tmp = self.temp_path(&format!("{kind}-{id}.json"));
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(&json).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, self.dir.join(kind).join(format!("{id}.json"))).await
    }
}

async fn load_all<T: for<'de> Deserialize<'de>>(dir: &Path) -> io::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        if entry.path().extension().is_some_and(|e| e == "json") {
            let bytes = tokio::fs::read(entry.path()).await?;
            let rec = serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", entry.path().display()),
                )
            })?;
            out.push(rec);
        }
    }
    Ok(out)
}
