//! Vector stores and file batches as the server runs them, over raw HTTP: each File's end and
//! `last_error` as the service fails it, counts, attributes and chunking, filters and order,
//! cancels, limits and unknown ids.

mod common;

use std::time::Duration;

use common::{Api, ids, start_workflows as start};
use serde_json::{Value, json};
use uploads_server::WorkflowConfig;

fn fast() -> WorkflowConfig {
    WorkflowConfig {
        step: Duration::from_millis(60),
        ..WorkflowConfig::default()
    }
}

async fn store(api: &Api, body: Value) -> String {
    let (status, s) = api.post("/vector_stores", &body).await;
    assert_eq!(status, 200, "{s}");
    s["id"].as_str().unwrap().to_owned()
}

fn ended(b: &Value) -> bool {
    b["status"] != "in_progress"
}

fn by_id<'a>(page: &'a Value, id: &str) -> &'a Value {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {page}"))
}

#[tokio::test]
async fn each_file_of_a_batch_ends_completed_or_failed_the_way_the_service_fails_it() {
    let (_s, api) = start(WorkflowConfig {
        fail_vector_store_files: 1,
        ..fast()
    })
    .await;
    // The fault fails the first File that would otherwise complete.
    let faulted = api.file("first.md", "assistants", b"# first\n").await;
    let good = api.file("notes.TXT", "assistants", b"twelve bytes").await;
    let unsupported = api.file("data.xyz", "user_data", b"x").await;
    let vs = store(&api, json!({"name": "docs", "metadata": {"team": "a"}})).await;
    let fresh = api.ok(&format!("/vector_stores/{vs}")).await;
    assert_eq!(fresh["object"], "vector_store");
    assert_eq!(fresh["name"], "docs");
    assert_eq!(fresh["metadata"]["team"], "a");
    assert_eq!(fresh["status"], "completed");
    assert_eq!(fresh["usage_bytes"], 0);
    assert_eq!(fresh["file_counts"]["total"], 0);

    let files = [&faulted, &good, &unsupported, "file-missing"];
    let (status, fb) = api
        .post(
            &format!("/vector_stores/{vs}/file_batches"),
            &json!({"file_ids": files, "attributes": {"lang": "en"},
                    "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}}),
        )
        .await;
    assert_eq!(status, 200, "{fb}");
    assert_eq!(fb["object"], "vector_store.files_batch");
    assert_eq!(fb["status"], "in_progress");
    assert_eq!(fb["vector_store_id"], vs.as_str());
    assert_eq!(
        fb["file_counts"],
        json!({"cancelled": 0, "completed": 0, "failed": 0, "in_progress": 4, "total": 4})
    );
    let batch = fb["id"].as_str().unwrap();
    let (seen, done) = api
        .follow(&format!("/vector_stores/{vs}/file_batches/{batch}"), ended)
        .await;
    assert_eq!(seen, ["in_progress", "completed"]);
    assert_eq!(
        done["file_counts"],
        json!({"cancelled": 0, "completed": 1, "failed": 3, "in_progress": 0, "total": 4})
    );

    let page = api
        .ok(&format!("/vector_stores/{vs}/files?order=asc"))
        .await;
    assert_eq!(ids(&page, "id"), files);
    let error = |id: &str| by_id(&page, id)["last_error"]["code"].clone();
    assert_eq!(error(&faulted), "server_error");
    assert_eq!(error(&unsupported), "unsupported_file");
    assert_eq!(error("file-missing"), "invalid_file");
    let message = by_id(&page, &unsupported)["last_error"]["message"].clone();
    assert!(message.as_str().unwrap().contains("[.xyz]"), "{message}");
    let done_file = by_id(&page, &good);
    assert_eq!(done_file["status"], "completed");
    assert!(done_file["last_error"].is_null());
    assert_eq!(done_file["usage_bytes"], 12);
    assert_eq!(done_file["object"], "vector_store.file");
    assert_eq!(done_file["vector_store_id"], vs.as_str());
    assert_eq!(done_file["attributes"], json!({"lang": "en"}));
    assert_eq!(
        done_file["chunking_strategy"],
        json!({"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}})
    );
    assert_eq!(by_id(&page, &faulted)["usage_bytes"], 0);

    // Newest first by default; filters by status.
    let newest = api.ok(&format!("/vector_stores/{vs}/files")).await;
    assert_eq!(ids(&newest, "id")[0], "file-missing");
    assert_eq!(newest["first_id"], "file-missing");
    assert_eq!(newest["last_id"], faulted.as_str());
    let failed = api
        .ok(&format!("/vector_stores/{vs}/files?filter=failed"))
        .await;
    assert_eq!(ids(&failed, "id").len(), 3);
    let completed = api
        .ok(&format!("/vector_stores/{vs}/files?filter=completed"))
        .await;
    assert_eq!(ids(&completed, "id"), [good.as_str()]);
    let two = api
        .ok(&format!("/vector_stores/{vs}/files?order=asc&limit=2"))
        .await;
    assert_eq!(two["has_more"], true);
    let rest = api
        .ok(&format!(
            "/vector_stores/{vs}/files?order=asc&limit=5&after={good}"
        ))
        .await;
    assert_eq!(ids(&rest, "id").len(), 2);
    assert_eq!(rest["has_more"], false);
    let of_batch = api
        .ok(&format!(
            "/vector_stores/{vs}/file_batches/{batch}/files?order=asc"
        ))
        .await;
    assert_eq!(ids(&of_batch, "id"), files);

    // The store counts its files and the bytes of those completed.
    let s = api.ok(&format!("/vector_stores/{vs}")).await;
    assert_eq!(
        s["file_counts"],
        json!({"cancelled": 0, "completed": 1, "failed": 3, "in_progress": 0, "total": 4})
    );
    assert_eq!(s["usage_bytes"], 12);

    // A File attached again replaces its earlier attachment; each file of `files` has its own
    // attributes, and no strategy is the service's default.
    let (status, again) = api
        .post(
            &format!("/vector_stores/{vs}/file_batches"),
            &json!({"files": [{"file_id": unsupported, "attributes": {"n": 1.5}}]}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    let again = again["id"].as_str().unwrap();
    api.follow(&format!("/vector_stores/{vs}/file_batches/{again}"), ended)
        .await;
    let page = api.ok(&format!("/vector_stores/{vs}/files")).await;
    assert_eq!(ids(&page, "id").len(), 4);
    let replaced = by_id(&page, &unsupported);
    assert_eq!(replaced["attributes"], json!({"n": 1.5}));
    assert_eq!(
        replaced["chunking_strategy"],
        json!({"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}})
    );
}

#[tokio::test]
async fn a_store_made_with_file_ids_attaches_them_and_stores_are_listed_in_either_order() {
    let (_s, api) = start(fast()).await;
    let a = api.file("a.md", "assistants", b"# a\n").await;
    let first = store(&api, json!({"name": "one", "file_ids": [a]})).await;
    let second = store(&api, json!({})).await;
    let (_, files) = api
        .follow(&format!("/vector_stores/{first}/files"), |p| {
            p["data"][0]["status"] == "completed"
        })
        .await;
    assert_eq!(ids(&files, "id"), [a.as_str()]);
    assert_eq!(
        api.ok(&format!("/vector_stores/{second}")).await["name"],
        ""
    );
    let newest = api.ok("/vector_stores").await;
    assert_eq!(ids(&newest, "id"), [second.clone(), first.clone()]);
    assert_eq!(newest["first_id"], second.as_str());
    assert_eq!(newest["last_id"], first.as_str());
    let oldest = api.ok("/vector_stores?order=asc&limit=1").await;
    assert_eq!(ids(&oldest, "id"), [first.as_str()]);
    assert_eq!(oldest["has_more"], true);
    let after = api
        .ok(&format!("/vector_stores?order=asc&after={first}"))
        .await;
    assert_eq!(ids(&after, "id"), [second.as_str()]);
    assert_eq!(after["has_more"], false);
    let (status, _) = api.get("/vector_stores?limit=0").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_cancelled_file_batch_ends_its_waiting_files_cancelled() {
    let (_s, api) = start(WorkflowConfig {
        step: Duration::from_millis(200),
        ..WorkflowConfig::default()
    })
    .await;
    let a = api.file("a.md", "assistants", b"# a\n").await;
    let b = api.file("b.md", "assistants", b"# b\n").await;
    let vs = store(&api, json!({"name": "c"})).await;
    let (_, fb) = api
        .post(
            &format!("/vector_stores/{vs}/file_batches"),
            &json!({"file_ids": [a, b]}),
        )
        .await;
    let batch = fb["id"].as_str().unwrap();
    let (status, answer) = api
        .post(
            &format!("/vector_stores/{vs}/file_batches/{batch}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["id"], batch);
    let (_, done) = api
        .follow(&format!("/vector_stores/{vs}/file_batches/{batch}"), ended)
        .await;
    assert_eq!(done["status"], "cancelled");
    assert_eq!(
        done["file_counts"],
        json!({"cancelled": 2, "completed": 0, "failed": 0, "in_progress": 0, "total": 2})
    );
    // A cancel of an ended batch changes nothing.
    let (_, again) = api
        .post(
            &format!("/vector_stores/{vs}/file_batches/{batch}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(again["status"], "cancelled");

    // Stuck in progress: files and batch stay there.
    let (_s, api) = start(WorkflowConfig {
        stick_at: Some("in_progress".into()),
        ..fast()
    })
    .await;
    let a = api.file("a.md", "assistants", b"# a\n").await;
    let vs = store(&api, json!({"file_ids": [a]})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = api.ok(&format!("/vector_stores/{vs}")).await;
    assert_eq!(s["file_counts"]["in_progress"], 1, "{s}");
}

#[tokio::test]
async fn empty_or_oversized_file_batches_and_unknown_ids_are_refused() {
    let (_s, api) = start(fast()).await;
    let vs = store(&api, json!({})).await;
    let path = format!("/vector_stores/{vs}/file_batches");
    let (status, body) = api.post(&path, &json!({"file_ids": []})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "file_ids");
    let many: Vec<String> = (0..2001).map(|i| format!("file-{i}")).collect();
    let (status, body) = api.post(&path, &json!({"file_ids": many})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maximum length 2000, but got an array with length 2001"),
        "{body}"
    );
    let (status, _) = api.post("/vector_stores", &json!({"file_ids": many})).await;
    assert_eq!(status, 400);
    let (status, _) = api.post(&path, &json!({"file_ids": &many[..2000]})).await;
    assert_eq!(status, 200, "2,000 is taken");
    let (status, _) = api
        .post("/vector_stores", &json!({"file_ids": &many[..2000]}))
        .await;
    assert_eq!(status, 200, "2,000 is taken at create too");

    for (method, path, param) in [
        (
            "GET",
            "/vector_stores/vs_nope".to_owned(),
            "vector_store_id",
        ),
        (
            "GET",
            "/vector_stores/vs_nope/files".to_owned(),
            "vector_store_id",
        ),
        (
            "POST",
            "/vector_stores/vs_nope/file_batches".to_owned(),
            "vector_store_id",
        ),
        (
            "GET",
            format!("/vector_stores/{vs}/file_batches/vsfb_nope"),
            "batch_id",
        ),
        (
            "GET",
            format!("/vector_stores/{vs}/file_batches/vsfb_nope/files"),
            "batch_id",
        ),
        (
            "GET",
            "/vector_stores/vs_nope/file_batches/vsfb_nope/files".to_owned(),
            "vector_store_id",
        ),
        (
            "POST",
            format!("/vector_stores/{vs}/file_batches/vsfb_nope/cancel"),
            "batch_id",
        ),
    ] {
        let (status, body) = match method {
            "GET" => api.get(&path).await,
            _ => api.post(&path, &json!({"file_ids": ["file-1"]})).await,
        };
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"]["param"], param, "{method} {path}");
    }
}
