//! What `put` says of its selection: patterns that matched nothing, a machine's empty share,
//! `--filename` with more than one file, a run with nothing left to do (which starts
//! nothing), and an input refused before its upload (which keeps its place among the others).

use std::path::Path;
use std::process::Command;

use uploads_e2e::ranged::RangedServer;
use uploads_e2e::{clean_command, output as run};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

fn put(journals: &Path, args: &[&str]) -> Command {
    let mut c = clean_command(Path::new(BIN), journals);
    c.arg("put").args(args);
    c
}

/// A directory with `a.txt` and `b.md`.
fn two_files() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("a.txt"), "hello\n").unwrap();
    std::fs::write(docs.join("b.md"), "# b\n").unwrap();
    let docs = docs.to_str().unwrap().to_owned();
    (dir, docs)
}

#[test]
fn a_pattern_that_matched_nothing_is_a_warning_unless_quiet() {
    let (dir, docs) = two_files();
    let args = [
        docs.as_str(),
        "-p",
        "assistants",
        "--dry-run",
        "--include",
        "*.txt",
        "--include",
        "*.pdf",
    ];
    let (code, stdout, stderr) = run(&mut put(dir.path(), &args));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("a.txt") && !stdout.contains("b.md"),
        "{stdout}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(
        warnings,
        [r#"warning: --include "*.pdf" matched no file"#],
        "{stderr}"
    );

    let (code, stdout, stderr) = run(put(dir.path(), &args).arg("--quiet"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("a.txt"), "{stdout}");
    assert!(
        !stderr.contains("warning"),
        "quiet is errors only: {stderr}"
    );
}

#[test]
fn an_empty_share_says_how_many_files_were_selected_and_is_not_a_failure() {
    let (dir, docs) = two_files();
    let one = format!("{docs}/a.txt");
    let mut empty = Vec::new();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let args = [
            one.as_str(),
            "-p",
            "assistants",
            "--dry-run",
            "--shard",
            &shard,
        ];
        let (code, stdout, stderr) = run(&mut put(dir.path(), &args));
        assert_eq!(code, 0, "{stderr}");
        if stdout.is_empty() {
            assert_eq!(
                stderr,
                format!(
                    "nothing to upload: none of the 1 selected file(s) falls in shard {shard}\n"
                )
            );
            let (code, stdout, stderr) = run(put(dir.path(), &args).arg("--quiet"));
            assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
            empty.push(k);
        }
    }
    assert_eq!(empty.len(), 1, "one file: one shard of two is empty");
}

#[test]
fn filename_names_one_file_and_is_refused_for_two() {
    let (dir, docs) = two_files();
    let (a, b) = (format!("{docs}/a.txt"), format!("{docs}/b.md"));
    let (code, stdout, stderr) = run(&mut put(
        dir.path(),
        &[&a, "-p", "assistants", "--dry-run", "--filename", "x.txt"],
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.lines().nth(1).unwrap().ends_with("a.txt (as x.txt)"),
        "the plan names the File: {stdout}"
    );
    let (code, stdout, stderr) = run(&mut put(
        dir.path(),
        &[
            &a,
            &b,
            "-p",
            "assistants",
            "--dry-run",
            "--filename",
            "x.txt",
        ],
    ));
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: --filename names one file: give one FILE, or leave --filename out\n"
    );
}

#[test]
fn a_run_the_manifest_leaves_nothing_to_do_starts_no_local_server() {
    let (dir, docs) = two_files();
    let a = format!("{docs}/a.txt");
    let manifest = dir.path().join("m.jsonl");
    let args = [
        a.as_str(),
        "-p",
        "assistants",
        "--local",
        "--manifest",
        manifest.to_str().unwrap(),
    ];
    let (code, first, stderr) = run(&mut put(dir.path(), &args));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("local server on"), "{stderr}");
    let (code, stdout, stderr) = run(&mut put(dir.path(), &args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, first, "the recorded File");
    assert!(
        !stderr.contains("local server"),
        "nothing to start: {stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("0 of 1 uploaded, 0 failed, 1 already uploaded (manifest); ")),
        "{stderr}"
    );
}

#[test]
fn objects_behind_urls_count_with_files_in_a_share_and_for_filename() {
    let (dir, docs) = two_files();
    let a = format!("{docs}/a.txt");
    let web = RangedServer::with_token("sig=t");
    web.put("web.txt", b"from the web\n".to_vec());
    let url = format!("{}?sig=t", web.url("web.txt"));
    // Of many shards, one that takes neither input.
    let empty = (0..3)
        .find_map(|k| {
            let shard = format!("{k}/1000");
            let args = [
                a.as_str(),
                url.as_str(),
                "-p",
                "assistants",
                "--dry-run",
                "--shard",
                &shard,
            ];
            let (code, stdout, stderr) = run(&mut put(dir.path(), &args));
            assert_eq!(code, 0, "{stderr}");
            stdout.is_empty().then_some((shard, stderr))
        })
        .expect("one of three shards of a thousand is empty");
    assert_eq!(
        empty.1,
        format!(
            "nothing to upload: none of the 2 selected file(s) falls in shard {}\n",
            empty.0
        )
    );
    let (code, _, stderr) = run(&mut put(
        dir.path(),
        &[
            &a,
            &url,
            "-p",
            "assistants",
            "--dry-run",
            "--filename",
            "x.txt",
        ],
    ));
    assert_eq!(code, 2, "a file and an object are two: {stderr}");
    assert!(stderr.contains("--filename names one file"), "{stderr}");
}

#[test]
fn an_input_refused_before_its_upload_keeps_its_place_and_the_others_go() {
    let (dir, docs) = two_files();
    let huge = dir.path().join("huge.txt");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(8 * 1024 * 1024 * 1024 + 1)
        .unwrap();
    let (a, b) = (format!("{docs}/a.txt"), format!("{docs}/b.md"));
    let (code, stdout, stderr) = run(&mut put(
        dir.path(),
        &[
            huge.to_str().unwrap(),
            &a,
            &b,
            "-p",
            "assistants",
            "--local",
        ],
    ));
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per input, in order: {stdout}");
    assert_eq!(lines[0], "-", "{stdout}");
    assert!(
        lines[1..].iter().all(|l| l.starts_with("file-")),
        "{stdout}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("2 of 3 uploaded, 1 failed; 10 B in ")),
        "6 and 4 bytes: {stderr}"
    );
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("failed: "))
        .collect();
    assert_eq!(failed.len(), 1, "{stderr}");
    assert!(
        failed[0].contains("huge.txt") && failed[0].contains("over the Uploads limit"),
        "{stderr}"
    );
}
