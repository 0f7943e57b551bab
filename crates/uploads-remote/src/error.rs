//! What can go wrong before an object's first byte is read: the URL, the store's options, the
//! object itself. Each error names the URL and says what to do.

use thiserror::Error;

/// A source URL that cannot be opened.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// Not a URL this crate reads.
    #[error(
        "{url}: {why} (sources: s3://BUCKET/KEY, az://CONTAINER/PATH, gs://BUCKET/KEY, https://…)"
    )]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A `--store-option` the URL's store does not take.
    #[error("{url}: store option {key:?}: {why}")]
    Option {
        /// The URL.
        url: String,
        /// The option's key.
        key: String,
        /// What is wrong with it.
        why: String,
    },
    /// The store refused or failed a request (after its own retries).
    #[error("{url}: the store: {message}")]
    Store {
        /// The URL.
        url: String,
        /// The store's error.
        message: String,
    },
    /// No object at the URL.
    #[error("{url}: no such object (for a prefix, end the URL with /)")]
    NotFound {
        /// The URL.
        url: String,
    },
    /// The server does not answer ranged reads, so parts cannot be read in parallel.
    #[error(
        "{url}: the server does not answer ranged reads ({why}); download the file first and upload it from disk"
    )]
    NoRanges {
        /// The URL.
        url: String,
        /// What it answered.
        why: String,
    },
    /// An HTTP(S) URL answered with an error.
    #[error("{url}: HTTP {status}{hint}")]
    Http {
        /// The URL, without its query (a presigned URL's signature stays out of messages).
        url: String,
        /// The status.
        status: u16,
        /// What to do.
        hint: &'static str,
    },
}

impl RemoteError {
    pub(crate) fn store(url: &str, error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound {
                url: url.to_owned(),
            },
            other => Self::Store {
                url: url.to_owned(),
                message: other.to_string(),
            },
        }
    }
}
