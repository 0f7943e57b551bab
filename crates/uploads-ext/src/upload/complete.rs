//! Completing: send complete, retried; when its outcome is unknown (a response lost after the
//! request went out, or a complete sent by an earlier run), look for the File it made instead of
//! reporting a failure, and never cancel.

use std::sync::atomic::{AtomicBool, Ordering};

use uploads_client::{ApiError, types};

use super::outcome::{Finished, Halt};
use super::run::Run;
use crate::api::UploadApi;
use crate::error::{Step, StopCause};
use crate::journal::JournalEntry;
use crate::progress::Event;
use crate::retry::Failure;

/// Pages of Files looked through for a lost complete's File before giving up: with 100 Files a
/// page, the newest 5,000 Files of the purpose.
const MAX_PAGES: usize = 50;

/// How long a search that finds several candidates waits for the run's other completes in
/// flight to claim theirs.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(60);

/// What a search for a lost complete's File found.
enum Found {
    None,
    One(types::OpenAiFile),
    /// More than one File could be this upload's: their ids.
    Several(Vec<String>),
}

/// True if the request may have reached the service: any transport error but one where the
/// service could not be reached at all (nothing was sent then).
fn may_have_arrived(e: &ApiError) -> bool {
    e.transport().is_some() && !e.is_unreachable()
}

impl<A: UploadApi> Run<A> {
    /// Sends complete (recorded in the journal first, so a crash leaves a trace), and finds
    /// the File when the answer is lost.
    pub(super) async fn complete(
        &self,
        entry: &mut JournalEntry,
        md5: Option<String>,
    ) -> Result<Finished, Halt> {
        let unknown = AtomicBool::new(entry.complete_sent);
        if !entry.complete_sent {
            entry.complete_sent = true;
            self.save_journal(entry)?;
        }
        self.ctx.emit.emit(Event::Completing);
        let part_ids: Vec<String> = entry.parts.values().map(|p| p.id.clone()).collect();
        let (api, upload_id) = (&self.ctx.api, &entry.upload_id);
        let claims = &self.settings.claims;
        let completing = claims.completing();
        let result = self
            .ctx
            .retry
            .run(Step::Complete, || async {
                let answer = api.complete(upload_id, part_ids.clone(), md5.clone()).await;
                if let Err(e) = &answer
                    && may_have_arrived(e)
                {
                    unknown.store(true, Ordering::SeqCst);
                }
                answer.map_err(Failure::Api)
            })
            .await;
        // The File the service named is this upload's: no search may take it.
        if let Ok(types::Upload {
            file: Some(file), ..
        }) = &result
        {
            claims.claim(&file.id);
        }
        drop(completing);
        match result {
            Ok(upload) if upload.file.is_some() => Ok(Finished {
                file: upload.file.clone(),
                upload,
                md5,
                recovered: false,
                check: None,
            }),
            Ok(upload) => {
                // Completed, but the response names no File: look for it.
                let file = match self.find_file(entry).await {
                    Ok(Found::One(file)) => Some(file),
                    _ => None,
                };
                Ok(Finished {
                    recovered: file.is_some(),
                    file,
                    upload,
                    md5,
                    check: None,
                })
            }
            // A stop by the caller is no answer: the journal says complete was sent, so the
            // resume asks again.
            Err(StopCause::Interrupted) => Err(Halt::Stop(StopCause::Interrupted)),
            Err(cause) if unknown.load(Ordering::SeqCst) => match self.find_file(entry).await {
                Ok(Found::One(file)) => {
                    tracing::info!(upload = %entry.upload_id, file = %file.id, "recovered after a lost response");
                    Ok(Finished {
                        upload: self.rebuilt_upload(entry, &file),
                        file: Some(file),
                        md5,
                        recovered: true,
                        check: None,
                    })
                }
                Ok(Found::None) => Err(Halt::OutcomeUnknown(cause, Vec::new())),
                Ok(Found::Several(ids)) => Err(Halt::OutcomeUnknown(cause, ids)),
                Err(search) => {
                    tracing::warn!(error = %search, "could not look for the File");
                    Err(Halt::OutcomeUnknown(cause, Vec::new()))
                }
            },
            Err(cause) => Err(Halt::Stop(cause)),
        }
    }

    /// This upload's File, found by listing: a File with its filename, size and purpose,
    /// created at or after the upload (the service's clock on both), and claimed by no other
    /// upload of this run nor recorded elsewhere. Any File found may be another upload's
    /// whose complete is still in flight, so the run's completes in flight first claim
    /// theirs; then one File left is claimed and returned, and several are not guessed
    /// between (they are returned as candidates).
    async fn find_file(&self, entry: &JournalEntry) -> Result<Found, StopCause> {
        let claims = &self.settings.claims;
        let mut candidates = self.candidates(entry).await?;
        if !candidates.is_empty() && claims.any_completing() && claims.settle(SETTLE).await {
            candidates = self.candidates(entry).await?;
        }
        match candidates.as_slice() {
            [] => Ok(Found::None),
            [file] if claims.claim(&file.id) => Ok(Found::One(file.clone())),
            // Claimed by another upload between the listing and now: not ours.
            [_] => Ok(Found::None),
            several => Ok(Found::Several(
                several.iter().map(|f| f.id.clone()).collect(),
            )),
        }
    }

    /// The unclaimed Files that could be this upload's, newest first.
    async fn candidates(&self, entry: &JournalEntry) -> Result<Vec<types::OpenAiFile>, StopCause> {
        let api = &self.ctx.api;
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .ctx
                .retry
                .run(Step::FindFile, || async {
                    api.list_files(&entry.purpose, after.as_deref())
                        .await
                        .map_err(Failure::Api)
                })
                .await?;
            for file in &page.files {
                if file.created_at < entry.created_at {
                    // Newest first: everything after this is older than the upload.
                    return Ok(found);
                }
                if file.filename == entry.filename
                    && u64::try_from(file.bytes).ok() == Some(entry.size)
                    && file.purpose.to_string() == entry.purpose.as_str()
                    && !self.settings.claims.is_claimed(&file.id)
                {
                    found.push(file.clone());
                }
            }
            match page.files.last() {
                Some(last) if page.has_more => after = Some(last.id.clone()),
                _ => return Ok(found),
            }
        }
        Ok(found)
    }

    /// The completed Upload, rebuilt from the journal and the File found.
    fn rebuilt_upload(&self, entry: &JournalEntry, file: &types::OpenAiFile) -> types::Upload {
        types::Upload {
            id: entry.upload_id.clone(),
            object: Some(types::UploadObject::Upload),
            bytes: file.bytes,
            created_at: entry.created_at,
            expires_at: entry.expires_at,
            filename: entry.filename.clone(),
            purpose: entry.purpose.to_string(),
            status: types::KnownUploadStatus::Completed.into(),
            file: Some(file.clone()),
        }
    }
}
