//! Opening a data directory after whatever stopped the last server: metadata loaded, part
//! logs replayed, temporary files removed, unloadable records set aside, a complete cut
//! between its two writes rolled forward.

use std::io;
use std::path::Path;

use serde::Deserialize;
use tokio::sync::Mutex;
use uploads_client::types::KnownUploadStatus;

use super::{Disk, FileRecord, Index, Store, UploadRecord, part_log};

impl Store {
    /// Opens (or creates) a data directory and loads its metadata. What a crash or a killed
    /// request left behind is cleaned up: temporary files are removed, a record that does not
    /// load is set aside (renamed `*.corrupt`, with a log line), and a File whose upload was
    /// not yet marked completed completes it.
    pub(crate) async fn open(dir: &Path, disk: Disk) -> io::Result<Self> {
        for sub in ["parts", "uploads", "files", "tmp"] {
            tokio::fs::create_dir_all(dir.join(sub)).await?;
        }
        sweep(&dir.join("tmp")).await?;
        let mut index = Index::default();
        for mut rec in load_all::<UploadRecord>(&dir.join("uploads")).await? {
            rec.parts
                .extend(part_log::read(&part_log::path(dir, &rec.id)).await?);
            index.uploads.insert(rec.id.clone(), rec);
        }
        for rec in load_all::<FileRecord>(&dir.join("files")).await? {
            index.files.insert(rec.id.clone(), rec);
        }
        let store = Self {
            dir: dir.to_owned(),
            index: Mutex::new(Index::default()),
            disk,
        };
        store.repair(&mut index).await?;
        store.remove_unowned(&index).await?;
        *store.index.lock().await = index;
        Ok(store)
    }

    /// Removes what no record owns: part files no pending upload and no File lists (a kill
    /// between storing a part and logging it, parts left out of a complete, a crash between
    /// an upload's end and its parts' removal), and the part logs of uploads no longer pending.
    async fn remove_unowned(&self, index: &Index) -> io::Result<()> {
        let mut owned: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for rec in index.uploads.values() {
            if rec.status == KnownUploadStatus::Pending {
                owned.extend(rec.parts.keys().map(String::as_str));
            } else if let Err(e) = tokio::fs::remove_file(part_log::path(&self.dir, &rec.id)).await
                && e.kind() != io::ErrorKind::NotFound
            {
                return Err(e);
            }
        }
        for file in index.files.values() {
            owned.extend(file.parts.iter().map(String::as_str));
        }
        let mut removed = 0usize;
        let mut entries = tokio::fs::read_dir(self.dir.join("parts")).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            if !name.to_str().is_some_and(|n| owned.contains(n)) {
                tokio::fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed part files no upload or File owns");
        }
        Ok(())
    }

    /// Rolls forward a complete cut short between its two writes.
    async fn repair(&self, index: &mut Index) -> io::Result<()> {
        for file in index.files.values() {
            let Some(rec) = index.uploads.get_mut(&file.upload_id) else {
                continue;
            };
            if rec.file_id.as_deref() != Some(file.id.as_str()) {
                tracing::warn!(upload = %rec.id, file = %file.id, "completing an upload whose complete was cut short");
                rec.status = KnownUploadStatus::Completed;
                rec.file_id = Some(file.id.clone());
                self.write_json("uploads", &rec.id, rec).await?;
            }
        }
        Ok(())
    }
}

/// Every record in `dir`; one that does not parse is renamed `*.corrupt` and skipped.
async fn load_all<T: for<'de> Deserialize<'de>>(dir: &Path) -> io::Result<Vec<T>> {
    let mut out = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let bytes = tokio::fs::read(&path).await?;
            match serde_json::from_slice(&bytes) {
                Ok(rec) => out.push(rec),
                Err(e) => {
                    let aside = path.with_extension("json.corrupt");
                    tracing::error!(record = %path.display(), error = %e, aside = %aside.display(), "a record does not load: set aside");
                    tokio::fs::rename(&path, &aside).await?;
                }
            }
        }
    }
    Ok(out)
}

/// Removes every file in `dir` (the temporary files of requests a crash cut short).
async fn sweep(dir: &Path) -> io::Result<()> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        tracing::info!(file = %entry.path().display(), "removing a temporary file left behind");
        tokio::fs::remove_file(entry.path()).await?;
    }
    Ok(())
}
