//! The `openai-uploads` binary: help, every user-facing error, JSON output, end to end against
//! `serve` in another process, and Ctrl-C then resume.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::assert::OutputAssertExt;
use uploads_e2e::{Serve, clean_command, md5_hex, output as run, random_file, signal};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

/// The command with a clean environment: no key, no base URL, journals in `journals`.
fn cmd(journals: &Path) -> Command {
    clean_command(Path::new(BIN), journals)
}

#[test]
fn help_for_each_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        None,
        Some("put"),
        Some("check"),
        Some("cancel"),
        Some("pending"),
        Some("serve"),
    ] {
        let mut c = cmd(dir.path());
        if let Some(s) = sub {
            c.arg(s);
        }
        let (code, stdout, _) = run(c.arg("--help"));
        assert_eq!(code, 0);
        insta::assert_snapshot!(format!("help-{}", sub.unwrap_or("main")), stdout);
    }
}

#[test]
fn every_user_facing_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.txt"), b"").unwrap();
    std::fs::write(d.join("ok.jsonl"), b"{}\n").unwrap();
    std::fs::create_dir(d.join("only-empty")).unwrap();
    std::fs::write(d.join("only-empty/a.txt"), b"").unwrap();
    std::fs::File::create(d.join("huge.jsonl"))
        .unwrap()
        .set_len(8 * 1024 * 1024 * 1024 + 1)
        .unwrap();
    let p = |name: &str| d.join(name).display().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "missing file",
            vec![p("nope.jsonl"), "--purpose".into(), "batch".into()],
        ),
        (
            "a directory with nothing to upload",
            vec![p("only-empty"), "--purpose".into(), "batch".into()],
        ),
        (
            "a glob that matches nothing",
            vec![p("*.pdf"), "--purpose".into(), "assistants".into()],
        ),
        (
            "a bad pattern",
            vec![
                p("ok.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--exclude".into(),
                "[".into(),
            ],
        ),
        (
            "stdin without --size",
            vec!["-".into(), "--purpose".into(), "batch".into()],
        ),
        (
            "empty file",
            vec![p("empty.txt"), "--purpose".into(), "assistants".into()],
        ),
        (
            "over 8 GiB",
            vec![
                p("huge.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--no-check".into(),
            ],
        ),
        (
            "a batch file over 200 MiB, checked",
            vec![p("huge.jsonl"), "--purpose".into(), "batch".into()],
        ),
        (
            "--split without batch",
            vec![
                p("huge.jsonl"),
                "--purpose".into(),
                "fine-tune".into(),
                "--split".into(),
            ],
        ),
        (
            "bad size",
            vec![
                p("ok.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--part-size".into(),
                "lots".into(),
            ],
        ),
        (
            "part size over 64 MiB",
            vec![
                p("ok.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--part-size".into(),
                "65MiB".into(),
            ],
        ),
        (
            "part size under the 1 MiB floor",
            vec![
                p("ok.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--part-size".into(),
                "1".into(),
            ],
        ),
        (
            "unknown purpose",
            vec![p("ok.jsonl"), "--purpose".into(), "fine_tune_v9".into()],
        ),
        (
            // Said before anything else is read (a missing key would hide it before).
            "a purpose typo, with the purpose it meant",
            vec![p("ok.jsonl"), "--purpose".into(), "finetune".into()],
        ),
        (
            "a size that is not whole bytes",
            vec![
                p("ok.jsonl"),
                "--purpose".into(),
                "batch".into(),
                "--part-size".into(),
                "6.4KiB".into(),
            ],
        ),
    ];
    let mut lines = Vec::new();
    for (label, args) in cases {
        let (code, stdout, stderr) = run(cmd(d)
            .env("OPENAI_API_KEY", "sk-test")
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .arg("put")
            .args(&args));
        assert_eq!(code, 2, "{label}: {stderr}");
        // Nothing, or `-` in the place of the one input refused.
        assert!(stdout.is_empty() || stdout == "-\n", "{label}: {stdout}");
        lines.push(format!(
            "## {label} (exit {code})\n{}",
            stderr.replace(&d.display().to_string(), "<dir>").trim_end()
        ));
    }
    let (code, _, stderr) = run(cmd(d)
        .arg("put")
        .arg(p("ok.jsonl"))
        .args(["--purpose", "batch"]));
    assert_eq!(code, 2);
    lines.push(format!(
        "## no API key (exit {code})\n{}",
        stderr.trim_end()
    ));
    insta::assert_snapshot!(lines.join("\n"));
}

/// One valid batch request line.
const VALID_REQUEST: &[u8] = b"{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[]}}\n";

#[test]
fn a_type_the_tables_do_not_expect_is_a_warning_and_the_service_decides() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(Path::new(BIN), &[]);
    // OpenAI's own example (openai-python examples/uploads.py) sends a .txt batch file with
    // mime_type "txt": it must reach createUpload, whatever the service then says.
    // A valid request: the content check passes it on to create.
    std::fs::write(d.join("input.txt"), VALID_REQUEST).unwrap();
    let (code, _, stderr) = run(cmd(d)
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["put", "--purpose", "batch", "--mime-type", "txt"])
        .arg(d.join("input.txt")));
    assert!(
        stderr.contains("warning: ") && stderr.contains("sending it anyway"),
        "{stderr}"
    );
    // Our local server models the type rule and refuses at create: its message is shown with
    // our warning, and nothing was uploaded.
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("creating the upload failed: HTTP 400"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing was created on the server"),
        "{stderr}"
    );

    // A .csv for assistants with no --mime-type: a warning that says what the purpose takes.
    std::fs::write(d.join("table.csv"), b"a,b\n").unwrap();
    let (_, _, stderr) = run(cmd(d)
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["put", "--purpose", "assistants"])
        .arg(d.join("table.csv")));
    assert!(!stderr.contains("cannot infer"), "{stderr}");
    assert!(
        stderr.contains("purpose assistants takes file-search documents")
            && stderr.contains(".pdf"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_service_fails_fast_saying_why_and_where() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jsonl"), VALID_REQUEST).unwrap();
    let started = std::time::Instant::now();
    // Port 9 (discard) on loopback: nothing listens, every connection is refused.
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        .args(["put", "--purpose", "batch"])
        .arg(dir.path().join("a.jsonl")));
    let took = started.elapsed();
    assert_eq!(code, 1, "{stderr}");
    assert!(took < Duration::from_secs(20), "gave up after {took:?}");
    assert!(
        stderr.contains("failed (connection error), attempt 1; retrying in"),
        "{stderr}"
    );
    assert!(stderr.contains("the API cannot be reached"), "{stderr}");
    assert!(
        stderr.contains("nothing answers at http://127.0.0.1:9/v1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing was created on the server"),
        "{stderr}"
    );
}

#[test]
fn put_against_serve_in_another_process_stores_the_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(Path::new(BIN), &["--max-part-size", "64KiB"]);
    let data = random_file(&dir.path().join("train.jsonl"), 1_000_000, 1);
    let out = cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
        .args([
            "put",
            "--no-check",
            "--purpose",
            "fine-tune",
            "--part-size",
            "64KiB",
            "--json",
        ])
        .arg(dir.path().join("train.jsonl"))
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(
        doc["path"].as_str().unwrap().ends_with("train.jsonl"),
        "{doc}"
    );
    let upload: uploads_client::types::Upload =
        serde_json::from_value(doc["upload"].clone()).unwrap();
    let file = upload.file.expect("the completed Upload carries its File");
    assert_eq!(file.bytes, 1_000_000);
    assert_eq!(md5_hex(&server.download(&file.id)), md5_hex(&data));
    assert_eq!(server.stats()["parts_stored"], 16);
}

