//! OpenAI's error envelope, `{"error": {"message", "type", "param", "code"}}`, as a response.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to the client, with the status the real API uses.
#[derive(Debug)]
pub(crate) struct ApiFailure {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) param: Option<&'static str>,
    pub(crate) code: Option<&'static str>,
    /// Sent as `x-should-retry`, when set.
    pub(crate) should_retry: Option<bool>,
}

impl ApiFailure {
    pub(crate) fn invalid(param: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
            param,
            code: None,
            should_retry: None,
        }
    }

    pub(crate) fn not_found(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            ..Self::invalid(Some(param), message)
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "server_error",
            message: message.into(),
            param: None,
            code: None,
            should_retry: None,
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        // Like the real API, `param` and `code` are always present, null when unset.
        let body = serde_json::json!({
            "error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}
        });
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(retry) = self.should_retry {
            resp.headers_mut().insert(
                "x-should-retry",
                axum::http::HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
        }
        resp
    }
}

/// A 4xx or 5xx the framework answered on its own (a path that is not UTF-8, say) in OpenAI's
/// envelope, its status kept: clients read every error the same way.
pub(crate) fn ensure_envelope(resp: axum::response::Response) -> axum::response::Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return resp;
    }
    let reason = status.canonical_reason().unwrap_or("error");
    let failure = if status.is_server_error() {
        ApiFailure::internal(format!("The server failed: {reason}."))
    } else {
        ApiFailure::invalid(None, format!("The request was refused: {reason}."))
    };
    failure.with_status(status).into_response()
}

impl From<std::io::Error> for ApiFailure {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "storage error");
        if e.kind() == std::io::ErrorKind::StorageFull {
            // Retrying will not help until space is freed: 507, and said so; what was stored
            // before stays, so the upload can be resumed then.
            return Self {
                should_retry: Some(false),
                ..Self::internal(format!(
                    "the server's disk is full ({e}): nothing of this request was kept; free space, then resume"
                ))
            }
            .with_status(StatusCode::INSUFFICIENT_STORAGE);
        }
        Self::internal(format!("the server could not store or read data: {e}"))
    }
}
