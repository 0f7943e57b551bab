//! The local server answers like the live service where its behaviour is publicly known: error
//! envelopes word for word (fixtures with their sources), the headers of every response, and
//! File objects as the SDKs type them.

mod common;

use std::time::Duration;

use common::{http, post_json, post_part};
use serde_json::{Value, json};
use uploads_server::{Faults, Server, ServerConfig};

const KEY: &str = "sk-right-key-0123456789";

async fn server(faults: Faults) -> Server {
    Server::start(ServerConfig {
        api_key: Some(KEY.into()),
        faults,
        ..ServerConfig::default()
    })
    .await
    .unwrap()
}

fn fixtures() -> Vec<Value> {
    let text = include_str!("fixtures/live-errors.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn fixture(case: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|f| f["case"] == case)
        .unwrap_or_else(|| panic!("no fixture {case}"))
}

/// Checks a response against a fixture, with `vars` filled into its message.
async fn assert_matches(resp: reqwest::Response, case: &str, vars: &[(&str, &str)]) {
    let want = fixture(case);
    assert_eq!(
        resp.status().as_u16(),
        want["status"].as_u64().unwrap() as u16,
        "{case}"
    );
    let body: Value = resp.json().await.unwrap();
    let err = &body["error"];
    for field in ["type", "param", "code"] {
        assert_eq!(err[field], want[field], "{case}: {field} in {body}");
    }
    let message = err["message"].as_str().unwrap();
    if let Some(exact) = want["message"].as_str() {
        let mut exact = exact.to_owned();
        for (name, value) in vars {
            exact = exact.replace(&format!("{{{name}}}"), value);
        }
        assert_eq!(message, exact, "{case}");
    } else {
        let prefix = want["message_prefix"].as_str().unwrap();
        assert!(message.starts_with(prefix), "{case}: {message}");
    }
}

#[tokio::test]
async fn error_envelopes_read_like_the_live_services() {
    let s = server(Faults {
        rate_limit_rate: 1.0,
        retry_after: Duration::from_secs(2),
        ..Faults::default()
    })
    .await;
    let url = s.base_url();
    let h = http();
    let covered: Vec<String> = fixtures()
        .iter()
        .map(|f| f["case"].as_str().unwrap().to_owned())
        .collect();

    let resp = h
        .post(format!("{url}/uploads"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_matches(resp, "missing_key", &[]).await;

    let wrong = "sk-XG6GWabcdefghijklmnopwlmi";
    let resp = h
        .post(format!("{url}/uploads"))
        .bearer_auth(wrong)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_matches(
        resp,
        "incorrect_key",
        &[("masked_key", "sk-XG6GW****************wlmi")],
    )
    .await;

    let body = json!({"filename": "a.jsonl", "purpose": "finetune", "bytes": 3, "mime_type": "text/jsonl"});
    let resp = h
        .post(format!("{url}/uploads"))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_matches(resp, "invalid_purpose", &[("purpose", "finetune")]).await;

    let resp = h
        .get(format!("{url}/files/file-nope"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_matches(resp, "file_not_found", &[("file_id", "file-nope")]).await;

    let resp = h
        .post(format!("{url}/uploads/x/nope"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_matches(resp, "unknown_url", &[]).await;

    // Every part request is rate limited by the fault knob.
    let create =
        json!({"filename": "a.jsonl", "purpose": "batch", "bytes": 3, "mime_type": "text/jsonl"});
    let upload: Value = h
        .post(format!("{url}/uploads"))
        .bearer_auth(KEY)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(b"abc".to_vec()).file_name("data"),
    );
    let resp = h
        .post(format!(
            "{url}/uploads/{}/parts",
            upload["id"].as_str().unwrap()
        ))
        .bearer_auth(KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let headers = resp.headers().clone();
    assert_matches(resp, "rate_limited", &[]).await;
    for (name, value) in [
        ("retry-after", "2"),
        ("retry-after-ms", "2000"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "2s"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    assert!(headers.contains_key("x-ratelimit-limit-requests"));
    assert_eq!(covered.len(), 6, "every fixture is exercised above");
    s.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_the_live_headers() {
    let s = server(Faults::default()).await;
    let url = s.base_url();
    let h = http();
    let ok = h
        .post(format!("{url}/uploads"))
        .bearer_auth(KEY)
        .header("openai-organization", "org-123")
        .header("openai-project", "proj_456")
        .json(&json!({"filename": "a.jsonl", "purpose": "batch", "bytes": 3, "mime_type": "text/jsonl"}))
        .send()
        .await
        .unwrap();
    let refused = h
        .get(format!("{url}/files/file-nope"))
        .send()
        .await
        .unwrap();
    for resp in [&ok, &refused] {
        let id = resp.headers()["x-request-id"].to_str().unwrap();
        assert!(id.starts_with("req_") && id.len() == 36, "{id}");
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert_eq!(resp.headers()["openai-version"], "2020-10-01");
        let ms: u64 = resp.headers()["openai-processing-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(ms < 10_000);
    }
    assert_eq!(ok.headers()["openai-organization"], "org-123");
    assert_eq!(ok.headers()["openai-project"], "proj_456");
    assert!(!refused.headers().contains_key("openai-organization"));
    assert_ne!(
        ok.headers()["x-request-id"],
        refused.headers()["x-request-id"]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn the_request_id_shows_in_client_errors() {
    let s = server(Faults::default()).await;
    let client = uploads_client::ClientConfig::default()
        .api_key(KEY)
        .base_url(s.base_url())
        .build()
        .unwrap();
    let err = uploads_client::ApiError::from(
        client
            .retrieve_file()
            .file_id("file-nope")
            .send()
            .await
            .unwrap_err(),
    );
    let id = err
        .body()
        .and_then(|b| b.request_id.clone())
        .expect("a request id");
    assert!(
        err.to_string().contains(&format!("[request {id}]")),
        "{err}"
    );
    s.shutdown().await;
}

/// Uploads `bytes` as one part and completes; the completed Upload as JSON.
async fn upload(h: &reqwest::Client, url: &str, purpose: &str, name: &str, extra: Value) -> Value {
    let data = b"{\"a\": 1}\n".to_vec();
    let mut create = json!({"filename": name, "purpose": purpose, "bytes": data.len(), "mime_type": "text/jsonl"});
    create
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let up = post_json(h, url, "/uploads", KEY, &create).await;
    assert_eq!(up["file"], Value::Null, "a pending upload says file: null");
    let id = up["id"].as_str().unwrap();
    let part = post_part(h, url, KEY, id, &data).await;
    h.post(format!("{url}/uploads/{id}/complete"))
        .bearer_auth(KEY)
        .json(&json!({"part_ids": [part["id"]]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn files_look_like_the_live_ones_and_list_newest_first() {
    let s = server(Faults::default()).await;
    let url = s.base_url();
    let h = http();
    let batch = upload(&h, &url, "batch", "in.jsonl", json!({})).await;
    let file = &batch["file"];
    assert_eq!(file["status"], "processed");
    assert!(file.as_object().unwrap().contains_key("status_details"));
    assert_eq!(file["status_details"], Value::Null);
    let created = file["created_at"].as_i64().unwrap();
    assert_eq!(
        file["expires_at"].as_i64(),
        Some(created + 30 * 24 * 3600),
        "batch files expire in 30 days"
    );

    let short = upload(
        &h,
        &url,
        "batch",
        "b.jsonl",
        json!({"expires_after": {"anchor": "created_at", "seconds": 7200}}),
    )
    .await;
    assert_eq!(
        short["file"]["expires_at"].as_i64(),
        Some(short["file"]["created_at"].as_i64().unwrap() + 7200)
    );
    let tune = upload(&h, &url, "fine-tune", "t.jsonl", json!({})).await;
    assert_eq!(
        tune["file"].get("expires_at"),
        None,
        "only batch files expire by default"
    );

    // GET /files: the purpose filter, newest first, and paging with after.
    let page: Value = h
        .get(format!("{url}/files?purpose=batch&limit=1"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["object"], "list");
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["has_more"], true);
    let first = page["data"][0]["id"].as_str().unwrap().to_owned();
    let next: Value = h
        .get(format!("{url}/files?purpose=batch&limit=1&after={first}"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["has_more"], false);
    let mut ids = vec![first, next["data"][0]["id"].as_str().unwrap().to_owned()];
    ids.sort();
    let mut want = vec![
        batch["file"]["id"].as_str().unwrap().to_owned(),
        short["file"]["id"].as_str().unwrap().to_owned(),
    ];
    want.sort();
    assert_eq!(ids, want, "both batch Files, and only them");
    let all: Value = h
        .get(format!("{url}/files"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
    let bad = h
        .get(format!("{url}/files?limit=0"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    s.shutdown().await;
}
