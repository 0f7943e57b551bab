//! `put` at volume: directories and filters, one failure among many, the manifest (and a
//! killed run resumed from it), --dry-run, stdin, `pending --prune`, completions and the man
//! page.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use uploads_e2e::{
    Serve, clean_command, cli, manifest_lines, md5_hex, output as run, random_file, signal,
};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

fn put(server: &Serve, journals: &Path) -> Command {
    let mut c = cli(Path::new(BIN), &server.url, "sk-local", journals);
    c.args(["put", "--quiet"]);
    c
}

#[test]
fn a_directory_with_one_failing_file_uploads_the_others_and_says_which_failed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("images");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    let a = random_file(&tree.join("a.png"), 3000, 1);
    let b = random_file(&tree.join("sub/b.png"), 5000, 2);
    random_file(&tree.join("notes.txt"), 100, 3);
    random_file(&tree.join("skip.png"), 100, 4);
    std::fs::write(tree.join("empty.png"), b"").unwrap();
    let server = Serve::start(Path::new(BIN), &[]);
    let manifest = d.join("manifest.jsonl");
    // notes.txt is no image: the server refuses it at create, and the others go on. (Not
    // --quiet: the skipped lines and the summary are what is checked.)
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &d.join("j"))
        .args([
            "put",
            "--purpose",
            "vision",
            "--exclude",
            "skip.png",
            "--manifest",
        ])
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 1, "{stderr}");
    // One line per input, in the order found: a.png, notes.txt (failed: `-`), sub/b.png.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(
        server.download(lines[0]),
        a,
        "a.png first, in the order found"
    );
    assert_eq!(lines[1], "-", "notes.txt failed: its place is kept");
    assert_eq!(server.download(lines[2]), b);
    let ids = [lines[0], lines[2]];
    assert!(stderr.contains("skipped: "), "{stderr}");
    assert!(stderr.contains("empty.png: empty"), "{stderr}");
    assert!(stderr.contains("2 of 3 uploaded, 1 failed"), "{stderr}");
    assert!(
        stderr.contains("failed: ") && stderr.contains("notes.txt"),
        "{stderr}"
    );
    let lines = manifest_lines(&manifest);
    assert_eq!(lines.len(), 3);
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(n))
            .unwrap()
            .clone()
    };
    let a_line = by_name("a.png");
    assert_eq!(a_line["status"], "ok");
    assert_eq!(a_line["bytes"], 3000);
    assert_eq!(a_line["md5"], md5_hex(&a));
    assert_eq!(a_line["file_id"], ids[0]);
    let bad = by_name("notes.txt");
    assert_eq!(bad["status"], "failed");
    assert!(bad["file_id"].is_null());
    assert!(bad["error"].as_str().unwrap().contains("400"), "{bad}");

    // The same command again sends only the failed file.
    let created = server.stat("uploads_created");
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &d.join("j"))
        .args([
            "put",
            "--purpose",
            "vision",
            "--exclude",
            "skip.png",
            "--manifest",
        ])
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 1, "{stderr}");
    // The recorded ids in their places, and `-` for the one refused again.
    assert_eq!(stdout, format!("{}\n-\n{}\n", ids[0], ids[1]));
    assert_eq!(
        stderr.matches("already uploaded as file-").count(),
        2,
        "{stderr}"
    );
    // Only notes.txt was tried again (and refused again: no upload is created for it).
    assert_eq!(server.stat("uploads_created"), created);
    assert!(
        stderr.contains("1 failed, 2 already uploaded (manifest)"),
        "{stderr}"
    );
    // A file touched but unchanged: sent again on size and time, skipped on its md5.
    let later = std::time::SystemTime::now() + Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(tree.join("a.png"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let args = [
        "--purpose",
        "vision",
        "--exclude",
        "skip.png",
        "--exclude",
        "notes.txt",
    ];
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &d.join("j"))
        .arg("put")
        .args(args)
        .arg("--checksum")
        .arg("--manifest")
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        2,
        "each recorded id in its place: {stdout}"
    );
    assert!(stderr.contains("same md5 as in the manifest"), "{stderr}");
    let (code, stdout, stderr) = run(put(&server, &d.join("j"))
        .args(args)
        .arg("--manifest")
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        2,
        "a.png again, b.png as recorded: {stderr}"
    );
    assert_ne!(stdout.lines().next(), Some(ids[0]), "a.png has a new File");
    // --force sends them all again.
    let (_, stdout, _) = run(put(&server, &d.join("j"))
        .args([
            "--purpose",
            "vision",
            "--include",
            "*.png",
            "--exclude",
            "skip*",
            "--force",
            "--manifest",
        ])
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(stdout.lines().count(), 2);
}

