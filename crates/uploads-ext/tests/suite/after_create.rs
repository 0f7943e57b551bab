//! How a create after the upload is retried: at most five times while the service fails it in
//! a way a retry can fix, looked for by its marker between attempts; never again after a
//! refusal; refused before anything is sent when its metadata cannot carry the marker.

use httpmock::prelude::*;
use serde_json::json;
use uploads_client::ClientConfig;
use uploads_ext::after::{AfterError, BatchRequest, Batches};

fn pairs(n: usize) -> Vec<(String, String)> {
    (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect()
}

#[tokio::test]
async fn a_failing_create_is_sent_five_times_with_a_lookup_between_each() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/batches");
            then.status(503)
                .json_body(json!({"error": {"message": "overloaded", "type": "server_error"}}));
        })
        .await;
    let lookup = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/batches");
            then.status(200)
                .json_body(json!({"object": "list", "data": [], "has_more": false}));
        })
        .await;
    let client = ClientConfig::default()
        .api_key("k")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    let err = Batches::new(&client)
        .start(&BatchRequest::new("file-1", "/v1/embeddings"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AfterError::Api { .. }), "{err}");
    create.assert_calls_async(5).await;
    lookup.assert_calls_async(4).await;
}

#[tokio::test]
async fn a_refused_create_is_not_sent_again_and_metadata_over_15_pairs_is_refused_before_sending() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/batches");
            then.status(400).json_body(json!({"error": {
                "message": "Invalid 'input_file_id'", "type": "invalid_request_error",
                "param": "input_file_id", "code": null,
            }}));
        })
        .await;
    let client = ClientConfig::default()
        .api_key("k")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    let batches = Batches::new(&client);
    let too_many = BatchRequest::new("file-1", "/v1/embeddings").metadata(pairs(16));
    let err = batches.start(&too_many, None).await.unwrap_err();
    assert!(matches!(err, AfterError::Invalid(_)), "{err}");
    create.assert_calls_async(0).await;
    // Fifteen pairs are sent (and here refused, once).
    let fifteen = BatchRequest::new("file-1", "/v1/embeddings").metadata(pairs(15));
    let err = batches.start(&fifteen, None).await.unwrap_err();
    assert!(err.to_string().contains("Invalid 'input_file_id'"), "{err}");
    create.assert_calls_async(1).await;
}
