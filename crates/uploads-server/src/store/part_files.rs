//! Part files: a part's body streamed to `tmp/` and renamed into `parts/` once synced; their
//! removal, md5, sizes and reading back in order.

use std::io;
use std::path::PathBuf;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};

use super::{Store, part_log};

/// Why a part body was not stored.
#[derive(Debug)]
pub(crate) enum PartWriteError<E> {
    /// More than the part limit.
    TooLarge { max: u64 },
    /// No bytes.
    Empty,
    /// The body could not be read.
    Body(E),
    /// No byte arrived for this long.
    Stalled { after: std::time::Duration },
    /// The disk failed.
    Io(io::Error),
}

impl Store {
    pub(super) fn part_path(&self, part_id: &str) -> PathBuf {
        self.dir.join("parts").join(part_id)
    }

    /// Streams a part body to disk as `part_id`, refusing it as soon as it passes `max` bytes;
    /// its size once synced. Whatever ends the request early (an error, or the client going
    /// away and the future being dropped), the partial file is removed.
    pub(crate) async fn write_part<E>(
        &self,
        part_id: &str,
        body: impl Stream<Item = Result<Bytes, E>>,
        max: u64,
        stall: std::time::Duration,
    ) -> Result<u64, PartWriteError<E>> {
        let tmp = TempFile(self.dir.join("tmp").join(part_id));
        let mut file = tokio::fs::File::create(&tmp.0)
            .await
            .map_err(PartWriteError::Io)?;
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        loop {
            let next = tokio::time::timeout(stall, body.next())
                .await
                .map_err(|_| PartWriteError::Stalled { after: stall })?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(PartWriteError::Body)?;
            size += chunk.len() as u64;
            if size > max {
                return Err(PartWriteError::TooLarge { max });
            }
            self.disk
                .write_all(&mut file, &chunk)
                .await
                .map_err(PartWriteError::Io)?;
        }
        if size == 0 {
            return Err(PartWriteError::Empty);
        }
        file.sync_all().await.map_err(PartWriteError::Io)?;
        drop(file);
        tokio::fs::rename(&tmp.0, self.part_path(part_id))
            .await
            .map_err(PartWriteError::Io)?;
        std::mem::forget(tmp);
        Ok(size)
    }

    /// Removes stored parts (of a cancelled upload, or one refused after it was written).
    pub(crate) async fn discard_parts<'a>(&self, part_ids: impl IntoIterator<Item = &'a String>) {
        for part in part_ids {
            if let Err(e) = tokio::fs::remove_file(self.part_path(part)).await
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(part, error = %e, "could not remove a part");
            }
        }
    }

    /// Removes an upload's part files and its part log: after it ended (cancelled, expired, or
    /// completed, for the parts its File does not list), outside the store's lock.
    pub(crate) async fn remove_parts_and_log(
        &self,
        upload_id: &str,
        parts: &[String],
    ) -> io::Result<()> {
        self.discard_parts(parts).await;
        match tokio::fs::remove_file(part_log::path(&self.dir, upload_id)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The md5 of the parts' bytes in this order, as lowercase hex.
    pub(crate) async fn md5_of_parts(&self, part_ids: &[String]) -> io::Result<String> {
        let paths: Vec<PathBuf> = part_ids.iter().map(|p| self.part_path(p)).collect();
        tokio::task::spawn_blocking(move || uploads_client::checksum::md5_files_hex(paths, None))
            .await
            .map_err(io::Error::other)?
    }

    /// Checks that each part is on disk at its recorded size, so that a part acknowledged and
    /// then lost from storage is found before a File is made of it. `NotFound` if a part's
    /// file is gone (a cancel may have removed it).
    pub(crate) async fn verify_parts(&self, parts: Vec<(String, u64)>) -> io::Result<()> {
        let dir = self.dir.join("parts");
        tokio::task::spawn_blocking(move || {
            for (part, size) in parts {
                let on_disk = std::fs::metadata(dir.join(&part))?.len();
                if on_disk != size {
                    return Err(io::Error::other(format!(
                        "part {part} holds {on_disk} bytes on disk, {size} were stored"
                    )));
                }
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)?
    }

    /// How many bytes the parts' files hold together.
    pub(crate) async fn size_of_parts(&self, part_ids: &[String]) -> io::Result<u64> {
        let paths: Vec<PathBuf> = part_ids.iter().map(|p| self.part_path(p)).collect();
        tokio::task::spawn_blocking(move || {
            paths
                .iter()
                .try_fold(0, |sum, p| Ok(sum + std::fs::metadata(p)?.len()))
        })
        .await
        .map_err(io::Error::other)?
    }

    /// The parts' bytes one after the other, streamed from disk: exactly `bytes` of them, or
    /// an error at the end (so a short part cannot pass as a whole download).
    pub(crate) fn read_parts(
        &self,
        part_ids: &[String],
        bytes: u64,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        use std::sync::atomic::{AtomicU64, Ordering};
        let paths: Vec<PathBuf> = part_ids.iter().map(|p| self.part_path(p)).collect();
        let sent = std::sync::Arc::new(AtomicU64::new(0));
        let counted = sent.clone();
        let parts = futures::stream::iter(paths)
            .then(tokio::fs::File::open)
            .map_ok(tokio_util::io::ReaderStream::new)
            .try_flatten()
            .map_ok(move |chunk| {
                counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                chunk
            });
        let end = futures::stream::once(async move {
            let sent = sent.load(Ordering::Relaxed);
            (sent != bytes).then(|| {
                io::Error::other(format!(
                    "the File's parts hold {sent} bytes on disk, not its {bytes}"
                ))
            })
        })
        .filter_map(|e| async move { e.map(Err) });
        parts.chain(end)
    }
}

/// A file removed when dropped, unless forgotten: a part's body while it is received.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        // Synchronous on purpose: drop runs when a request future is cancelled, with no
        // runtime left to await a removal. One unlink is cheap.
        let _ = std::fs::remove_file(&self.0);
    }
}
