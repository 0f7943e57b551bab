//! What can go wrong, and what became of the upload when it did.

use std::fmt;
use std::path::PathBuf;

use uploads_client::ApiError;
use uploads_client::rules::RuleViolation;

/// A request refused before anything was sent.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("cannot read {}: {reason}{}", path.display(), if *not_found { ": check the path" } else { "" })]
    Unreadable {
        path: PathBuf,
        reason: String,
        not_found: bool,
    },
    #[error("{} is not a regular file: give the path of a file", path.display())]
    NotAFile { path: PathBuf },
    #[error("{what} is empty: an Upload needs at least one byte")]
    Empty { what: String },
    #[error(
        "{what} is {size} bytes, over the Uploads limit of {max} bytes (8 GiB): split it into several files"
    )]
    TooLarge { what: String, size: u64, max: u64 },
    #[error("part size {size} is out of range: it must be between 1 byte and {max} bytes (64 MiB)")]
    PartSize { size: u64, max: u64 },
    #[error("concurrency must be at least 1")]
    Concurrency,
    #[error(
        "unknown purpose {purpose:?}: use one of assistants, batch, fine-tune, vision, user_data, evals, or allow newer purposes explicitly"
    )]
    UnknownPurpose { purpose: String },
    #[error("no filename: give one for a source that is not a file")]
    NoFilename,
    #[error("cannot infer a MIME type for {filename:?} from its extension: give one explicitly")]
    NoMimeType { filename: String },
    #[error("{0}")]
    Rule(#[from] RuleViolation),
}

/// A journal that cannot be resumed; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(
        "the interrupted upload {upload_id} of this file has expired (it expired at {expired_at} Unix time): start over with restart"
    )]
    Expired { upload_id: String, expired_at: i64 },
    #[error("{} changed since upload {upload_id} was interrupted ({detail}): start over with restart", path.display())]
    FileChanged {
        path: PathBuf,
        upload_id: String,
        detail: String,
    },
    #[error(
        "the options differ from the interrupted upload {upload_id} ({detail}): use the same options to resume, or start over with restart"
    )]
    OptionsChanged { upload_id: String, detail: String },
}

/// Which step of the protocol failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Create,
    Part(usize),
    Complete,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create => f.write_str("creating the upload"),
            Self::Part(i) => write!(f, "sending part {}", i + 1),
            Self::Complete => f.write_str("completing the upload"),
        }
    }
}

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum StopCause {
    /// The server refused for a reason no retry fixes.
    #[error("{step} failed: {error}")]
    Refused { step: Step, error: ApiError },
    /// Every attempt failed with a retryable error.
    #[error("{step} failed after {attempts} attempts: {error}")]
    RetriesExhausted {
        step: Step,
        attempts: u32,
        error: ApiError,
    },
    /// The file changed while it was being uploaded.
    #[error("{} changed during the upload ({detail}); upload it again once it is stable", path.display())]
    FileChanged { path: PathBuf, detail: String },
    /// The caller's cancellation token fired.
    #[error("interrupted")]
    Interrupted,
    /// Reading the source (or writing the journal) failed.
    #[error("{what}: {error}")]
    Io { what: String, error: std::io::Error },
}

impl StopCause {
    /// True if resuming later can finish the upload; false if it had to be cancelled.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            Self::RetriesExhausted { .. } | Self::Interrupted | Self::Io { .. }
        )
    }
}

/// What became of the upload on the server.
#[derive(Debug, PartialEq)]
pub enum Disposition {
    /// Nothing was created.
    NothingCreated,
    /// The upload was cancelled; nothing is left behind.
    Cancelled { upload_id: String },
    /// Cancelling failed; the upload expires on its own within the hour.
    CancelFailed { upload_id: String, error: String },
    /// The upload is pending: the same call again resumes it, sending only the missing parts.
    Resumable {
        upload_id: String,
        journal: Option<PathBuf>,
        parts_done: usize,
        parts: usize,
    },
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NothingCreated => f.write_str("nothing was created on the server"),
            Self::Cancelled { upload_id } => write!(f, "upload {upload_id} was cancelled"),
            Self::CancelFailed { upload_id, error } => {
                write!(
                    f,
                    "upload {upload_id} could not be cancelled ({error}); it expires on its own"
                )
            }
            Self::Resumable {
                upload_id,
                journal: Some(_),
                parts_done,
                parts,
            } => write!(
                f,
                "upload {upload_id} is still pending with {parts_done} of {parts} parts: run the same upload again to resume, or cancel it"
            ),
            Self::Resumable {
                upload_id,
                journal: None,
                parts_done,
                parts,
            } => write!(
                f,
                "upload {upload_id} is still pending with {parts_done} of {parts} parts, but without a journal it cannot be resumed: cancel it"
            ),
        }
    }
}

/// Why [`send`](crate::UploadBuilder::send) failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Resume(#[from] ResumeError),
    #[error("{cause}; {disposition}")]
    Stopped {
        cause: StopCause,
        disposition: Disposition,
    },
}

impl UploadError {
    /// The upload left pending for a resume, if any.
    pub fn resumable_upload(&self) -> Option<&str> {
        match self {
            Self::Stopped {
                disposition: Disposition::Resumable { upload_id, .. },
                ..
            } => Some(upload_id),
            _ => None,
        }
    }
}
