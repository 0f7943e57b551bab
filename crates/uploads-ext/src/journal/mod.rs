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
mod tests {
    use super::*;

    /// A journal of three parts with none stored.
    fn entry() -> JournalEntry {
        JournalEntry {
            version: VERSION,
            endpoint: "http://x/v1".into(),
            upload_id: "upload_1".into(),
            expires_at: 100,
            path: "/data/a.jsonl".into(),
            size: 10,
            mtime_ns: Some(5),
            source_version: None,
            filename: "a.jsonl".into(),
            purpose: "batch".into(),
            mime_type: "text/jsonl".into(),
            part_size: 4,
            total_parts: 3,
            created_at: 90,
            complete_sent: false,
            parts: BTreeMap::new(),
        }
    }

    #[test]
    fn the_journal_dir_follows_xdg_then_home() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(
            journal_dir_in(os("/state"), os("/home/u")),
            Some(PathBuf::from("/state/openai-uploads"))
        );
        assert_eq!(
            journal_dir_in(os(""), os("/home/u")),
            Some(PathBuf::from("/home/u/.local/state/openai-uploads"))
        );
        assert_eq!(
            journal_dir_in(None, os("/home/u")),
            Some(PathBuf::from("/home/u/.local/state/openai-uploads"))
        );
        assert_eq!(journal_dir_in(None, os("")), None);
        assert_eq!(journal_dir_in(None, None), None);
    }

    #[test]
    fn removing_a_missing_journal_is_no_error_but_other_failures_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.json");
        assert!(remove(&path).is_ok());
        std::fs::write(&path, "{}").unwrap();
        remove(&path).unwrap();
        assert!(!path.exists());
        // A directory in its place cannot be removed as a file, nor read as a journal.
        std::fs::create_dir(&path).unwrap();
        assert!(remove(&path).is_err());
        assert!(load(&path).is_err());
        assert!(load(&dir.path().join("none.json")).unwrap().is_none());
        // Listing: a missing dir has no journals; a file where the dir should be is an error.
        assert!(list(&dir.path().join("missing")).unwrap().is_empty());
        let not_a_dir = dir.path().join("file");
        std::fs::write(&not_a_dir, "x").unwrap();
        assert!(list(&not_a_dir).is_err());
    }

    #[test]
    fn saves_atomically_with_mode_0600_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), "http://x/v1", Path::new("/data/a.jsonl"));
        assert_ne!(
            path,
            path_for(dir.path(), "http://y/v1", Path::new("/data/a.jsonl"))
        );
        let mut entry = entry();
        entry.parts.insert(
            1,
            DonePart {
                id: "part_b".into(),
                len: 4,
            },
        );
        save(&path, &entry).unwrap();
        assert_eq!(load(&path).unwrap(), Some(entry.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(list(dir.path()).unwrap().len(), 1);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        // A link planted where an old version put its temporary file is not written through.
        #[cfg(unix)]
        {
            let victim = dir.path().join("victim");
            std::fs::write(&victim, b"keep").unwrap();
            let planted = path.with_extension(format!("json.{}.tmp", std::process::id()));
            std::os::unix::fs::symlink(&victim, &planted).unwrap();
            save(&path, &entry).unwrap();
            assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
            std::fs::remove_file(&planted).unwrap();
            std::fs::remove_file(&victim).unwrap();
        }
        remove(&path).unwrap();
        assert_eq!(load(&path).unwrap(), None);
    }

    #[test]
    fn the_journal_dir_is_private_and_a_journal_is_locked_once() {
        let dir = tempfile::tempdir().unwrap();
        let journals = dir.path().join("a/b");
        let path = path_for(&journals, "http://x/v1", Path::new("/data/a.jsonl"));
        let first = try_lock(&path).unwrap();
        assert!(first.is_some());
        assert!(try_lock(&path).unwrap().is_none(), "held");
        drop(first);
        assert!(try_lock(&path).unwrap().is_some(), "released on drop");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&journals).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[test]
    fn only_a_regular_journal_of_this_version_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_journal = |path: &Path| {
            let e = load(path).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
            assert!(e.to_string().contains("not a regular file"), "{e}");
        };
        // A directory, a symlink (even to a good journal) and a FIFO are refused, unread.
        not_a_journal(dir.path());
        let good = dir.path().join("good.json");
        let entry = entry();
        save(&good, &entry).unwrap();
        assert_eq!(load(&good).unwrap(), Some(entry.clone()));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&good, &link).unwrap();
            not_a_journal(&link);
            let fifo = dir.path().join("fifo.json");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            assert!(made.unwrap().success());
            not_a_journal(&fifo);
        }
        // A path under a file is an error, not "no journal".
        let below = load(&good.join("below")).unwrap_err();
        assert_eq!(below.kind(), io::ErrorKind::NotADirectory, "{below}");
        // Another format version is no journal of ours.
        let mut other = entry;
        other.version = VERSION + 1;
        save(&good, &other).unwrap();
        assert_eq!(load(&good).unwrap(), None);
    }

    #[test]
    fn the_default_journal_dir_comes_from_the_environment() {
        assert_eq!(
            default_journal_dir(),
            journal_dir_in(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
        );
        if std::env::var_os("HOME").is_some_and(|h| !h.is_empty()) {
            let dir = default_journal_dir().unwrap();
            assert!(
                dir.ends_with("openai-uploads") && dir.is_absolute(),
                "{dir:?}"
            );
        }
    }

    #[test]
    fn a_source_is_keyed_by_its_path_else_its_url() {
        use crate::source::{Identity, Remote};
        let mut id = Identity {
            path: Some("/data/a.jsonl".into()),
            region: None,
            size: 1,
            mtime_ns: None,
            remote: Some(Remote {
                location: "s3://b/k".into(),
                version: None,
            }),
        };
        assert_eq!(source_key(&id), PathBuf::from("/data/a.jsonl"));
        id.path = None;
        assert_eq!(source_key(&id), PathBuf::from("s3://b/k"));
        id.remote = None;
        assert_eq!(source_key(&id), PathBuf::new());
    }
}
