//! The resume journal: what an interrupted upload had done, so the same call can finish it.
//!
//! One JSON document per (endpoint, file), rewritten atomically (temporary file and rename)
//! after every finished part, mode 0600. It holds no secret: ids, sizes, times, options.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod files;
mod lock;

use files::create_dir;
#[cfg(test)]
use files::remove;
pub use lock::remove_orphan_locks;
pub(crate) use lock::{JournalLock, forget, try_lock};
use sha2::{Digest, Sha256};

/// Bumped when the format changes; other versions are ignored rather than misread.
pub const VERSION: u32 = 1;

/// One interrupted upload: the request it was made with, and the parts it has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The format version, [`VERSION`].
    pub version: u32,
    /// The API base URL the upload was made against.
    pub endpoint: String,
    /// The pending Upload.
    pub upload_id: String,
    /// When the pending upload expires (Unix seconds).
    pub expires_at: i64,
    /// The file's canonical path.
    #[serde(with = "crate::path_json")]
    pub path: PathBuf,
    /// The file's size when the upload was created.
    pub size: u64,
    /// The file's modification time (ns since the epoch) when the upload was created.
    pub mtime_ns: Option<i128>,
    /// For an object read by ranges (whose `path` is its URL): its ETag or version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The name the File will get.
    pub filename: String,
    /// The purpose.
    pub purpose: uploads_client::rules::Purpose,
    /// The MIME type.
    pub mime_type: String,
    /// Bytes per part: a resume must use the same plan.
    pub part_size: u64,
    /// Parts in the plan.
    pub total_parts: usize,
    /// When the Upload was created, by the service's clock (Unix seconds): a lost complete's
    /// File is looked for among Files created since.
    #[serde(default)]
    pub created_at: i64,
    /// True once complete has been sent: a re-run asks again and, if the answer is that the
    /// upload is done, finds its File instead of starting over.
    #[serde(default)]
    pub complete_sent: bool,
    /// Finished parts by index in file order.
    pub parts: BTreeMap<usize, DonePart>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// A part the server has stored.
pub struct DonePart {
    /// The id the server gave it.
    pub id: String,
    /// Its length in bytes.
    pub len: u64,
}

impl JournalEntry {
    /// Bytes of the stored parts.
    pub fn bytes_done(&self) -> u64 {
        self.parts.values().map(|p| p.len).sum()
    }
}

/// `$XDG_STATE_HOME/openai-uploads`, else `~/.local/state/openai-uploads`.
pub fn default_journal_dir() -> Option<PathBuf> {
    journal_dir_in(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// The journal dir for these values of `XDG_STATE_HOME` and `HOME` (empty counts as unset).
fn journal_dir_in(xdg_state_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let state = xdg_state_home
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            home.filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    Some(state.join("openai-uploads"))
}

/// The journal file for a file uploaded to an endpoint.
pub(crate) fn path_for(dir: &Path, endpoint: &str, file: &Path) -> PathBuf {
    let mut h = Sha256::new();
    h.update(endpoint.trim_end_matches('/').as_bytes());
    h.update([0]);
    h.update(file.as_os_str().as_encoded_bytes());
    let digest = h.finalize();
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// What names a source in its journal's file name: the path, and for a region of a file
/// (a piece of a split batch file) the region too, so each piece resumes on its own.
pub fn key_for(path: &Path, region: Option<(u64, u64)>) -> PathBuf {
    match region {
        None => path.to_owned(),
        Some((offset, len)) => {
            let mut key = path.as_os_str().to_owned();
            key.push(format!("#{offset}+{len}"));
            PathBuf::from(key)
        }
    }
}

/// What a journal names its source by: a file's canonical path, an object's URL.
pub(crate) fn source_key(identity: &crate::source::Identity) -> PathBuf {
    match (&identity.path, &identity.remote) {
        (Some(path), _) => path.clone(),
        (None, Some(remote)) => PathBuf::from(&remote.location),
        (None, None) => PathBuf::new(),
    }
}

/// Reads a journal; `None` if there is none (or it is from another format version).
pub fn load(path: &Path) -> io::Result<Option<JournalEntry>> {
    use std::io::Read;
    let not_a_journal = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not a regular file, so not a journal: remove it",
                path.display()
            ),
        )
    };
    // Opened first, then looked at: only a regular file is read (a FIFO or device planted
    // under a journal's name would block or never end), and nothing can swap it in between.
    // Non-blocking and no-follow, so neither a FIFO nor a symlink is waited on or followed.
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(not_a_journal()),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(not_a_journal());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    match serde_json::from_slice::<JournalEntry>(&bytes) {
        Ok(entry) if entry.version == VERSION => Ok(Some(entry)),
        Ok(_) => Ok(None),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the journal {} is damaged ({e}): delete it to start over",
                path.display()
            ),
        )),
    }
}

/// Writes a journal atomically: a temporary file beside it, synced, then a rename. The
/// temporary file is created exclusively under a random name (mode 0600), so a file or link
/// planted in the directory is never written through.
pub(crate) fn save(path: &Path, entry: &JournalEntry) -> io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("journal path has no parent"))?;
    create_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".journal-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(&serde_json::to_vec_pretty(entry).map_err(io::Error::other)?)?;
    // Durable before it is visible: a crash after the rename never leaves an empty journal.
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// What [`remove_unused`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Removal {
    /// The journal and its lock file are gone.
    Removed,
    /// A running upload holds the journal: it was left alone.
    InUse,
}

/// Removes the journal at `journal` and its lock file, unless a running upload (in this
/// process or another) holds it: for `pending --prune` and for a cancel by hand.
pub fn remove_unused(journal: &Path) -> io::Result<Removal> {
    let Some(lock) = try_lock(journal)? else {
        return Ok(Removal::InUse);
    };
    forget(journal)?;
    drop(lock);
    Ok(Removal::Removed)
}

/// Every journal in `dir`, for listing pending uploads.
pub fn list(dir: &Path) -> io::Result<Vec<(PathBuf, JournalEntry)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Ok(Some(j)) = load(&path)
        {
            out.push((path, j));
        }
    }
    out.sort_by_key(|(_, j)| j.expires_at);
    Ok(out)
}

#[cfg(test)]
mod tests;
