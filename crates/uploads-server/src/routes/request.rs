//! Reading requests: a JSON body into the operation's request type, or the API's 400.

use axum::Json;
use axum::extract::rejection::JsonRejection;

use crate::envelope::ApiFailure;

/// A handler's result: its response, or an error in OpenAI's envelope.
pub(super) type ApiResult<T> = Result<T, ApiFailure>;

/// A JSON body as the request type, or the API's 400.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
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
