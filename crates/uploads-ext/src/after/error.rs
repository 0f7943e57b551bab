//! What can stop a step after the upload.

use std::time::Duration;

use uploads_client::ApiError;

/// Why a step after the upload stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AfterError {
    /// The service refused a request, or kept failing it past the retries.
    #[error("{what}: {source}")]
    Api {
        /// What was being done (`creating the batch`, ...).
        what: String,
        /// The service's answer.
        #[source]
        source: ApiError,
    },
    /// The deadline passed before the batch, file batch or job ended.
    #[error(
        "gave up waiting for {what} after {}s (it was {last_status}); it goes on at OpenAI: wait again with the same command, or raise --timeout",
        waited.as_secs()
    )]
    Deadline {
        /// What was waited for (`batch batch_abc`).
        what: String,
        /// How long.
        waited: Duration,
        /// Its status when the wait ended.
        last_status: String,
    },
    /// Reading or writing the ledger or a results file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The request cannot be made as given (caught before anything is sent).
    #[error("{0}")]
    Invalid(String),
}

impl AfterError {
    pub(crate) fn api(what: impl Into<String>) -> impl FnOnce(ApiError) -> Self {
        let what = what.into();
        move |source| Self::Api { what, source }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}
