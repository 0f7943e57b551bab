//! Reading requests: a JSON body into the operation's request type, or the API's 400 (413 when
//! too large) in OpenAI's envelope, as an extractor handlers take like axum's `Json`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};

use crate::envelope::ApiFailure;

/// The largest JSON body taken: a complete listing 10,000 part ids is about 400 KB.
pub(super) const MAX_JSON_BODY: usize = 1024 * 1024;

/// A JSON body read as `T`; its rejection is the API's error envelope, never axum's plain text.
pub(super) struct ApiJson<T>(pub(super) T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A declared length over the limit is refused before the body is polled, so a client
        // that sent `Expect: 100-continue` gets its 413 at once, never a `100 Continue`.
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_JSON_BODY as u64) {
            return Err(ApiFailure::invalid(
                None,
                format!(
                    "We could not parse the JSON body of your request: the body is {} bytes, over the {} this endpoint takes.",
                    declared.unwrap_or_default(),
                    MAX_JSON_BODY
                ),
            )
            .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE));
        }
        parse_json(Json::<serde_json::Value>::from_request(req, state).await).map(ApiJson)
    }
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