#[test]
fn a_401_shows_the_servers_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(Path::new(BIN), &["--api-key", "sk-right-key-0000"]);
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-wrong-key-1234")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["put", "--purpose", "assistants"])
        .arg(dir.path().join("a.txt")));
    assert_eq!(code, 1);
    let stderr = redact_request_ids(&stderr.replace(&dir.path().display().to_string(), "<dir>"));
    assert!(
        stderr.contains("[request req_<id>]"),
        "the server's request id is shown: {stderr}"
    );
    insta::assert_snapshot!(
        stderr
            .lines()
            .filter(|l| l.starts_with("error") || l.starts_with("  "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !stderr.contains("sk-wrong-key-1234"),
        "the key is never printed"
    );
}

#[test]
fn json_output_parses_into_the_upload_type_with_a_nested_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = random_file(&dir.path().join("a.jsonl"), 5000, 2);
    let (code, stdout, stderr) = run(cmd(dir.path())
        .args([
            "put",
            "--local",
            "--json",
            "--no-check",
            "--purpose",
            "batch",
        ])
        .arg(dir.path().join("a.jsonl")));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    // The File as the live service sends it: its null fields are there.
    assert!(doc["upload"]["file"]["status_details"].is_null(), "{doc}");
    assert!(
        doc["upload"]["file"].get("status_details").is_some(),
        "{doc}"
    );
    let upload: uploads_client::types::Upload =
        serde_json::from_value(doc["upload"].clone()).unwrap();
    assert_eq!(upload.status.to_string(), "completed");
    let file = upload.file.unwrap();
    assert_eq!(file.bytes, 5000);
    // --local downloads what it stored and compares md5s: the one sent with complete, or
    // without --md5 the source's, read again.
    let verified = format!(
        "verified: downloaded {} (5000 bytes) from the local server, md5 {} matches the source",
        file.id,
        md5_hex(&data)
    );
    assert!(stderr.contains(&verified), "{stderr}");
    let (code, stdout, stderr) = run(cmd(dir.path())
        .args([
            "put",
            "--local",
            "--no-md5",
            "--no-check",
            "--purpose",
            "batch",
        ])
        .arg(dir.path().join("a.jsonl")));
    assert_eq!(code, 0, "{stderr}");
    let verified = format!(
        "verified: downloaded {} (5000 bytes) from the local server, md5 {} matches the source",
        stdout.trim(),
        md5_hex(&data)
    );
    assert!(stderr.contains(&verified), "{stderr}");
}

