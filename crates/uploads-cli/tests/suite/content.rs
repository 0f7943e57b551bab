//! Batch and fine-tune files: `check` on its own, the check fused with `put` (a bad file is
//! cancelled with nothing left pending), and `put --split` (pieces that are the file).

use std::path::Path;
use std::process::Command;

use uploads_e2e::{Serve, clean_command, cli, md5_hex, output as run, pending};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

fn request(id: usize) -> String {
    format!(
        "{{\"custom_id\":\"r{id}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"q{id}\"}}]}}}}\n"
    )
}

fn batch(n: usize) -> String {
    (0..n).map(request).collect()
}

fn cmd(journals: &Path) -> Command {
    clean_command(Path::new(BIN), journals)
}

#[test]
fn check_json_gives_one_document_per_input_and_the_method_decides() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.jsonl"), batch(3)).unwrap();
    // A missing file and a directory each get a document saying why (issue 20, item 8).
    let (code, stdout, _) = run(cmd(d)
        .args(["check", "-p", "batch", "--json"])
        .arg(d.join("missing.jsonl"))
        .arg(d)
        .arg(d.join("good.jsonl")));
    assert_eq!(code, 2);
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 3, "{stdout}");
    assert!(docs[0]["file"].as_str().unwrap().ends_with("missing.jsonl"));
    assert!(
        docs[0]["error"].as_str().unwrap().contains("No such file"),
        "{stdout}"
    );
    assert!(
        docs[1]["error"].as_str().unwrap().contains("directory"),
        "{stdout}"
    );
    assert_eq!(docs[2]["errors"], 0);

    // A reinforcement file passes; told it is for a supervised job, it does not.
    let rft = "{\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}]}\n".repeat(10);
    std::fs::write(d.join("rft.jsonl"), rft).unwrap();
    let (code, _, stderr) = run(cmd(d)
        .args(["check", "-p", "fine-tune"])
        .arg(d.join("rft.jsonl")));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(cmd(d)
        .args(["check", "-p", "fine-tune", "--method", "supervised"])
        .arg(d.join("rft.jsonl")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no_assistant_message"), "{stderr}");
    // Nine examples: an error in a training file, not with --validation.
    let nine = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n".repeat(9);
    std::fs::write(d.join("valid.jsonl"), nine).unwrap();
    let (code, _, _) = run(cmd(d)
        .args(["check", "-p", "fine-tune"])
        .arg(d.join("valid.jsonl")));
    assert_eq!(code, 1);
    let (code, _, stderr) = run(cmd(d)
        .args(["check", "-p", "fine-tune", "--validation"])
        .arg(d.join("valid.jsonl")));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("too_few_examples"), "{stderr}");
}

#[test]
fn put_takes_the_method_and_uploads_a_reinforcement_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = Serve::start(Path::new(BIN), &[]);
    let rft =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"2+2?\"}],\"answer\":\"4\"}\n".repeat(10);
    std::fs::write(d.join("rft.jsonl"), &rft).unwrap();
    // Before issue 20, every line was an error and the upload was cancelled.
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &d.join("j"))
        .args(["put", "-p", "fine-tune"])
        .arg(d.join("rft.jsonl")));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.download(stdout.trim()), rft.as_bytes());
    // Told the job is supervised, it is refused (a file of one part, before its upload is
    // created): nothing left pending.
    let (code, _, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &d.join("j"))
        .args(["put", "-p", "fine-tune", "--method", "supervised"])
        .arg(d.join("rft.jsonl")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no_assistant_message"), "{stderr}");
    assert_eq!(server.stat("uploads_created"), 1, "only the first run's");
    assert_eq!(server.stat("uploads_cancelled"), 0);
}

#[test]
fn check_reports_and_exits_by_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.jsonl"), batch(5)).unwrap();
    let bad = batch(5)
        .replace("\"r3\"", "\"r1\"")
        .replace("\"POST\"", "\"post\"");
    std::fs::write(d.join("bad.jsonl"), &bad).unwrap();

    let (code, stdout, stderr) = run(cmd(d)
        .args(["check", "--purpose", "batch"])
        .arg(d.join("good.jsonl")));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    let (code, _, stderr) = run(cmd(d)
        .args(["check", "-p", "batch"])
        .arg(d.join("good.jsonl"))
        .arg(d.join("bad.jsonl")));
    assert_eq!(code, 1);
    insta::assert_snapshot!(
        "check-human",
        stderr.replace(&d.display().to_string(), "<dir>")
    );

    let (code, stdout, _) = run(cmd(d)
        .args(["check", "-p", "batch", "--json"])
        .arg(d.join("bad.jsonl")));
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["errors"], 6);
    assert_eq!(report["counts"]["bad_method"], 5);
    assert_eq!(report["counts"]["duplicate_custom_id"], 1);
    assert_eq!(report["first_error"]["line"], 1);
    assert!(report["file"].as_str().unwrap().ends_with("bad.jsonl"));

    // A body parameter the spec does not list is a warning, unless --no-body-schema.
    let extra = batch(5).replace("\"model\"", "\"temperatura\": 1, \"model\"");
    assert_ne!(extra, batch(5));
    std::fs::write(d.join("extra.jsonl"), &extra).unwrap();
    let warnings = |flags: &[&str]| {
        let (code, stdout, stderr) = run(cmd(d)
            .args(["check", "-p", "batch", "--json"])
            .args(flags)
            .arg(d.join("extra.jsonl")));
        assert_eq!(code, 0, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        report["counts"]["unknown_parameter"].as_u64().unwrap_or(0)
    };
    assert_eq!(warnings(&[]), 5);
    assert_eq!(warnings(&["--no-body-schema"]), 0);

    // Usage: no such file, no such purpose.
    let (code, _, stderr) = run(cmd(d)
        .args(["check", "-p", "batch"])
        .arg(d.join("missing.jsonl")));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(cmd(d)
        .args(["check", "-p", "assistants"])
        .arg(d.join("good.jsonl")));
    assert_eq!(code, 2);
}

