//! Every create the steps after the upload send conforms to OpenAI's published spec: each body
//! is validated, inside the mock's matcher, against the operation's schema in the extracted
//! (unpatched) subset, with every option the library offers set.

use httpmock::prelude::*;
use serde_json::{Value, json};
use uploads_client::ClientConfig;
use uploads_e2e::conformance::{published, request_schema, validate};
use uploads_ext::after::{
    AttachOptions, BatchRequest, Batches, FineTuneRequest, FineTuning, MARKER_KEY, VectorStores,
};
use uploads_ext::check::FineTuneMethod;

/// A matcher that asserts the body conforms to the spec's schema of `path`, and says which
/// marker it carried.
fn conforms(path: &'static str) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let spec = published();
    let schema = request_schema(&spec, path, "application/json");
    assert!(
        !schema.is_null(),
        "{path} has a JSON request body in the spec"
    );
    move |req: &HttpMockRequest| {
        let body: Value = serde_json::from_slice(req.body_ref()).unwrap_or(Value::Null);
        let errors = validate(&spec, &schema, &body, "$");
        assert!(errors.is_empty(), "{path}: {errors:?} in {body}");
        true
    }
}

/// A matcher: the body's metadata carries our marker (so a lost answer can be found).
fn marked(req: &HttpMockRequest) -> bool {
    let body: Value = serde_json::from_slice(req.body_ref()).unwrap_or(Value::Null);
    body["metadata"][MARKER_KEY]
        .as_str()
        .is_some_and(|m| m.starts_with("oup_"))
}

#[test]
fn the_validator_checks_the_new_schemas() {
    let spec = published();
    let batch = request_schema(&spec, "/batches", "application/json");
    let ok = json!({"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    assert!(validate(&spec, &batch, &ok, "$").is_empty());
    let bad = json!({"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "48h", "metadata": {"k": 1}});
    assert_eq!(
        validate(&spec, &batch, &bad, "$").len(),
        2,
        "{:?}",
        validate(&spec, &batch, &bad, "$")
    );
    let file_batch = request_schema(
        &spec,
        "/vector_stores/{vector_store_id}/file_batches",
        "application/json",
    );
    let too_many: Vec<String> = (0..2001).map(|i| format!("file-{i}")).collect();
    assert!(!validate(&spec, &file_batch, &json!({"file_ids": too_many}), "$").is_empty());
    assert!(
        !validate(&spec, &file_batch, &json!({}), "$").is_empty(),
        "file_ids or files"
    );
}

#[tokio::test]
async fn batch_vector_store_file_batch_and_job_creates_conform() {
    let server = MockServer::start_async().await;
    let batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/batches")
                .is_true(conforms("/batches"))
                .is_true(marked)
                .json_body_includes(r#"{"metadata": {"team": "search"}}"#);
            then.status(200).json_body(json!({
                "id": "batch_1", "object": "batch", "endpoint": "/v1/embeddings",
                "input_file_id": "file-1", "completion_window": "24h", "status": "validating",
                "created_at": 1,
            }));
        })
        .await;
    let store = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/vector_stores")
                .is_true(conforms("/vector_stores"))
                .is_true(marked);
            then.status(200).json_body(
                json!({"id": "vs_1", "object": "vector_store", "created_at": 1, "name": "docs"}),
            );
        })
        .await;
    let file_batch = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/vector_stores/vs_1/file_batches")
                .is_true(conforms("/vector_stores/{vector_store_id}/file_batches"))
                .json_body_includes(r#"{"attributes": {"team": "search", "score": 0.5, "public": true}, "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}}"#);
            then.status(200).json_body(json!({
                "id": "vsfb_1", "object": "vector_store.files_batch", "created_at": 1,
                "vector_store_id": "vs_1", "status": "in_progress",
                "file_counts": {"in_progress": 2, "completed": 0, "failed": 0, "cancelled": 0, "total": 2},
            }));
        })
        .await;
    let job = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/fine_tuning/jobs")
                .is_true(conforms("/fine_tuning/jobs"))
                .is_true(marked)
                .json_body_includes(r#"{"method": {"type": "dpo"}, "suffix": "demo", "seed": 7}"#);
            then.status(200).json_body(json!({
                "object": "fine_tuning.job", "id": "ftjob-1", "model": "gpt-4o-mini-2024-07-18",
                "created_at": 1, "fine_tuned_model": null, "organization_id": "org-1",
                "result_files": [], "status": "validating_files", "validation_file": "file-2",
                "training_file": "file-1",
            }));
        })
        .await;

    let client = ClientConfig::default()
        .api_key("k")
        .base_url(server.url("/v1"))
        .build()
        .unwrap();
    let req =
        BatchRequest::new("file-1", "/v1/embeddings").metadata([("team".into(), "search".into())]);
    assert_eq!(
        Batches::new(&client).start(&req, None).await.unwrap().id,
        "batch_1"
    );
    let stores = VectorStores::new(&client);
    assert_eq!(stores.create("docs", None).await.unwrap().id, "vs_1");
    let mut options = AttachOptions::default();
    options.attributes.insert("team".into(), json!("search"));
    options.attributes.insert("score".into(), json!(0.5));
    options.attributes.insert("public".into(), json!(true));
    options.static_chunking = Some((800, 400));
    let ids = vec!["file-1".to_owned(), "file-2".to_owned()];
    assert_eq!(
        stores
            .attach("vs_1", &ids, &options, None)
            .await
            .unwrap()
            .as_deref(),
        Some("vsfb_1")
    );
    let mut ft = FineTuneRequest::new("gpt-4o-mini-2024-07-18", "file-1");
    ft.validation_file = Some("file-2".into());
    ft.method = Some(FineTuneMethod::Preference);
    ft.suffix = Some("demo".into());
    ft.seed = Some(7);
    assert_eq!(
        FineTuning::new(&client).start(&ft, None).await.unwrap().id,
        "ftjob-1"
    );

    for (mock, n) in [(&batch, 1), (&store, 1), (&file_batch, 1), (&job, 1)] {
        mock.assert_calls_async(n).await;
    }
}
