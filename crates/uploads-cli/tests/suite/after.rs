//! `put … --then batch|fine-tune`, `--vector-store`, `--wait` and `batch wait|results|cancel`
//! against `serve` on a fast workflow clock: exit codes, stdout lines, result files byte for
//! byte, and nothing created twice (a lost create answer, Ctrl-C during a wait then the same
//! command again).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use uploads_e2e::{Serve, cli, output as run, signal};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

fn put(s: &Serve, journals: &Path, args: &[&str]) -> Command {
    let mut c = cli(Path::new(BIN), &s.url, "sk-local", journals);
    c.arg("put").args(args);
    c
}

fn requests(path: &Path, n: usize) {
    let lines: String = (0..n)
        .map(|i| format!("{{\"custom_id\":\"req-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi {i}\"}}]}}}}\n"))
        .collect();
    std::fs::write(path, lines).unwrap();
}

/// A folder `docs` of `n` small Markdown files, `d0.md` … .
fn docs(dir: &Path, n: usize) -> std::path::PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir(&docs).unwrap();
    for i in 0..n {
        std::fs::write(docs.join(format!("d{i}.md")), format!("# doc {i}\n")).unwrap();
    }
    docs
}

/// `put` arguments that upload the folder `docs` into a vector store made for it, then `more`.
fn into_new_store<'a>(docs: &'a Path, more: &[&'a str]) -> Vec<&'a str> {
    let to_store = [
        docs.to_str().unwrap(),
        "-p",
        "assistants",
        "--vector-store",
        "new:docs",
    ];
    [&to_store[..], more].concat()
}

fn custom_ids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["custom_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn then_batch_wait_downloads_the_output_and_error_files_and_exits_1_when_a_request_failed() {
    let s = Serve::start(
        Path::new(BIN),
        &[
            "--workflow-step",
            "100ms",
            "--fail-batch-requests-every",
            "3",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("requests.jsonl");
    requests(&input, 6);
    let out = dir.path().join("results");
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--then",
            "batch",
            "--wait",
            "--output-dir",
            out.to_str().unwrap(),
            "--metadata",
            "run=nightly",
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("file-") && lines[1].starts_with("batch_"),
        "{stdout}"
    );
    let batch = s.get_json(&format!("/batches/{}", lines[1]));
    assert_eq!(batch["status"], "completed");
    assert_eq!(batch["input_file_id"], lines[0]);
    assert_eq!(
        batch["endpoint"], "/v1/chat/completions",
        "read from the file by the check"
    );
    assert_eq!(batch["metadata"]["run"], "nightly");
    assert_eq!(batch["model"], "gpt-4o-mini", "the model its requests name");
    assert_eq!(batch["request_counts"]["failed"], 2);
    let output = out.join(format!("{}_output.jsonl", lines[1]));
    let errors = out.join(format!("{}_errors.jsonl", lines[1]));
    assert_eq!(custom_ids(&output), ["req-0", "req-1", "req-3", "req-4"]);
    assert_eq!(custom_ids(&errors), ["req-2", "req-5"]);
    // Byte for byte what the service holds.
    assert_eq!(
        std::fs::read(&output).unwrap(),
        s.download(batch["output_file_id"].as_str().unwrap())
    );
    assert!(
        stderr.contains("completed with 2 failed request(s)"),
        "{stderr}"
    );
    // Progress on stderr: a line each time the counts change, never the same line twice.
    let done = format!(
        "batch {}: completed, 6 of 6 requests done, 2 failed",
        lines[1]
    );
    assert_eq!(
        stderr.lines().filter(|l| l.ends_with(&done)).count(),
        1,
        "{stderr}"
    );

    // Every request answered: exit 0.
    let clean = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let (code, _, stderr) = run(&mut put(
        &clean,
        &dir.path().join("j2"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--then",
            "batch",
            "--wait",
            "--output-dir",
            out.to_str().unwrap(),
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_file_streamed_on_stdin_goes_on_to_its_batch_with_the_endpoint_its_check_read_or_to_a_vector_store()
 {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("requests.jsonl");
    requests(&input, 4);
    let size = std::fs::metadata(&input).unwrap().len().to_string();
    let out = dir.path().join("results");
    let mut c = put(
        &s,
        &dir.path().join("j"),
        &[
            "-",
            "--size",
            &size,
            "--filename",
            "requests.jsonl",
            "-p",
            "batch",
            "--then",
            "batch",
            "--wait",
            "--output-dir",
            out.to_str().unwrap(),
        ],
    );
    c.stdin(Stdio::from(std::fs::File::open(&input).unwrap()));
    let (code, stdout, stderr) = run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("file-") && lines[1].starts_with("batch_"),
        "{stdout}"
    );
    assert_eq!(s.download(lines[0]), std::fs::read(&input).unwrap());
    let batch = s.get_json(&format!("/batches/{}", lines[1]));
    assert_eq!(batch["status"], "completed");
    assert_eq!(batch["input_file_id"], lines[0]);
    assert_eq!(
        batch["endpoint"], "/v1/chat/completions",
        "read from the stream by the check"
    );
    let output = out.join(format!("{}_output.jsonl", lines[1]));
    assert_eq!(custom_ids(&output), ["req-0", "req-1", "req-2", "req-3"]);
    assert_eq!(s.get_json("/batches")["data"].as_array().unwrap().len(), 1);

    // And into a vector store made for it.
    let doc = dir.path().join("notes.md");
    std::fs::write(&doc, "# notes\n").unwrap();
    let mut c = put(
        &s,
        &dir.path().join("j"),
        &[
            "-",
            "--size",
            "8",
            "--filename",
            "notes.md",
            "-p",
            "assistants",
            "--vector-store",
            "new:streamed",
            "--wait",
        ],
    );
    c.stdin(Stdio::from(std::fs::File::open(&doc).unwrap()));
    let (code, stdout, stderr) = run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let files = s.get_json(&format!("/vector_stores/{}/files", lines[1]));
    assert_eq!(files["data"][0]["id"], lines[0], "{files}");
    assert_eq!(files["data"][0]["status"], "completed", "{files}");
}

#[test]
fn a_batch_whose_file_fails_validation_ends_failed_with_its_line_and_exit_1() {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dup.jsonl");
    requests(&input, 3);
    let mut content = std::fs::read(&input).unwrap();
    content.extend_from_slice(&std::fs::read(&input).unwrap()[..]);
    std::fs::write(&input, content).unwrap();
    // Our own check would refuse it before upload; --no-check lets the service's validation
    // (the server runs the same check) fail the batch.
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--no-check",
            "--then",
            "batch",
            "--endpoint",
            "/v1/chat/completions",
            "--wait",
            "--output-dir",
            dir.path().to_str().unwrap(),
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    let batch_id = stdout.lines().nth(1).unwrap();
    assert!(
        stderr.contains(&format!("batch {batch_id}: line 4: duplicate_custom_id")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("batch {batch_id} ended failed")),
        "{stderr}"
    );
}

#[test]
fn a_lost_create_answer_makes_one_batch_and_the_command_prints_it() {
    let s = Serve::start(
        Path::new(BIN),
        &["--workflow-step", "100ms", "--lose-create-responses", "1"],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    requests(&input, 2);
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[input.to_str().unwrap(), "-p", "batch", "--then", "batch"],
    ));
    assert_eq!(code, 0, "{stderr}");
    let listed = s.get_json("/batches");
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(stdout.lines().nth(1), listed["data"][0]["id"].as_str());
    assert_eq!(s.stat("faults_injected"), 1, "the answer was lost once");
}

#[test]
fn ctrl_c_during_the_wait_then_the_same_command_waits_on_the_same_batch_and_uploads_nothing() {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "1s"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    requests(&input, 4);
    let journals = dir.path().join("j");
    let out = dir.path().join("out");
    let args = [
        input.to_str().unwrap(),
        "-p",
        "batch",
        "--then",
        "batch",
        "--wait",
        "--output-dir",
        out.to_str().unwrap(),
    ];
    let child = put(&s, &journals, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupted once the batch exists, while it is validating.
    let t = Instant::now();
    while s.get_json("/batches")["data"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no batch was created"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, libc::SIGINT);
    let first = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("run the same command again to wait on it"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("uploaded by an earlier run as file-"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 of 1 uploaded, 0 failed, 1 uploaded by an earlier run"),
        "{stderr}"
    );
    let listed = s.get_json("/batches");
    let batches = listed["data"].as_array().unwrap();
    assert_eq!(batches.len(), 1, "never a second batch: {listed}");
    assert_eq!(stdout.lines().nth(1), batches[0]["id"].as_str());
    assert_eq!(
        s.stat("uploads_created"),
        1,
        "the file was not uploaded again"
    );
    assert_eq!(
        custom_ids(&out.join(format!(
            "{}_output.jsonl",
            batches[0]["id"].as_str().unwrap()
        )))
        .len(),
        4
    );

    // Its step ended: the command once more starts anew (a second upload, a second batch).
    let (code, _, stderr) = run(&mut put(
        &s,
        &journals,
        &[input.to_str().unwrap(), "-p", "batch", "--then", "batch"],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.get_json("/batches")["data"].as_array().unwrap().len(), 2);
}

#[test]
fn a_stuck_batch_ends_the_wait_at_the_timeout_and_batch_cancel_and_wait_finish_it() {
    let s = Serve::start(
        Path::new(BIN),
        &["--workflow-step", "100ms", "--stick-at", "in_progress"],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    requests(&input, 2);
    let t = Instant::now();
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--then",
            "batch",
            "--wait",
            "--timeout",
            "3s",
        ],
    ));
    assert_eq!(code, 1, "{stderr}");
    assert!(t.elapsed() < Duration::from_secs(15));
    let batch_id = s.get_json("/batches")["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        stderr.contains(&format!(
            "gave up waiting for batch {batch_id} after 3s (it was in_progress)"
        )),
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 1, "only the File: {stdout}");

    let batch = |args: &[&str]| {
        let mut c = cli(Path::new(BIN), &s.url, "sk-local", &dir.path().join("j"));
        c.arg("batch").args(args);
        run(&mut c)
    };
    // Ctrl-C stops `batch wait` once it is following the batch, which goes on.
    let mut wait = cli(Path::new(BIN), &s.url, "sk-local", &dir.path().join("j"));
    let mut child = wait
        .args(["batch", "wait", &batch_id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains(&format!("batch {batch_id}: in_progress")) {
        assert_ne!(
            std::io::BufRead::read_line(&mut stderr, &mut seen).unwrap(),
            0,
            "{seen}"
        );
    }
    signal(&child, libc::SIGINT);
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{seen}");
    assert!(
        seen.contains(&format!(
            "stopped waiting for batch {batch_id}; it goes on at OpenAI"
        )),
        "{seen}"
    );

    let (code, stdout, stderr) = batch(&["cancel", &batch_id]);
    assert_eq!((code, stdout.trim()), (0, batch_id.as_str()), "{stderr}");
    assert!(stderr.contains("cancelling"), "{stderr}");
    let (code, _, stderr) = batch(&["wait", &batch_id, "--timeout", "20s"]);
    assert_eq!(code, 1, "a cancelled batch is not a success: {stderr}");
    assert!(stderr.contains("ended cancelled"), "{stderr}");
    let (code, _, stderr) = batch(&["results", "batch_nope"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("No batch found with id 'batch_nope'"),
        "{stderr}"
    );
}

#[test]
fn a_batch_file_uploaded_by_an_earlier_run_goes_on_with_the_endpoint_read_from_it_and_batch_wait_and_results_fetch_its_files()
 {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("embed.jsonl");
    let lines: String = (0..3)
        .map(|i| format!("{{\"custom_id\":\"e-{i}\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{{\"model\":\"text-embedding-3-small\",\"input\":\"hi {i}\"}}}}\n"))
        .collect();
    std::fs::write(&input, lines).unwrap();
    let journals = dir.path().join("j");
    let manifest = dir.path().join("manifest.jsonl");
    let upload = [
        input.to_str().unwrap(),
        "-p",
        "batch",
        "--manifest",
        manifest.to_str().unwrap(),
    ];
    let (code, _, stderr) = run(&mut put(&s, &journals, &upload));
    assert_eq!(code, 0, "{stderr}");

    // Already uploaded: no check reads it in this run, so its endpoint is read from the file.
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &journals,
        &[&upload[..], &["--then", "batch"]].concat(),
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("already uploaded"), "{stderr}");
    assert_eq!(s.stat("uploads_created"), 1);
    let batch_id = stdout.lines().nth(1).unwrap().to_owned();
    assert_eq!(
        s.get_json(&format!("/batches/{batch_id}"))["endpoint"],
        "/v1/embeddings"
    );

    let batch = |args: &[&str]| {
        let mut c = cli(Path::new(BIN), &s.url, "sk-local", &journals);
        c.arg("batch").args(args);
        run(&mut c)
    };
    let waited = dir.path().join("waited");
    let (code, stdout, stderr) =
        batch(&["wait", &batch_id, "--output-dir", waited.to_str().unwrap()]);
    assert_eq!((code, stdout.trim()), (0, batch_id.as_str()), "{stderr}");
    let output = waited.join(format!("{batch_id}_output.jsonl"));
    assert_eq!(custom_ids(&output), ["e-0", "e-1", "e-2"]);
    assert!(!waited.join(format!("{batch_id}_errors.jsonl")).exists());

    // The files of a finished batch again, elsewhere: the one file there is, on stdout.
    let fetched = dir.path().join("fetched");
    let (code, stdout, stderr) = batch(&[
        "results",
        &batch_id,
        "--output-dir",
        fetched.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let again = fetched.join(format!("{batch_id}_output.jsonl"));
    assert_eq!(stdout, format!("{}\n", again.display()));
    assert!(!stderr.contains("no output or error file"), "{stderr}");
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&output).unwrap()
    );
}

#[test]
fn a_vector_store_made_once_gets_every_file_names_each_failure_and_a_rerun_retries_only_those() {
    let s = Serve::start(
        Path::new(BIN),
        &["--workflow-step", "100ms", "--fail-vector-store-files", "1"],
    );
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(dir.path(), 5);
    let journals = dir.path().join("j");
    let manifest = dir.path().join("manifest.jsonl");
    let args = into_new_store(
        &docs,
        &[
            "--manifest",
            manifest.to_str().unwrap(),
            "--wait",
            "--attribute",
            "team=search",
        ],
    );
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "five Files then the store: {stdout}");
    let store_id = lines[5];
    assert!(store_id.starts_with("vs_"));
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("failed in vector store"))
        .collect();
    assert_eq!(failed.len(), 1, "{stderr}");
    assert!(
        failed[0].contains("/docs/d") && failed[0].contains("server_error"),
        "named by its path: {}",
        failed[0]
    );
    let files = s.get_json(&format!("/vector_stores/{store_id}/files?limit=100"));
    assert_eq!(files["data"].as_array().unwrap().len(), 5);
    assert_eq!(files["data"][0]["attributes"]["team"], "search");

    // The same command: the same store, no upload, only the failed File attached again.
    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().last(), Some(store_id));
    assert_eq!(s.stat("uploads_created"), uploads, "nothing uploaded again");
    assert_eq!(
        stderr.matches("already in the vector store").count(),
        4,
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("0 of 5 uploaded, 0 failed, 5 already uploaded (manifest); ")),
        "{stderr}"
    );
    assert!(stderr.contains("1 file(s) attached"), "{stderr}");
    assert_eq!(
        s.get_json("/vector_stores")["data"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "one store"
    );
    let store = s.get_json(&format!("/vector_stores/{store_id}"));
    assert_eq!(store["file_counts"]["completed"], 5, "{store}");
}

#[test]
fn then_fine_tune_wait_follows_the_events_to_the_model_and_a_job_without_a_model_is_refused() {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.jsonl");
    let example = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";
    std::fs::write(&train, example.repeat(10)).unwrap();
    let valid = dir.path().join("valid.jsonl");
    std::fs::write(&valid, example.repeat(3)).unwrap();
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            train.to_str().unwrap(),
            "-p",
            "fine-tune",
            "--then",
            "fine-tune",
            "--model",
            "gpt-4o-mini-2024-07-18",
            "--suffix",
            "demo",
            "--seed",
            "7",
            "--validation-file",
            valid.to_str().unwrap(),
            "--wait",
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
    let job_id = stdout.lines().nth(1).unwrap();
    let job = s.get_json(&format!("/fine_tuning/jobs/{job_id}"));
    assert_eq!(job["status"], "succeeded");
    assert_eq!(job["seed"], 7);
    assert!(
        job["validation_file"]
            .as_str()
            .unwrap()
            .starts_with("file-")
    );
    assert!(
        job["fine_tuned_model"]
            .as_str()
            .unwrap()
            .starts_with("ft:gpt-4o-mini-2024-07-18:local:demo:")
    );
    for event in [
        "Files validated",
        "Step 3/3",
        "The job has successfully completed",
    ] {
        assert_eq!(
            stderr.matches(event).count(),
            1,
            "each event once: {stderr}"
        );
    }
    assert!(
        stderr.contains(&format!(
            "{job_id} [info] The job has successfully completed"
        )),
        "each event with its level: {stderr}"
    );
    // A usage error before anything is read.
    let (code, _, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            train.to_str().unwrap(),
            "-p",
            "fine-tune",
            "--then",
            "fine-tune",
        ],
    ));
    assert_eq!(code, 2);
    assert!(stderr.contains("needs --model"), "{stderr}");
}

#[test]
fn a_validation_file_is_checked_as_validation_data_of_the_jobs_method_and_a_bad_one_starts_no_job()
{
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";
    let preference = "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]},\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"hello\"}],\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"no\"}]}\n";
    let train = dir.path().join("train.jsonl");
    std::fs::write(&train, chat.repeat(10)).unwrap();
    let few = dir.path().join("few.jsonl");
    std::fs::write(&few, chat.repeat(3)).unwrap();
    let other_method = dir.path().join("preference.jsonl");
    std::fs::write(&other_method, preference.repeat(12)).unwrap();
    let job_with = |journals: &str, validation: &str| {
        put(
            &s,
            &dir.path().join(journals),
            &[
                train.to_str().unwrap(),
                "-p",
                "fine-tune",
                "--method",
                "supervised",
                "--then",
                "fine-tune",
                "--model",
                "gpt-4o-mini-2024-07-18",
                "--validation-file",
                validation,
            ],
        )
    };
    let jobs = || {
        s.get_json("/fine_tuning/jobs")["data"]
            .as_array()
            .unwrap()
            .len()
    };

    // Three examples are few for training data, enough for validation data: a warning.
    let (code, stdout, stderr) = run(&mut job_with("j1", few.to_str().unwrap()));
    assert_eq!(code, 0, "{stderr}");
    let job = s.get_json(&format!(
        "/fine_tuning/jobs/{}",
        stdout.lines().nth(1).unwrap()
    ));
    let validation_id = job["validation_file"].as_str().unwrap().to_owned();
    assert_eq!(s.download(&validation_id), chat.repeat(3).into_bytes());
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("few.jsonl") && warnings[0].contains("3 examples"),
        "{stderr}"
    );

    // Examples of another method than the job's: refused before their upload, no job.
    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(&mut job_with("j2", other_method.to_str().unwrap()));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "the training File only: {stdout}"
    );
    assert!(
        stderr.contains(&format!("--validation-file {}", other_method.display()))
            && stderr.contains("no job started: fix the file, or add --no-check"),
        "{stderr}"
    );
    assert_eq!(jobs(), 1, "no second job");
    assert_eq!(
        s.stat("uploads_created"),
        uploads + 1,
        "the training file only"
    );

    // A File id is taken as it is: nothing more uploaded for it.
    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(&mut job_with("j3", &validation_id));
    assert_eq!(code, 0, "{stderr}");
    let job = s.get_json(&format!(
        "/fine_tuning/jobs/{}",
        stdout.lines().nth(1).unwrap()
    ));
    assert_eq!(job["validation_file"], validation_id.as_str());
    assert_eq!(
        s.stat("uploads_created"),
        uploads + 1,
        "the training file only"
    );

    // A local file whose name looks like a File id is still the local file.
    std::fs::copy(&few, dir.path().join("file-few.jsonl")).unwrap();
    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(job_with("j4", "file-few.jsonl").current_dir(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let job = s.get_json(&format!(
        "/fine_tuning/jobs/{}",
        stdout.lines().nth(1).unwrap()
    ));
    let uploaded = job["validation_file"].as_str().unwrap();
    assert_ne!(uploaded, "file-few.jsonl");
    assert_eq!(s.download(uploaded), chat.repeat(3).into_bytes());
    assert_eq!(s.stat("uploads_created"), uploads + 2);

    // Neither a file nor a File id: a usage error before anything is sent.
    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(&mut job_with("j5", "missing.jsonl"));
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(
        stderr.contains("--validation-file missing.jsonl: no such file"),
        "{stderr}"
    );
    assert_eq!(s.stat("uploads_created"), uploads);
}

#[test]
fn a_dry_run_says_what_would_follow_the_upload_and_sends_nothing() {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    requests(&input, 2);
    let (code, _, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--dry-run",
            "--then",
            "batch",
            "--wait",
            "--timeout",
            "2h",
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("then: a batch of each File's requests for the endpoint its requests name within 24h, waited for up to"),
        "{stderr}"
    );
    assert_eq!(s.stat("uploads_created"), 0);
    assert!(
        s.get_json("/batches")["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn without_wait_files_are_attached_with_the_chunking_and_attributes_given_and_left_to_the_service()
{
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(dir.path(), 2);
    let journals = dir.path().join("j");
    let args = into_new_store(
        &docs,
        &[
            "--chunk-size",
            "800",
            "--attribute",
            "public=true",
            "--attribute",
            "draft=false",
            "--attribute",
            "year=2024",
            "--attribute",
            "team=search",
        ],
    );
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 0, "{stderr}");
    let store_id = stdout.lines().last().unwrap().to_owned();
    assert!(stderr.contains("2 file(s) attached"), "{stderr}");
    assert!(!stderr.contains("in progress"), "not waited for: {stderr}");
    let files = s.get_json(&format!("/vector_stores/{store_id}/files"));
    let files = files["data"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for file in files {
        assert_eq!(
            file["chunking_strategy"]["static"],
            serde_json::json!({"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 200}),
            "the overlap defaults to a quarter of the chunk: {file}"
        );
        assert_eq!(
            file["attributes"],
            serde_json::json!({"public": true, "draft": false, "year": 2024.0, "team": "search"}),
            "{file}"
        );
    }

    // The same command with --wait waits on the same Files: each change of counts once.
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &[&args[..], &["--wait"]].concat()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().last(), Some(store_id.as_str()));
    let done = format!("vector store {store_id}: 2 completed, 0 failed, 0 in progress");
    assert_eq!(
        stderr.lines().filter(|l| l.ends_with(&done)).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn vector_store_files_are_attached_while_later_uploads_are_still_going() {
    // One file at a time (-j 1), each taking three round trips of 200 ms: the first file
    // batch goes out a moment after the first upload, long before the last one ends.
    let s = Serve::start(
        Path::new(BIN),
        &["--workflow-step", "100ms", "--latency", "200ms"],
    );
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(dir.path(), 4);
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &into_new_store(&docs, &["-j", "1", "--wait"]),
    ));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let first_attach = lines
        .iter()
        .position(|l| l.contains("file(s) attached"))
        .unwrap();
    let last_upload = lines
        .iter()
        .rposition(|l| l.contains(": uploaded as file-"))
        .unwrap();
    assert!(
        first_attach < last_upload,
        "attached only after every upload:\n{stderr}"
    );
    let store_id = stdout.lines().last().unwrap();
    let store = s.get_json(&format!("/vector_stores/{store_id}"));
    assert_eq!(store["file_counts"]["completed"], 4, "{store}");
}

#[test]
fn with_json_each_step_prints_its_object_after_the_uploads() {
    let s = Serve::start(Path::new(BIN), &["--workflow-step", "100ms"]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    requests(&input, 3);
    let (code, stdout, stderr) = run(&mut put(
        &s,
        &dir.path().join("j"),
        &[
            input.to_str().unwrap(),
            "-p",
            "batch",
            "--then",
            "batch",
            "--json",
            "--wait",
            "--output-dir",
            dir.path().to_str().unwrap(),
        ],
    ));
    assert_eq!(code, 0, "{stderr}");
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2, "{stdout}");
    let file_id = docs[0]["file"]["id"]
        .as_str()
        .or(docs[0]["upload"]["file"]["id"].as_str())
        .unwrap();
    assert_eq!(docs[1]["file_id"], file_id);
    assert_eq!(docs[1]["batch"]["status"], "completed");
    assert_eq!(docs[1]["batch"]["request_counts"]["total"], 3);
    let output = docs[1]["output_file"].as_str().unwrap();
    assert_eq!(custom_ids(Path::new(output)), ["req-0", "req-1", "req-2"]);

    // The same batch later, through the batch command: waited (ended already), its files again.
    let batch_id = docs[1]["batch"]["id"].as_str().unwrap();
    let again = dir.path().join("again");
    let batch = |args: &[&str]| {
        let mut c = cli(Path::new(BIN), &s.url, "sk-local", &dir.path().join("j"));
        c.arg("batch").args(args);
        run(&mut c)
    };
    let (code, stdout, stderr) =
        batch(&["wait", batch_id, "--output-dir", again.to_str().unwrap()]);
    assert_eq!((code, stdout.trim()), (0, batch_id), "{stderr}");
    let (code, stdout, stderr) =
        batch(&["results", batch_id, "--output-dir", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let written: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        written.len(),
        1,
        "an output file and no error file: {stdout}"
    );
    assert_eq!(
        std::fs::read(written[0]).unwrap(),
        std::fs::read(output).unwrap()
    );
}

#[test]
fn a_rerun_without_a_manifest_takes_each_file_from_the_steps_journal_and_counts_it() {
    // Without a manifest, the step's journal is what knows the Files: the ones the store
    // completed are passed over, the failed one attached again, and the summary counts all
    // three as uploaded by an earlier run.
    let s = Serve::start(
        Path::new(BIN),
        &["--workflow-step", "100ms", "--fail-vector-store-files", "1"],
    );
    let dir = tempfile::tempdir().unwrap();
    let docs = docs(dir.path(), 3);
    let journals = dir.path().join("j");
    let args = into_new_store(&docs, &["--wait"]);
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 1, "{stderr}");
    let store_id = stdout.lines().last().unwrap().to_owned();
    assert!(store_id.starts_with("vs_"), "{stdout}");

    let uploads = s.stat("uploads_created");
    let (code, stdout, stderr) = run(&mut put(&s, &journals, &args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().last(), Some(store_id.as_str()));
    assert_eq!(s.stat("uploads_created"), uploads, "nothing uploaded again");
    assert_eq!(
        stderr.matches("already in the vector store").count(),
        2,
        "{stderr}"
    );
    assert_eq!(stderr.matches("taking up its step").count(), 1, "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("0 of 3 uploaded, 0 failed, 3 uploaded by an earlier run; ")),
        "{stderr}"
    );
    let store = s.get_json(&format!("/vector_stores/{store_id}"));
    assert_eq!(store["file_counts"]["completed"], 3, "{store}");
}
