//! The fault matrix: the real `openai-uploads` binary against the real server process, with
//! faults injected. Every case checks the stored bytes' md5 against the source and that nothing
//! is left pending unless the case expects it. Small files and scaled-down limits keep it fast.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use uploads_e2e::{Serve, md5_hex, output, random_file, signal};

/// The binary Cargo built for this test (it runs as a test of uploads-cli for this).
fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_openai-uploads"))
}

fn cli(url: &str, key: &str, journals: &Path) -> std::process::Command {
    uploads_e2e::cli(bin(), url, key, journals)
}

fn pending(url: &str, journals: &Path) -> Vec<serde_json::Value> {
    uploads_e2e::pending(bin(), url, journals)
}

/// Parts of 64 KiB, so a few hundred KiB make many parts.
const PART: &str = "64KiB";

/// The files here are random bytes: the content check of batch and fine-tune files is off.
fn put_args(purpose: &str) -> Vec<&str> {
    vec![
        "put",
        "--no-check",
        "--purpose",
        purpose,
        "--part-size",
        PART,
    ]
}

/// Runs `put` on one file to completion and checks the stored bytes.
fn put_and_verify(server: &Serve, dir: &std::path::Path, data: &[u8], extra: &[&str]) {
    let journals = dir.join("journals");
    let (code, stdout, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .args(extra)
            .arg(dir.join("data.jsonl")),
    );
    assert_eq!(code, 0, "{stderr}");
    let file_id = stdout.trim();
    assert_eq!(md5_hex(&server.download(file_id)), md5_hex(data));
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case1_503s_and_429s_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--fault-seed",
            "1",
            "--fail-rate",
            "0.10",
            "--fail-status",
            "503",
            "--rate-limit-rate",
            "0.05",
            "--retry-after",
            "100ms",
        ],
    );
    let data = random_file(&dir.path().join("data.jsonl"), 2 * 1024 * 1024 + 77, 1);
    put_and_verify(&server, dir.path(), &data, &[]);
    assert!(server.stat("faults_injected") > 0, "{}", server.stats());
    assert_eq!(server.stat("parts_stored"), 33);
}

#[test]
fn case2_connections_reset_mid_body() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--fault-seed",
            "2",
            "--reset-rate",
            "0.15",
        ],
    );
    let data = random_file(&dir.path().join("data.jsonl"), 2 * 1024 * 1024, 2);
    put_and_verify(&server, dir.path(), &data, &[]);
    assert!(server.stat("faults_injected") > 0, "{}", server.stats());
}

