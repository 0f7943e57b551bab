//! The server through the generated client, so drift between server and spec breaks these tests.

mod common;

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use uploads_client::checksum::md5_hex;
use uploads_client::{ApiError, Client, ClientConfig, PartData, rules::Limits, types};
use uploads_server::{Faults, Server, ServerConfig};

fn client(server: &Server, key: &str) -> Client {
    ClientConfig::default()
        .api_key(key)
        .base_url(server.base_url())
        .build()
        .unwrap()
}

async fn start(config: ServerConfig) -> (Server, Client) {
    let server = Server::start(config).await.unwrap();
    let c = client(&server, "sk-local");
    (server, c)
}

/// A server whose data directory the test can look into (kept while the `TempDir` lives).
async fn start_on_disk() -> (Server, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (server, c) = start(ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    })
    .await;
    (server, c, dir)
}

fn small_limits() -> ServerConfig {
    ServerConfig {
        limits: Limits {
            max_part_bytes: 1024,
            max_upload_bytes: 8 * 1024,
        },
        ..ServerConfig::default()
    }
}

async fn create(c: &Client, name: &str, bytes: i64) -> Result<types::Upload, ApiError> {
    let mime = uploads_client::rules::mime_for_filename(name).unwrap_or("application/octet-stream");
    Ok(c.create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename(name)
                .purpose(types::KnownUploadPurpose::Assistants)
                .bytes(bytes)
                .mime_type(mime),
        )
        .send()
        .await?
        .into_inner())
}

async fn put(c: &Client, upload: &str, data: &[u8]) -> Result<String, ApiError> {
    Ok(c.add_upload_part()
        .upload_id(upload)
        .data(PartData::bytes(data.to_vec()))
        .send()
        .await?
        .into_inner()
        .id)
}

async fn complete(
    c: &Client,
    upload: &str,
    parts: &[String],
    md5: Option<String>,
) -> Result<types::Upload, ApiError> {
    let mut body = types::CompleteUploadRequest::builder().part_ids(parts.to_vec());
    if let Some(m) = md5 {
        body = body.md5(m);
    }
    Ok(c.complete_upload()
        .upload_id(upload)
        .body(body)
        .send()
        .await?
        .into_inner())
}