#[test]
fn a_killed_run_resumed_from_its_manifest_sends_only_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("docs");
    std::fs::create_dir_all(&tree).unwrap();
    let mut all = Vec::new();
    for i in 0..8 {
        all.push(random_file(
            &tree.join(format!("f{i}.txt")),
            2000 + i,
            i as u64,
        ));
    }
    let server = Serve::start(Path::new(BIN), &["--latency", "80ms"]);
    let manifest = d.join("m.jsonl");
    let journals = d.join("j");
    let mut child = put(&server, &journals)
        .args(["--purpose", "assistants", "-j", "1", "--manifest"])
        .arg(&manifest)
        .arg(&tree)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while manifest_lines(&manifest).len() < 3 {
        assert!(start.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let done_before = manifest_lines(&manifest).len();
    assert!(done_before < 8, "killed before the end");

    let completed_before = server.stat("uploads_completed");
    let (code, stdout, stderr) = run(put(&server, &journals)
        .args(["--purpose", "assistants", "--manifest"])
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        8,
        "an id for every file, recorded or new"
    );
    assert_eq!(
        server.stat("uploads_completed") - completed_before,
        (8 - done_before) as u64,
        "only the missing files were uploaded"
    );
    let lines = manifest_lines(&manifest);
    assert_eq!(lines.len(), 8, "one true line per file");
    for (i, data) in all.iter().enumerate() {
        let line = lines
            .iter()
            .find(|l| l["path"].as_str().unwrap().ends_with(&format!("f{i}.txt")))
            .unwrap();
        assert_eq!(line["status"], "ok");
        assert_eq!(server.download(line["file_id"].as_str().unwrap()), *data);
    }
}

#[test]
fn a_file_rewritten_while_its_complete_is_in_flight_is_sent_again_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("notes.txt");
    let before = random_file(&file, 5000, 1);
    let mtime_before = std::fs::metadata(&file).unwrap().modified().unwrap();
    let server = Serve::start(Path::new(BIN), &["--latency", "700ms"]);
    let manifest = d.join("m.jsonl");
    let journals = d.join("j");
    let child = put(&server, &journals)
        .args(["--purpose", "assistants", "--manifest"])
        .arg(&manifest)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once complete is on its way (the journal says so), the file is rewritten: same size,
    // other bytes, a later time.
    let start = Instant::now();
    let sent = || {
        uploads_ext::journal::list(&journals)
            .unwrap_or_default()
            .iter()
            .any(|(_, j)| j.complete_sent)
    };
    while !sent() {
        assert!(start.elapsed() < Duration::from_secs(30), "no complete");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(20));
    let after = random_file(&file, 5000, 2);
    let f = std::fs::File::options().write(true).open(&file).unwrap();
    f.set_modified(mtime_before + Duration::from_secs(5))
        .unwrap();
    drop(f);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = &manifest_lines(&manifest)[0];
    let first_id = line["file_id"].as_str().unwrap().to_owned();
    assert_eq!(
        server.download(&first_id),
        before,
        "the File holds what was read"
    );
    let recorded_mtime = line["mtime_ns"].as_i64().unwrap() as i128;
    let before_ns = mtime_before
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    assert_eq!(
        recorded_mtime, before_ns,
        "the manifest records the file as read"
    );
    // The next run, even comparing by md5 (the time alone already differs), sees the change
    // and sends the file again.
    let (code, stdout, stderr) = run(put(&server, &journals)
        .args(["--purpose", "assistants", "--checksum", "--manifest"])
        .arg(&manifest)
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("already uploaded"), "{stderr}");
    assert_eq!(server.download(stdout.trim()), after);
}