#[test]
fn ctrl_c_leaves_a_resumable_upload_and_the_rerun_sends_only_the_missing_parts() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    // 256 KiB/s per connection, 2 connections: 2 MiB takes about 4 s.
    let server = Serve::start(
        Path::new(BIN),
        &["--max-part-size", "128KiB", "--bandwidth", "256KiB"],
    );
    let path = dir.path().join("data.jsonl");
    let data = random_file(&path, 2 * 1024 * 1024, 3);
    let put = |c: &mut Command| {
        c.env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.url)
            .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
            .args([
                "put",
                "--no-check",
                "--purpose",
                "batch",
                "--part-size",
                "128KiB",
                "--concurrency",
                "2",
            ])
            .arg(&path);
    };
    let mut first = cmd(&journals);
    put(&mut first);
    let child = first
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once some parts are stored.
    server.wait_for("parts_stored", 3);
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("resume: run the same command again"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("resuming"),
        "nothing to resume yet: {stderr}"
    );

    // Let the server read what the interrupted client left in socket buffers.
    let mut last = server.stats();
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = server.stats();
        if now["part_requests"] == last["part_requests"] && now["parts_in_flight"] == 0 {
            break;
        }
        last = now;
    }
    let (code, stdout, _) = run(cmd(&journals).args(["pending", "--json"]));
    assert_eq!(code, 0);
    let pending: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let (done, total) = (
        pending["parts_done"].as_u64().unwrap(),
        pending["parts"].as_u64().unwrap(),
    );
    assert_eq!(total, 16);
    assert!((3..16).contains(&done), "{pending}");

    // Another part size than the journal's: not resumed, and the way to start over is said;
    // nothing is sent.
    let before = server.stats()["part_requests"].as_u64().unwrap();
    let (code, _, stderr) = run(cmd(&journals)
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
        .args(["put", "--no-check", "-p", "batch", "--part-size", "256KiB"])
        .arg(&path));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("start over: add --restart"), "{stderr}");
    assert_eq!(server.stats()["part_requests"].as_u64().unwrap(), before);

    // Part requests, not parts stored: a part the first run was sending when interrupted may
    // still be stored from the socket buffers after the client let go of it.
    let before = server.stats()["part_requests"].as_u64().unwrap();
    let mut second = cmd(&journals);
    put(&mut second);
    let (code, stdout, stderr) = run(&mut second);
    assert_eq!(code, 0, "{stderr}");
    // Said once, with the count; and the file's line counts every part, resumed ones too.
    assert_eq!(
        stderr
            .matches(&format!(": {done} of 16 parts already sent"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("parts 16/16)"), "{stderr}");
    let after = server.stats()["part_requests"].as_u64().unwrap();
    assert_eq!(
        after - before,
        total - done,
        "the rerun sent only the missing parts"
    );
    assert_eq!(md5_hex(&server.download(stdout.trim())), md5_hex(&data));
    let (_, stdout, _) = run(cmd(&journals).args(["pending", "--json"]));
    assert!(
        stdout.trim().is_empty(),
        "nothing pending after the resume: {stdout}"
    );
}

#[test]
fn the_key_never_appears_in_trace_logs_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(Path::new(BIN), &["--api-key", "sk-right-key-0000"]);
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    for key in ["sk-right-key-0000", "sk-secret-wrong-key-987"] {
        let (code, stdout, stderr) = run(cmd(dir.path())
            .env("OPENAI_API_KEY", key)
            .env("OPENAI_BASE_URL", &server.url)
            .env("OPENAI_UPLOADS_LOG", "trace")
            .args(["put", "--verbose", "--purpose", "assistants"])
            .arg(dir.path().join("a.txt")));
        assert!(stderr.lines().count() > 5, "trace logging is on: {stderr}");
        assert!(
            !stderr.contains(key) && !stdout.contains(key),
            "{key} leaked (exit {code})"
        );
    }
}

