//! What a run ends with: [`Completed`] for the caller; inside, a finished complete or why the
//! run halted, before the failure policy sees it.

use uploads_client::types;

use crate::error::StopCause;

/// A finished upload.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Completed {
    /// The Upload, `completed`.
    pub upload: types::Upload,
    /// The File made from the upload, ready to use.
    pub file: types::OpenAiFile,
    /// Parts sent by this call.
    pub parts_sent: usize,
    /// Parts an earlier, interrupted call had sent.
    pub parts_resumed: usize,
    /// The md5 the server checked, if computed.
    pub md5: Option<String>,
    /// What the content check found (warnings only: an error stops the upload), if it ran.
    pub check: Option<crate::check::Report>,
    /// True if complete's response was lost and the File was found by listing Files; `upload`
    /// is then rebuilt from what the engine knows.
    pub recovered: bool,
    /// The source as the upload read it (size and modification time when it was validated,
    /// and checked unchanged through the last part): what to record of the File's content,
    /// not the file as it may be by the time this returns.
    pub identity: crate::Identity,
}

/// A completed upload, as far as the run knows.
pub(super) struct Finished {
    pub(super) upload: types::Upload,
    /// The File; `None` only if the service completed the upload but named no File and none
    /// could be found.
    pub(super) file: Option<types::OpenAiFile>,
    pub(super) md5: Option<String>,
    /// True if the File was found by listing rather than read from complete's response.
    pub(super) recovered: bool,
    /// The content check's report, set by the run once complete has answered.
    pub(super) check: Option<crate::check::Report>,
}

/// Why a run stopped before it finished.
pub(super) enum Halt {
    /// A stop for the failure policy: cancel, or keep for a resume.
    Stop(StopCause),
    /// Complete may have succeeded but its File was not found (or not told apart from others:
    /// the candidates' ids): neither a failure nor a cancel.
    OutcomeUnknown(StopCause, Vec<String>),
}

impl From<StopCause> for Halt {
    fn from(cause: StopCause) -> Self {
        Self::Stop(cause)
    }
}
