//! `put` from object storage and URLs, and `--shard`: prefixes listed and filtered like
//! folders, the manifest keyed by URL and ETag, a presigned URL's signature never printed, a
//! missing object said; N shards disjoint and covering the selection, their manifests
//! concatenated into one a re-run honours. S3 on moto and Azure on Azurite, started here.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use uploads_e2e::ranged::RangedServer;
use uploads_e2e::services::{self, ACCOUNT};
use uploads_e2e::{Serve, cli, manifest_lines, output as run, random_file};
use uploads_remote::StoreOptions;
use uploads_remote::object_store::path::Path as Key;
use uploads_remote::object_store::{ObjectStoreExt, PutPayload};

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

/// Puts objects with the store the URL and options name.
fn put_objects(url: &str, options: &StoreOptions, objects: &[(&str, &[u8])]) {
    let (store, _) = uploads_remote::store_for(url, options).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        for (key, bytes) in objects {
            store
                .put(&Key::from(*key), PutPayload::from(bytes.to_vec()))
                .await
                .unwrap();
        }
    });
}

fn s3_flags(moto: &services::Service) -> Vec<String> {
    [
        format!("aws_endpoint=http://{}", moto.addr),
        "aws_allow_http=true".into(),
        "aws_region=us-east-1".into(),
        "aws_access_key_id=test".into(),
        "aws_secret_access_key=test".into(),
    ]
    .into_iter()
    .flat_map(|kv| ["--store-option".to_owned(), kv])
    .collect()
}

fn options_of(flags: &[String]) -> StoreOptions {
    flags
        .chunks(2)
        .map(|p| StoreOptions::parse_pair(&p[1]).unwrap())
        .collect()
}

#[test]
fn an_s3_prefix_uploads_filtered_and_a_rerun_skips_what_the_manifest_holds() {
    let moto = services::moto();
    moto.create_bucket("corpus");
    let flags = s3_flags(&moto);
    let a = data(300_000, 1);
    let b = data(5_000, 2);
    put_objects(
        "s3://corpus/",
        &options_of(&flags),
        &[
            ("docs/a.txt", &a),
            ("docs/deep/b.txt", &b),
            ("docs/skip.md", b"# no"),
            ("docs/empty.txt", b""),
        ],
    );
    let server = Serve::start(Path::new(BIN), &[]);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.jsonl");
    let put = || {
        let mut c = cli(
            Path::new(BIN),
            &server.url,
            "sk-local",
            &dir.path().join("j"),
        );
        c.args(["put", "-p", "assistants", "--exclude", "*.md", "--manifest"])
            .arg(&manifest)
            .arg("s3://corpus/docs/")
            .args(&flags);
        c
    };
    let (code, stdout, stderr) = run(&mut put());
    assert_eq!(code, 0, "{stderr}");
    let ids: Vec<&str> = stdout.lines().collect();
    assert_eq!(ids.len(), 2, "{stdout}\n{stderr}");
    assert_eq!(server.download(ids[0]), a);
    assert_eq!(server.download(ids[1]), b);
    assert!(
        stderr.contains("s3://corpus/docs/empty.txt: empty"),
        "{stderr}"
    );
    assert!(!stderr.contains("no object under this prefix"), "{stderr}");
    // Written as each ends: found by key.
    let records = manifest_lines(&manifest);
    assert_eq!(records.len(), 2);
    let rec_a = records
        .iter()
        .find(|r| r["key"] == "s3://corpus/docs/a.txt")
        .unwrap();
    assert_eq!(rec_a["path"], "s3://corpus/docs/a.txt");
    assert_eq!(rec_a["file_id"], ids[0]);
    assert!(rec_a["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert_eq!(rec_a["md5"], uploads_e2e::md5_hex(&a));

    // The same command again: both recorded, nothing sent.
    let before = server.stats()["uploads_created"].as_u64();
    let (code, stdout, stderr) = run(&mut put());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ids);
    assert!(stderr.contains("already uploaded"), "{stderr}");
    assert_eq!(server.stats()["uploads_created"].as_u64(), before);

    // a.txt replaced (a new ETag, same size): uploaded again, b.txt not.
    let a2 = data(300_000, 3);
    put_objects("s3://corpus/", &options_of(&flags), &[("docs/a.txt", &a2)]);
    let (code, stdout, stderr) = run(&mut put());
    assert_eq!(code, 0, "{stderr}");
    let again: Vec<&str> = stdout.lines().collect();
    assert_ne!(again[0], ids[0], "a.txt changed: a new File");
    assert_eq!(again[1], ids[1]);
    assert_eq!(server.download(again[0]), a2);

    // A missing object is said, and fails the command.
    let (code, _, stderr) = run(cli(
        Path::new(BIN),
        &server.url,
        "sk-local",
        &dir.path().join("j"),
    )
    .args(["put", "-p", "assistants", "s3://corpus/docs/nope.txt"])
    .args(&flags));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("s3://corpus/docs/nope.txt: no such object"),
        "{stderr}"
    );
}

