//! The engine through the real client against httpmock: exact requests on the wire.

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use serde_json::json;
use uploads_client::ClientConfig;
use uploads_ext::{Disposition, Purpose, RetryPolicy, StopCause, UploadError, Uploader};

use uploads_client::checksum::md5_hex;

async fn mock_create(server: &MockServer, bytes: usize) {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads").json_body(json!({
                "filename": "abc.txt", "purpose": "assistants", "bytes": bytes, "mime_type": "text/plain"
            }));
            then.status(200).json_body(json!({
                "id": "upload_1", "object": "upload", "bytes": bytes, "created_at": 1, "expires_at": 4102444800u64,
                "filename": "abc.txt", "purpose": "assistants", "status": "pending"
            }));
        })
        .await;
}

fn uploader(server: &MockServer, dir: &std::path::Path) -> Uploader {
    let client = ClientConfig::default()
        .api_key("sk-test")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    Uploader::new(client)
        .min_part_size(1)
        .journal_dir(Some(dir.join("journals")))
        .retry_policy(
            RetryPolicy::with_attempts(2)
                .delays(Duration::from_millis(1), RetryPolicy::default().max_delay),
        )
}

#[tokio::test]
async fn complete_lists_the_part_ids_in_file_order_with_the_md5() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let data = [b"A".repeat(100), b"B".repeat(100), b"C".repeat(50)].concat();
    std::fs::write(dir.path().join("abc.txt"), &data).unwrap();
    mock_create(&server, data.len()).await;
    let mut part_mocks = Vec::new();
    for (letter, n) in [("A", 100), ("B", 100), ("C", 50)] {
        let m = server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/uploads/upload_1/parts").body_includes(format!("\r\n\r\n{}\r\n", letter.repeat(n)));
                then.status(200).json_body(json!({
                    "id": format!("part_{letter}"), "object": "upload.part", "created_at": 1, "upload_id": "upload_1"
                }));
            })
            .await;
        part_mocks.push(m);
    }
    let complete = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/complete").json_body(json!({
                "part_ids": ["part_A", "part_B", "part_C"], "md5": md5_hex(&data)
            }));
            then.status(200).json_body(json!({
                "id": "upload_1", "object": "upload", "bytes": 250, "created_at": 1, "expires_at": 2,
                "filename": "abc.txt", "purpose": "assistants", "status": "completed",
                "file": {"id": "file-1", "object": "file", "bytes": 250, "created_at": 1, "filename": "abc.txt", "purpose": "assistants"}
            }));
        })
        .await;
    let done = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .part_size(100)
        .send()
        .await
        .unwrap();
    assert_eq!(done.file.id, "file-1");
    for m in &part_mocks {
        m.assert_async().await;
    }
    complete.assert_async().await;
}

#[tokio::test]
async fn retry_after_is_waited_before_the_next_attempt() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("abc.txt"), b"hello").unwrap();
    mock_create(&server, 5).await;
    let parts = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/parts");
            then.status(429).header("retry-after", "1").json_body(json!({
                "error": {"message": "slow down", "type": "requests", "param": null, "code": "rate_limit_exceeded"}
            }));
        })
        .await;
    let t = Instant::now();
    let err = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .send()
        .await
        .unwrap_err();
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(parts.calls_async().await, 2);
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                cause: StopCause::RetriesExhausted { attempts: 2, .. },
                disposition: Disposition::Resumable { .. }
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_part_cancels_the_upload_on_the_server() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("abc.txt"), b"hello").unwrap();
    mock_create(&server, 5).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/parts");
            then.status(400).json_body(json!({
                "error": {"message": "bad part", "type": "invalid_request_error", "param": "data", "code": null}
            }));
        })
        .await;
    let cancel = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/cancel");
            then.status(200).json_body(json!({
                "id": "upload_1", "object": "upload", "bytes": 5, "created_at": 1, "expires_at": 2,
                "filename": "abc.txt", "purpose": "assistants", "status": "cancelled"
            }));
        })
        .await;
    let err = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .send()
        .await
        .unwrap_err();
    cancel.assert_async().await;
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                disposition: Disposition::Cancelled { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_500_then_success_is_retried() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("abc.txt"), b"hello").unwrap();
    mock_create(&server, 5).await;
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first = seen.clone();
    // The first part request gets a 500; the matcher counts requests, so later ones fall through.
    let failing = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_1/parts")
                .is_true(move |_| first.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0);
            then.status(500).json_body(json!({
                "error": {"message": "boom", "type": "server_error", "param": null, "code": null}
            }));
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_1/parts")
                .body_includes("hello");
            then.status(200).json_body(json!({
                "id": "part_1", "object": "upload.part", "created_at": 1, "upload_id": "upload_1"
            }));
        })
        .await;
    let complete = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_1/complete")
                .json_body(json!({"part_ids": ["part_1"], "md5": md5_hex(b"hello")}));
            then.status(200).json_body(json!({
                "id": "upload_1", "object": "upload", "bytes": 5, "created_at": 1, "expires_at": 2,
                "filename": "abc.txt", "purpose": "assistants", "status": "completed",
                "file": {"id": "file-1", "object": "file", "bytes": 5, "created_at": 1, "filename": "abc.txt", "purpose": "assistants"}
            }));
        })
        .await;
    let done = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .send()
        .await
        .unwrap();
    assert_eq!(done.file.id, "file-1");
    assert_eq!(failing.calls_async().await, 1);
    assert_eq!(ok.calls_async().await, 1);
    complete.assert_async().await;
}

