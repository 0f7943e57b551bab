//! What can go wrong, and what became of the upload when it did.

use std::fmt;
use std::path::PathBuf;

use uploads_client::ApiError;
use uploads_client::rules::{self, RuleViolation};

/// A request refused before anything was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The file cannot be read.
    #[error("cannot read {}: {reason}{}", path.display(), if *not_found { ": check the path" } else { "" })]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
        /// True if it does not exist.
        not_found: bool,
    },
    /// The path names a directory, a device or a pipe.
    #[error("{} is not a regular file: give the path of a file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Nothing to upload.
    #[error("{what} is empty: an Upload needs at least one byte")]
    Empty {
        /// The file, or "the source".
        what: String,
    },
    /// Over the upload limit.
    #[error(
        "{what} is {size} bytes, over the Uploads limit of {max} bytes (8 GiB): split it into several files"
    )]
    TooLarge {
        /// The file, or "the source".
        what: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A part size under the floor or over the part limit.
    #[error(
        "part size {size} is out of range: it must be between {min} bytes ({}) and {max} bytes ({})",
        crate::human_bytes(*min),
        crate::human_bytes(*max)
    )]
    PartSize {
        /// The size given.
        size: u64,
        /// The floor ([`MIN_PART_BYTES`](crate::MIN_PART_BYTES), unless lowered).
        min: u64,
        /// The limit.
        max: u64,
    },
    /// Zero parts in flight.
    #[error("concurrency must be at least 1")]
    Concurrency,
    /// A stream's memory limit that holds less than one part.
    #[error(
        "the memory limit of {} holds less than one part of {}: raise it, or lower the part size",
        crate::human_bytes(*memory),
        crate::human_bytes(*part_size)
    )]
    MemoryBelowPart {
        /// The limit given.
        memory: u64,
        /// The part size planned.
        part_size: u64,
    },
    /// A purpose this crate does not know, not explicitly allowed.
    #[error(
        "unknown purpose {purpose:?}: use one of {}, or allow newer purposes explicitly",
        rules::purpose_names()
    )]
    UnknownPurpose {
        /// The purpose given.
        purpose: String,
    },
    /// A source that is not a file, with no filename given.
    #[error("no filename: give one for a source that is not a file")]
    NoFilename,
    /// A request the API would refuse.
    #[error("{0}")]
    Rule(#[from] RuleViolation),
}

/// A journal that cannot be resumed; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The interrupted upload is past (or too close to) its expiry.
    #[error(
        "the interrupted upload {upload_id} of this file has expired (it expired at {expired_at} Unix time): start over with restart"
    )]
    Expired {
        /// The interrupted upload.
        upload_id: String,
        /// When it expires or expired (Unix seconds).
        expired_at: i64,
    },
    /// The file's size or modification time differ from the journal's.
    #[error("{} changed since upload {upload_id} was interrupted ({detail}): start over with restart", path.display())]
    FileChanged {
        /// The file.
        path: PathBuf,
        /// The interrupted upload.
        upload_id: String,
        /// What changed.
        detail: String,
    },
    /// Another upload of the same file (in this process or another) holds its journal.
    #[error(
        "another upload of {} is running (its journal {} is locked): wait for it to finish, or stop it first",
        file.display(),
        journal.display()
    )]
    InUse {
        /// The file.
        file: PathBuf,
        /// The journal.
        journal: PathBuf,
    },
    /// The filename, purpose, MIME type or part size differ from the journal's.
    #[error(
        "the options differ from the interrupted upload {upload_id} ({detail}): use the same options to resume, or start over with restart"
    )]
    OptionsChanged {
        /// The interrupted upload.
        upload_id: String,
        /// Which options, from what to what.
        detail: String,
    },
}

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
    /// True if resuming later can finish the upload; false if it had to be cancelled.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            Self::RetriesExhausted { .. }
                | Self::NotRetried { .. }
                | Self::Interrupted
                | Self::Io { .. }
        )
    }
}

/// What became of the upload on the server.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Disposition {
    /// Nothing was created.
    NothingCreated,
    /// The upload was cancelled; nothing is left behind.
    Cancelled {
        /// The cancelled upload.
        upload_id: String,
    },
    /// Cancelling failed; the upload expires on its own within the hour.
    CancelFailed {
        /// The upload left pending.
        upload_id: String,
        /// Why the cancel failed.
        error: String,
    },
    /// The upload is pending: the same call again resumes it, sending only the missing parts.
    Resumable {
        /// The pending upload.
        upload_id: String,
        /// The journal a resume reads (`None`: resume is off, the upload cannot be resumed).
        journal: Option<PathBuf>,
        /// Parts stored.
        parts_done: usize,
        /// Parts in the plan.
        parts: usize,
    },
    /// Complete was sent but its answer was lost, and its File was not found: the upload may
    /// have completed. Nothing was cancelled; the journal is kept, so the same call again asks
    /// once more.
    MaybeCompleted {
        /// The upload.
        upload_id: String,
        /// The journal a re-run reads.
        journal: Option<PathBuf>,
    },
    /// The upload completed but its response named no File: the File likely exists.
    CompletedWithoutFile {
        /// The completed upload.
        upload_id: String,
    },
}

impl Disposition {
    /// The upload this is about, if one was created.
    pub fn upload_id(&self) -> Option<&str> {
        match self {
            Self::NothingCreated => None,
            Self::Cancelled { upload_id }
            | Self::CancelFailed { upload_id, .. }
            | Self::Resumable { upload_id, .. }
            | Self::MaybeCompleted { upload_id, .. }
            | Self::CompletedWithoutFile { upload_id } => Some(upload_id),
        }
    }
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
            Self::MaybeCompleted { upload_id, .. } => write!(
                f,
                "the upload may have completed; the File id is unknown (upload {upload_id} was not cancelled): run the same upload again to ask once more, or look for the File in the Files list before uploading again"
            ),
            Self::CompletedWithoutFile { upload_id } => write!(
                f,
                "upload {upload_id} completed, but the response named no File: look for it in the Files list (GET /files) before uploading again"
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