#[test]
fn verbose_logs_each_request_once_with_its_step_attempt_and_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(Path::new(BIN), &[]);
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["put", "-v", "--purpose", "assistants"])
        .arg(dir.path().join("a.txt")));
    assert_eq!(code, 0, "{stderr}");
    let requests: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("request") && l.contains("operation="))
        .collect();
    // create, one part, complete: one line each, with what -v promises.
    assert_eq!(requests.len(), 3, "{stderr}");
    for (line, op, step) in [
        (requests[0], "create_upload", "creating the upload"),
        (requests[1], "add_upload_part", "sending part 1"),
        (requests[2], "complete_upload", "completing the upload"),
    ] {
        assert!(line.contains(&format!("operation=\"{op}\"")), "{line}");
        assert!(
            line.contains("status=200") && line.contains("request_id=\"req_"),
            "{line}"
        );
        assert!(
            line.contains(&format!("step=\"{step}\"")) && line.contains("attempt=1"),
            "{line}"
        );
        assert!(line.contains(" ms="), "{line}");
    }
    // -vv is taken (it was "cannot be used multiple times"), and says more.
    let (code, _, more) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["put", "-vv", "--restart", "--purpose", "assistants"])
        .arg(dir.path().join("a.txt")));
    assert_eq!(code, 0, "{more}");
    assert!(more.contains("DEBUG"), "{more}");
    assert!(!stderr.contains("DEBUG"), "{stderr}");
}

/// `req_` and 32 hex digits (a fresh request id per response) as `req_<id>`.
fn redact_request_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("req_") {
        out.push_str(&rest[..at]);
        let id = &rest[at + 4..];
        let hex = id.chars().take_while(char::is_ascii_hexdigit).count();
        if hex == 32 {
            out.push_str("req_<id>");
            rest = &id[32..];
        } else {
            out.push_str("req_");
            rest = id;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn serve_stops_gracefully_on_sigterm_and_removes_its_temporary_data() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = cmd(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    let data_dir = stderr
        .split("(data in ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the data dir is named");
    assert!(!Path::new(data_dir).exists(), "{data_dir} was removed");
}

#[test]
fn zero_parts_in_flight_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jsonl"), b"{}\n").unwrap();
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-test")
        .args(["put", "--purpose", "batch", "-j", "0"])
        .arg(dir.path().join("a.jsonl")));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--concurrency") && stderr.contains("at least one part must be in flight"),
        "{stderr}"
    );
}

#[test]
fn control_characters_in_a_filename_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}[2Jname.txt";
    std::fs::write(dir.path().join(name), b"").unwrap();
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-test")
        .args(["put", "--purpose", "assistants"])
        .arg(dir.path().join(name)));
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains("evil\\u{1b}[2Jname.txt"), "{stderr}");
    // A line break or a right-to-left override in a name: escaped, one line per file.
    for name in ["two\nlines.txt", "report\u{202E}txt.exe"] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
        let (code, stdout, stderr) = run(cmd(dir.path())
            .args(["put", "--dry-run", "--purpose", "assistants"])
            .arg(dir.path().join(name)));
        let all = format!("{stdout}{stderr}");
        assert!(!all.contains('\u{202E}'), "{all:?}");
        assert!(!all.contains("two\nlines"), "{all:?}");
        assert!(
            all.contains("two\\nlines.txt") || all.contains("report\\u{202e}txt.exe"),
            "{code}: {all}"
        );
    }
}

