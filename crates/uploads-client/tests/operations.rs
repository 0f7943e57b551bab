//! Every operation against httpmock: method, path, headers, exact bodies, and decoding.

use httpmock::prelude::*;
use serde_json::json;
use uploads_client::{Client, ClientConfig, PartData, types};

fn client(server: &MockServer) -> Client {
    ClientConfig::default()
        .api_key("sk-test-123")
        .organization("org-1")
        .project("proj-1")
        .base_url(server.url("/v1"))
        .build()
        .unwrap()
}

fn upload_json(status: &str) -> serde_json::Value {
    json!({
        "id": "upload_abc123", "object": "upload", "bytes": 2147483648u64,
        "created_at": 1719184911, "filename": "training_examples.jsonl",
        "purpose": "fine-tune", "status": status, "expires_at": 1719127296
    })
}

#[tokio::test]
async fn create_upload_sends_the_exact_body_and_headers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads")
                .header("authorization", "Bearer sk-test-123")
                .header("openai-organization", "org-1")
                .header("openai-project", "proj-1")
                .header("content-type", "application/json")
                .header("user-agent", uploads_client::USER_AGENT)
                .header_missing("api-version")
                .json_body(json!({
                    "filename": "training_examples.jsonl",
                    "purpose": "fine-tune",
                    "bytes": 2147483648u64,
                    "mime_type": "text/jsonl",
                    "expires_after": {"anchor": "created_at", "seconds": 3600}
                }));
            then.status(200).json_body(upload_json("pending"));
        })
        .await;
    let upload = client(&server)
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("training_examples.jsonl")
                .purpose(types::KnownUploadPurpose::FineTune)
                .bytes(2147483648i64)
                .mime_type("text/jsonl")
                .expires_after(types::FileExpirationAfter {
                    anchor: types::FileExpirationAfterAnchor::CreatedAt,
                    seconds: 3600,
                }),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(upload.id, "upload_abc123");
    assert!(upload.status.is_pending());
}

#[tokio::test]
async fn a_newer_purpose_is_sent_as_given() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads").json_body(json!({
                "filename": "a.bin", "purpose": "some_future_purpose", "bytes": 1, "mime_type": "application/octet-stream"
            }));
            then.status(200).json_body(upload_json("pending"));
        })
        .await;
    client(&server)
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("a.bin")
                .purpose(
                    "some_future_purpose"
                        .parse::<types::UploadPurpose>()
                        .unwrap(),
                )
                .bytes(1)
                .mime_type("application/octet-stream"),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn complete_upload_sends_part_ids_in_order_and_md5() {
    let server = MockServer::start_async().await;
    let mut done = upload_json("completed");
    done["file"] = json!({
        "id": "file-xyz321", "object": "file", "bytes": 2147483648u64, "created_at": 1719186911,
        "filename": "training_examples.jsonl", "purpose": "fine-tune"
    });
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_abc123/complete")
                .json_body(json!({"part_ids": ["part_2", "part_1"], "md5": "d41d8cd98f00b204e9800998ecf8427e"}));
            then.status(200).json_body(done);
        })
        .await;
    let upload = client(&server)
        .complete_upload()
        .upload_id("upload_abc123")
        .body(
            types::CompleteUploadRequest::builder()
                .part_ids(vec!["part_2".to_string(), "part_1".to_string()])
                .md5("d41d8cd98f00b204e9800998ecf8427e".to_string()),
        )
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(upload.file.as_ref().unwrap().id, "file-xyz321");
    assert_eq!(upload.file.as_ref().unwrap().status, None);
    assert!(!upload.status.is_pending());
}

#[test]
fn a_known_purpose_starts_a_create_request() {
    let builder: types::builder::CreateUploadRequest = types::KnownUploadPurpose::Batch.into();
    let request = types::CreateUploadRequest::try_from(
        builder.filename("a.jsonl").bytes(1).mime_type("text/jsonl"),
    )
    .unwrap();
    assert_eq!(
        request.purpose.known(),
        Some(types::KnownUploadPurpose::Batch)
    );
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_fails_as_a_timeout() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_abc123/cancel");
            then.status(200)
                .delay(std::time::Duration::from_secs(5))
                .json_body(upload_json("cancelled"));
        })
        .await;
    let client = ClientConfig::default()
        .api_key("sk-test-123")
        .base_url(server.url("/v1"))
        .request_timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client
        .cancel_upload()
        .upload_id("upload_abc123")
        .send()
        .await
        .unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    let err = uploads_client::ApiError::from(err);
    assert!(err.is_timeout() && !err.is_unreachable(), "{err:?}");
}

