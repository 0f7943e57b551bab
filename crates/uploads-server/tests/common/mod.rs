//! Raw HTTP for the tests that look at what the generated client hides (headers, exact JSON).

#![allow(dead_code)]

use serde_json::Value;

/// A bare HTTP client (reqwest is built without a TLS provider; this installs ours).
pub fn http() -> reqwest::Client {
    uploads_client::install_tls_provider();
    reqwest::Client::new()
}

/// `POST {base}{path}` with a JSON body and a bearer key; the JSON answer, whatever the status.
pub async fn post_json(
    h: &reqwest::Client,
    base: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> Value {
    h.post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `GET {base}{path}` with a bearer key; the JSON answer, whatever the status.
pub async fn get_json(h: &reqwest::Client, base: &str, path: &str, key: &str) -> Value {
    h.get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One part of `data` for `upload`, as field `data`; the JSON answer.
pub async fn post_part(
    h: &reqwest::Client,
    base: &str,
    key: &str,
    upload: &str,
    data: &[u8],
) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "data",
        reqwest::multipart::Part::bytes(data.to_vec()).file_name("data"),
    );
    h.post(format!("{base}/uploads/{upload}/parts"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The server's API over raw HTTP, for the workflow tests: statuses and exact JSON.
pub struct Api {
    pub h: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self { h: http(), base }
    }

    /// The status and JSON of `GET {base}{path}`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .h
            .get(format!("{}{path}", self.base))
            .bearer_auth("sk-local")
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    /// The JSON of a `GET` that must answer 200.
    pub async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// The status and JSON of `POST {base}{path}`; `Err` if the connection was dropped.
    pub async fn try_post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let resp = self
            .h
            .post(format!("{}{path}", self.base))
            .bearer_auth("sk-local")
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().await.map_err(|e| e.to_string())?))
    }

    /// The status and JSON of `POST {base}{path}`.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.try_post(path, body).await.unwrap()
    }

    /// The bytes of a File.
    pub async fn content(&self, file_id: &str) -> Vec<u8> {
        self.h
            .get(format!("{}/files/{file_id}/content", self.base))
            .bearer_auth("sk-local")
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }

    /// A File of `data` named `name`, uploaded in one part: its id.
    pub async fn file(&self, name: &str, purpose: &str, data: &[u8]) -> String {
        let mime = uploads_client::rules::mime_for_filename(name).unwrap_or("text/plain");
        let (status, up) = self
            .post(
                "/uploads",
                &serde_json::json!({"filename": name, "purpose": purpose, "bytes": data.len(), "mime_type": mime}),
            )
            .await;
        assert_eq!(status, 200, "{up}");
        let upload = up["id"].as_str().unwrap().to_owned();
        let mut parts = Vec::new();
        if !data.is_empty() {
            let part = post_part(&self.h, &self.base, "sk-local", &upload, data).await;
            parts.push(part["id"].clone());
        }
        let (status, done) = self
            .post(
                &format!("/uploads/{upload}/complete"),
                &serde_json::json!({"part_ids": parts}),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        done["file"]["id"].as_str().unwrap().to_owned()
    }

    /// Polls `path` until `done` holds (at most 10 s): every distinct `status` seen on the
    /// way, in order, and the last answer.
    pub async fn follow(&self, path: &str, done: impl Fn(&Value) -> bool) -> (Vec<String>, Value) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut seen: Vec<String> = Vec::new();
        loop {
            let body = self.ok(path).await;
            let status = body["status"].as_str().unwrap_or_default().to_owned();
            if seen.last() != Some(&status) {
                seen.push(status);
            }
            if done(&body) {
                return (seen, body);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path} never got there: {seen:?} {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        }
    }
}

/// The `data` of a list page, by one field.
pub fn ids(page: &Value, field: &str) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A server running its workflows with `workflows`, and its API.
pub async fn start_workflows(
    workflows: uploads_server::WorkflowConfig,
) -> (uploads_server::Server, Api) {
    let server = uploads_server::Server::start(uploads_server::ServerConfig {
        workflows,
        ..uploads_server::ServerConfig::default()
    })
    .await
    .unwrap();
    let api = Api::new(server.base_url());
    (server, api)
}