/// The outcome of `put big.txt small.txt` when `disturb` is done to big.txt (3 MB at 1 MB/s)
/// after three parts are stored: the server, the command's output, big.txt, the journal
/// directory and small.txt's bytes. Two inputs, so errors are labelled.
struct Disturbed {
    server: Serve,
    out: std::process::Output,
    big: std::path::PathBuf,
    journals: std::path::PathBuf,
    small: Vec<u8>,
    _dir: tempfile::TempDir,
}

fn big_file_disturbed_mid_upload(disturb: impl FnOnce(&Path)) -> Disturbed {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    random_file(&big, 3_000_000, 5);
    let small_path = dir.path().join("small.txt");
    let small = random_file(&small_path, 1000, 6);
    let server = Serve::start(
        Path::new(BIN),
        &["--max-part-size", "256KiB", "--link-bandwidth", "1MB"],
    );
    let journals = dir.path().join("j");
    let child = put(&server, &journals)
        .args([
            "-p",
            "assistants",
            "--min-part-size",
            "256KiB",
            "--part-size",
            "256KiB",
        ])
        .arg(&big)
        .arg(&small_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 3);
    disturb(&big);
    let out = child.wait_with_output().unwrap();
    Disturbed {
        server,
        out,
        big,
        journals,
        small,
        _dir: dir,
    }
}

#[test]
fn a_file_deleted_during_its_upload_is_cancelled_and_said_so() {
    let d = big_file_disturbed_mid_upload(|big| std::fs::remove_file(big).unwrap());
    let stderr = String::from_utf8_lossy(&d.out.stderr);
    assert_eq!(d.out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("was cancelled"), "{stderr}");
    assert!(!stderr.contains("resume"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: ") && l.contains("big.txt"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(
        error.matches(&d.big.display().to_string()).count(),
        1,
        "named once: {error}"
    );
    let ids = String::from_utf8_lossy(&d.out.stdout);
    assert_eq!(ids.lines().collect::<Vec<_>>().len(), 2, "{ids}");
    assert_eq!(ids.lines().next(), Some("-"), "{ids}");
    assert_eq!(d.server.download(ids.lines().nth(1).unwrap()), d.small);
    assert_eq!(d.server.stat("uploads_cancelled"), 1);
    assert!(uploads_ext::journal::list(&d.journals).unwrap().is_empty());
}

#[test]
fn a_name_that_is_not_utf8_uploads_and_is_recorded_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("docs");
    std::fs::create_dir_all(&tree).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-latin1.txt");
    let data = random_file(&tree.join(name), 3000, 9);
    let server = Serve::start(Path::new(BIN), &[]);
    let manifest = d.join("m.jsonl");
    let journals = d.join("j");
    let (code, stdout, stderr) = run(put(&server, &journals)
        .args(["--purpose", "assistants", "--manifest"])
        .arg(&manifest)
        .arg(&tree));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.download(stdout.trim()), data);
    let line = &manifest_lines(&manifest)[0];
    assert!(
        line["path"]["hex"]
            .as_str()
            .unwrap()
            .ends_with("636166e92d6c6174696e312e747874"),
        "{line}"
    );
    // The same name through --files-from (a list of bytes), against the manifest: known.
    let list = d.join("list");
    let mut bytes = tree.as_os_str().as_bytes().to_vec();
    bytes.push(b'/');
    bytes.extend_from_slice(name.as_bytes());
    bytes.push(b'\n');
    std::fs::write(&list, &bytes).unwrap();
    let (code, stdout, stderr) = run(put(&server, &journals)
        .args(["--purpose", "assistants", "--manifest"])
        .arg(&manifest)
        .arg("--files-from")
        .arg(&list));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "its recorded id: {stdout}");
    assert_eq!(
        server.stat("uploads_completed"),
        1,
        "recorded exactly: not sent again"
    );
}

