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