#[test]
fn put_cancels_a_bad_batch_file_and_leaves_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(Path::new(BIN), &[]);
    let mut text = batch(20_000);
    text.push_str("{\"custom_id\": \"last\", not json}\n");
    let path = dir.path().join("b.jsonl");
    std::fs::write(&path, &text).unwrap();

    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args([
            "put",
            "--quiet",
            "--purpose",
            "batch",
            "--part-size",
            "64KiB",
        ])
        .arg(&path));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "-\n", "no File id, a `-` in its place");
    assert!(
        stderr.contains("line 20001: error[invalid_json]"),
        "{stderr}"
    );
    assert!(stderr.contains("was cancelled"), "{stderr}");
    assert!(stderr.contains("add --no-check"), "{stderr}");
    server.settle();
    assert_eq!(server.stat("uploads_created"), 1);
    assert_eq!(server.stat("uploads_cancelled"), 1);
    assert_eq!(server.stat("uploads_completed"), 0);
    assert!(pending(Path::new(BIN), &server.url, &journals).is_empty());

    // Warnings do not stop the upload; they are printed after it (not with --quiet: errors
    // only).
    let good = format!("{}\n{}", batch(3), request(9));
    std::fs::write(&path, &good).unwrap();
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args(["put", "--quiet", "--purpose", "batch"])
        .arg(&path));
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(server.download(stdout.trim()), good.as_bytes());
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args(["put", "--purpose", "batch"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("line 4: warning[blank_line]"), "{stderr}");
    assert!(!stderr.contains("more warnings"), "{stderr}");
    assert_eq!(server.download(stdout.trim()), good.as_bytes());
    // Past the first 20 in full, the rest are counted.
    let odd = batch(25).replace("\"model\"", "\"temperatura\": 1, \"model\"");
    std::fs::write(&path, &odd).unwrap();
    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args(["put", "--purpose", "batch"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr.matches("warning[unknown_parameter]").count(),
        20,
        "{stderr}"
    );
    assert!(
        stderr.contains(": 5 more warnings (`openai-uploads check` lists them by kind)"),
        "{stderr}"
    );
    assert_eq!(server.download(stdout.trim()), odd.as_bytes());
}

#[test]
fn put_split_uploads_pieces_that_are_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    let server = Serve::start(Path::new(BIN), &[]);
    let max = uploads_client::rules::MAX_BATCH_REQUESTS as usize;
    let text = batch(max + 7);
    let path = dir.path().join("nightly.jsonl");
    std::fs::write(&path, &text).unwrap();

    // Without --split the check stops it at request 50,001.
    let (code, _, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args(["put", "--quiet", "--purpose", "batch"])
        .arg(&path));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[too_many_requests]"), "{stderr}");

    let (code, stdout, stderr) = run(cli(Path::new(BIN), &server.url, "sk-local", &journals)
        .args([
            "put",
            "--quiet",
            "--split",
            "--json",
            "--purpose",
            "batch",
            "-j",
            "4",
        ])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    let uploads: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["upload"].clone())
        .collect();
    assert_eq!(uploads.len(), 2);
    let names: Vec<&str> = uploads
        .iter()
        .map(|u| u["file"]["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nightly.01.jsonl", "nightly.02.jsonl"]);
    let mut joined = Vec::new();
    for u in &uploads {
        joined.extend(server.download(u["file"]["id"].as_str().unwrap()));
    }
    assert_eq!(
        md5_hex(&joined),
        md5_hex(text.as_bytes()),
        "the pieces are the file"
    );
    assert_eq!(joined.len(), text.len());
    let first_len = uploads[0]["bytes"].as_u64().unwrap() as usize;
    assert_eq!(
        &text[..first_len],
        batch(max),
        "the first piece holds 50,000 requests"
    );
}