#[test]
fn dry_run_sends_nothing_and_needs_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    random_file(&d.join("a.pdf"), 30_000, 1);
    random_file(&d.join("b.pdf"), 70_000, 2);
    let server = Serve::start(Path::new(BIN), &[]);
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
        .args([
            "put",
            "--dry-run",
            "--purpose",
            "assistants",
            "--part-size",
            "16KiB",
            "-j",
            "3",
            "--assume-rate",
            "10KB",
        ]);
    let (code, stdout, stderr) = run(c.arg(d.join("a.pdf")).arg(d.join("b.pdf")));
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    // bytes, part size, parts, in flight, time, expiry
    assert_eq!(rows[0][..6], ["30000", "16.0", "KiB", "2", "2", "3s"][..]);
    assert_eq!(rows[1][..6], ["70000", "16.0", "KiB", "5", "3", "7s"][..]);
    assert_eq!(
        stderr,
        "dry run: 2 of 2 upload(s) planned, 97.7 KiB (100000 bytes), about 10s at 10.0 KB/s; nothing was sent\n"
    );
    assert_eq!(server.stat("uploads_created"), 0);
    assert_eq!(server.stat("part_requests"), 0);

    // Too slow for the hour: said, and exit 1.
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args([
        "put",
        "--dry-run",
        "-p",
        "assistants",
        "--assume-rate",
        "10B",
    ]);
    let (code, stdout, stderr) = run(c.arg(d.join("b.pdf")));
    assert_eq!(code, 1);
    assert!(stdout.contains("OVER 1h"), "{stdout}");
    assert!(
        stderr.contains("may expire (an Upload lives 1 hour)"),
        "{stderr}"
    );

    // A file its upload would refuse: the check's report, exit 1, and no advice on time.
    std::fs::write(d.join("bad.jsonl"), "{\"custom_id\": \"a\", not json}\n").unwrap();
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["put", "--dry-run", "-p", "batch"]);
    let (code, stdout, stderr) = run(c.arg(d.join("bad.jsonl")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("fits 1h"), "{stdout}");
    assert!(
        stderr.contains("bad.jsonl: not a valid batch file")
            && stderr.contains("line 1: error[invalid_json]"),
        "{stderr}"
    );
    assert!(!stderr.contains("may expire"), "{stderr}");

    // The type warnings a real run gives are in the plan (issue 19: a dry run said nothing,
    // then the real run failed on the extension).
    std::fs::write(d.join("notes.log"), b"some log lines\n").unwrap();
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["put", "--dry-run", "-p", "assistants"]);
    let (code, stdout, stderr) = run(c.arg(d.join("notes.log")));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("notes.log") && stderr.contains(".pdf"),
        "{stderr}"
    );
    assert!(stdout.contains("notes.log"), "{stdout}");

    // The bandwidth cap is the rate (issue 19: 1 GiB at --bwlimit 100KB said "about 21s").
    let big = d.join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["put", "--dry-run", "-p", "user_data", "--bwlimit", "100KB"]);
    let (code, stdout, stderr) = run(c.arg(&big));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("2h 58m 57s") && stdout.contains("OVER 1h"),
        "{stdout}"
    );
    assert!(stderr.contains("the --bwlimit cap"), "{stderr}");
}