#[test]
fn an_azure_blob_and_a_presigned_url_upload_with_the_signature_never_printed() {
    let azurite = services::azurite();
    azurite.create_container("data");
    let flags: Vec<String> = [
        format!("azure_storage_account_name={ACCOUNT}"),
        "azure_storage_account_key=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==".into(),
        format!("azure_endpoint=http://{}/{ACCOUNT}", azurite.addr),
        "allow_http=true".into(),
    ]
    .into_iter()
    .flat_map(|kv| ["--store-option".to_owned(), kv])
    .collect();
    let blob = data(200_000, 4);
    put_objects("az://data/", &options_of(&flags), &[("in/blob.txt", &blob)]);
    let files = RangedServer::with_token("sig=t0ps3cret");
    let web = data(150_000, 5);
    files.put("web.txt", web.clone());
    let dir = tempfile::tempdir().unwrap();
    // `put --local` with the Azure options, then `args`.
    let local_put = |args: &[&str]| {
        let mut c = cli(Path::new(BIN), "http://unused", "sk", &dir.path().join("j"));
        c.args(["put", "--local"]).args(&flags).args(args);
        run(&mut c)
    };
    let (code, stdout, stderr) = local_put(&[
        "-p",
        "assistants",
        "--json",
        "az://data/in/blob.txt",
        &format!("{}?sig=t0ps3cret", files.url("web.txt")),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let docs: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2, "{stdout}");
    assert_eq!(docs[0]["path"], "az://data/in/blob.txt");
    assert_eq!(docs[0]["upload"]["file"]["filename"], "blob.txt");
    assert_eq!(docs[0]["upload"]["file"]["bytes"], 200_000);
    assert_eq!(docs[1]["path"], format!("{}?…", files.url("web.txt")));
    assert_eq!(docs[1]["upload"]["file"]["filename"], "web.txt");
    // --local downloaded each stored File and checked its md5 against the bytes read.
    assert!(!stdout.contains("t0ps3cret") && !stderr.contains("t0ps3cret"));
    assert_eq!(
        files.sent(),
        web.len() as u64 + 1,
        "one pass, plus the opening byte"
    );
    assert!(!stderr.contains("no object under this prefix"), "{stderr}");

    // A batch file behind a URL: under the batch file's size limit, checked as it is read.
    let requests = "{\"custom_id\":\"r-0\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
    put_objects(
        "az://data/",
        &options_of(&flags),
        &[("in/requests.jsonl", requests.as_bytes())],
    );
    let (code, stdout, stderr) = local_put(&["-p", "batch", "az://data/in/requests.jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.trim().starts_with("file-"), "{stdout}");
}

/// The files `put --shard K/N --dry-run` plans, from its table's last column.
fn planned(
    dir: &Path,
    shard: Option<&str>,
    env_index: Option<&str>,
    shards: Option<&str>,
) -> Vec<String> {
    let mut c = Command::new(BIN);
    c.env_remove("OPENAI_UPLOADS_SHARD")
        .env_remove("JOB_COMPLETION_INDEX");
    c.args(["put", "-p", "assistants", "--dry-run"]).arg(dir);
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    if let Some(n) = shards {
        c.args(["--shards", n]);
    }
    if let Some(i) = env_index {
        c.env("JOB_COMPLETION_INDEX", i);
    }
    let (code, stdout, stderr) = run(&mut c);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .skip(1)
        .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        .collect()
}

#[test]
fn shards_are_disjoint_cover_the_selection_and_their_manifests_concatenate() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("corpus");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..40 {
        random_file(&tree.join(format!("doc-{i:02}.txt")), 100 + i, i as u64);
    }
    let all: BTreeSet<String> = planned(&tree, None, None, None).into_iter().collect();
    assert_eq!(all.len(), 40);
    let shards: Vec<Vec<String>> = (0..3)
        .map(|k| planned(&tree, Some(&format!("{k}/3")), None, None))
        .collect();
    let mut seen = BTreeSet::new();
    for share in &shards {
        assert!(!share.is_empty(), "{shards:?}");
        for f in share {
            assert!(seen.insert(f.clone()), "{f} in two shards");
        }
    }
    assert_eq!(seen, all, "the shards cover the selection");
    // A Kubernetes Indexed Job's index gives the same share.
    assert_eq!(planned(&tree, None, Some("1"), Some("3")), shards[1]);

    // Each machine its manifest; concatenated, they make a re-run upload nothing.
    let server = Serve::start(Path::new(BIN), &[]);
    let mut all_records = String::new();
    for k in 0..3 {
        let manifest = dir.path().join(format!("m{k}.jsonl"));
        let (code, _, stderr) = run(cli(
            Path::new(BIN),
            &server.url,
            "sk-local",
            &dir.path().join("j"),
        )
        .args([
            "put",
            "-q",
            "-p",
            "assistants",
            "--shard",
            &format!("{k}/3"),
            "--manifest",
        ])
        .arg(&manifest)
        .arg(&tree));
        assert_eq!(code, 0, "{stderr}");
        all_records.push_str(&std::fs::read_to_string(&manifest).unwrap());
    }
    let joined = dir.path().join("all.jsonl");
    std::fs::write(&joined, all_records).unwrap();
    assert_eq!(manifest_lines(&joined).len(), 40);
    let created = server.stats()["uploads_created"].as_u64();
    let (code, stdout, stderr) = run(cli(
        Path::new(BIN),
        &server.url,
        "sk-local",
        &dir.path().join("j"),
    )
    .args(["put", "-q", "-p", "assistants", "--manifest"])
    .arg(&joined)
    .arg(&tree));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 40);
    assert_eq!(server.stats()["uploads_created"].as_u64(), created);

    // Bad shards are refused before anything is read.
    let (code, _, stderr) = run(Command::new(BIN)
        .args(["put", "-p", "assistants", "--shard", "3/3"])
        .arg(&tree));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("K counts from 0, so it is 0 to 2"),
        "{stderr}"
    );
    let (code, _, stderr) = run(Command::new(BIN)
        .env_remove("JOB_COMPLETION_INDEX")
        .args(["put", "-p", "assistants", "--shards", "3"])
        .arg(&tree));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("JOB_COMPLETION_INDEX"), "{stderr}");
}

