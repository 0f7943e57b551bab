//! The headers the live service puts on every response: a request id to quote to support, the
//! processing time, the API version, and the organization and project the request named.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Response};

/// The API version the live service reports in `openai-version`.
const OPENAI_VERSION: &str = "2020-10-01";

/// What a response echoes of its request.
pub(crate) struct Echo {
    organization: Option<HeaderValue>,
    project: Option<HeaderValue>,
}

impl Echo {
    /// Reads `openai-organization` and `openai-project` from the request.
    pub(crate) fn from_request(headers: &HeaderMap) -> Self {
        Self {
            organization: headers.get("openai-organization").cloned(),
            project: headers.get("openai-project").cloned(),
        }
    }
}

/// A fresh request id, `req_` and 32 hex digits, as the live service's.
pub(crate) fn request_id() -> String {
    format!("req_{:032x}", rand::random::<u128>())
}

/// Adds the headers every response carries.
pub(crate) fn apply<B>(resp: &mut Response<B>, echo: Echo, request_id: &str, ms: u64) {
    let h = resp.headers_mut();
    let mut set = |name: &'static str, value: HeaderValue| {
        h.insert(HeaderName::from_static(name), value);
    };
    if let Ok(id) = HeaderValue::try_from(request_id) {
        set("x-request-id", id);
    }
    set("openai-processing-ms", HeaderValue::from(ms));
    set("openai-version", HeaderValue::from_static(OPENAI_VERSION));
    if let Some(org) = echo.organization {
        set("openai-organization", org);
    }
    if let Some(project) = echo.project {
        set("openai-project", project);
    }
}

/// The rate-limit headers of a 429 for requests: none left until `reset_secs` from now.
pub(crate) fn rate_limited<B>(resp: &mut Response<B>, limit: u64, reset_secs: u64) {
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit-requests", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining-requests", HeaderValue::from(0u64));
    if let Ok(reset) = HeaderValue::try_from(format!("{reset_secs}s")) {
        h.insert("x-ratelimit-reset-requests", reset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_the_live_ones() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert!(id.starts_with("req_"));
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, request_id());
    }
}