fn put_stdin(server: &Serve, d: &Path, data: &[u8], size: usize) -> (i32, String, String) {
    let mut child = put(server, &d.join("j"))
        .args(["-", "--purpose", "assistants", "--filename", "piped.txt"])
        .args([
            "--size",
            &size.to_string(),
            "--part-size",
            "64KiB",
            "--max-memory",
            "256KiB",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn stdin_is_uploaded_md5_exact_and_a_wrong_length_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(Path::new(BIN), &[]);
    let data = random_file(&d.join("src"), 1_000_000, 9);
    let (code, stdout, stderr) = put_stdin(&server, d, &data, data.len());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(md5_hex(&server.download(stdout.trim())), md5_hex(&data));
    assert_eq!(server.stat("parts_stored"), 16);
    assert!(
        server.stat("max_parts_in_flight") <= 4,
        "--max-memory 256KiB holds 4 parts"
    );

    for (given, size, what) in [
        (
            500_000,
            600_000,
            "the stream ended after 500000 bytes, short of the 600000",
        ),
        (700_000, 600_000, "longer than"),
    ] {
        let cancelled = server.stat("uploads_cancelled");
        let (code, stdout, stderr) = put_stdin(&server, d, &data[..given], size);
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains(what) && stderr.contains("was cancelled"),
            "{stderr}"
        );
        assert_eq!(server.stat("uploads_cancelled"), cancelled + 1);
    }
}

#[test]
fn pending_marks_and_prunes_expired_journals() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("j");
    std::fs::create_dir_all(&journals).unwrap();
    let journal = |id: &str, expires_at: i64, complete_sent: bool| {
        serde_json::json!({
            "version": 1, "endpoint": "http://127.0.0.1:9/v1", "upload_id": id,
            "expires_at": expires_at, "path": format!("/data/{id}.jsonl"), "size": 10,
            "mtime_ns": 1, "filename": "x.jsonl", "purpose": "batch", "mime_type": "text/jsonl",
            "part_size": 10, "total_parts": 1, "created_at": 0, "complete_sent": complete_sent,
            "parts": {},
        })
    };
    let now = uploads_client::rules::unix_now();
    for (id, expires, sent) in [
        ("upload_old", now - 10, false),
        ("upload_live", now + 600, false),
        ("upload_sent", now - 10, true),
    ] {
        std::fs::write(
            journals.join(format!("{id}.json")),
            journal(id, expires, sent).to_string(),
        )
        .unwrap();
    }
    let pending = |args: &[&str]| {
        run(clean_command(Path::new(BIN), &journals)
            .arg("pending")
            .args(args))
    };
    let (code, stdout, stderr) = pending(&[]);
    assert_eq!(code, 0);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("upload_old") && l.contains("expired")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("upload_sent") && l.contains("completing")),
        "{stdout}"
    );
    assert!(stderr.contains("pending --prune"), "{stderr}");
    let (code, stdout, stderr) = pending(&["--prune"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("upload_old"));
    assert!(
        stderr.lines().any(|l| l == "1 expired journal(s) removed"),
        "{stderr}"
    );
    assert!(!journals.join("upload_old.json").exists());
    assert!(journals.join("upload_live.json").exists());
    assert!(
        journals.join("upload_sent.json").exists(),
        "its File may exist"
    );
    // Lock files with no journal (left by older versions, or a crash) go too.
    std::fs::write(journals.join("orphan.lock"), "").unwrap();
    let (code, _, stderr) = pending(&["--prune"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.lines().any(|l| l == "0 expired journal(s) removed"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l == "1 lock file(s) without a journal removed"),
        "{stderr}"
    );
    assert!(!journals.join("orphan.lock").exists());
}

#[test]
fn uploads_refused_before_their_journal_leave_no_lock_files() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("j");
    let server = Serve::start(Path::new(BIN), &["--api-key", "sk-right"]);
    for i in 0..5 {
        std::fs::write(dir.path().join(format!("f{i}.txt")), "hello").unwrap();
    }
    let (code, _, stderr) = run(cli(Path::new(BIN), &server.url, "sk-wrong", &journals)
        .args(["put", "--quiet", "-p", "assistants"])
        .arg(dir.path()));
    assert_eq!(code, 1, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&journals)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let (code, fish, _) =
        run(clean_command(Path::new(BIN), dir.path()).args(["completions", "fish"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!("completions-fish", fish);
    for shell in ["bash", "zsh", "powershell"] {
        let (code, script, _) =
            run(clean_command(Path::new(BIN), dir.path()).args(["completions", shell]));
        assert_eq!(code, 0);
        assert!(
            script.contains("--files-from") && script.contains("--manifest"),
            "{shell}"
        );
    }
    // The committed page is what the binary prints: `cargo xtask man` refreshes it.
    let (code, page, _) = run(clean_command(Path::new(BIN), dir.path()).arg("man"));
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/man/openai-uploads.1"),
    )
    .unwrap();
    assert!(
        page == committed,
        "docs/man/openai-uploads.1 is stale: run `cargo xtask man`"
    );
    assert!(page.contains("openai\\-uploads\\-put"));
}

#[test]
fn bash_completes_subcommand_options_and_purposes_and_hides_hidden_ones() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("completion.bash");
    let (code, text, _) =
        run(clean_command(Path::new(BIN), dir.path()).args(["completions", "bash"]));
    assert_eq!(code, 0);
    std::fs::write(&script, text).unwrap();
    // What bash offers for a command line, through the script's own function.
    let complete = |words: &[&str]| -> Vec<String> {
        let current = words.len() - 1;
        let prev = if current > 0 { words[current - 1] } else { "" };
        let words_list = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let program = format!(
            "source '{}'; COMP_WORDS=({words_list}); COMP_CWORD={current}; _openai__uploads openai-uploads '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            words[current]
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(complete(&["openai-uploads", "put", "--pur"]), ["--purpose"]);
    assert_eq!(
        complete(&["openai-uploads", "put", "-p", ""]),
        [
            "fine-tune",
            "assistants",
            "batch",
            "user_data",
            "vision",
            "evals"
        ]
    );
    assert_eq!(
        complete(&["openai-uploads", "check", "-p", ""]),
        ["batch", "fine-tune"]
    );
    assert!(
        complete(&["openai-uploads", "m"]).is_empty(),
        "man is hidden"
    );
    assert!(
        complete(&["openai-uploads", "put", "--min"]).is_empty(),
        "a hidden option"
    );
    assert!(
        complete(&["openai-uploads", "put", "--skip"]).is_empty(),
        "a hidden option"
    );
}

/// Runs `c` with its stdout closed before it writes (a reader that stopped: `| head -0`).
fn with_stdout_closed(c: &mut Command) -> (i32, String) {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_full_stdout_is_named_and_never_taken_for_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full (Linux)")
    };
    let run_full = |args: &[&str]| {
        let out = clean_command(Path::new(BIN), &d.join("j"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(full())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), stderr)
    };
    // The completions and the man page fail, saying why.
    let (code, stderr) = run_full(&["completions", "bash"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: writing the script: No space left on device"),
        "{stderr}"
    );
    let (code, stderr) = run_full(&["man"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // A command's report line: the reason is said, and the run stops as for a closed pipe,
    // but with exit 1: 141 would tell a script that a reader had seen enough.
    std::fs::write(d.join("a.jsonl"), "{}\n").unwrap();
    let a = d.join("a.jsonl");
    let (code, stderr) = run_full(&["check", "-p", "batch", "--json", a.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: writing to stdout: No space left on device"),
        "{stderr}"
    );
    // A put's File id: uploaded, but the id could not be written; the rest stays resumable.
    let server = Serve::start(Path::new(BIN), &[]);
    std::fs::write(d.join("b.txt"), "hello").unwrap();
    let out = put(&server, &d.join("j"))
        .args(["-p", "assistants"])
        .arg(d.join("b.txt"))
        .stdin(Stdio::null())
        .stdout(full())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: writing to stdout: No space left on device"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stdout takes no more: stopping"),
        "{stderr}"
    );
    assert_eq!(server.stat("uploads_completed"), 1, "{stderr}");
}

#[test]
fn a_closed_stdout_stops_the_run_cleanly_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files: Vec<_> = (0..3)
        .map(|i| {
            let p = d.join(format!("f{i}.txt"));
            random_file(&p, 40_000 + i, i as u64);
            p
        })
        .collect();
    // The dry run's table (it panicked with exit 101: issue 22).
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["put", "--dry-run", "-p", "assistants"])
        .args(&files);
    let (code, stderr) = with_stdout_closed(&mut c);
    assert_eq!(code, 141, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // check --json, and the completions.
    std::fs::write(d.join("a.jsonl"), "{}\n").unwrap();
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["check", "-p", "batch", "--json"])
        .arg(d.join("a.jsonl"));
    let (code, stderr) = with_stdout_closed(&mut c);
    assert_eq!(code, 141, "{stderr}");
    // A reader that stopped is not an error to report.
    assert!(!stderr.contains("writing to stdout"), "{stderr}");
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.args(["completions", "bash"]);
    let (code, stderr) = with_stdout_closed(&mut c);
    assert_eq!(code, 141, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let mut c = clean_command(Path::new(BIN), &d.join("j"));
    c.arg("man");
    let (code, stderr) = with_stdout_closed(&mut c);
    assert_eq!(code, 141, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    // A real put: stops as an interrupt does, and the same command again finishes the job.
    let server = Serve::start(Path::new(BIN), &[]);
    let mut c = put(&server, &d.join("j"));
    c.args(["-p", "assistants", "-j", "1"]).args(&files);
    let (code, stderr) = with_stdout_closed(&mut c);
    assert_eq!(code, 141, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("stdout takes no more: stopping"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(put(&server, &d.join("j"))
        .args(["-p", "assistants", "-j", "1"])
        .args(&files));
    assert_eq!(code, 0, "{stderr}");
    let ids: Vec<&str> = stdout.lines().collect();
    assert_eq!(ids.len(), 3, "{stdout}");
    for (id, path) in ids.iter().zip(&files) {
        assert_eq!(server.download(id), std::fs::read(path).unwrap());
    }
}

#[test]
fn the_manifest_records_the_upload_a_failure_left_and_each_uploads_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let manifest = d.join("manifest.jsonl");
    // A part refused with x-should-retry: false leaves the upload pending: its id is recorded
    // with the failure, so the manifest says what a resume takes up.
    let server = Serve::start(
        Path::new(BIN),
        &["--fail-rate", "1", "--fail-should-retry", "false"],
    );
    random_file(&d.join("a.txt"), 1000, 1);
    let (code, _, stderr) = run(put(&server, &d.join("j"))
        .args(["-p", "assistants", "--manifest"])
        .arg(&manifest)
        .arg(d.join("a.txt")));
    assert_eq!(code, 1, "{stderr}");
    let line = &manifest_lines(&manifest)[0];
    assert_eq!(line["status"], "failed", "{line}");
    let upload_id = line["upload_id"].as_str().unwrap_or_default();
    assert!(upload_id.starts_with("upload_"), "{line}");
    assert!(
        stderr.contains(upload_id),
        "the one the error names: {stderr}"
    );
    // Refused at create: nothing was made, nothing is recorded as made.
    std::fs::write(d.join("b.txt"), "x").unwrap();
    let (code, _, stderr) = run(put(&server, &d.join("j"))
        .args(["-p", "batch", "--no-check", "--manifest"])
        .arg(&manifest)
        .arg(d.join("b.txt")));
    assert_eq!(code, 1, "{stderr}");
    let line = &manifest_lines(&manifest)[1];
    assert_eq!(line["status"], "failed", "{line}");
    assert!(line["upload_id"].is_null(), "{line}");

    // The time of an upload, in seconds to the millisecond: 2 MiB at 1 MiB/s takes over 1.5 s
    // and less than the whole command.
    let server = Serve::start(Path::new(BIN), &["--bandwidth", "1MiB"]);
    random_file(&d.join("c.txt"), 2 * 1024 * 1024, 3);
    let started = Instant::now();
    let (code, _, stderr) = run(put(&server, &d.join("j"))
        .args(["-p", "assistants", "--manifest"])
        .arg(&manifest)
        .arg(d.join("c.txt")));
    let whole = started.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{stderr}");
    let line = &manifest_lines(&manifest)[2];
    let seconds = line["seconds"].as_f64().unwrap();
    assert!(1.5 < seconds && seconds < whole, "{seconds} of {whole}");
    assert!(
        ((seconds * 1000.0).round() - seconds * 1000.0).abs() < 1e-6,
        "to the millisecond: {seconds}"
    );
}

#[test]
fn a_file_changed_during_its_upload_among_others_is_named_once() {
    // The error of a changed file starts with its path: with several inputs (errors
    // labelled), the label is not put in front of it a second time.
    let d = big_file_disturbed_mid_upload(|big| {
        std::fs::OpenOptions::new()
            .append(true)
            .open(big)
            .unwrap()
            .write_all(b"more")
            .unwrap()
    });
    let (out, file) = (&d.out, &d.big);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let path = file.display().to_string();
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: ") && l.contains("changed during the upload"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        error.starts_with(&format!("error: {path} changed")),
        "{error}"
    );
    assert_eq!(error.matches(&path).count(), 1, "named once: {error}");
}
