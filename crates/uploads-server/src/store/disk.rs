//! Every write of the store, checked to the end: bytes written, flushed, then synced, so a
//! failed write (a full disk) is an error and never an acknowledged request. A space budget
//! can stand in for a full disk (the `disk_space` fault).

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;

/// The store's writer: how many more bytes the data directory may take, if capped.
#[derive(Debug, Default)]
pub(crate) struct Disk {
    left: Option<AtomicU64>,
}

impl Disk {
    /// A disk with `space` bytes left (`None`: as much as the real one has).
    pub(crate) fn new(space: Option<u64>) -> Self {
        Self {
            left: space.map(AtomicU64::new),
        }
    }

    /// Writes all of `bytes` and flushes them to the file. Past the budget, writes what fits
    /// (as a filling disk does) and fails as a full disk does.
    pub(crate) async fn write_all(&self, f: &mut tokio::fs::File, bytes: &[u8]) -> io::Result<()> {
        let fits = self.take(bytes.len() as u64) as usize;
        f.write_all(&bytes[..fits]).await?;
        // tokio parks a failed background write until the next operation: flush brings it
        // out; a sync would report only its own result.
        f.flush().await?;
        if fits < bytes.len() {
            return Err(full());
        }
        Ok(())
    }

    /// Takes up to `n` bytes of the budget; how many were granted.
    fn take(&self, n: u64) -> u64 {
        let Some(left) = &self.left else { return n };
        let mut granted = 0;
        let _ = left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| {
            granted = l.min(n);
            Some(l - granted)
        });
        granted
    }
}

/// The error of a full disk.
fn full() -> io::Error {
    io::Error::new(
        io::ErrorKind::StorageFull,
        "no space left on device (the server's disk_space budget is used up)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_past_the_budget_writes_what_fits_and_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = tokio::fs::File::create(&path).await.unwrap();
        let disk = Disk::new(Some(10));
        disk.write_all(&mut f, b"12345678").await.unwrap();
        let e = disk.write_all(&mut f, b"abcdef").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert_eq!(std::fs::read(&path).unwrap(), b"12345678ab");
        assert!(disk.write_all(&mut f, b"x").await.is_err(), "still full");
        disk.write_all(&mut f, b"").await.unwrap();
        let unbounded = Disk::new(None);
        unbounded.write_all(&mut f, b"more").await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"12345678abmore");
    }
}
