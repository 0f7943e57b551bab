//! Starting a run: resume the journal's upload if it still fits this one, else create a new
//! upload and its journal.

use uploads_client::rules::unix_now;

use super::run::Run;
use crate::api::{CreateRequest, UploadApi};
use crate::error::{Disposition, ResumeError, Step, StopCause, UploadError};
use crate::journal::{self, JournalEntry};
use crate::retry::Failure;

/// A resumed upload is not used if it expires sooner than this: we could not finish in time.
const EXPIRY_MARGIN_SECS: i64 = 60;

impl<A: UploadApi> Run<A> {
    /// Finds a journal to resume, or creates the upload and its journal.
    pub(super) async fn start_or_resume(&self) -> Result<JournalEntry, UploadError> {
        if let Some(path) = &self.journal_path {
            let existing = journal::load(path).map_err(|error| UploadError::Stopped {
                cause: StopCause::Io {
                    what: format!("reading the journal {}", path.display()),
                    error,
                },
                disposition: Disposition::NothingCreated,
            })?;
            // A journal made against another endpoint (copied, or edited) is not ours to resume.
            let existing = existing.filter(|entry| {
                let same =
                    entry.endpoint.trim_end_matches('/') == self.endpoint.trim_end_matches('/');
                if !same {
                    tracing::warn!(
                        journal = %path.display(),
                        theirs = %entry.endpoint,
                        ours = %self.endpoint,
                        "ignoring a journal made against another endpoint"
                    );
                }
                same
            });
            if let Some(entry) = existing {
                if self.settings.restart {
                    tracing::info!(upload = %entry.upload_id, "restart: cancelling the interrupted upload");
                    let _ = self.ctx.api.cancel(&entry.upload_id).await;
                    let _ = journal::forget(path);
                } else {
                    match self.check_resumable(&entry, unix_now()) {
                        Ok(()) => {
                            tracing::info!(upload = %entry.upload_id, done = entry.parts.len(), "resuming");
                            return Ok(entry);
                        }
                        // An expired upload cannot be resumed, and nothing is lost by starting
                        // over (it holds no File): start over, saying why.
                        Err(ResumeError::Expired {
                            upload_id,
                            expired_at,
                        }) => {
                            let message = format!(
                                "the interrupted upload {upload_id} of this file expired at {}: starting over",
                                crate::clock::utc(expired_at)
                            );
                            tracing::warn!("{message}");
                            self.ctx
                                .emit
                                .emit(crate::progress::Event::Warning { message });
                            let _ = journal::forget(path);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        let mut req = CreateRequest::new(
            self.checked.filename.clone(),
            self.purpose.clone(),
            self.checked.identity.size,
            self.checked.mime_type.clone(),
        );
        req.expires_after = self.settings.expires_after;
        let api = &self.ctx.api;
        let upload = self
            .ctx
            .retry
            .run(Step::Create, || async {
                api.create(req.clone()).await.map_err(Failure::Api)
            })
            .await
            .map_err(|cause| UploadError::Stopped {
                cause,
                disposition: Disposition::NothingCreated,
            })?;
        let entry = JournalEntry {
            version: journal::VERSION,
            endpoint: self.endpoint.clone(),
            upload_id: upload.id.clone(),
            expires_at: upload.expires_at,
            path: journal::source_key(&self.checked.identity),
            size: self.checked.identity.size,
            mtime_ns: self.checked.identity.mtime_ns,
            source_version: self
                .checked
                .identity
                .remote
                .as_ref()
                .and_then(|r| r.version.clone()),
            filename: self.checked.filename.clone(),
            purpose: self.purpose.clone(),
            mime_type: self.checked.mime_type.clone(),
            part_size: self.part_size,
            total_parts: self.parts.len(),
            created_at: upload.created_at,
            complete_sent: false,
            parts: Default::default(),
        };
        if let Err(cause) = self.save_journal(&entry) {
            // Without its journal the upload could never be resumed: cancel it rather than
            // leave it pending for an hour.
            tracing::warn!(upload = %upload.id, %cause, "no journal: cancelling the new upload");
            let disposition = self.cancel(upload.id.clone()).await;
            return Err(UploadError::Stopped { cause, disposition });
        }
        tracing::info!(upload = %upload.id, parts = self.parts.len(), "upload created");
        Ok(entry)
    }

    /// A journal is resumed only for the same file (size and modification time), the same
    /// options, and an upload that will not expire before we can finish.
    fn check_resumable(&self, e: &JournalEntry, now: i64) -> Result<(), ResumeError> {
        let id = &self.checked.identity;
        if e.size != id.size || e.mtime_ns != id.mtime_ns {
            return Err(ResumeError::FileChanged {
                path: e.path.clone(),
                upload_id: e.upload_id.clone(),
                detail: crate::clock::change((e.size, id.size), (e.mtime_ns, id.mtime_ns)),
            });
        }
        let version = id.remote.as_ref().and_then(|r| r.version.as_deref());
        if e.source_version.as_deref() != version {
            return Err(ResumeError::FileChanged {
                path: e.path.clone(),
                upload_id: e.upload_id.clone(),
                detail: format!(
                    "the object was replaced: its version was {}, now {}",
                    e.source_version.as_deref().unwrap_or("none"),
                    version.unwrap_or("none")
                ),
            });
        }
        let options = [
            (
                "filename",
                e.filename.as_str(),
                self.checked.filename.as_str(),
            ),
            ("purpose", e.purpose.as_str(), self.purpose.as_str()),
            (
                "MIME type",
                e.mime_type.as_str(),
                self.checked.mime_type.as_str(),
            ),
        ];
        let mut diffs: Vec<String> = options
            .iter()
            .filter(|(_, was, now)| was != now)
            .map(|(what, was, now)| format!("{what} was {was}, now {now}"))
            .collect();
        // An automatic part size follows the journal; an explicit one must match it.
        if let Some(asked) = self.settings.part_size
            && e.part_size != asked
        {
            diffs.push(format!("part size was {}, now {asked}", e.part_size));
        }
        if !diffs.is_empty() {
            return Err(ResumeError::OptionsChanged {
                upload_id: e.upload_id.clone(),
                detail: diffs.join("; "),
            });
        }
        // Once complete was sent the upload may be done: its expiry no longer matters, and the
        // resume finds out.
        if !e.complete_sent && now + EXPIRY_MARGIN_SECS >= e.expires_at {
            return Err(ResumeError::Expired {
                upload_id: e.upload_id.clone(),
                expired_at: e.expires_at,
            });
        }
        Ok(())
    }
}
