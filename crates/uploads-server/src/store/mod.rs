//! Crash-safe storage: part bodies as files, metadata as JSON documents written atomically.
//! Handlers never touch the disk: the store receives, hashes, opens and discards part files.
//!
//! Layout of a data directory:
//! - `tmp/<part_id>`: a part being received; removed if its request ends without storing it;
//! - `parts/<part_id>`: a stored part's bytes;
//! - `uploads/<upload_id>.json`, `files/<file_id>.json`: metadata, each written to a temporary
//!   file, synced and renamed into place, so a crash leaves either the old or the new document;
//! - `uploads/<upload_id>.parts.jsonl`: the upload's stored parts, one synced line each
//!   ([`part_log`]), so a part costs the same whatever the upload's part count.
//!
//! A completed upload's File lists its parts in order; nothing is copied, downloads stream the
//! parts one after the other.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod disk;
mod made_files;
mod part_files;
mod part_log;
mod records;
mod recovery;

pub(crate) use disk::Disk;
pub(crate) use part_files::PartWriteError;
pub(crate) use records::{FileRecord, PartRecord, UploadRecord};
use tokio::sync::Mutex;
use uploads_client::types::KnownUploadStatus;

/// A fresh id: the prefix and 128 random bits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

#[derive(Default)]
struct Index {
    uploads: HashMap<String, UploadRecord>,
    files: HashMap<String, FileRecord>,
    /// Where each File deleted since start-up stood in the order (its creation time), so a
    /// page cursor naming it still says where the next page starts.
    deleted: HashMap<String, i64>,
}

/// The server's data: an index in memory over the data directory.
pub(crate) struct Store {
    dir: PathBuf,
    index: Mutex<Index>,
    disk: Disk,
}

impl Store {
    /// The data directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Marks pending uploads past their expiry as expired, and removes the part files of
    /// expired and cancelled uploads (the record keeps no part); how many uploads it emptied.
    /// Records are rewritten under the lock; the files are removed after it is released, so a
    /// sweep of many uploads does not stall other requests. A crash between leaves part files
    /// nothing names, which the next start-up removes.
    pub(crate) async fn sweep_expired(&self, now: i64) -> io::Result<usize> {
        let mut doomed: Vec<(String, Vec<String>)> = Vec::new();
        {
            let mut index = self.index.lock().await;
            for rec in index.uploads.values_mut() {
                let before = rec.status;
                rec.expire_if_due(now);
                let done = matches!(
                    rec.status,
                    KnownUploadStatus::Expired | KnownUploadStatus::Cancelled
                );
                let emptying = done && !rec.parts.is_empty();
                let parts: Vec<String> = if emptying {
                    std::mem::take(&mut rec.parts).into_keys().collect()
                } else {
                    Vec::new()
                };
                // Rewritten for its status, or for the parts a record written before the part
                // log still lists.
                if rec.status != before || emptying {
                    self.write_json("uploads", &rec.id, rec).await?;
                }
                if emptying {
                    doomed.push((rec.id.clone(), parts));
                }
            }
        }
        for (upload_id, parts) in &doomed {
            self.remove_parts_and_log(upload_id, parts).await?;
        }
        Ok(doomed.len())
    }

    /// Runs `f` on a copy of the upload under the store's lock; if `f` succeeds and changed it,
    /// the copy is written to disk and only then published. A failure, or a caller that goes
    /// away mid-write, leaves the record as it was. `None` if there is no such upload.
    pub(crate) async fn update_upload<T, E: From<io::Error>>(
        &self,
        id: &str,
        f: impl FnOnce(&mut UploadRecord) -> Result<T, E>,
    ) -> Option<Result<T, E>> {
        let mut index = self.index.lock().await;
        let mut rec = index.uploads.get(id)?.clone();
        let out = match f(&mut rec) {
            Ok(out) => out,
            Err(e) => return Some(Err(e)),
        };
        if index.uploads.get(id) != Some(&rec) {
            if let Err(e) = self.write_json("uploads", &rec.id, &rec).await {
                return Some(Err(e.into()));
            }
            index.uploads.insert(rec.id.clone(), rec);
        }
        Some(Ok(out))
    }

