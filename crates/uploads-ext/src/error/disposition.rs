//! What a stopped upload left on the server, and what to do about it.

use std::fmt;
use std::path::PathBuf;

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
        journal: Option<Box<std::path::Path>>,
        /// Files that could each be this upload's (same name, size and purpose, claimed by no
        /// other upload of the run): not guessed between. Empty when none was found.
        candidates: Box<[String]>,
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
            Self::MaybeCompleted {
                upload_id,
                candidates,
                ..
            } if candidates.is_empty() => write!(
                f,
                "the upload may have completed; the File id is unknown (upload {upload_id} was not cancelled): run the same upload again to ask once more, or look for the File in the Files list before uploading again"
            ),
            Self::MaybeCompleted {
                upload_id,
                candidates,
                ..
            } => write!(
                f,
                "the upload may have completed as one of the Files {} (each has its name, size and purpose; which is not known, so none is reported as it; upload {upload_id} was not cancelled): run the same upload again to ask once more, or download the candidates to tell them apart",
                candidates.join(", ")
            ),
            Self::CompletedWithoutFile { upload_id } => write!(
                f,
                "upload {upload_id} completed, but the response named no File: look for it in the Files list (GET /files) before uploading again"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_disposition_but_nothing_created_names_its_upload() {
        let id = || "upload_7".to_owned();
        let all = [
            Disposition::Cancelled { upload_id: id() },
            Disposition::CancelFailed {
                upload_id: id(),
                error: "e".into(),
            },
            Disposition::Resumable {
                upload_id: id(),
                journal: None,
                parts_done: 1,
                parts: 2,
            },
            Disposition::MaybeCompleted {
                upload_id: id(),
                journal: None,
                candidates: Box::new([]),
            },
            Disposition::CompletedWithoutFile { upload_id: id() },
        ];
        for d in &all {
            assert_eq!(d.upload_id(), Some("upload_7"), "{d:?}");
        }
        assert_eq!(Disposition::NothingCreated.upload_id(), None);
    }
}
