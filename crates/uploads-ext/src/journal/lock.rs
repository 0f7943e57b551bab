//! The lock beside each journal: held while an upload of its file runs, removed with a run
//! that made no journal, never opened through a symlink.

use std::io;
use std::path::{Path, PathBuf};

use super::files::{create_dir, remove};

/// A lock on one file's journal, held while an upload of that file runs, so two uploads of
/// the same file do not both create an Upload and lose each other's resume. Released on drop;
/// the lock file goes with it when no journal was left (a run that failed before it made
/// one), so failed runs leave nothing behind.
#[derive(Debug)]
pub(crate) struct JournalLock {
    file: std::fs::File,
    journal: PathBuf,
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        // Removed while still held; a process that opened it before is caught by the inode
        // check in `try_lock` and opens the path afresh.
        if !self.journal.exists() && self.still_at_path() {
            let _ = std::fs::remove_file(lock_path(&self.journal));
        }
    }
}

impl JournalLock {
    /// True if the locked file is still the one at the lock's path.
    fn still_at_path(&self) -> bool {
        same_file(&self.file, &lock_path(&self.journal))
    }
}

/// The lock file of a journal.
pub(super) fn lock_path(journal: &Path) -> PathBuf {
    journal.with_extension("lock")
}

/// True if `path` is the file `file` has open (not a file removed and made again since).
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// Opens a lock file, never through a symlink planted at its path.
fn open_lock(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW).mode(0o600);
    }
    options.open(path)
}

/// Takes the lock of the journal at `journal`, without waiting: `Ok(None)` if another process
/// (or another upload in this one) holds it.
pub(crate) fn try_lock(journal: &Path) -> io::Result<Option<JournalLock>> {
    if let Some(dir) = journal.parent() {
        create_dir(dir)?;
    }
    let path = lock_path(journal);
    // A lock file removed by its holder between our open and our lock is a stale inode:
    // open again (a few times at most: each retry means another run just finished).
    for _ in 0..16 {
        let file = open_lock(&path)?;
        match file.try_lock() {
            Ok(()) if same_file(&file, &path) => {
                return Ok(Some(JournalLock {
                    file,
                    journal: journal.to_owned(),
                }));
            }
            // Locked a file no longer at the path: let it go and open the path again.
            Ok(()) => drop(file),
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
    Ok(None)
}

/// Removes the lock files in `dir` that no journal goes with and no run holds (left by
/// versions that kept them, or by a crash): for `pending --prune`. How many it removed.
pub fn remove_orphan_locks(dir: &Path) -> io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "lock") {
            continue;
        }
        let journal = path.with_extension("json");
        if journal.exists() {
            continue;
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            // Not a lock file we made (a symlink planted there): removed without following.
            remove(&path)?;
            removed += 1;
            continue;
        }
        if let Some(lock) = try_lock(&journal)? {
            // Dropping it removes the lock file: there is no journal.
            drop(lock);
            removed += usize::from(!path.exists());
        }
    }
    Ok(removed)
}

/// Removes a journal and then its lock file, by the run that holds the lock (or by
/// `remove_unused`); missing ones are no error.
pub(crate) fn forget(journal: &Path) -> io::Result<()> {
    remove(journal)?;
    remove(&lock_path(journal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_without_a_journal_leaves_no_file_and_never_follows_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.json");
        let lock = dir.path().join("j.lock");
        // A run that fails before its journal exists: no lock file left.
        drop(try_lock(&journal).unwrap().unwrap());
        assert!(!lock.exists());
        // With a journal, the lock file stays with it until the journal is forgotten.
        let held = try_lock(&journal).unwrap().unwrap();
        std::fs::write(&journal, "{}").unwrap();
        drop(held);
        assert!(lock.exists());
        forget(&journal).unwrap();
        assert!(!lock.exists());
        // A symlink planted at the lock's path is not followed: its target is never made.
        #[cfg(unix)]
        {
            let target = dir.path().join("target");
            std::os::unix::fs::symlink(&target, &lock).unwrap();
            assert!(try_lock(&journal).is_err());
            assert!(!target.exists());
            // Prune: the planted link goes, unfollowed; a lock held stays; an orphan goes.
            let other = dir.path().join("k.json");
            let held = try_lock(&other).unwrap().unwrap();
            std::fs::write(dir.path().join("orphan.lock"), "").unwrap();
            assert_eq!(remove_orphan_locks(dir.path()).unwrap(), 2);
            assert!(std::fs::symlink_metadata(&lock).is_err());
            assert!(!dir.path().join("orphan.lock").exists());
            assert!(dir.path().join("k.lock").exists(), "held by a run");
            drop(held);
            assert!(!dir.path().join("k.lock").exists());
        }
    }

    /// A lock file removed and made again by another run while we held the old one is that
    /// run's: dropping ours leaves it.
    #[test]
    fn dropping_a_lock_never_removes_a_newer_runs_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.json");
        let lock = dir.path().join("j.lock");
        let ours = try_lock(&journal).unwrap().unwrap();
        assert!(ours.still_at_path());
        std::fs::remove_file(&lock).unwrap();
        std::fs::write(&lock, "").unwrap();
        assert!(!ours.still_at_path());
        drop(ours);
        assert!(lock.exists(), "the newer lock file stays");
        // Ours again (the file at the path is the one we hold): removed on drop.
        drop(try_lock(&journal).unwrap().unwrap());
        assert!(!lock.exists());
    }

    #[test]
    fn pruning_a_missing_dir_removes_nothing_and_a_file_for_a_dir_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(remove_orphan_locks(&dir.path().join("none")).unwrap(), 0);
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(remove_orphan_locks(&file).is_err());
    }
}
