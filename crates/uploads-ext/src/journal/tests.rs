//! The journal's unit tests: where it lives, saved and loaded back, locked once, what is read.

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
