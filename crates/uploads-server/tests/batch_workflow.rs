//! Batches as the server runs them, over raw HTTP: each status in order, the request counts,
//! the output and error Files line by line, validation failures, cancels, stuck batches,
//! paging, and a lost create answer.

mod common;

use std::time::Duration;

use common::{Api, ids, start_workflows as start};
use serde_json::{Value, json};
use uploads_server::WorkflowConfig;

fn fast() -> WorkflowConfig {
    WorkflowConfig {
        step: Duration::from_millis(80),
        ..WorkflowConfig::default()
    }
}

/// `n` requests for `url`, `custom_id` req-0.., with model `m`.
fn requests(n: usize, url: &str) -> String {
    (0..n)
        .map(|i| {
            let body = match url {
                "/v1/embeddings" => json!({"model": "m", "input": format!("hi {i}")}),
                _ => json!({"model": "m", "messages": [{"role": "user", "content": format!("hi {i}")}]}),
            };
            format!(
                "{}\n",
                json!({"custom_id": format!("req-{i}"), "method": "POST", "url": url, "body": body})
            )
        })
        .collect()
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn batch(api: &Api, file: &str, endpoint: &str) -> Value {
    let (status, b) = api
        .post(
            "/batches",
            &json!({"input_file_id": file, "endpoint": endpoint, "completion_window": "24h"}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    b
}

fn ended(b: &Value) -> bool {
    matches!(
        b["status"].as_str(),
        Some("completed" | "failed" | "cancelled")
    )
}

#[tokio::test]
async fn a_batch_goes_through_each_status_and_leaves_one_line_per_request_in_its_two_files() {
    // Steps long enough that a poll sees the counts rise through the four rounds.
    let (_s, api) = start(WorkflowConfig {
        fail_batch_requests_every: 3,
        step: Duration::from_millis(240),
        ..WorkflowConfig::default()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(6, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let (status, created) = api
        .post(
            "/batches",
            &json!({"input_file_id": file, "endpoint": "/v1/chat/completions",
                    "completion_window": "24h", "metadata": {"run": "nightly"}}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["object"], "batch");
    assert_eq!(created["status"], "validating");
    assert_eq!(created["input_file_id"], file);
    assert_eq!(created["completion_window"], "24h");
    assert_eq!(created["metadata"]["run"], "nightly");
    assert_eq!(
        created["request_counts"],
        json!({"completed": 0, "failed": 0, "total": 0})
    );
    let created_at = created["created_at"].as_i64().unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (created_at - wall).abs() <= 5,
        "{created_at} is not now ({wall})"
    );
    assert_eq!(created["expires_at"].as_i64(), Some(created_at + 86_400));
    let id = created["id"].as_str().unwrap().to_owned();

    // The counts rise while it runs; every status comes in order.
    let completed_seen = std::sync::Mutex::new(Vec::new());
    let (seen, done) = api
        .follow(&format!("/batches/{id}"), |b| {
            let c = b["request_counts"]["completed"].as_i64().unwrap();
            let mut all = completed_seen.lock().unwrap();
            if all.last() != Some(&c) {
                all.push(c);
            }
            ended(b)
        })
        .await;
    assert_eq!(
        seen,
        ["validating", "in_progress", "finalizing", "completed"]
    );
    let counts = completed_seen.into_inner().unwrap();
    assert!(counts.len() >= 3, "counts seen: {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert_eq!(
        done["request_counts"],
        json!({"completed": 4, "failed": 2, "total": 6})
    );
    assert_eq!(done["model"], "m", "the model its requests name");
    for at in ["in_progress_at", "finalizing_at", "completed_at"] {
        assert!(done[at].as_i64().unwrap() >= created_at, "{at}: {done}");
    }
    for never in ["failed_at", "cancelling_at", "cancelled_at", "errors"] {
        assert!(done[never].is_null(), "{never}: {done}");
    }

    let output = done["output_file_id"].as_str().unwrap();
    let errors = done["error_file_id"].as_str().unwrap();
    let meta = api.ok(&format!("/files/{output}")).await;
    assert_eq!(meta["purpose"], "batch_output");
    assert_eq!(meta["filename"], format!("{id}_output.jsonl"));
    let meta = api.ok(&format!("/files/{errors}")).await;
    assert_eq!(meta["filename"], format!("{id}_error.jsonl"));

    let out = lines(&api.content(output).await);
    let stem = id.trim_start_matches("batch_");
    let got: Vec<(&str, &str)> = out
        .iter()
        .map(|l| (l["custom_id"].as_str().unwrap(), l["id"].as_str().unwrap()))
        .collect();
    let want_ids: Vec<String> = [1, 2, 4, 5]
        .iter()
        .map(|n| format!("batch_req_{stem}_{n}"))
        .collect();
    assert_eq!(
        got,
        [
            ("req-0", want_ids[0].as_str()),
            ("req-1", want_ids[1].as_str()),
            ("req-3", want_ids[2].as_str()),
            ("req-4", want_ids[3].as_str())
        ]
    );
    let first = &out[0];
    assert_eq!(first["response"]["status_code"], 200);
    assert_eq!(first["response"]["request_id"], "req_00000001");
    assert!(first["error"].is_null());
    let body = &first["response"]["body"];
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "m");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "stand-in response to req-0"
    );

    let err = lines(&api.content(errors).await);
    let failed: Vec<&str> = err
        .iter()
        .map(|l| l["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["req-2", "req-5"]);
    assert!(err[0]["response"].is_null());
    assert_eq!(err[0]["error"]["code"], "server_error");
}

#[tokio::test]
async fn each_endpoint_gets_answers_of_its_own_shape_and_a_clean_batch_has_no_error_file() {
    let (_s, api) = start(fast()).await;
    for (url, object) in [
        ("/v1/embeddings", "list"),
        ("/v1/responses", "response"),
        ("/v1/completions", "stand_in"),
    ] {
        // The last line without its newline is a request too.
        let file = api
            .file("r.jsonl", "batch", requests(2, url).trim_end().as_bytes())
            .await;
        let id = batch(&api, &file, url).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, done) = api.follow(&format!("/batches/{id}"), ended).await;
        assert_eq!(done["status"], "completed", "{url}: {done}");
        assert!(done["error_file_id"].is_null(), "{done}");
        let out = lines(&api.content(done["output_file_id"].as_str().unwrap()).await);
        assert_eq!(out.len(), 2);
        let body = &out[1]["response"]["body"];
        assert_eq!(body["object"], object, "{url}: {body}");
        assert_eq!(body["model"], "m");
        match url {
            "/v1/embeddings" => {
                assert_eq!(body["data"][0]["embedding"], json!([0.0, 0.0, 0.0]));
            }
            "/v1/responses" => assert_eq!(
                body["output"][0]["content"][0]["text"],
                "stand-in response to req-1"
            ),
            _ => assert_eq!(body["text"], "stand-in response to req-1"),
        }
    }
}

#[tokio::test]
async fn a_batch_whose_file_fails_validation_ends_failed_with_the_errors_the_service_gives() {
    let (_s, api) = start(fast()).await;
    // A request id used twice: the line that repeats it is named.
    let mut dup = requests(3, "/v1/chat/completions");
    dup.push_str(requests(1, "/v1/chat/completions").as_str());
    let file = api.file("dup.jsonl", "batch", dup.as_bytes()).await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (seen, done) = api.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(seen, ["validating", "failed"]);
    assert_eq!(done["errors"]["object"], "list");
    let e = &done["errors"]["data"][0];
    assert_eq!(e["code"], "duplicate_custom_id", "{done}");
    assert_eq!(e["line"], 4, "{done}");
    assert!(done["failed_at"].is_i64() && done["in_progress_at"].is_null());

    // Requests for another endpoint than the batch's.
    let file = api
        .file(
            "chat.jsonl",
            "batch",
            requests(2, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&api, &file, "/v1/embeddings").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, done) = api.follow(&format!("/batches/{id}"), ended).await;
    let e = &done["errors"]["data"][0];
    assert_eq!(e["code"], "mismatched_endpoint", "{done}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("/v1/embeddings") && message.contains("/v1/chat/completions"),
        "{message}"
    );

    // Twelve bad lines and a request for another endpoint: the first ten are listed.
    let mut bad: String = (0..12).map(|_| "not json\n").collect();
    bad.push_str(&requests(1, "/v1/embeddings"));
    let file = api.file("bad.jsonl", "batch", bad.as_bytes()).await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, done) = api.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(
        done["errors"]["data"].as_array().unwrap().len(),
        10,
        "{done}"
    );

    // A File deleted before validation.
    let file = api
        .file(
            "gone.jsonl",
            "batch",
            requests(1, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = api
        .h
        .delete(format!("{}/files/{file}", api.base))
        .bearer_auth("sk-local")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 200);
    let (_, done) = api.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(done["errors"]["data"][0]["code"], "invalid_file", "{done}");

    // A File deleted while its requests run: the batch cannot write its output, and fails.
    let (_slow, slow) = start(WorkflowConfig {
        step: Duration::from_millis(400),
        ..WorkflowConfig::default()
    })
    .await;
    let file = slow
        .file(
            "gone.jsonl",
            "batch",
            requests(1, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&slow, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    slow.follow(&format!("/batches/{id}"), |b| b["status"] == "in_progress")
        .await;
    let gone = slow
        .h
        .delete(format!("{}/files/{file}", slow.base))
        .bearer_auth("sk-local")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 200);
    let (_, done) = slow.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["errors"]["object"], "list");
    assert_eq!(done["errors"]["data"][0]["code"], "server_error", "{done}");
    assert!(
        done["errors"]["data"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the input file was deleted"),
        "{done}"
    );

    // A File that does not exist is refused at create.
    let (status, body) = api
        .post(
            "/batches",
            &json!({"input_file_id": "file-nope", "endpoint": "/v1/chat/completions", "completion_window": "24h"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "input_file_id");
    assert_eq!(body["error"]["message"], "No such File object: file-nope");
}

#[tokio::test]
async fn a_cancel_ends_a_batch_that_validates_runs_or_is_stuck_and_leaves_an_ended_one_alone() {
    // Cancelled while validating: it never runs.
    let (_s, api) = start(WorkflowConfig {
        step: Duration::from_millis(150),
        ..WorkflowConfig::default()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(2, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, cancelling) = api.post(&format!("/batches/{id}/cancel"), &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(cancelling["status"], "cancelling");
    assert!(cancelling["cancelling_at"].is_i64());
    let (seen, done) = api.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(seen, ["cancelling", "cancelled"]);
    assert!(done["cancelled_at"].is_i64() && done["in_progress_at"].is_null());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        api.ok(&format!("/batches/{id}")).await["status"],
        "cancelled"
    );
    // Cancelling an ended batch answers it as it is.
    let (status, again) = api.post(&format!("/batches/{id}/cancel"), &json!({})).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("cancelled")));

    // Unknown ids.
    let (status, body) = api.post("/batches/batch_nope/cancel", &json!({})).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (404, Some("batch_id"))
    );
    let (status, body) = api.get("/batches/batch_nope").await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["message"],
        "No batch found with id 'batch_nope'."
    );

    // Stuck in progress: it stays there until cancelled, then ends.
    let (_s, api) = start(WorkflowConfig {
        stick_at: Some("in_progress".into()),
        ..fast()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(2, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.follow(&format!("/batches/{id}"), |b| b["status"] == "in_progress")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stuck = api.ok(&format!("/batches/{id}")).await;
    assert_eq!(stuck["status"], "in_progress");
    assert_eq!(stuck["request_counts"]["total"], 2);
    assert_eq!(stuck["request_counts"]["completed"], 0);
    api.post(&format!("/batches/{id}/cancel"), &json!({})).await;
    let (_, done) = api.follow(&format!("/batches/{id}"), ended).await;
    assert_eq!(done["status"], "cancelled");

    // Stuck cancelling: the cancel never finishes.
    let (_s, api) = start(WorkflowConfig {
        stick_at: Some("cancelling".into()),
        ..fast()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(1, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let id = batch(&api, &file, "/v1/chat/completions").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(&format!("/batches/{id}/cancel"), &json!({})).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        api.ok(&format!("/batches/{id}")).await["status"],
        "cancelling"
    );
}

#[tokio::test]
async fn batches_are_listed_newest_first_in_pages_and_a_bad_limit_is_refused() {
    let (_s, api) = start(WorkflowConfig {
        stick_at: Some("validating".into()),
        step: Duration::from_secs(60),
        ..WorkflowConfig::default()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(1, "/v1/chat/completions").as_bytes(),
        )
        .await;
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(
            batch(&api, &file, "/v1/chat/completions").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let first = api.ok("/batches?limit=2").await;
    assert_eq!(first["object"], "list");
    assert_eq!(ids(&first, "id"), [made[2].clone(), made[1].clone()]);
    assert_eq!(first["first_id"], made[2].as_str());
    assert_eq!(first["last_id"], made[1].as_str());
    assert_eq!(first["has_more"], true);
    let next = api.ok(&format!("/batches?limit=2&after={}", made[1])).await;
    assert_eq!(ids(&next, "id"), [made[0].as_str()]);
    assert_eq!(next["has_more"], false);
    assert_eq!(ids(&api.ok("/batches").await, "id").len(), 3);
    for bad in ["0", "101", "-1"] {
        let (status, body) = api.get(&format!("/batches?limit={bad}")).await;
        assert_eq!(status, 400, "limit={bad}");
        assert_eq!(body["error"]["param"], "limit");
    }
    assert_eq!(ids(&api.ok("/batches?limit=100").await, "id").len(), 3);
    assert_eq!(ids(&api.ok("/batches?limit=1").await, "id").len(), 1);
}

#[tokio::test]
async fn a_lost_create_answer_is_a_dropped_connection_after_the_batch_was_made() {
    let (_s, api) = start(WorkflowConfig {
        lose_create_responses: 1,
        step: Duration::from_secs(60),
        ..WorkflowConfig::default()
    })
    .await;
    let file = api
        .file(
            "r.jsonl",
            "batch",
            requests(1, "/v1/chat/completions").as_bytes(),
        )
        .await;
    // Reads are never lost.
    assert_eq!(ids(&api.ok("/batches").await, "id").len(), 0);
    let body = json!({"input_file_id": file, "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let lost = api.try_post("/batches", &body).await;
    assert!(lost.is_err(), "{lost:?}");
    assert_eq!(
        ids(&api.ok("/batches").await, "id").len(),
        1,
        "made all the same"
    );
    // Only the first.
    let (status, _) = api.post("/batches", &body).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&api.ok("/batches").await, "id").len(), 2);
}
