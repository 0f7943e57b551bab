//! Refusals before anything is sent: a request certain to fail, or a journal that cannot be
//! resumed.

use std::path::PathBuf;

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
    #[error("{}", unknown_purpose(purpose))]
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
        "the interrupted upload {upload_id} of this file has expired (at {}): start over with restart", crate::clock::utc(*expired_at)
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

/// The unknown-purpose message: the likely meant purpose first, if there is one.
fn unknown_purpose(purpose: &str) -> String {
    match uploads_client::rules::Purpose::closest(purpose) {
        Some(meant) => format!(
            "unknown purpose {purpose:?}: did you mean {:?}? (the purposes are {})",
            meant.as_str(),
            rules::purpose_names()
        ),
        None => format!(
            "unknown purpose {purpose:?}: use one of {}, or allow newer purposes explicitly",
            rules::purpose_names()
        ),
    }
}