#[test]
fn an_object_interrupted_with_ctrl_c_resumes_where_it_stopped() {
    let files = RangedServer::with_token("sig=abc");
    let bytes = data(2 * 1024 * 1024, 6);
    files.put("big.txt", bytes.clone());
    let url = format!("{}?sig=abc", files.url("big.txt"));
    let server = Serve::start(
        Path::new(BIN),
        &["--max-part-size", "128KiB", "--bandwidth", "256KiB"],
    );
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("j");
    let put = || {
        let mut c = cli(Path::new(BIN), &server.url, "sk-local", &journals);
        c.args([
            "put",
            "-p",
            "assistants",
            "--part-size",
            "128KiB",
            "-j",
            "2",
        ])
        .arg(&url);
        c
    };
    let child = put()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    server.wait_for("parts_stored", 2);
    uploads_e2e::signal(&child, libc::SIGINT);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("kept to resume"), "{stderr}");
    assert!(!stderr.contains("sig=abc"), "{stderr}");
    server.settle();
    let stored = server.stat("parts_stored");
    assert_eq!(server.stat("uploads_cancelled"), 0);

    let (code, stdout, stderr) = run(&mut put());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.download(stdout.trim()), bytes);
    assert_eq!(
        server.stat("uploads_created"),
        1,
        "the same upload, resumed"
    );
    // Only the parts not journaled go again (those in flight at the interrupt, at most -j 2,
    // may have been stored unrecorded).
    let again = server.stat("parts_stored") - stored;
    assert!(
        again < 16 && stored + again <= 16 + 2,
        "{stored} then {again}"
    );
}
