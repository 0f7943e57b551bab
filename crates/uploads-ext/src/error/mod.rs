//! What can go wrong, and what became of the upload when it did: refusals before anything is
//! sent ([`refused`]), why a run stopped (here), and what it left on the server
//! ([`disposition`]).

mod disposition;
mod refused;

pub use disposition::Disposition;
pub use refused::{ResumeError, ValidationError};

use std::fmt;
use std::path::PathBuf;

use uploads_client::ApiError;

/// Which step of the protocol failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// `POST /uploads`.
    Create,
    /// `POST /uploads/{id}/parts` for the part at this index (0-based).
    Part(usize),
    /// `POST /uploads/{id}/complete`.
    Complete,
    /// `GET /files`, looking for the File of a complete whose response was lost.
    FindFile,
}

impl Step {
    /// The part's index, for a part step.
    pub fn part(self) -> Option<usize> {
        match self {
            Self::Part(i) => Some(i),
            _ => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create => f.write_str("creating the upload"),
            Self::Part(i) => write!(f, "sending part {}", i + 1),
            Self::Complete => f.write_str("completing the upload"),
            Self::FindFile => f.write_str("looking for the File of the completed upload"),
        }
    }
}

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StopCause {
    /// The server refused for a reason no retry fixes.
    #[error("{step} failed: {error}")]
    Refused {
        /// The step refused.
        step: Step,
        /// The server's answer.
        error: ApiError,
    },
    /// Every attempt failed with a retryable error.
    #[error("{step} failed after {attempts} attempts: {error}")]
    RetriesExhausted {
        /// The step that kept failing.
        step: Step,
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        error: ApiError,
    },
    /// A failure a retry could fix, but the service asked not to retry it now
    /// (`x-should-retry: false`); the upload stays resumable.
    #[error("{step} failed and the service asked not to retry it (x-should-retry: false): {error}")]
    NotRetried {
        /// The step that failed.
        step: Step,
        /// The service's answer.
        error: ApiError,
    },
    /// Before anything was uploaded, the service could not be reached at all (connection
    /// refused, DNS or TLS failure) for [`RetryPolicy::unreachable_patience`](crate::RetryPolicy).
    #[error("the API cannot be reached ({attempts} attempts): {error}")]
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        error: ApiError,
    },
    /// The file changed while it was being uploaded.
    #[error("{} changed during the upload ({detail}); upload it again once it is stable", path.display())]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// What changed.
        detail: String,
    },
    /// The content check found the file would fail as a batch or fine-tuning input; the
    /// report says where and why. Not resumable: the upload is cancelled.
    #[error("{}", content_rejected(report))]
    ContentRejected {
        /// Everything the check found.
        report: Box<crate::check::Report>,
    },
    /// The caller's cancellation token fired.
    #[error("interrupted")]
    Interrupted,
    /// Reading the source or writing the journal failed: the disk, not the upload, is at fault.
    #[error("{what}: {error}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A bug in this crate: a task panicked, or the engine's own bookkeeping disagreed with
    /// itself. The upload's state is not trusted, so it is not resumed.
    #[error("internal error while {what}: please report this bug")]
    Internal {
        /// What was being done, and what went wrong.
        what: String,
    },
}

impl StopCause {
    /// The service's answer behind the stop, if one was (its status and request id are in its
    /// [`body`](ApiError::body)).
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Refused { error, .. }
            | Self::RetriesExhausted { error, .. }
            | Self::NotRetried { error, .. }
            | Self::Unreachable { error, .. } => Some(error),
            _ => None,
        }
    }

    /// True if resuming later can finish the upload; false if it had to be cancelled. A
    /// source that is gone (deleted during the upload) cannot be read again by a resume.
    pub fn is_resumable(&self) -> bool {
        match self {
            Self::Io { error, .. } => error.kind() != std::io::ErrorKind::NotFound,
            _ => matches!(
                self,
                Self::RetriesExhausted { .. } | Self::NotRetried { .. } | Self::Interrupted
            ),
        }
    }
}

/// Why [`send`](crate::UploadBuilder::send) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// Refused before any request.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A journal was found but cannot be resumed; nothing was sent.
    #[error(transparent)]
    Resume(#[from] ResumeError),
    /// The upload started and stopped; `disposition` says what is left on the server.
    #[error("{cause}; {disposition}")]
    Stopped {
        /// Why it stopped.
        cause: StopCause,
        /// What became of the upload.
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

fn content_rejected(report: &crate::check::Report) -> String {
    let first = report
        .first_error
        .as_ref()
        .map(|f| format!(": {f}"))
        .unwrap_or_default();
    format!(
        "the file is not a valid {} file ({} error{}){first}",
        report.purpose,
        report.errors,
        if report.errors == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error() -> ApiError {
        ApiError::InvalidRequest("refused".into())
    }

    #[test]
    fn the_services_answer_is_there_for_every_stop_it_caused() {
        let causes = [
            StopCause::Refused {
                step: Step::Create,
                error: api_error(),
            },
            StopCause::RetriesExhausted {
                step: Step::Part(0),
                attempts: 5,
                error: api_error(),
            },
            StopCause::NotRetried {
                step: Step::Complete,
                error: api_error(),
            },
            StopCause::Unreachable {
                attempts: 6,
                error: api_error(),
            },
        ];
        for cause in &causes {
            let error = cause.api_error().unwrap_or_else(|| panic!("{cause:?}"));
            assert_eq!(error.to_string(), api_error().to_string());
        }
        assert!(StopCause::Interrupted.api_error().is_none());
    }

    #[test]
    fn a_disk_error_is_resumable_unless_the_source_is_gone() {
        let io = |kind: std::io::ErrorKind| StopCause::Io {
            what: "reading".into(),
            error: kind.into(),
        };
        assert!(io(std::io::ErrorKind::PermissionDenied).is_resumable());
        assert!(io(std::io::ErrorKind::StorageFull).is_resumable());
        assert!(!io(std::io::ErrorKind::NotFound).is_resumable());
        assert!(StopCause::Interrupted.is_resumable());
        assert!(
            !StopCause::Refused {
                step: Step::Create,
                error: api_error(),
            }
            .is_resumable()
        );
    }
}