async fn download(c: &Client, file: &str) -> Vec<u8> {
    let stream = c
        .download_file()
        .file_id(file)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_inner();
    stream
        .try_fold(Vec::new(), |mut acc, b| async move {
            acc.extend_from_slice(&b);
            Ok(acc)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn parts_sent_out_of_order_download_in_the_completed_order() {
    let (server, c) = start(ServerConfig::default()).await;
    let up = create(&c, "doc.txt", 9).await.unwrap();
    assert!(up.status.is_pending());
    let p3 = put(&c, &up.id, b"ccc").await.unwrap();
    let p1 = put(&c, &up.id, b"aaa").await.unwrap();
    let p2 = put(&c, &up.id, b"bbb").await.unwrap();
    let done = complete(
        &c,
        &up.id,
        &[p2.clone(), p3.clone(), p1.clone()],
        Some(md5_hex(b"bbbcccaaa")),
    )
    .await
    .unwrap();
    assert_eq!(done.status.to_string(), "completed");
    let file = done.file.unwrap();
    assert_eq!(file.bytes, 9);
    assert_eq!(download(&c, &file.id).await, b"bbbcccaaa");
    let meta = c
        .retrieve_file()
        .file_id(&file.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.filename, "doc.txt");
    assert!(
        c.delete_file()
            .file_id(&file.id)
            .send()
            .await
            .unwrap()
            .deleted
    );
    let gone: ApiError = c
        .retrieve_file()
        .file_id(&file.id)
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(gone.status(), Some(404));
    assert_eq!(server.stats().parts_stored, 3);
}

/// Each refusal: the status and OpenAI's envelope, ids replaced so the snapshot is stable.
#[tokio::test]
async fn every_error_path_answers_the_envelope() {
    let (server, c) = start(ServerConfig {
        api_key: Some("sk-local".into()),
        upload_ttl: Duration::from_secs(3600),
        ..small_limits()
    })
    .await;
    // Its Debug output says where it listens, and never its key.
    assert_eq!(
        format!("{server:?}"),
        format!("Server {{ addr: {}, running: true, .. }}", server.addr())
    );
    let lines = std::cell::RefCell::new(Vec::new());
    let record = |label: &str, e: ApiError, ids: &[&str]| {
        let mut text = match &e {
            ApiError::Status(b) => format!(
                "{} {} {:?} {:?}: {}",
                b.status, b.kind, b.param, b.code, b.message
            ),
            other => format!("not a status: {other}"),
        };
        for (i, id) in ids.iter().enumerate() {
            text = text.replace(id, &format!("<id{i}>"));
        }
        lines.borrow_mut().push(format!("{label}: {text}"));
    };
    let wrong_key = client(&server, "sk-wrong-key-123456");
    record(
        "wrong key",
        create(&wrong_key, "a.txt", 1).await.unwrap_err(),
        &[],
    );
    let raw = common::http()
        .post(format!("{}/uploads", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let no_key: serde_json::Value = raw.json().await.unwrap();
    lines
        .borrow_mut()
        .push(format!("no key: {}", no_key["error"]["message"]));

    let bad_purpose = c
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("a.txt")
                .purpose("nonsense".parse::<types::UploadPurpose>().unwrap())
                .bytes(1)
                .mime_type("text/plain"),
        )
        .send()
        .await
        .unwrap_err()
        .into();
    record("unknown purpose", bad_purpose, &[]);
    let mime = c
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("a.jsonl")
                .purpose(types::KnownUploadPurpose::FineTune)
                .bytes(1)
                .mime_type("image/png"),
        )
        .send()
        .await
        .unwrap_err()
        .into();
    record("mime for purpose", mime, &[]);
    let expires = c
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("a.txt")
                .purpose(types::KnownUploadPurpose::Assistants)
                .bytes(1)
                .mime_type("text/plain")
                .expires_after(types::FileExpirationAfter {
                    anchor: types::FileExpirationAfterAnchor::CreatedAt,
                    seconds: 60,
                }),
        )
        .send()
        .await
        .unwrap_err()
        .into();
    record("expires_after", expires, &[]);
    record(
        "too big",
        create(&c, "a.txt", 8 * 1024 + 1).await.unwrap_err(),
        &[],
    );
    record("empty", create(&c, "a.txt", 0).await.unwrap_err(), &[]);

    let up = create(&c, "a.txt", 6).await.unwrap();
    let id = up.id.as_str();
    record(
        "part over limit",
        put(&c, id, &[0u8; 1025]).await.unwrap_err(),
        &[id],
    );
    record("empty part", put(&c, id, b"").await.unwrap_err(), &[id]);
    record(
        "part to unknown upload",
        put(&c, "upload_nope", b"x").await.unwrap_err(),
        &[],
    );
    let p1 = put(&c, id, b"abc").await.unwrap();
    let p2 = put(&c, id, b"def").await.unwrap();
    record(
        "complete with no parts",
        complete(&c, id, &[], None).await.unwrap_err(),
        &[id],
    );
    record(
        "unknown part",
        complete(&c, id, &["part_x".into(), p1.clone()], None)
            .await
            .unwrap_err(),
        &[id],
    );
    record(
        "repeated part",
        complete(&c, id, &[p1.clone(), p1.clone()], None)
            .await
            .unwrap_err(),
        &[id, &p1],
    );
    record(
        "bytes do not add up",
        complete(&c, id, std::slice::from_ref(&p1), None)
            .await
            .unwrap_err(),
        &[id],
    );
    record(
        "md5 mismatch",
        complete(&c, id, &[p1.clone(), p2.clone()], Some(md5_hex(b"defabc")))
            .await
            .unwrap_err(),
        &[id, &md5_hex(b"abcdef"), &md5_hex(b"defabc")],
    );
    complete(&c, id, &[p1.clone(), p2.clone()], Some(md5_hex(b"abcdef")))
        .await
        .unwrap();
    record(
        "complete twice",
        complete(&c, id, &[p1.clone(), p2.clone()], None)
            .await
            .unwrap_err(),
        &[id],
    );
    record(
        "cancel completed",
        c.cancel_upload()
            .upload_id(id)
            .send()
            .await
            .unwrap_err()
            .into(),
        &[id],
    );
    record(
        "part to completed",
        put(&c, id, b"x").await.unwrap_err(),
        &[id],
    );
    record(
        "cancel unknown",
        c.cancel_upload()
            .upload_id("upload_nope")
            .send()
            .await
            .unwrap_err()
            .into(),
        &[],
    );
    record(
        "unknown file",
        c.retrieve_file()
            .file_id("file-nope")
            .send()
            .await
            .unwrap_err()
            .into(),
        &[],
    );

    let http = common::http();
    let bad_json = http
        .post(format!("{}/uploads", server.base_url()))
        .bearer_auth("sk-local")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = bad_json.status();
    let text = bad_json.text().await.unwrap();
    lines
        .borrow_mut()
        .push(format!("bad json: {status} {text}"));
    let unknown = http
        .get(format!("{}/nothing", server.base_url()))
        .bearer_auth("sk-local")
        .send()
        .await
        .unwrap();
    let status = unknown.status();
    let text = unknown.text().await.unwrap();
    lines
        .borrow_mut()
        .push(format!("unknown url: {status} {text}"));
    insta::assert_snapshot!(lines.into_inner().join("\n"));
}

#[tokio::test]
async fn cancelled_and_expired_uploads_take_nothing_more() {
    let (_server, c) = start(ServerConfig::default()).await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    let cancelled = c
        .cancel_upload()
        .upload_id(&up.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status.to_string(), "cancelled");
    assert_eq!(
        put(&c, &up.id, b"abc").await.unwrap_err().status(),
        Some(400)
    );
    assert_eq!(
        complete(&c, &up.id, &[part], None)
            .await
            .unwrap_err()
            .status(),
        Some(400)
    );

    let (_server, c) = start(ServerConfig {
        upload_ttl: Duration::ZERO,
        ..ServerConfig::default()
    })
    .await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let err = put(&c, &up.id, b"abc").await.unwrap_err();
    assert!(err.to_string().contains("because it is expired"), "{err}");
}

#[tokio::test]
async fn state_survives_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    };
    let (server, c) = start(config.clone()).await;
    let up = create(&c, "a.txt", 6).await.unwrap();
    let p1 = put(&c, &up.id, b"abc").await.unwrap();
    server.shutdown().await;

    let (server, c) = start(config.clone()).await;
    let p2 = put(&c, &up.id, b"def").await.unwrap();
    let done = complete(&c, &up.id, &[p1, p2], Some(md5_hex(b"abcdef")))
        .await
        .unwrap();
    let file_id = done.file.unwrap().id;
    server.shutdown().await;

    let (_server, c) = start(config).await;
    assert_eq!(download(&c, &file_id).await, b"abcdef");
}

