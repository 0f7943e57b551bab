//! Hooks the generated operations (and our hand-written one) run through.
//!
//! progenitor implements `ClientHooks` for `&Client` with no behaviour; implementing it for
//! `Client` takes precedence ("auto-ref specialization", see progenitor-client's docs).

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};

use crate::{Client, types};

/// Longest error body we keep in memory to decode; real envelopes are a few hundred bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

impl ClientHooks<()> for Client {
    /// Drops the `api-version` header progenitor adds to every request (OpenAI's API does not use
    /// it), and gives a body-less POST an explicit `Content-Length: 0`, which some proxies need.
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        request.headers_mut().remove("api-version");
        if request.method() == reqwest::Method::POST && request.body().is_none() {
            request
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        Ok(())
    }

    /// Turns an error response whose body is not OpenAI's envelope (an HTML 502 from a proxy)
    /// into one that is, keeping the status, headers and a short snippet of the body, so callers
    /// get the status instead of a JSON parse error.
    ///
    /// Every request is logged once, as a `request` event at info level (operation, method,
    /// status, milliseconds, `x-request-id`), inside the caller's span: the engine's carries
    /// the step and attempt. Headers (the key) are never logged.
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let started = std::time::Instant::now();
        let method = request.method().clone();
        let answer = self.client().execute(request).await;
        let ms = started.elapsed().as_millis() as u64;
        let response = match answer {
            Ok(response) => {
                let request_id = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info!(
                    operation = info.operation_id,
                    %method,
                    status = response.status().as_u16(),
                    ms,
                    request_id,
                    "request"
                );
                response
            }
            Err(error) => {
                tracing::info!(
                    operation = info.operation_id,
                    %method,
                    ms,
                    %error,
                    "request got no answer"
                );
                return Err(error);
            }
        };
        let status = response.status();
        if !(status.is_client_error() || status.is_server_error()) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_capped(response).await?;
        if serde_json::from_slice::<types::ErrorResponse>(&body).is_ok() {
            return Ok(rebuild(status, headers, body));
        }
        let envelope = serde_json::json!({
            "error": {
                "message": format!("the server answered HTTP {} with a body that is not OpenAI's error envelope: {}", status.as_u16(), snippet(&body)),
                "type": "non_json_response",
                "param": null,
                "code": null,
            }
        });
        let mut headers = headers;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.remove(CONTENT_LENGTH);
        Ok(rebuild(status, headers, envelope.to_string().into_bytes()))
    }
}

async fn read_capped(mut response: reqwest::Response) -> reqwest::Result<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ERROR_BODY.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room < chunk.len() {
            break;
        }
    }
    Ok(body)
}

fn rebuild(
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}

/// The first 200 characters of a body, on one line, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return "(empty body)".to_owned();
    }
    let mut out: String = flat.chars().take(200).collect();
    if flat.chars().count() > 200 {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn a_snippet_is_200_characters_on_one_line() {
        assert_eq!(snippet(b" \n "), "(empty body)");
        assert_eq!(
            snippet(b"<p>\n  bad\tgateway</p>"),
            r#""<p> bad gateway</p>""#
        );
        let exact = "é".repeat(200);
        assert_eq!(snippet(exact.as_bytes()), format!("{exact:?}"));
        let longer = "é".repeat(300);
        assert_eq!(snippet(longer.as_bytes()), format!("{:?}", exact + "…"));
    }
}