#[test]
fn proxy_variables_do_not_apply_to_loopback() {
    // A proxy that does not answer: before issue 22, even `--local` went to it and failed
    // after ~10 s ("nothing answers at http://127.0.0.1:...").
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello through no proxy").unwrap();
    let server = Serve::start(Path::new(BIN), &[]);
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "HTTPS_PROXY",
    ] {
        let started = std::time::Instant::now();
        let (code, stdout, stderr) = run(cmd(dir.path())
            .env(var, "http://127.0.0.1:9")
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.url)
            .args(["put", "--purpose", "assistants"])
            .arg(dir.path().join("a.txt")));
        assert_eq!(code, 0, "{var}: {stderr}");
        assert!(stdout.trim().starts_with("file-"), "{var}: {stdout}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{var}"
        );
        let (code, _, stderr) = run(cmd(dir.path())
            .env(var, "http://127.0.0.1:9")
            .args(["put", "--purpose", "assistants", "--local"])
            .arg(dir.path().join("a.txt")));
        assert_eq!(code, 0, "{var} --local: {stderr}");
    }
}

#[test]
fn an_interrupted_upload_says_interrupted_and_cancel_goes_where_its_journal_says() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(
        Path::new(BIN),
        &["--max-part-size", "128KiB", "--bandwidth", "256KiB"],
    );
    let path = dir.path().join("data.jsonl");
    random_file(&path, 2 * 1024 * 1024, 4);
    let child = cmd(&journals)
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
        .args([
            "put",
            "--no-check",
            "--purpose",
            "batch",
            "--part-size",
            "128KiB",
            "-j",
            "2",
        ])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 2);
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains(": interrupted; upload_"), "{stderr}");
    assert!(stderr.contains("kept to resume"), "{stderr}");
    assert!(
        stderr.contains("interrupted: stopping; what was sent stays resumable"),
        "{stderr}"
    );
    assert!(!stderr.contains(": failed ("), "{stderr}");
    let (_, pending, _) = run(cmd(&journals).args(["pending", "--json"]));
    let pending: serde_json::Value = serde_json::from_str(pending.trim()).unwrap();
    let upload_id = pending["upload_id"].as_str().unwrap().to_owned();
    // No base URL given: the journal's endpoint (the local server), not api.openai.com.
    let (code, stdout, stderr) = run(cmd(&journals)
        .env("OPENAI_API_KEY", "sk-local")
        .args(["cancel", &upload_id]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), format!("{upload_id} cancelled"));
    assert!(stderr.contains(&server.url), "{stderr}");
    assert_eq!(server.stat("uploads_cancelled"), 1);
    // Its journal went with it: nothing is left to resume.
    let (code, pending, stderr) = run(cmd(&journals).args(["pending", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!pending.contains(&upload_id), "{pending}");
    // Cancelled already is what was asked for: the same answer, exit 0.
    let (code, stdout, stderr) = run(cmd(&journals)
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.url)
        .args(["cancel", &upload_id]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), format!("{upload_id} cancelled"));
}

#[test]
fn a_wrong_base_url_proxy_or_scheme_gets_the_advice_that_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    let server = Serve::start(Path::new(BIN), &[]);
    let without_v1 = server.url.trim_end_matches("/v1").to_owned();
    let tls_to_plain = server.url.replacen("http://", "https://", 1);
    /// (what, base URL, an environment variable, the hint it gets)
    type Case<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>, &'a str);
    let cases: [Case<'_>; 3] = [
        ("no /v1", &without_v1, None, "has no /v1"),
        (
            "https to a plain-HTTP server",
            &tls_to_plain,
            None,
            "answers in plain HTTP, not TLS: use http://",
        ),
        (
            "a proxy that does not connect",
            "https://api.example.com/v1",
            Some(("HTTPS_PROXY", "http://127.0.0.1:9")),
            "through the proxy set in HTTPS_PROXY",
        ),
    ];
    for (label, url, env, hint) in cases {
        let mut c = cmd(dir.path());
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let (code, _, stderr) = run(c
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", url)
            .args(["put", "-q", "--purpose", "assistants"])
            .arg(dir.path().join("a.txt")));
        assert_eq!(code, 1, "{label}: {stderr}");
        assert!(stderr.contains(hint), "{label}: {stderr}");
    }
    // A 404 under a base URL that has its /v1 is no cue to add one.
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", format!("{}/v1", server.url))
        .args(["put", "-q", "--purpose", "assistants"])
        .arg(dir.path().join("a.txt")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("404"), "{stderr}");
    assert!(!stderr.contains("hint"), "{stderr}");
    // Plain http off this machine names the flag that allows it.
    let (code, _, stderr) = run(cmd(dir.path())
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", "http://example.com/v1")
        .args(["put", "--purpose", "assistants"])
        .arg(dir.path().join("a.txt")));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--allow-insecure-http"), "{stderr}");
}

