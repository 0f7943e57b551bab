//! What an adversarial client (or a careless one) must not break: bounded JSON bodies and
//! filenames, one part per request, errors always in the envelope, a complete that a dropped
//! connection cannot cut in half, and a data directory that heals at start-up.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{get_json, http, post_json, post_part};
use serde_json::{Value, json};
use uploads_server::{Server, ServerConfig};

const KEY: &str = "sk-local";

async fn create(h: &reqwest::Client, url: &str, name: &str, bytes: usize) -> String {
    let body = json!({"filename": name, "purpose": "assistants", "bytes": bytes, "mime_type": "text/plain"});
    post_json(h, url, "/uploads", KEY, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn part(h: &reqwest::Client, url: &str, upload: &str, data: &[u8]) -> String {
    post_part(h, url, KEY, upload, data).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()["content-type"],
        "application/json",
        "{status}"
    );
    (status, resp.json::<Value>().await.unwrap()["error"].clone())
}

#[tokio::test]
async fn a_json_body_of_exactly_the_limit_is_taken_and_one_byte_more_is_not_declared_or_chunked() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    let url = s.base_url();
    let h = http();
    const LIMIT: usize = 1024 * 1024;
    let body = |len: usize| -> Vec<u8> {
        let mut b = json!({"filename": "a.txt", "purpose": "assistants", "bytes": 1, "mime_type": "text/plain"})
            .to_string()
            .into_bytes();
        b.resize(len, b' ');
        b
    };
    for (len, want) in [(LIMIT, 200), (LIMIT + 1, 413)] {
        let declared = h
            .post(format!("{url}/uploads"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body(len))
            .send()
            .await
            .unwrap();
        assert_eq!(declared.status().as_u16(), want, "{len} bytes, declared");
        // Chunked, without a length: counted as it arrives.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body(len)
            .chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        let chunked = h
            .post(format!("{url}/uploads"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .unwrap();
        assert_eq!(chunked.status().as_u16(), want, "{len} bytes, chunked");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn json_bodies_and_filenames_are_bounded_and_parts_still_stream() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    let url = s.base_url();
    let h = http();
    // A 2 MiB JSON body: 413 in the envelope, without buffering it all.
    let big = json!({"filename": "a.txt", "purpose": "assistants", "bytes": 1, "mime_type": "text/plain", "pad": "x".repeat(2 << 20)});
    let (status, err) = error_of(
        h.post(format!("{url}/uploads"))
            .bearer_auth(KEY)
            .json(&big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{err}");
    for name in [
        "a\\u{7}b.txt".replace("\\u{7}", "\u{7}"),
        format!("{}.txt", "n".repeat(300)),
    ] {
        let body = json!({"filename": name, "purpose": "assistants", "bytes": 1, "mime_type": "text/plain"});
        let (status, err) = error_of(
            h.post(format!("{url}/uploads"))
                .bearer_auth(KEY)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, err["param"].as_str()),
            (400, Some("filename")),
            "{err}"
        );
    }
    // Parts are not JSON: a 3 MiB part goes through.
    let data = vec![7u8; 3 << 20];
    let up = create(&h, &url, "big.txt", data.len()).await;
    assert!(part(&h, &url, &up, &data).await.starts_with("part_"));
    s.shutdown().await;
}

#[tokio::test]
async fn two_data_fields_are_refused_and_nothing_is_kept() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    let url = s.base_url();
    let h = http();
    let up = create(&h, &url, "a.txt", 6).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "data",
            reqwest::multipart::Part::bytes(b"abc".to_vec()).file_name("data"),
        )
        .part(
            "data",
            reqwest::multipart::Part::bytes(b"def".to_vec()).file_name("data"),
        );
    let resp = h
        .post(format!("{url}/uploads/{up}/parts"))
        .bearer_auth(KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, err) = error_of(resp).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("more than one 'data' field"),
        "{err}"
    );
    assert_eq!(s.stats().parts_stored, 0);
    assert_eq!(
        std::fs::read_dir(s.data_dir().join("parts"))
            .unwrap()
            .count(),
        0
    );
    s.shutdown().await;
}

#[tokio::test]
async fn errors_the_framework_answers_come_in_the_envelope() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    // A path that is not UTF-8 once decoded.
    let resp = http()
        .get(format!("{}/files/%FF%FE", s.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let (status, err) = error_of(resp).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["type"], "invalid_request_error");
    s.shutdown().await;
}

#[tokio::test]
async fn a_complete_after_a_cancel_is_a_4xx_that_says_cancelled() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    let url = s.base_url();
    let h = http();
    let up = create(&h, &url, "a.txt", 3).await;
    let p = part(&h, &url, &up, b"abc").await;
    h.post(format!("{url}/uploads/{up}/cancel"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let md5 = uploads_client::checksum::md5_hex(b"abc");
    let resp = h
        .post(format!("{url}/uploads/{up}/complete"))
        .bearer_auth(KEY)
        .json(&json!({"part_ids": [p], "md5": md5}))
        .send()
        .await
        .unwrap();
    let (status, err) = error_of(resp).await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("cancelled"),
        "{err}"
    );
    s.shutdown().await;
}

/// Sends a complete over a bare socket and drops the connection after `after`.
fn complete_and_drop(addr: std::net::SocketAddr, upload: &str, part: &str, after: Duration) {
    let body = json!({"part_ids": [part]}).to_string();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    write!(
        sock,
        "POST /v1/uploads/{upload}/complete HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(after);
    drop(sock);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_complete_never_leaves_a_half_completed_upload_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    };
    let s = Server::start(config.clone()).await.unwrap();
    let (url, addr) = (s.base_url(), s.addr());
    let h = http();
    let mut uploads = Vec::new();
    for i in 0..30u64 {
        let data = format!("upload {i}").into_bytes();
        let up = create(&h, &url, &format!("f{i}.txt"), data.len()).await;
        let p = part(&h, &url, &up, &data).await;
        let (u, pp) = (up.clone(), p.clone());
        // Dropped 0 to 5.8 ms after the request went out.
        tokio::task::spawn_blocking(move || {
            complete_and_drop(addr, &u, &pp, Duration::from_micros(i * 200))
        })
        .await
        .unwrap();
        uploads.push((up, p, data));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.shutdown().await;

    // After a restart: every upload is either still pending (the complete did not start) or
    // completed with a File that downloads byte for byte; no File lacks its upload.
    let s = Server::start(config).await.unwrap();
    let url = s.base_url();
    let files = get_json(&h, &url, "/files", KEY).await;
    let files = files["data"].as_array().unwrap().clone();
    let mut completed = 0;
    for (up, p, data) in &uploads {
        let resp = h
            .post(format!("{url}/uploads/{up}/complete"))
            .bearer_auth(KEY)
            .json(&json!({"part_ids": [p]}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        let file_id = if status == 200 {
            body["file"]["id"].as_str().unwrap().to_owned()
        } else {
            // Completed by the dropped request: its File must exist.
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("completed"),
                "{body}"
            );
            completed += 1;
            let name = format!("f{}.txt", uploads.iter().position(|u| &u.0 == up).unwrap());
            files
                .iter()
                .find(|f| f["filename"] == name.as_str())
                .unwrap_or_else(|| panic!("{up} completed without its File"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let bytes = h
            .get(format!("{url}/files/{file_id}/content"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&bytes[..], &data[..], "{up}");
    }
    assert_eq!(files.len(), completed, "no File without a completed upload");
    s.shutdown().await;
}

#[tokio::test]
async fn start_up_sweeps_temporary_files_sets_corrupt_records_aside_and_finishes_a_cut_complete() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    };
    let s = Server::start(config.clone()).await.unwrap();
    let url = s.base_url();
    let h = http();
    let up = create(&h, &url, "a.txt", 3).await;
    let p = part(&h, &url, &up, b"abc").await;
    let done: Value = h
        .post(format!("{url}/uploads/{up}/complete"))
        .bearer_auth(KEY)
        .json(&json!({"part_ids": [p]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file_id = done["file"]["id"].as_str().unwrap().to_owned();
    s.shutdown().await;

    // A crash between the File's write and the upload's: the upload record says pending.
    let record = dir.path().join("uploads").join(format!("{up}.json"));
    let mut rec: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    rec["status"] = json!("pending");
    rec["file_id"] = Value::Null;
    std::fs::write(&record, serde_json::to_vec(&rec).unwrap()).unwrap();
    // A part cut short, and a record that does not parse.
    std::fs::write(dir.path().join("tmp/part_cut"), vec![0u8; 4096]).unwrap();
    std::fs::write(dir.path().join("uploads/upload_broken.json"), b"{not json").unwrap();

    let s = Server::start(config).await.unwrap();
    let url = s.base_url();
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "tmp swept"
    );
    assert!(
        dir.path()
            .join("uploads/upload_broken.json.corrupt")
            .exists()
    );
    let resp = h
        .post(format!("{url}/uploads/{up}/complete"))
        .bearer_auth(KEY)
        .json(&json!({"part_ids": [p]}))
        .send()
        .await
        .unwrap();
    let (status, err) = error_of(resp).await;
    assert_eq!(status, 400);
    assert!(
        err["message"].as_str().unwrap().contains("completed"),
        "{err}"
    );
    let mut content = Vec::new();
    h.get(format!("{url}/files/{file_id}/content"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .as_ref()
        .read_to_end(&mut content)
        .unwrap();
    assert_eq!(content, b"abc");
    s.shutdown().await;
}

#[tokio::test]
async fn the_counters_need_the_key_when_one_is_set() {
    let s = Server::start(ServerConfig {
        api_key: Some("sk-the-one-key-1234".into()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let stats = format!("http://{}/_admin/stats", s.addr());
    let h = http();
    assert_eq!(h.get(&stats).send().await.unwrap().status(), 401);
    assert_eq!(
        h.get(&stats)
            .bearer_auth("sk-wrong-key-00000000")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        h.get(&stats)
            .bearer_auth("sk-the-one-key-1234")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_list_and_delete_loop_pages_through_every_file() {
    let s = Server::start(ServerConfig::default()).await.unwrap();
    let url = s.base_url();
    let h = http();
    let mut made = Vec::new();
    for i in 0..7 {
        let up = create(&h, &url, &format!("f{i}.txt"), 1).await;
        let p = part(&h, &url, &up, b"x").await;
        let done = post_json(
            &h,
            &url,
            &format!("/uploads/{up}/complete"),
            KEY,
            &json!({"part_ids": [p]}),
        )
        .await;
        made.push(done["file"]["id"].as_str().unwrap().to_owned());
    }
    // Oldest first, page by page: the newest-first list backwards, each File once.
    let ids_of = |page: &serde_json::Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut newest_first = ids_of(&get_json(&h, &url, "/files?limit=100", KEY).await);
    assert_eq!(newest_first.len(), 7);
    newest_first.reverse();
    let mut ascending = ids_of(&get_json(&h, &url, "/files?limit=3&order=asc", KEY).await);
    while ascending.len() < 7 {
        let last = ascending.last().unwrap().clone();
        let page = ids_of(
            &get_json(
                &h,
                &url,
                &format!("/files?limit=3&order=asc&after={last}"),
                KEY,
            )
            .await,
        );
        assert!(!page.is_empty(), "stuck after {last}: {ascending:?}");
        ascending.extend(page);
    }
    assert_eq!(ascending, newest_first);

    // Each page's Files are deleted before the next page is asked for, after the last of them.
    for order in ["desc", "asc"] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let query = match &after {
                Some(a) => format!("/files?limit=2&order={order}&after={a}"),
                None => format!("/files?limit=2&order={order}"),
            };
            let page = get_json(&h, &url, &query, KEY).await;
            let ids: Vec<String> = page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect();
            if order == "desc" {
                for id in &ids {
                    let resp = h
                        .delete(format!("{url}/files/{id}"))
                        .bearer_auth(KEY)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                }
            }
            seen.extend(ids.iter().cloned());
            if page["has_more"] != true {
                break;
            }
            after = ids.last().cloned();
        }
        let mut expected = made.clone();
        if order == "desc" {
            expected.sort();
            seen.sort();
            assert_eq!(
                seen, expected,
                "every File was on a page before it was deleted"
            );
        } else {
            assert!(seen.is_empty(), "all deleted: {seen:?}");
        }
    }
    // A cursor naming no File ever known: an empty page.
    let page = get_json(&h, &url, "/files?after=file-unknown", KEY).await;
    assert_eq!(page["data"], json!([]));
    s.shutdown().await;
}

#[tokio::test]
async fn no_part_outlives_its_upload_and_start_up_removes_what_no_record_owns() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..ServerConfig::default()
    };
    let parts_on_disk = || std::fs::read_dir(dir.path().join("parts")).unwrap().count();
    let logs_on_disk = || {
        std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".parts.jsonl")
            })
            .count()
    };
    let s = Server::start(config.clone()).await.unwrap();
    let url = s.base_url();
    let h = http();
    // Three parts stored, two listed in complete: the third goes, and so does the part log.
    let up = create(&h, &url, "a.txt", 6).await;
    let a = part(&h, &url, &up, b"abc").await;
    let b = part(&h, &url, &up, b"def").await;
    let _spare = part(&h, &url, &up, b"xyz").await;
    let done = post_json(
        &h,
        &url,
        &format!("/uploads/{up}/complete"),
        KEY,
        &json!({"part_ids": [a, b]}),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    // A cancelled upload's parts go too.
    let gone = create(&h, &url, "b.txt", 6).await;
    part(&h, &url, &gone, b"abc").await;
    h.post(format!("{url}/uploads/{gone}/cancel"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while (parts_on_disk() != 2 || logs_on_disk() != 0) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(parts_on_disk(), 2, "only the File's parts are left");
    assert_eq!(logs_on_disk(), 0);
    s.shutdown().await;
    // What a kill leaves: a part file nothing logged. Start-up removes it; the File is whole.
    std::fs::write(dir.path().join("parts").join("part_orphan"), b"stray").unwrap();
    let s = Server::start(config).await.unwrap();
    assert_eq!(parts_on_disk(), 2);
    let file = done["file"]["id"].as_str().unwrap();
    let got = h
        .get(format!("{}/files/{file}/content", s.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], b"abcdef");
    s.shutdown().await;
}

#[test]
fn an_expect_continue_json_body_over_the_limit_gets_its_413_at_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(Server::start(ServerConfig::default())).unwrap();
    let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        conn,
        "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 512];
    let n = conn.read(&mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(!head.contains("100 Continue"), "{head}");
    rt.block_on(s.shutdown());
}

#[test]
fn http2_is_not_served_so_its_streams_cannot_pass_the_connection_limits() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(Server::start(ServerConfig::default())).unwrap();
    let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The h2c prior-knowledge preface, then an empty SETTINGS frame.
    conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .unwrap();
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    // An HTTP/2 server answers with its own SETTINGS frame (binary, type 4 at byte 3).
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 "),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    rt.block_on(s.shutdown());
}

#[test]
fn errors_hyper_answers_on_its_own_come_in_the_envelope_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(Server::start(ServerConfig::default())).unwrap();
    let ask = |request: Vec<u8>| -> (u16, String) {
        let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(&request).unwrap();
        let mut answer = Vec::new();
        let _ = conn.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    };
    let long_uri = format!(
        "GET /v1/files/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let many_headers = format!(
        "GET /v1/files HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..120)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: [(&str, Vec<u8>, u16); 4] = [
        ("a bad request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        (
            "a bad header name",
            b"GET /v1/files HTTP/1.1\r\nBad Header: x\r\n\r\n".to_vec(),
            400,
        ),
        ("a URI over 64 KB", long_uri.into_bytes(), 414),
        ("more than 100 headers", many_headers.into_bytes(), 431),
    ];
    for (what, request, want) in cases {
        let (status, text) = ask(request);
        assert_eq!(status, want, "{what}: {text}");
        assert!(
            text.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{what}: {text}"
        );
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        let json: Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
        assert_eq!(json["error"]["type"], "invalid_request_error", "{what}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("The request was refused"),
            "{what}"
        );
    }
    rt.block_on(s.shutdown());
}

#[test]
fn a_json_body_or_multipart_preamble_that_stops_arriving_is_a_408() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = ServerConfig {
        connections: uploads_server::ConnectionLimits {
            body_stall_timeout: Duration::from_millis(400),
            ..Default::default()
        },
        ..ServerConfig::default()
    };
    let s = rt.block_on(Server::start(config)).unwrap();
    let upload = rt.block_on(async { create(&http(), &s.base_url(), "a.txt", 3).await });
    let stalled = |head: String, body_start: &[u8]| -> String {
        let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn.write_all(head.as_bytes()).unwrap();
        conn.write_all(body_start).unwrap();
        let started = std::time::Instant::now();
        let mut answer = [0u8; 512];
        let n = conn.read(&mut answer).unwrap_or(0);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered after the deadline"
        );
        String::from_utf8_lossy(&answer[..n]).into_owned()
    };
    // A JSON body that says 100 bytes and sends 10.
    let json = stalled(
        format!(
            "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        ),
        b"{\"filenam",
    );
    assert!(json.starts_with("HTTP/1.1 408"), "{json}");
    assert!(json.contains("application/json"), "{json}");
    // A multipart body that stops in its preamble, before any field.
    let multipart = stalled(
        format!(
            "POST /v1/uploads/{upload}/parts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 1000\r\n\r\n"
        ),
        b"--XYZ\r\nContent-Disposition: form-da",
    );
    assert!(multipart.starts_with("HTTP/1.1 408"), "{multipart}");
    rt.block_on(s.shutdown());
}

#[test]
fn a_download_the_client_never_reads_is_closed_after_the_deadline() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = ServerConfig {
        connections: uploads_server::ConnectionLimits {
            body_stall_timeout: Duration::from_millis(400),
            ..Default::default()
        },
        ..ServerConfig::default()
    };
    let s = rt.block_on(Server::start(config)).unwrap();
    let size = 48 << 20;
    let file = rt.block_on(async {
        let (h, url) = (http(), s.base_url());
        let up = create(&h, &url, "big.txt", size).await;
        let p = part(&h, &url, &up, &vec![b'x'; size]).await;
        post_json(
            &h,
            &url,
            &format!("/uploads/{up}/complete"),
            KEY,
            &json!({"part_ids": [p]}),
        )
        .await["file"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let mut conn = std::net::TcpStream::connect(s.addr()).unwrap();
    write!(
        conn,
        "GET /v1/files/{file}/content HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n"
    )
    .unwrap();
    // Read nothing for well past the deadline: the server gives up and closes.
    std::thread::sleep(Duration::from_secs(2));
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let ended = conn.read_to_end(&mut got);
    assert!(
        ended.is_ok(),
        "the connection was closed, not held: {ended:?}"
    );
    assert!(
        got.len() < size,
        "closed before the whole file went: {} bytes",
        got.len()
    );
    rt.block_on(s.shutdown());
}
