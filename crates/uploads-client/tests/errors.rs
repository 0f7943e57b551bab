//! Error decoding: OpenAI's envelope for each status, and a non-JSON (HTML) 502.

use httpmock::prelude::*;
use serde_json::json;
use uploads_client::{ApiError, ClientConfig};

async fn cancel_error(status: u16, body: &str, content_type: &str) -> ApiError {
    let server = MockServer::start_async().await;
    let body = body.to_owned();
    let content_type = content_type.to_owned();
    server
        .mock_async(move |when, then| {
            when.method(POST).path("/v1/uploads/upload_1/cancel");
            then.status(status)
                .header("content-type", content_type)
                .header("x-request-id", "req_123")
                .body(body);
        })
        .await;
    let client = ClientConfig::default()
        .api_key("sk-secret")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    client
        .cancel_upload()
        .upload_id("upload_1")
        .send()
        .await
        .unwrap_err()
        .into()
}

fn envelope(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> String {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}}).to_string()
}

#[tokio::test]
async fn each_error_status_decodes_the_envelope() {
    let cases = [
        (
            400,
            envelope(
                "Invalid purpose",
                "invalid_request_error",
                Some("purpose"),
                None,
            ),
        ),
        (
            401,
            envelope(
                "Incorrect API key provided",
                "invalid_request_error",
                None,
                Some("invalid_api_key"),
            ),
        ),
        (
            404,
            envelope(
                "No such upload: upload_1",
                "invalid_request_error",
                Some("upload_id"),
                None,
            ),
        ),
        (
            429,
            envelope(
                "You exceeded your current quota",
                "insufficient_quota",
                None,
                Some("insufficient_quota"),
            ),
        ),
        (
            500,
            envelope("The server had an error", "server_error", None, None),
        ),
    ];
    let mut shown = Vec::new();
    for (status, body) in cases {
        let err = cancel_error(status, &body, "application/json").await;
        let decoded = err.body().expect("an error status").clone();
        assert_eq!(decoded.status, status);
        assert_eq!(decoded.request_id.as_deref(), Some("req_123"));
        assert!(!err.is_already_cancelled(), "{err}");
        shown.push(err.to_string());
    }
    insta::assert_snapshot!(shown.join("\n"), @r"
    HTTP 400 invalid_request_error (param: purpose): Invalid purpose [request req_123]
    HTTP 401 invalid_request_error [invalid_api_key]: Incorrect API key provided [request req_123]
    HTTP 404 invalid_request_error (param: upload_id): No such upload: upload_1 [request req_123]
    HTTP 429 insufficient_quota [insufficient_quota]: You exceeded your current quota [request req_123]
    HTTP 500 server_error: The server had an error [request req_123]
    ");
}

#[tokio::test]
async fn an_html_502_gives_the_status_and_a_snippet() {
    let html = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>";
    let err = cancel_error(502, html, "text/html").await;
    assert_eq!(err.status(), Some(502));
    insta::assert_snapshot!(err.to_string(), @r#"HTTP 502 non_json_response: the server answered HTTP 502 with a body that is not OpenAI's error envelope: "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>" [request req_123]"#);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // Port 9 on loopback (discard) is closed on test machines.
    let client = ClientConfig::default()
        .api_key("k")
        .base_url("http://127.0.0.1:9/v1")
        .build()
        .unwrap();
    let err: ApiError = client
        .cancel_upload()
        .upload_id("u")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("could not reach the API"),
        "{err}"
    );
    // The whole cause chain, down to the operating system's words.
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(err.is_unreachable() && !err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_cancel_of_a_cancelled_upload_is_recognised_in_either_spelling() {
    let cases = [
        (400, "Upload upload_1 is already cancelled.", true),
        (409, "Upload is already canceled", true),
        (400, "Cannot cancel Upload with status completed", false),
        (404, "No such upload: upload_1 (cancelled?)", false),
        (500, "cancelled by an internal error", false),
    ];
    for (status, message, expected) in cases {
        let body = envelope(message, "invalid_request_error", None, None);
        let err = cancel_error(status, &body, "application/json").await;
        assert_eq!(err.is_already_cancelled(), expected, "{status} {message}");
    }
}

#[tokio::test]
async fn an_error_body_is_read_up_to_64_kib() {
    // A long envelope (40 KB, several chunks) decodes whole.
    let long = "x".repeat(40_000);
    let body = envelope(&long, "invalid_request_error", None, None);
    let err = cancel_error(400, &body, "application/json").await;
    assert_eq!(err.body().unwrap().message, long);
    // Past 64 KiB the body is cut, so it is no longer an envelope: status and snippet only.
    let huge = "y".repeat(70 * 1024);
    let body = envelope(&huge, "invalid_request_error", None, None);
    let err = cancel_error(400, &body, "application/json").await;
    let decoded = err.body().unwrap();
    assert_eq!(decoded.kind, "non_json_response");
    assert!(decoded.message.len() < 1000, "{}", decoded.message.len());
}

/// A server that answers 200 with a `Content-Length` of 1,000 and closes after 10 bytes.
async fn truncating_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut buf).await;
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(b"{\"id\": \"up").await;
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn a_body_cut_short_is_a_transport_error_of_kind_body_with_its_cause() {
    use std::error::Error as _;
    use uploads_client::TransportKind;
    let client = ClientConfig::default()
        .api_key("k")
        .base_url(truncating_server().await)
        .build()
        .unwrap();
    let err: ApiError = client
        .cancel_upload()
        .upload_id("u")
        .send()
        .await
        .unwrap_err()
        .into();
    let transport = err.transport().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(transport.kind(), TransportKind::Body, "{err:?}");
    assert!(!err.is_unreachable() && !err.is_timeout(), "{err:?}");
    // The transport's own error stays reachable as the cause, and its words are in the message.
    let cause = transport.source().expect("the reqwest error as the source");
    assert!(err.to_string().contains(&cause.to_string()), "{err}");
    assert!(err.status().is_none() && err.body().is_none());
}
