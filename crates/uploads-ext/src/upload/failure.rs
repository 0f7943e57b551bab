//! The failure policy: cancel what no retry or resume can fix, keep what can be resumed.

use super::run::Run;
use crate::api::UploadApi;
use crate::error::{Disposition, StopCause, UploadError};
use crate::journal::JournalEntry;

impl<A: UploadApi> Run<A> {
    /// Decides what becomes of the upload after `cause`, and says so in the error.
    pub(super) async fn stop_with(&self, cause: StopCause, entry: &JournalEntry) -> UploadError {
        let upload_id = entry.upload_id.clone();
        // A stream cannot be read again, and without a journal nothing can find the upload
        // again: what could be resumed is cancelled instead, never left pending for nobody.
        let disposition = if cause.is_resumable()
            && self.ctx.source.is_resumable()
            && self.journal_path.is_some()
        {
            Disposition::Resumable {
                upload_id,
                journal: self.journal_path.clone(),
                parts_done: entry.parts.len(),
                parts: self.parts.len(),
            }
        } else {
            tracing::warn!(upload = %upload_id, %cause, "cancelling the upload");
            self.forget_journal();
            self.cancel(upload_id).await
        };
        UploadError::Stopped { cause, disposition }
    }

    /// Cancels the upload; one answered "already cancelled" is cancelled all the same.
    pub(super) async fn cancel(&self, upload_id: String) -> Disposition {
        match self.ctx.api.cancel(&upload_id).await {
            Ok(_) => Disposition::Cancelled { upload_id },
            Err(e) if e.is_already_cancelled() => Disposition::Cancelled { upload_id },
            Err(e) => Disposition::CancelFailed {
                upload_id,
                error: e.to_string(),
            },
        }
    }
}