#[test]
fn case3_server_killed_and_restarted_mid_upload() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let mut server = Serve::start(bin(), &["--max-part-size", PART, "--bandwidth", "256KiB"]);
    let data = random_file(&dir.path().join("data.jsonl"), 1536 * 1024, 3);
    let child = cli(&server.url, "sk-local", &journals)
        .args(put_args("batch"))
        .args(["--concurrency", "4"])
        .arg(dir.path().join("data.jsonl"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 4);
    server.kill();
    std::thread::sleep(Duration::from_millis(700));
    server.restart();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let file_id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(md5_hex(&server.download(&file_id)), md5_hex(&data));
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case4_client_killed_then_resumed_sends_only_missing_parts() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(bin(), &["--max-part-size", PART, "--bandwidth", "256KiB"]);
    let data = random_file(&dir.path().join("data.jsonl"), 1024 * 1024, 4);
    let mut put = cli(&server.url, "sk-local", &journals);
    put.args(put_args("batch"))
        .args(["--concurrency", "2"])
        .arg(dir.path().join("data.jsonl"));
    let child = put
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 3);
    signal(&child, libc::SIGKILL);
    let _ = child.wait_with_output();

    server.settle();
    let left = pending(&server.url, &journals);
    assert_eq!(left.len(), 1, "a killed upload stays pending");
    let (done, total) = (
        left[0]["parts_done"].as_u64().unwrap(),
        left[0]["parts"].as_u64().unwrap(),
    );
    assert_eq!(total, 16);
    let before = server.stat("part_requests");
    let (code, stdout, stderr) = output(put.stdout(Stdio::piped()).stderr(Stdio::piped()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        server.stat("part_requests") - before,
        total - done,
        "only the missing parts were sent"
    );
    assert_eq!(md5_hex(&server.download(stdout.trim())), md5_hex(&data));
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case5_an_expired_upload_is_started_over_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--bandwidth",
            "128KiB",
            "--upload-ttl",
            "3s",
        ],
    );
    // Six parts: two at a time at 128 KiB/s take 1.5 s, well inside the 3 s expiry.
    let data = random_file(&dir.path().join("data.jsonl"), 384 * 1024, 5);
    let mut put = cli(&server.url, "sk-local", &journals);
    put.args(put_args("batch"))
        .args(["--concurrency", "2"])
        .arg(dir.path().join("data.jsonl"));
    let child = put
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 1);
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    std::thread::sleep(Duration::from_millis(3100));

    // The interrupted upload expired: the same command starts over, saying why.
    let (code, stdout, stderr) = output(put.stdout(Stdio::piped()).stderr(Stdio::piped()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("expired at ") && stderr.contains("starting over"),
        "{stderr}"
    );
    assert_eq!(md5_hex(&server.download(stdout.trim())), md5_hex(&data));
    assert_eq!(server.stat("uploads_created"), 2);
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case6_a_file_modified_during_the_upload_is_refused_and_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(bin(), &["--max-part-size", PART, "--bandwidth", "256KiB"]);
    let path = dir.path().join("data.jsonl");
    random_file(&path, 1024 * 1024, 6);
    // Two parts at a time at 256 KiB/s: about 2 s, so the change lands well before the end.
    let child = cli(&server.url, "sk-local", &journals)
        .args(put_args("batch"))
        .args(["--concurrency", "2"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 2);
    {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"late\": true}\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("changed during the upload") && stderr.contains("was cancelled"),
        "{stderr}"
    );
    assert_eq!(server.stat("uploads_cancelled"), 1);
    assert_eq!(server.stat("uploads_completed"), 0);
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case7_server_refusals_show_the_servers_message() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(bin(), &["--api-key", "sk-right-key-0000"]);
    std::fs::write(dir.path().join("a.jsonl"), b"{}\n").unwrap();
    let a = dir.path().join("a.jsonl");

    let (code, _, stderr) = output(
        cli(&server.url, "sk-wrong-key-1234", &journals)
            .args(["put", "--no-check", "-p", "batch"])
            .arg(&a),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 401") && stderr.contains("Incorrect API key provided"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-wrong-key-1234"));

    let (code, _, stderr) = output(
        cli(&server.url, "sk-right-key-0000", &journals)
            .args([
                "put",
                "--no-check",
                "-p",
                "fine-tune",
                "--mime-type",
                "image/png",
                "--skip-type-check",
            ])
            .arg(&a),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 400") && stderr.contains("does not fit purpose fine-tune"),
        "{stderr}"
    );

    let (code, _, stderr) =
        output(cli(&server.url, "sk-right-key-0000", &journals).args(["cancel", "upload_nope"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("HTTP 404") && stderr.contains("No such Upload"),
        "{stderr}"
    );
    assert_eq!(server.stat("uploads_created"), 0);
}

#[test]
fn case8_thirty_two_files_under_faults_share_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--fault-seed",
            "8",
            "--fail-rate",
            "0.08",
            "--rate-limit-rate",
            "0.04",
            "--retry-after",
            "50ms",
            "--reset-rate",
            "0.04",
        ],
    );
    let files: Vec<_> = (0..32)
        .map(|i| {
            let path = dir.path().join(format!("f{i:02}.jsonl"));
            let data = random_file(&path, 100_000 + i * 4099, 100 + i as u64);
            (path, data)
        })
        .collect();
    let (code, stdout, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .args(["--concurrency", "4"])
            .args(files.iter().map(|(p, _)| p)),
    );
    assert_eq!(code, 0, "{stderr}");
    let ids: Vec<&str> = stdout.lines().collect();
    assert_eq!(ids.len(), 32);
    for ((_, data), id) in files.iter().zip(&ids) {
        assert_eq!(md5_hex(&server.download(id)), md5_hex(data));
    }
    assert_eq!(server.stat("uploads_completed"), 32);
    assert!(server.stat("faults_injected") > 0);
    assert!(
        server.stat("max_parts_in_flight") <= 4,
        "{}",
        server.stats()
    );
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case9_a_lost_complete_response_is_recovered_and_nothing_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(
        bin(),
        &["--max-part-size", PART, "--lose-complete-responses", "1"],
    );
    let data = random_file(&dir.path().join("data.jsonl"), 300 * 1024 + 5, 9);
    let journals = dir.path().join("journals");
    let (code, stdout, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .arg(dir.path().join("data.jsonl")),
    );
    assert_eq!(code, 0, "{stderr}");
    let file_id = stdout.trim();
    assert!(file_id.starts_with("file-"), "{stdout}");
    assert!(
        stderr.contains("recovered after a lost response"),
        "{stderr}"
    );
    assert_eq!(md5_hex(&server.download(file_id)), md5_hex(&data));
    assert_eq!(server.stat("faults_injected"), 1);
    assert_eq!(server.stat("uploads_completed"), 1);
    assert_eq!(
        server.stat("uploads_cancelled"),
        0,
        "no cancel after a lost complete"
    );
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case10_a_5xx_that_says_do_not_retry_is_sent_once_and_stays_resumable() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--fail-rate",
            "1",
            "--fail-status",
            "503",
            "--fail-should-retry",
            "false",
        ],
    );
    // One part, so exactly one part request can go out.
    random_file(&dir.path().join("data.jsonl"), 1000, 10);
    let journals = dir.path().join("journals");
    let (code, _, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .arg(dir.path().join("data.jsonl")),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("x-should-retry: false"), "{stderr}");
    assert!(
        stderr.contains("resume: run the same command again"),
        "{stderr}"
    );
    assert_eq!(server.stat("part_requests"), 1, "not retried");
    assert_eq!(server.stat("uploads_cancelled"), 0);
    assert_eq!(pending(&server.url, &journals).len(), 1);
}

