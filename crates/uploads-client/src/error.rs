//! One error type for every call: the HTTP status, OpenAI's error fields and the request id.

use std::fmt;

use crate::{Error, types};

/// What OpenAI's error envelope says, plus the request id to quote to support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    pub status: u16,
    /// OpenAI's `type`, e.g. `invalid_request_error`.
    pub kind: String,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<String>,
    pub request_id: Option<String>,
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
    Status(ErrorBody),
    /// The request never got an answer: connection refused or reset, DNS, TLS, timeout.
    #[error("could not reach the API: {}", transport_detail(.0))]
    Transport(#[source] reqwest::Error),
    /// The request could not be built from the given values.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A success status with a body that is not what the spec says.
    #[error("unexpected response from the API: {0}")]
    Decode(String),
}

fn transport_detail(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
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

    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport(e) if e.is_timeout())
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
                let envelope = rv.into_inner().error;
                Self::Status(ErrorBody {
                    status,
                    kind: envelope.type_,
                    message: envelope.message,
                    param: envelope.param,
                    code: envelope.code,
                    request_id,
                })
            }
            Error::CommunicationError(e)
            | Error::ResponseBodyError(e)
            | Error::InvalidUpgrade(e) => Self::Transport(e),
            Error::InvalidRequest(msg) | Error::Custom(msg) => Self::InvalidRequest(msg),
            Error::InvalidResponsePayload(bytes, err) => {
                Self::Decode(format!("{err} in {}", crate::hooks::snippet(&bytes)))
            }
            Error::UnexpectedResponse(response) => Self::Status(ErrorBody {
                status: response.status().as_u16(),
                kind: String::new(),
                message: "a response the API description does not list".to_owned(),
                param: None,
                code: None,
                request_id: None,
            }),
        }
    }
}