#[tokio::test]
async fn many_concurrent_parts_of_one_upload_never_mix() {
    let (server, c) = start(ServerConfig::default()).await;
    let chunks: Vec<Vec<u8>> = (0..64u32)
        .map(|i| (0..(500 + i * 37)).map(|j| (i * 31 + j) as u8).collect())
        .collect();
    let total: usize = chunks.iter().map(Vec::len).sum();
    let up = create(&c, "a.txt", total as i64).await.unwrap();
    let ids = futures::future::try_join_all(chunks.iter().map(|ch| put(&c, &up.id, ch)))
        .await
        .unwrap();
    let whole: Vec<u8> = chunks.concat();
    let done = complete(&c, &up.id, &ids, Some(md5_hex(&whole)))
        .await
        .unwrap();
    assert_eq!(download(&c, &done.file.unwrap().id).await, whole);
    assert_eq!(server.stats().parts_stored, 64);
}

#[tokio::test]
async fn the_counters_count_what_they_name() {
    let (server, c) = start(ServerConfig::default()).await;
    // Creates and cancels are not part requests.
    let first = create(&c, "a.txt", 3).await.unwrap();
    assert_eq!(
        first.expires_at - first.created_at,
        3600,
        "pending for an hour"
    );
    c.cancel_upload().upload_id(&first.id).send().await.unwrap();
    let stats = server.stats();
    assert_eq!(
        (stats.part_requests, stats.max_parts_in_flight),
        (0, 0),
        "{stats:?}"
    );
    assert_eq!((stats.uploads_created, stats.uploads_cancelled), (1, 1));
    let second = create(&c, "b.txt", 3).await.unwrap();
    let part = put(&c, &second.id, b"abc").await.unwrap();
    complete(&c, &second.id, &[part], None).await.unwrap();
    let stats = server.stats();
    assert_eq!(stats.part_requests, 1);
    assert_eq!(stats.parts_stored, 1);
    assert_eq!(stats.part_bytes_stored, 3);
    assert_eq!((stats.parts_in_flight, stats.max_parts_in_flight), (0, 1));
    assert_eq!(stats.uploads_completed, 1);
}

