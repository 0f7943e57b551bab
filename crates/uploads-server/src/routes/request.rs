//! Reading requests: a JSON body into the operation's request type, or the API's 400 (413 when
//! too large) in OpenAI's envelope, as an extractor handlers take like axum's `Json`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use std::sync::Arc;

use axum::extract::{FromRequest, Request};

use crate::envelope::ApiFailure;
use crate::state::AppState;

/// The largest JSON body taken: a complete listing 10,000 part ids is about 400 KB.
pub(super) const MAX_JSON_BODY: usize = 1024 * 1024;

/// A JSON body read as `T`; its rejection is the API's error envelope, never axum's plain text.
pub(super) struct ApiJson<T>(pub(super) T);

impl<T> FromRequest<Arc<AppState>> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        // A declared length over the limit is refused before the body is polled, so a client
        // that sent `Expect: 100-continue` gets its 413 at once, never a `100 Continue`.
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_JSON_BODY as u64) {
            return Err(too_large(declared.unwrap_or_default()));
        }
        // The body is read with a deadline on each chunk: one that stops arriving is a 408,
        // not a connection held for ever.
        let stall = state.config.connections.body_stall_timeout;
        let mut body = req.into_body().into_data_stream();
        let mut bytes = Vec::new();
        loop {
            let chunk = tokio::time::timeout(stall, futures::StreamExt::next(&mut body))
                .await
                .map_err(|_| stalled(stall))?;
            let Some(chunk) = chunk else { break };
            let chunk = chunk.map_err(|e| {
                ApiFailure::invalid(
                    None,
                    format!("We could not parse the JSON body of your request: {e}"),
                )
            })?;
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_JSON_BODY {
                return Err(too_large(bytes.len() as u64));
            }
        }
        let value: Result<Json<serde_json::Value>, JsonRejection> = Json::from_bytes(&bytes);
        parse_json(value).map(ApiJson)
    }
}

/// The 413 of a JSON body over the limit.
fn too_large(bytes: u64) -> ApiFailure {
    ApiFailure::invalid(
        None,
        format!(
            "We could not parse the JSON body of your request: the body is {bytes} bytes or more, over the {MAX_JSON_BODY} this endpoint takes."
        ),
    )
    .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE)
}

/// The 408 of a request whose body stopped arriving.
pub(super) fn stalled(after: std::time::Duration) -> ApiFailure {
    ApiFailure::invalid(
        None,
        format!(
            "No byte of the request body arrived for {}s: the request was closed.",
            after.as_secs()
        ),
    )
    .with_status(axum::http::StatusCode::REQUEST_TIMEOUT)
}

/// A handler's result: its response, or an error in OpenAI's envelope.
pub(super) type ApiResult<T> = Result<T, ApiFailure>;

/// A JSON body as the request type, or the API's 400.
fn parse_json<T: serde::de::DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<T> {
    let Json(value) = body.map_err(|e| {
        let failure = ApiFailure::invalid(
            None,
            format!(
                "We could not parse the JSON body of your request: {}",
                e.body_text()
            ),
        );
        // Too large is 413; anything else the client sent wrong is 400.
        match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => failure.with_status(e.status()),
            _ => failure,
        }
    })?;
    serde_json::from_value(value)
        .map_err(|e| ApiFailure::invalid(None, format!("Invalid request body: {e}")))
}