#[test]
fn the_clients_endpoint_is_its_base_url() {
    use uploads_ext::UploadApi;
    let client = ClientConfig::default()
        .api_key("sk-test")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap();
    // Journals are keyed by it: two endpoints never share a journal.
    assert_eq!(client.endpoint(), "http://127.0.0.1:9/v1");
}

#[tokio::test]
async fn an_uploader_shows_where_it_sends_and_never_its_key() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    let shown = format!("{:?}", uploader(&server, dir.path()));
    assert!(shown.starts_with("Uploader {"), "{shown}");
    assert!(shown.contains(&server.url("/v1")), "{shown}");
    assert!(shown.contains("journals"), "{shown}");
    assert!(!shown.contains("sk-test"), "{shown}");
    let shown = format!(
        "{:?}",
        uploader(&server, dir.path())
            .file(dir.path().join("abc.txt"), Purpose::Batch)
            .part_size(4096)
    );
    assert!(shown.starts_with("UploadBuilder {"), "{shown}");
    for part in ["abc.txt", "Batch", "4096"] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
    assert!(!shown.contains("sk-test"), "{shown}");
    std::fs::write(dir.path().join("abc.txt"), vec![b'x'; 10_000]).unwrap();
    let prepared = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .part_size(4096)
        .prepare()
        .await
        .unwrap();
    let shown = format!("{prepared:?}");
    assert!(shown.starts_with("PreparedUpload {"), "{shown}");
    for part in ["abc.txt", "size: 10000", "part_count: 3", "text/plain"] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
    assert!(!shown.contains("sk-test"), "{shown}");
}

#[tokio::test]
async fn a_completed_upload_whose_answer_names_no_file_finds_it_in_the_files_list() {
    let server = MockServer::start_async().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("abc.txt"), b"hello").unwrap();
    mock_create(&server, 5).await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/parts");
            then.status(200).json_body(json!({
                "id": "part_1", "object": "upload.part", "created_at": 1, "upload_id": "upload_1"
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_1/complete");
            then.status(200).json_body(json!({
                "id": "upload_1", "object": "upload", "bytes": 5, "created_at": 1, "expires_at": 2,
                "filename": "abc.txt", "purpose": "assistants", "status": "completed"
            }));
        })
        .await;
    // Newest first, over two pages: a newer File of another name, then this upload's.
    let first_page = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/files")
                .query_param_missing("after");
            then.status(200).json_body(json!({
                "object": "list", "has_more": true, "first_id": "file-8", "last_id": "file-8",
                "data": [{"id": "file-8", "object": "file", "bytes": 5, "created_at": 4, "filename": "other.txt", "purpose": "assistants", "status": "processed"}]
            }));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/files")
                .query_param("after", "file-8");
            then.status(200).json_body(json!({
                "object": "list", "has_more": false, "first_id": "file-9", "last_id": "file-9",
                "data": [{"id": "file-9", "object": "file", "bytes": 5, "created_at": 3, "filename": "abc.txt", "purpose": "assistants", "status": "processed"}]
            }));
        })
        .await;
    let done = uploader(&server, dir.path())
        .file(dir.path().join("abc.txt"), Purpose::Assistants)
        .send()
        .await
        .unwrap();
    assert_eq!(done.file.id, "file-9");
    assert_eq!(first_page.calls_async().await, 1);
    assert_eq!(list.calls_async().await, 1);
}