#[tokio::test]
async fn a_lost_complete_response_still_completes_the_upload() {
    let (server, c) = start(ServerConfig {
        faults: Faults {
            lose_complete_responses: 1,
            ..Faults::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    let err = complete(&c, &up.id, std::slice::from_ref(&part), None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    let stats = server.stats();
    assert_eq!((stats.uploads_completed, stats.faults_injected), (1, 1));
    // The File is there, with the bytes; a second upload's response is not lost.
    let files = c.list_files().send().await.unwrap().into_inner();
    assert_eq!(files.data.len(), 1);
    assert_eq!(download(&c, &files.data[0].id).await, b"abc");
    let again = create(&c, "b.txt", 3).await.unwrap();
    let part = put(&c, &again.id, b"def").await.unwrap();
    assert!(complete(&c, &again.id, &[part], None).await.is_ok());
}

async fn faulty(faults: Faults) -> (Server, Client, String) {
    let (server, c) = start(ServerConfig {
        faults,
        ..ServerConfig::default()
    })
    .await;
    let up = create(&c, "a.txt", 1 << 20).await.unwrap();
    (server, c, up.id)
}

#[tokio::test]
async fn fault_error_rate_answers_the_chosen_status() {
    let (server, c, id) = faulty(Faults {
        error_rate: 1.0,
        error_status: 502,
        ..Faults::default()
    })
    .await;
    let err = put(&c, &id, b"abc").await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(server.stats().faults_injected, 1);
    assert_eq!(server.stats().parts_stored, 0);
}

#[tokio::test]
async fn fault_rate_limit_answers_429_with_retry_after() {
    let (server, _c, id) = faulty(Faults {
        rate_limit_rate: 1.0,
        retry_after: Duration::from_secs(2),
        ..Faults::default()
    })
    .await;
    let form = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(b"abc".to_vec()).file_name("data"),
    );
    let resp = common::http()
        .post(format!("{}/uploads/{id}/parts", server.base_url()))
        .bearer_auth("k")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(resp.headers()["retry-after-ms"], "2000");
}

#[tokio::test]
async fn fault_reset_drops_the_connection_mid_body() {
    let (server, c, id) = faulty(Faults {
        reset_rate: 1.0,
        ..Faults::default()
    })
    .await;
    let err = put(&c, &id, &vec![7u8; 256 * 1024]).await.unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert_eq!(server.stats().parts_stored, 0);
}

#[tokio::test]
async fn fault_delay_and_latency_slow_responses() {
    let (_server, c, id) = faulty(Faults {
        delay_rate: 1.0,
        delay: Duration::from_millis(400),
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    put(&c, &id, b"abc").await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );

    let (_server, c, id) = faulty(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    c.cancel_upload().upload_id(&id).send().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn fault_link_bandwidth_caps_all_connections_together() {
    let (_server, c, id) = faulty(Faults {
        link_bandwidth: Some(256 * 1024),
        ..Faults::default()
    })
    .await;
    // Two parts at once share the link: 256 KiB in all at 256 KiB/s, not twice as fast.
    let t = Instant::now();
    let part = vec![1u8; 128 * 1024];
    let (a, b) = tokio::join!(put(&c, &id, &part), put(&c, &id, &part));
    a.unwrap();
    b.unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "2 x 128 KiB over a 256 KiB/s link took {took:?}"
    );
}

#[tokio::test]
async fn fault_bandwidth_caps_each_connection() {
    let (_server, c, id) = faulty(Faults {
        bandwidth: Some(256 * 1024),
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    put(&c, &id, &vec![1u8; 256 * 1024]).await.unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(800),
        "256 KiB at 256 KiB/s took {took:?}"
    );
}
#[tokio::test]
async fn the_part_and_upload_limits_are_inclusive() {
    let (server, c) = start(small_limits()).await;
    // A part of exactly the limit is stored; one byte more is 413.
    let up = create(&c, "a.txt", 2048).await.unwrap();
    put(&c, &up.id, &[1u8; 1024]).await.unwrap();
    let err = put(&c, &up.id, &[1u8; 1025]).await.unwrap_err();
    assert_eq!(err.status(), Some(413), "{err}");
    // An upload of exactly the limit is created; one byte more is refused.
    create(&c, "b.txt", 8 * 1024).await.unwrap();
    assert_eq!(
        create(&c, "c.txt", 8 * 1024 + 1)
            .await
            .unwrap_err()
            .status(),
        Some(400)
    );
    // A filename of 255 bytes is taken; 256 are not.
    create(&c, &format!("{}.txt", "n".repeat(251)), 10)
        .await
        .unwrap();
    let long = create(&c, &format!("{}.txt", "n".repeat(252)), 10).await;
    assert_eq!(long.unwrap_err().status(), Some(400));
    // Parts adding up to exactly the upload limit are stored; one part more is refused.
    let full = create(&c, "d.txt", 8 * 1024).await.unwrap();
    for _ in 0..8 {
        put(&c, &full.id, &[2u8; 1024]).await.unwrap();
    }
    let err = put(&c, &full.id, &[2u8; 1]).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.to_string().contains("8193 bytes"), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn listed_files_carry_the_null_fields_of_the_live_service() {
    let (server, c) = start(ServerConfig::default()).await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    complete(&c, &up.id, &[part], None).await.unwrap();
    let list = common::get_json(&common::http(), &server.base_url(), "/files", "sk-local").await;
    let file = list["data"][0].as_object().unwrap();
    assert_eq!(file.get("status_details"), Some(&serde_json::Value::Null));
    // A pending Upload says "file": null, as the live service's do.
    let body = serde_json::json!({
        "filename": "b.txt", "purpose": "assistants", "bytes": 3, "mime_type": "text/plain"
    });
    let created = common::post_json(
        &common::http(),
        &server.base_url(),
        "/uploads",
        "sk-local",
        &body,
    )
    .await;
    assert_eq!(
        created.as_object().unwrap().get("file"),
        Some(&serde_json::Value::Null),
        "{created}"
    );
}

#[tokio::test]
async fn a_complete_that_finds_a_part_missing_from_storage_is_a_5xx_and_makes_no_file() {
    // A pending upload whose part storage lost (a cancel racing the complete marks the upload
    // cancelled before it removes parts, and is a 4xx: see the hardening tests).
    let (_server, c, dir) = start_on_disk().await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    std::fs::remove_file(dir.path().join("parts").join(&part)).unwrap();
    let err = complete(&c, &up.id, &[part], Some(md5_hex(b"abc")))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert!(
        err.to_string()
            .contains("missing from the server's storage"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(dir.path().join("files"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn the_periodic_sweep_removes_the_parts_of_an_expired_upload() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start(ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        upload_ttl: Duration::from_secs(1),
        sweep_interval: Duration::from_millis(50),
        ..ServerConfig::default()
    })
    .await;
    let up = create(&c, "a.txt", 6).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    let path = dir.path().join("parts").join(&part);
    assert!(path.exists());
    // Nobody asks about the upload again: the sweep alone finds it expired.
    let t = Instant::now();
    while path.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the part of an expired upload is still on disk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_file_whose_content_is_already_gone_still_deletes() {
    let (_server, c, dir) = start_on_disk().await;
    let up = create(&c, "a.txt", 3).await.unwrap();
    let part = put(&c, &up.id, b"abc").await.unwrap();
    let file = complete(&c, &up.id, std::slice::from_ref(&part), None)
        .await
        .unwrap()
        .file
        .unwrap();
    // Its content removed behind the server's back (a crash during an earlier delete).
    std::fs::remove_file(dir.path().join("parts").join(&part)).unwrap();
    let deleted = c.delete_file().file_id(&file.id).send().await.unwrap();
    assert!(deleted.into_inner().deleted);
    let err = c
        .retrieve_file()
        .file_id(&file.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(err).status(), Some(404));
}

#[tokio::test]
async fn shutdown_and_drop_stop_accepting() {
    let server = Server::start(ServerConfig::default()).await.unwrap();
    let addr = server.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    server.shutdown().await;
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after shutdown"
    );

    let server = Server::start(ServerConfig::default()).await.unwrap();
    let addr = server.addr();
    drop(server);
    // Dropping stops the accept loop; the listener closes once the loop has seen it.
    let t = Instant::now();
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "still listening after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