/// User and system CPU seconds a process has used, from /proc.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[test]
fn case11_out_of_file_descriptors_the_server_pauses_instead_of_spinning() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    // 64 descriptors, 150 idle connections: accept runs out long before the clients do.
    // Port 0: the server binds a free port and prints it (no race for a port chosen here).
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "ulimit -n 64 && exec \"$0\" serve --addr 127.0.0.1:0 --data-dir \"$1\" --header-timeout 2s",
        )
        .arg(bin())
        .arg(dir.path().join("data"))
        .env("OPENAI_UPLOADS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/v1"))
        .unwrap_or_else(|| panic!("the server printed its URL, not {line:?}"))
        .to_owned();
    let idle: Vec<_> = (0..150)
        .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_seconds(child.id());
    std::thread::sleep(Duration::from_secs(1));
    let spent = cpu_seconds(child.id()) - before;
    assert!(
        spent < 0.3,
        "the server spent {spent} CPU s in 1 s with no descriptors left"
    );
    // Idle connections are closed after the header timeout; the server serves again.
    drop(idle);
    std::thread::sleep(Duration::from_millis(2500));
    let (status, _) = uploads_e2e::raw_request(&addr, "GET", "/_admin/stats", None).unwrap();
    assert_eq!(status, 200);
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = stderr.matches("accept failed").count();
    assert!(lines <= 3, "{lines} 'accept failed' lines:\n{stderr}");
}

#[test]
fn case12_a_thousand_files_under_a_low_descriptor_limit_all_complete() {
    // The client gets 64 descriptors for 1,000 files: every per-file resource must be bounded.
    files_under_a_descriptor_limit(1000, "-n 64", "4");
}

#[test]
fn case16_a_high_j_under_a_low_descriptor_limit_is_lowered_and_strands_nothing() {
    // -j 500 under 128 descriptors: 7 uploads were left pending without a journal before.
    let stderr = files_under_a_descriptor_limit(300, "-n 128", "500");
    assert!(stderr.contains("-j 500 lowered to 26"), "{stderr}");
}

#[test]
fn case18_a_low_soft_descriptor_limit_is_raised_to_the_hard_one_before_j_is_fitted() {
    // Soft 64, hard as this machine has it: the client raises the soft limit to the hard one
    // first, so -j 200 is lowered only if the hard limit itself is too low (never to the 5
    // that 64 descriptors would give).
    let hard = std::process::Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .unwrap();
    let hard = String::from_utf8_lossy(&hard.stdout).trim().to_owned();
    let fits = hard
        .parse::<u64>()
        .map_or(u64::MAX, |h| (h.saturating_sub(48) / 3).max(1));
    let stderr = files_under_a_descriptor_limit(300, "-Sn 64", "200");
    if fits >= 200 {
        assert!(!stderr.contains("lowered"), "hard limit {hard}: {stderr}");
    } else {
        assert!(
            stderr.contains(&format!("-j 200 lowered to {fits}")),
            "hard limit {hard}: {stderr}"
        );
    }
}