#[tokio::test]
async fn cancel_upload_is_a_bodyless_post_with_content_length_zero() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_abc123/cancel")
                .header("content-length", "0")
                .header("authorization", "Bearer sk-test-123");
            then.status(200).json_body(upload_json("cancelled"));
        })
        .await;
    let upload = client(&server)
        .cancel_upload()
        .upload_id("upload_abc123")
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        upload.status,
        types::UploadStatus::KnownUploadStatus(types::KnownUploadStatus::Cancelled)
    );
}

#[tokio::test]
async fn add_upload_part_streams_a_multipart_data_field() {
    let server = MockServer::start_async().await;
    let payload: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let expected = payload.clone();
    let mock = server
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/v1/uploads/upload_abc123/parts")
                .header("authorization", "Bearer sk-test-123")
                .is_true(move |req| {
                    let headers = req.headers();
                    let ctype = headers["content-type"].to_str().unwrap().to_owned();
                    let Some(boundary) = ctype.strip_prefix("multipart/form-data; boundary=") else {
                        return false;
                    };
                    let mut want = format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .into_bytes();
                    want.extend_from_slice(&expected);
                    want.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                    let declared: usize = headers["content-length"].to_str().unwrap().parse().unwrap();
                    req.body_ref() == want.as_slice() && declared == want.len()
                });
            then.status(200).json_body(json!({
                "id": "part_def456", "object": "upload.part", "created_at": 1719185911, "upload_id": "upload_abc123"
            }));
        })
        .await;
    // A streamed body: the client must not need the bytes up front.
    let chunks: Vec<std::io::Result<bytes::Bytes>> = payload
        .chunks(8192)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let body = futures::stream::iter(chunks);
    let part = client(&server)
        .add_upload_part()
        .upload_id("upload_abc123")
        .data(PartData::streamed(body, payload.len() as u64))
        .send()
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(part.id, "part_def456");
    assert_eq!(part.upload_id, "upload_abc123");
}

#[tokio::test]
async fn file_operations_retrieve_delete_and_download() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/files/file-abc123");
            then.status(200).json_body(json!({
                "id": "file-abc123", "object": "file", "bytes": 5, "created_at": 1,
                "filename": "a.jsonl", "purpose": "fine-tune", "status": "processed"
            }));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/files/file-abc123");
            then.status(200)
                .json_body(json!({"id": "file-abc123", "object": "file", "deleted": true}));
        })
        .await;
    let content = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/files/file-abc123/content");
            then.status(200)
                .header("content-type", "application/octet-stream")
                .body([0u8, 1, 2, 255]);
        })
        .await;
    let c = client(&server);
    let file = c
        .retrieve_file()
        .file_id("file-abc123")
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes, 5);
    assert_eq!(
        file.status,
        Some(types::FileStatus::KnownFileStatus(
            types::KnownFileStatus::Processed
        ))
    );
    assert!(
        c.delete_file()
            .file_id("file-abc123")
            .send()
            .await
            .unwrap()
            .deleted
    );
    let stream = c
        .download_file()
        .file_id("file-abc123")
        .send()
        .await
        .unwrap()
        .into_inner();
    use futures::TryStreamExt;
    let bytes: Vec<u8> = stream
        .into_inner()
        .try_fold(Vec::new(), |mut acc, chunk| async move {
            acc.extend_from_slice(&chunk);
            Ok(acc)
        })
        .await
        .unwrap();
    assert_eq!(bytes, vec![0, 1, 2, 255]);
    get.assert_async().await;
    delete.assert_async().await;
    content.assert_async().await;
}

#[tokio::test]
async fn a_refused_part_is_an_error_response_with_the_envelope() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/uploads/upload_abc123/parts");
            then.status(400).json_body(json!({"error": {
                "message": "Upload upload_abc123 is not pending", "type": "invalid_request_error",
                "param": null, "code": null
            }}));
        })
        .await;
    let err = client(&server)
        .add_upload_part()
        .upload_id("upload_abc123")
        .data(PartData::bytes(&b"abc"[..]))
        .send()
        .await
        .unwrap_err();
    let err = uploads_client::ApiError::from(err);
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.body().unwrap().message,
        "Upload upload_abc123 is not pending"
    );
}
