//! One error type for every call: the HTTP status, OpenAI's error fields and the request id.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::{Error, types};

/// What OpenAI's error envelope says, plus the request id to quote to support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    /// The HTTP status.
    pub status: u16,
    /// OpenAI's `type`, e.g. `invalid_request_error`.
    pub kind: String,
    /// What went wrong, in the server's words.
    pub message: String,
    /// The request parameter at fault.
    pub param: Option<String>,
    /// A machine-readable code, e.g. `rate_limit_exceeded`.
    pub code: Option<String>,
    /// The `x-request-id` header, to quote to support.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (`retry-after-ms`, or `Retry-After` in seconds or
    /// as an HTTP date), if it did.
    pub retry_after: Option<Duration>,
    /// The `x-should-retry` header: the service's own word on whether a retry can help, which
    /// OpenAI's SDKs follow before any status rule.
    pub should_retry: Option<bool>,
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if !self.kind.is_empty() {
            write!(f, " {}", self.kind)?;
        }
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        if let Some(param) = &self.param {
            write!(f, " (param: {param})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

/// Any failure of a call to the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The service answered with an error status.
    #[error("{0}")]
    Status(Box<ErrorBody>),
    /// The request never got an answer: connection refused or reset, DNS, TLS, timeout.
    #[error("could not reach the API: {0}")]
    Transport(#[source] TransportError),
    /// The request could not be built from the given values.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A success status with a body that is not what the spec says.
    #[error("unexpected response from the API: {0}")]
    Decode(String),
}

/// Which way a request failed to get an answer, in the seam's own terms: no HTTP library's
/// type crosses [`ApiError`], so a fake API can make any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// Nothing answered: connection refused, DNS or TLS failure. The request never went out.
    Connect,
    /// The request or its answer took longer than allowed.
    Timeout,
    /// The connection broke while a body went out or came in.
    Body,
    /// Any other failure below HTTP.
    Other,
}

/// A request that got no answer: its [`TransportKind`] and what the layers below said.
/// (Boxed: it rides inside every error of the engine, which stays a pointer wide for it.)
#[derive(Debug)]
pub struct TransportError(Box<TransportDetail>);

#[derive(Debug)]
struct TransportDetail {
    kind: TransportKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A failure of `kind`, described by `message` (a fake's, or a transport's own words).
    pub fn new(kind: TransportKind, message: impl Into<String>) -> Self {
        Self(Box::new(TransportDetail {
            kind,
            message: message.into(),
            source: None,
        }))
    }

    /// Which way it failed.
    pub fn kind(&self) -> TransportKind {
        self.0.kind
    }
}

impl From<reqwest::Error> for TransportError {
    /// The kind read off reqwest's error, and its whole cause chain, down to the operating
    /// system's words, in the message.
    fn from(e: reqwest::Error) -> Self {
        use std::error::Error as _;
        let kind = if e.is_connect() {
            TransportKind::Connect
        } else if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        };
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Self(Box::new(TransportDetail {
            kind,
            message,
            source: Some(Box::new(e)),
        }))
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for TransportError {
    /// The transport's own error, if it came from one (its words are in the message too).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl ApiError {
    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status(body) => Some(body.status),
            _ => None,
        }
    }

    /// The body of an error status.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            Self::Status(body) => Some(body),
            _ => None,
        }
    }

    /// True if a cancel was refused because the upload is cancelled already: the goal of the
    /// cancel holds. The live service's wording is not documented, so this reads any 400 or 409
    /// whose message says the upload is cancelled (either spelling).
    pub fn is_already_cancelled(&self) -> bool {
        self.body().is_some_and(|b| {
            let message = b.message.to_ascii_lowercase();
            matches!(b.status, 400 | 409)
                && (message.contains("cancelled") || message.contains("canceled"))
        })
    }

    /// True if the request never went out: the service could not be reached at all
    /// (connection refused or failed, which covers DNS and TLS failures).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport(e) if e.kind() == TransportKind::Connect)
    }

    /// The transport failure, if the request got no answer.
    pub fn transport(&self) -> Option<&TransportError> {
        match self {
            Self::Transport(t) => Some(t),
            _ => None,
        }
    }

    /// True for a request that timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport(e) if e.kind() == TransportKind::Timeout)
    }
}

impl From<Error<types::ErrorResponse>> for ApiError {
    fn from(e: Error<types::ErrorResponse>) -> Self {
        match e {
            Error::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let request_id = rv
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let retry_after = retry_after(rv.headers());
                let should_retry = should_retry(rv.headers());
                let envelope = rv.into_inner().error;
                Self::Status(Box::new(ErrorBody {
                    status,
                    kind: envelope.type_,
                    message: envelope.message,
                    param: envelope.param,
                    code: envelope.code,
                    request_id,
                    retry_after,
                    should_retry,
                }))
            }
            Error::CommunicationError(e)
            | Error::ResponseBodyError(e)
            | Error::InvalidUpgrade(e) => Self::Transport(e.into()),
            Error::InvalidRequest(msg) | Error::Custom(msg) => Self::InvalidRequest(msg),
            Error::InvalidResponsePayload(bytes, err) => {
                Self::Decode(format!("{err} in {}", crate::hooks::snippet(&bytes)))
            }
            Error::UnexpectedResponse(response) => Self::Status(Box::new(ErrorBody {
                status: response.status().as_u16(),
                kind: String::new(),
                message: "a response the API description does not list".to_owned(),
                param: None,
                code: None,
                request_id: None,
                retry_after: None,
                should_retry: None,
            })),
        }
    }
}

/// Reads `x-should-retry: true|false`; anything else says nothing.
pub(crate) fn should_retry(headers: &reqwest::header::HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Reads OpenAI's `retry-after-ms`, else the standard `Retry-After` (seconds or HTTP date).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_in_ms_seconds_or_http_date() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        // Negative or infinite values are not delays: the other header, or nothing.
        h.insert("retry-after-ms", HeaderValue::from_static("-250"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        for bad in ["-3", "inf", "NaN"] {
            h.insert("retry-after", HeaderValue::from_static(bad));
            assert_eq!(retry_after(&h), None, "{bad}");
        }
        let mut h = HeaderMap::new();
        let later = SystemTime::now() + Duration::from_secs(30);
        h.insert(
            "retry-after",
            HeaderValue::try_from(httpdate::fmt_http_date(later)).unwrap(),
        );
        let got = retry_after(&h).unwrap();
        assert!(
            got > Duration::from_secs(27) && got <= Duration::from_secs(30),
            "{got:?}"
        );
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn x_should_retry_is_true_false_or_unsaid() {
        let mut h = HeaderMap::new();
        assert_eq!(should_retry(&h), None);
        for (value, want) in [
            ("true", Some(true)),
            ("false", Some(false)),
            ("maybe", None),
        ] {
            h.insert("x-should-retry", HeaderValue::from_static(value));
            assert_eq!(should_retry(&h), want, "{value}");
        }
    }
}