/// Puts `count` small files with `-j j` under `ulimit {limit}` (`-n 64`: soft and hard; `-Sn
/// 64`: soft only): every one completes, nothing is cancelled or left pending. Its stderr.
fn files_under_a_descriptor_limit(count: usize, limit: &str, j: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(bin(), &["--max-part-size", PART]);
    let journals = dir.path().join("journals");
    let files: Vec<_> = (0..count)
        .map(|i| {
            let path = dir.path().join(format!("doc{i:04}.jsonl"));
            std::fs::write(&path, format!("{{\"i\": {i}}}\n")).unwrap();
            path
        })
        .collect();
    let put = cli(&server.url, "sk-local", &journals);
    let program = put.get_program().to_owned();
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!("ulimit {limit} && exec \"$@\""))
        .arg("sh")
        .arg(program)
        .args([
            "put",
            "--no-check",
            "--purpose",
            "batch",
            "-j",
            j,
            "--quiet",
        ])
        .args(&files);
    for (key, value) in put.get_envs() {
        match value {
            Some(v) => shell.env(key, v),
            None => shell.env_remove(key),
        };
    }
    let (code, stdout, stderr) = output(&mut shell);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("file-")).count(),
        count
    );
    assert_eq!(server.stat("uploads_completed"), count as u64);
    assert_eq!(server.stat("uploads_cancelled"), 0);
    assert!(pending(&server.url, &journals).is_empty());
    assert!(
        std::fs::read_dir(&journals).map_or(true, |d| d.count() == 0),
        "no journal or lock file left"
    );
    stderr
}