    /// Runs `f` on the upload in place, under the store's lock, writing nothing: for checks
    /// (and marking an upload past its expiry expired, which any later access would also do)
    /// that must not cost a copy of a many-part record. `None` if there is no such upload.
    pub(crate) async fn inspect_upload<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut UploadRecord) -> T,
    ) -> Option<T> {
        let mut index = self.index.lock().await;
        index.uploads.get_mut(id).map(f)
    }

    /// Records a stored part of a pending upload: `check` passes on the upload as it is now
    /// (and may mark it expired), then the part is added. The store's lock is held only for
    /// that: the part's line is appended to the upload's log and synced outside it, so
    /// unrelated requests do not wait for a disk, and a part costs the same whatever the
    /// upload's part count. The part is acknowledged (this returns) only once its line is
    /// durable; a failed write takes it back out. `None` if there is no such upload.
    pub(crate) async fn add_part<E: From<io::Error>>(
        &self,
        upload_id: &str,
        part_id: &str,
        part: PartRecord,
        check: impl FnOnce(&mut UploadRecord, &PartRecord) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        {
            let mut index = self.index.lock().await;
            let rec = index.uploads.get_mut(upload_id)?;
            if let Err(e) = check(rec, &part) {
                return Some(Err(e));
            }
            rec.parts.insert(part_id.to_owned(), part.clone());
        }
        let log = part_log::path(&self.dir, upload_id);
        if let Err(e) = part_log::append(&self.disk, &log, part_id, &part).await {
            if let Some(rec) = self.index.lock().await.uploads.get_mut(upload_id) {
                rec.parts.remove(part_id);
            }
            return Some(Err(e.into()));
        }
        Some(Ok(()))
    }

    /// Completes an upload with its File, all or nothing: under one lock, `check` passes on the
    /// upload as it is now, the File's record is written, then the completed upload's, and
    /// only then are both published. A crash between the two writes is repaired at start-up
    /// (a File whose upload is not marked completed completes it). Run it in a task of its own
    /// so that a client going away cannot cut it in half.
    pub(crate) async fn complete_upload<E: From<io::Error>>(
        &self,
        file: FileRecord,
        check: impl FnOnce(&UploadRecord) -> Result<(), E>,
    ) -> Option<Result<UploadRecord, E>> {
        let mut index = self.index.lock().await;
        let mut rec = index.uploads.get(&file.upload_id)?.clone();
        if let Err(e) = check(&rec) {
            return Some(Err(e));
        }
        rec.status = KnownUploadStatus::Completed;
        rec.file_id = Some(file.id.clone());
        let written = async {
            self.write_json("files", &file.id, &file).await?;
            self.write_json("uploads", &rec.id, &rec).await
        };
        if let Err(e) = written.await {
            return Some(Err(e.into()));
        }
        index.files.insert(file.id.clone(), file);
        index.uploads.insert(rec.id.clone(), rec.clone());
        Some(Ok(rec))
    }

    /// Stores a new upload.
    pub(crate) async fn insert_upload(&self, rec: UploadRecord) -> io::Result<()> {
        let mut index = self.index.lock().await;
        self.write_json("uploads", &rec.id, &rec).await?;
        index.uploads.insert(rec.id.clone(), rec);
        Ok(())
    }

    /// A File by id.
    pub(crate) async fn file(&self, id: &str) -> Option<FileRecord> {
        self.index.lock().await.files.get(id).cloned()
    }

    /// Files, with `purpose` if given, ordered by creation time (then id, so the order is total
    /// and an id is a cursor), newest first if `newest_first`; with `after`, those that come
    /// after that File in the order, whether it still exists or was deleted (a list-and-delete
    /// loop pages on). A cursor naming no File known gives nothing.
    pub(crate) async fn list_files(
        &self,
        purpose: Option<&str>,
        newest_first: bool,
        after: Option<&str>,
    ) -> Vec<FileRecord> {
        let index = self.index.lock().await;
        let cursor = match after {
            None => None,
            Some(id) => match index
                .files
                .get(id)
                .map(|f| f.created_at)
                .or_else(|| index.deleted.get(id).copied())
            {
                Some(created_at) => Some((created_at, id.to_owned())),
                None => return Vec::new(),
            },
        };
        let mut files: Vec<FileRecord> = index
            .files
            .values()
            .filter(|f| purpose.is_none_or(|p| f.purpose.as_str() == p))
            .filter(|f| {
                cursor.as_ref().is_none_or(|(at, id)| {
                    let key = (f.created_at, &f.id);
                    if newest_first {
                        key < (*at, id)
                    } else {
                        key > (*at, id)
                    }
                })
            })
            .cloned()
            .collect();
        files.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        if newest_first {
            files.reverse();
        }
        files
    }

    /// Deletes a File: its metadata, then its content (the parts it was made of). False if
    /// there was none.
    pub(crate) async fn delete_file(&self, id: &str) -> io::Result<bool> {
        let mut index = self.index.lock().await;
        let Some(file) = index.files.remove(id) else {
            return Ok(false);
        };
        index.deleted.insert(file.id.clone(), file.created_at);
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
        let tmp = self.dir.join("tmp").join(format!("{kind}-{id}.json"));
        let mut f = tokio::fs::File::create(&tmp).await?;
        let written = async {
            self.disk.write_all(&mut f, &json).await?;
            f.sync_all().await
        };
        if let Err(e) = written.await {
            drop(f);
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        drop(f);
        tokio::fs::rename(&tmp, self.dir.join(kind).join(format!("{id}.json"))).await
    }
}

#[cfg(test)]
mod tests;