#[test]
fn serve_takes_a_host_name_for_its_address() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = cmd(dir.path())
        .args(["serve", "--addr", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
}

#[test]
fn plain_http_off_this_machine_is_refused_unless_allowed_and_then_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    std::fs::write(&path, b"hello").unwrap();
    let server = Serve::start(Path::new(BIN), &[]);
    // 0.0.0.0 is not a loopback address (the key would travel in clear to another host), but
    // Linux connects it to this machine, where the server listens.
    let port = server.addr.rsplit(':').next().unwrap();
    let off_host = format!("http://0.0.0.0:{port}/v1");
    let put = |url: &str, flags: &[&str]| {
        run(cmd(dir.path())
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", url)
            .args(flags)
            .args(["put", "--purpose", "assistants"])
            .arg(&path))
    };
    let (code, _, stderr) = put(&off_host, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("hint: --allow-insecure-http sends it anyway"),
        "{stderr}"
    );
    assert_eq!(
        server.stat("uploads_created"),
        0,
        "refused before any request"
    );
    let (code, stdout, stderr) = put(&off_host, &["--allow-insecure-http"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.trim().starts_with("file-"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "warning: {off_host} is plain http to a host other than this machine"
        )),
        "{stderr}"
    );
    // To this machine's loopback the flag changes nothing and warns of nothing.
    let (code, _, stderr) = put(&server.url, &["--allow-insecure-http"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("plain http"), "{stderr}");
}

#[test]
fn an_interrupt_without_a_journal_says_the_upload_is_cancelled_not_resumable() {
    use std::io::{BufRead, BufReader};
    // --local keeps no journal (its server goes with the command): nothing could resume the
    // upload, so the interrupt cancels it, and says so from its first line.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.txt");
    random_file(&path, 4 * 1024 * 1024, 9);
    let mut child = cmd(dir.path())
        .args(["put", "-p", "assistants", "--local", "--bwlimit", "1MiB"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("local server on"), "{first}");
    // Four seconds of upload at 1 MiB/s: well into it.
    std::thread::sleep(Duration::from_millis(800));
    signal(&child, libc::SIGINT);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{rest}");
    assert!(
        rest.contains(
            "interrupted: stopping; with no journal nothing can resume it, so it is cancelled"
        ),
        "{rest}"
    );
    assert!(!rest.contains("resumable"), "{rest}");
    assert!(rest.contains("big.txt: interrupted ("), "{rest}");
    assert!(!rest.contains("kept to resume"), "{rest}");
    assert!(rest.contains("was cancelled"), "{rest}");
}

#[test]
fn parts_the_service_does_not_know_are_cancelled_with_the_way_to_start_over() {
    // A journal whose part ids the service does not take (one from another server, or
    // tampered with): complete is refused on `part_ids`, the upload cancelled, the journal
    // removed, and the way to start over said.
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(
        Path::new(BIN),
        &["--max-part-size", "128KiB", "--bandwidth", "256KiB"],
    );
    let path = dir.path().join("data.txt");
    random_file(&path, 1024 * 1024, 11);
    let put = || {
        let mut c = cmd(&journals);
        c.env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.url)
            .env("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS)
            .args([
                "put",
                "-p",
                "assistants",
                "--part-size",
                "128KiB",
                "-j",
                "1",
            ])
            .arg(&path);
        c
    };
    let child = put()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 2);
    signal(&child, libc::SIGINT);
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    let journal = std::fs::read_dir(&journals)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    entry["parts"]["0"]["id"] = "part_forged".into();
    std::fs::write(&journal, entry.to_string()).unwrap();

    let (code, stdout, stderr) = run(&mut put());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout.trim(), "-");
    assert!(
        stderr.contains("the service did not take the parts recorded for this upload"),
        "{stderr}"
    );
    assert!(
        stderr.contains("start over: run the same command again"),
        "{stderr}"
    );
    assert_eq!(server.stat("uploads_cancelled"), 1);
    assert!(!journal.exists(), "its journal removed");
}