/// Sends a complete over a bare socket and drops the connection `after` it went out.
fn complete_and_drop(addr: &str, upload: &str, part: &str, after: Duration) {
    use std::io::Write;
    let body = serde_json::json!({ "part_ids": [part] }).to_string();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    write!(
        sock,
        "POST /v1/uploads/{upload}/complete HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer sk-local\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(after);
    drop(sock);
}

#[test]
fn case13_completes_dropped_mid_request_then_a_crash_leave_no_half_completed_upload() {
    use uploads_client::{ClientConfig, PartData, types};
    let mut server = Serve::start(bin(), &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = |url: &str| {
        ClientConfig::default()
            .api_key("sk-local")
            .base_url(url)
            .build()
            .unwrap()
    };
    let c = client(&server.url);
    let mut uploads = Vec::new();
    for i in 0..24u64 {
        let data = format!("upload number {i}\n").into_bytes();
        let (up, part) = rt.block_on(async {
            let up = c
                .create_upload()
                .body(
                    types::CreateUploadRequest::builder()
                        .filename(format!("f{i}.txt"))
                        .purpose(types::KnownUploadPurpose::Assistants)
                        .bytes(data.len() as i64)
                        .mime_type("text/plain"),
                )
                .send()
                .await
                .unwrap()
                .into_inner();
            let part = c
                .add_upload_part()
                .upload_id(&up.id)
                .data(PartData::bytes(data.clone()))
                .send()
                .await
                .unwrap()
                .into_inner();
            (up.id, part.id)
        });
        // Dropped 0 to ~7 ms after the request went out: before, during and after the commit.
        complete_and_drop(&server.addr, &up, &part, Duration::from_micros(i * 300));
        uploads.push((up, part, data));
    }
    std::thread::sleep(Duration::from_millis(300));
    // A crash, not a clean stop, then a new process on the same data.
    server.restart();
    let c = client(&server.url);
    let files = rt.block_on(async { c.list_files().send().await.unwrap().into_inner().data });
    let mut completed_before = 0;
    for (i, (up, part, data)) in uploads.iter().enumerate() {
        let again = rt.block_on(async {
            c.complete_upload()
                .upload_id(up)
                .body(types::CompleteUploadRequest::builder().part_ids(vec![part.clone()]))
                .send()
                .await
        });
        let file_id = match again {
            Ok(done) => done.into_inner().file.unwrap().id,
            Err(e) => {
                let e = uploads_client::ApiError::from(e);
                // Completed by the dropped request: its File must exist and be listed.
                assert!(e.to_string().contains("completed"), "{up}: {e}");
                completed_before += 1;
                let name = format!("f{i}.txt");
                files
                    .iter()
                    .find(|f| f.filename == name)
                    .unwrap_or_else(|| panic!("{up} completed without its File"))
                    .id
                    .clone()
            }
        };
        assert_eq!(md5_hex(&server.download(&file_id)), md5_hex(data), "{up}");
    }
    eprintln!(
        "{completed_before} of {} completed by the dropped request",
        uploads.len()
    );
    assert_eq!(
        files.len(),
        completed_before,
        "no File without a completed upload"
    );
}

#[test]
fn case14_a_full_disk_stops_the_upload_resumably_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let mut server = Serve::start(bin(), &["--max-part-size", PART, "--disk-space", "300KiB"]);
    let data = random_file(&dir.path().join("data.jsonl"), 1024 * 1024 + 5, 14);
    let (code, stdout, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .args(["--concurrency", "2"])
            .arg(dir.path().join("data.jsonl")),
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout.trim(), "-", "no File: a `-` in its place");
    assert!(stderr.contains("disk is full"), "{stderr}");
    assert_eq!(server.stat("uploads_cancelled"), 0, "kept to resume");
    let stored = server.stat("parts_stored");
    assert!(
        (1..=4).contains(&stored),
        "{stored} parts of 64 KiB in 300 KiB"
    );
    assert_eq!(pending(&server.url, &journals).len(), 1);

    // Space freed: the same command resumes, sends only what was not stored, and the File
    // is exactly the source.
    server.restart_with(&["--max-part-size", PART]);
    let (code, stdout, stderr) = output(
        cli(&server.url, "sk-local", &journals)
            .args(put_args("batch"))
            .arg(dir.path().join("data.jsonl")),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(md5_hex(&server.download(stdout.trim())), md5_hex(&data));
    assert_eq!(
        server.stat("parts_stored"),
        17 - stored,
        "only the missing parts"
    );
    assert!(pending(&server.url, &journals).is_empty());
}

#[test]
fn case15_two_same_named_files_and_a_lost_complete_never_share_a_file_id() {
    // Timing decides which complete is lost and whether the other File exists when its
    // search runs (2 of 3 trials shared one id before); the engine's tests pin each order.
    for trial in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        let server = Serve::start(
            bin(),
            &["--max-part-size", PART, "--lose-complete-responses", "1"],
        );
        let mut sources = Vec::new();
        for (i, sub) in ["a", "b"].iter().enumerate() {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            let data = random_file(
                &dir.path().join(sub).join("x.txt"),
                200 * 1024,
                trial * 2 + i as u64,
            );
            sources.push(data);
        }
        let journals = dir.path().join("journals");
        let manifest = dir.path().join("manifest.jsonl");
        let (code, stdout, stderr) = output(
            cli(&server.url, "sk-local", &journals)
                .args(put_args("assistants"))
                .arg("--manifest")
                .arg(&manifest)
                .arg(dir.path().join("a/x.txt"))
                .arg(dir.path().join("b/x.txt")),
        );
        let ids: Vec<&str> = stdout.split_whitespace().collect();
        if code == 0 {
            assert_eq!(ids.len(), 2, "{stdout}");
            assert_ne!(ids[0], ids[1], "trial {trial}: {stdout}");
            for (id, data) in ids.iter().zip(&sources) {
                assert_eq!(
                    md5_hex(&server.download(id)),
                    md5_hex(data),
                    "trial {trial}"
                );
            }
        } else {
            // Both Files existed unclaimed: named as candidates, never guessed.
            assert!(
                stderr.contains("may have completed as one of the Files"),
                "{stderr}"
            );
        }
        let recorded: Vec<String> = std::fs::read_to_string(&manifest)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|r| r["file_id"].as_str().map(str::to_owned))
            .collect();
        let mut unique = recorded.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), recorded.len(), "trial {trial}: {recorded:?}");
        assert_eq!(server.stat("uploads_cancelled"), 0);
    }
}

/// a/x.txt's upload is interrupted; b/x.txt (same name and size) is then uploaded, its File
/// newer than a's upload; then a's resumed complete loses its response, and b's File fits the
/// search by name, size, purpose and time. `manifest`: both runs record in one. The server,
/// the sources, b's File id and a's resumed run (exit code, stdout, stderr).
fn a_lost_complete_beside_a_same_named_file(
    dir: &Path,
    manifest: bool,
) -> (Serve, Vec<Vec<u8>>, String, (i32, String, String)) {
    let mut server = Serve::start(bin(), &["--max-part-size", PART, "--bandwidth", "32KiB"]);
    let mut sources = Vec::new();
    for (i, sub) in ["a", "b"].iter().enumerate() {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        sources.push(random_file(
            &dir.join(sub).join("x.txt"),
            256 * 1024,
            40 + i as u64,
        ));
    }
    let journals = dir.join("journals");
    // A restart comes back on the same address.
    let url = server.url.clone();
    let put = |file: &str| {
        let mut c = cli(&url, "sk-local", &journals);
        c.args(put_args("assistants")).args(["-j", "1"]);
        if manifest {
            c.arg("--manifest").arg(dir.join("manifest.jsonl"));
        }
        c.arg(dir.join(file));
        c
    };
    let child = put("a/x.txt")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 1);
    signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    server.restart_with(&["--max-part-size", PART]);
    let (code, b_id, stderr) = output(&mut put("b/x.txt"));
    assert_eq!(code, 0, "{stderr}");
    server.restart_with(&["--max-part-size", PART, "--lose-complete-responses", "1"]);
    let a = output(&mut put("a/x.txt"));
    (server, sources, b_id.trim().to_owned(), a)
}

#[test]
fn case19_a_file_the_manifest_records_is_never_taken_for_a_lost_completes_file() {
    // Only the manifest's record keeps b's File out of the search; a's own File is then the
    // one answer.
    let dir = tempfile::tempdir().unwrap();
    let (server, sources, b_id, (code, a_id, stderr)) =
        a_lost_complete_beside_a_same_named_file(dir.path(), true);
    assert_eq!(code, 0, "{stderr}");
    let a_id = a_id.trim();
    assert!(stderr.contains("resum"), "a's upload was resumed: {stderr}");
    assert_ne!(a_id, b_id);
    assert_eq!(md5_hex(&server.download(a_id)), md5_hex(&sources[0]));
    assert_eq!(md5_hex(&server.download(&b_id)), md5_hex(&sources[1]));
    assert_eq!(server.stat("uploads_cancelled"), 0);
    assert!(pending(&server.url, &dir.path().join("journals")).is_empty());
}

#[test]
fn case20_two_unclaimed_candidates_for_a_lost_complete_are_named_not_guessed() {
    // Without a manifest nothing claims b's File: two Files fit, so the run says the upload
    // may have completed as one of them, how to finish, and keeps the journal; nothing is
    // cancelled and no id is printed.
    let dir = tempfile::tempdir().unwrap();
    let (server, _, b_id, (code, stdout, stderr)) =
        a_lost_complete_beside_a_same_named_file(dir.path(), false);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout.trim(), "-");
    assert!(
        stderr.contains("may have completed as one of the Files") && stderr.contains(&b_id),
        "{stderr}"
    );
    assert!(
        stderr.contains("finish: run the same command again"),
        "{stderr}"
    );
    assert_eq!(server.stat("uploads_cancelled"), 0);
    assert_eq!(pending(&server.url, &dir.path().join("journals")).len(), 1);
}

#[test]
fn case17_stalled_clients_at_the_connection_cap_do_not_lock_an_upload_out() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::start(
        bin(),
        &[
            "--max-part-size",
            PART,
            "--max-connections",
            "4",
            "--body-timeout",
            "5m",
        ],
    );
    // Four clients take every connection and stop sending mid-body: before, every other
    // request waited out the five-minute body deadline.
    let stalled: Vec<std::net::TcpStream> = (0..4)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(&server.addr).unwrap();
            write!(
                c,
                "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-local\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"filenam"
            )
            .unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let data = random_file(&dir.path().join("data.jsonl"), 400 * 1024 + 3, 17);
    let started = std::time::Instant::now();
    put_and_verify(&server, dir.path(), &data, &["--concurrency", "2"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
}
