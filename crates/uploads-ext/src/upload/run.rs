//! The run of a prepared upload: create or resume, send the parts with the md5 alongside,
//! check, complete; any stop goes once through the failure policy.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uploads_client::rules::{ContentFormat, Purpose};

use super::budget::PartBudget;
use super::outcome::{Completed, Finished, Halt};
use super::prepared::PreparedUpload;
use super::settings::Settings;
use crate::api::UploadApi;
use crate::error::{Disposition, ResumeError, Step, StopCause, UploadError};
use crate::journal::{self, JournalEntry};
use crate::plan::{PartSpec, plan};
use crate::progress::{Emitter, Event};
use crate::retry::RetryContext;
use crate::scan::{ScanPlan, Scanned, scan};
use crate::source::{Identity, Source};
use crate::validate::Checked;

/// What every part of one upload shares, behind one `Arc`.
pub(super) struct RunContext<A: UploadApi> {
    pub(super) api: Arc<A>,
    pub(super) source: Source,
    /// The source as validated: any change before completion stops the upload.
    pub(super) identity: Identity,
    pub(super) emit: Emitter,
    /// Fired to stop every part: by the caller's token, or by us on the first failure.
    pub(super) stop: CancellationToken,
    pub(super) retry: RetryContext,
    /// The shared bandwidth cap, if any.
    pub(super) bandwidth: Option<Arc<crate::BandwidthLimit>>,
}

/// One upload in progress.
pub(super) struct Run<A: UploadApi> {
    pub(super) ctx: Arc<RunContext<A>>,
    /// Bytes per part of a new upload: asked for, or chosen for the file.
    pub(super) part_size: u64,
    /// The plan: for a resumed upload, the journal's part size decides it.
    pub(super) parts: Vec<PartSpec>,
    /// Where part slots come from: this upload's own budget, or one shared with others.
    pub(super) budget: PartBudget,
    /// A tighter cap of this upload's own (a stream's memory limit), if the plan has one.
    pub(super) own_cap: Option<Arc<Semaphore>>,
    pub(super) journal_path: Option<PathBuf>,
    /// Held while the run lasts: no second upload of the file can take its journal.
    _journal_lock: Option<journal::JournalLock>,
    pub(super) settings: Settings,
    pub(super) purpose: Purpose,
    pub(super) content_format: Option<ContentFormat>,
    pub(super) checked: Checked,
    pub(super) endpoint: String,
}

impl<A: UploadApi> PreparedUpload<A> {
    /// Runs the upload as planned (what [`PreparedUpload::send`] does inside its span).
    pub(super) async fn run(self) -> Result<Completed, UploadError> {
        // A file of one part that fails its check is refused before its upload is created:
        // the check reads it once more (one part at most), and no upload is made to cancel.
        if self.settings.check_content
            && self.part_count == 1
            && self.source.is_replayable()
            && let Ok(Some(report)) = self.check_contents().await
            && !report.is_ok()
        {
            return Err(UploadError::Stopped {
                cause: StopCause::ContentRejected {
                    report: Box::new(report),
                },
                disposition: Disposition::NothingCreated,
            });
        }
        Run::new(self)?.execute().await
    }
}

impl<A: UploadApi> Run<A> {
    /// Takes the journal's lock and sets the run up from the prepared plan (validated once,
    /// in [`prepare`](super::prepared::prepare): nothing is checked again here).
    pub(super) fn new(p: PreparedUpload<A>) -> Result<Self, UploadError> {
        let s = p.settings;
        let checked = p.checked;
        let emit = Emitter::new(s.progress.clone());
        for message in &checked.warnings {
            tracing::warn!(%message, "pre-flight");
            emit.emit(Event::Warning {
                message: message.clone(),
            });
        }
        let endpoint = p.api.endpoint();
        // A file's journal is named by its path (and region), an object's by its URL; other
        // sources have none.
        let journal_path = match (
            &s.journal_dir,
            &checked.identity.path,
            &checked.identity.remote,
        ) {
            (Some(dir), Some(path), _) => Some(journal::path_for(
                dir,
                &endpoint,
                &journal::key_for(path, checked.identity.region),
            )),
            (Some(dir), None, Some(_)) => Some(journal::path_for(
                dir,
                &endpoint,
                &journal::source_key(&checked.identity),
            )),
            _ => None,
        };
        let journal_lock = match &journal_path {
            Some(path) => Some(
                journal::try_lock(path)
                    .map_err(|error| UploadError::Stopped {
                        cause: StopCause::Io {
                            what: format!("locking the journal {}", path.display()),
                            error,
                        },
                        disposition: Disposition::NothingCreated,
                    })?
                    .ok_or_else(|| ResumeError::InUse {
                        file: journal::source_key(&checked.identity),
                        journal: path.clone(),
                    })?,
            ),
            None => None,
        };
        let stop = s.cancel.child_token();
        let ctx = RunContext {
            api: p.api,
            source: p.source,
            identity: checked.identity.clone(),
            retry: RetryContext::new(s.retry.clone(), None, stop.clone(), emit.clone()),
            emit,
            stop,
            bandwidth: s.bandwidth.clone(),
        };
        let own_cap = (p.parts_in_flight < p.budget.parts().min(p.part_count))
            .then(|| Arc::new(Semaphore::new(p.parts_in_flight)));
        Ok(Self {
            ctx: Arc::new(ctx),
            part_size: p.part_size,
            parts: plan(checked.identity.size, p.part_size),
            budget: p.budget,
            own_cap,
            journal_path,
            _journal_lock: journal_lock,
            purpose: p.purpose,
            content_format: p.content_format,
            checked,
            endpoint,
            settings: s,
        })
    }

    /// Runs the upload; a stop is handed to the failure policy once, here.
    pub(super) async fn execute(mut self) -> Result<Completed, UploadError> {
        let mut entry = self.start_or_resume().await?;
        if entry.part_size != self.part_size {
            // Resumed with an automatic size: the interrupted upload's plan is the plan.
            self.part_size = entry.part_size;
            self.parts = plan(self.checked.identity.size, entry.part_size);
        }
        let parts_resumed = entry.parts.len();
        let done = match self.upload_parts_and_complete(&mut entry).await {
            Ok(done) => done,
            Err(Halt::Stop(cause)) => return Err(self.stop_with(cause, &entry).await),
            Err(Halt::OutcomeUnknown(cause, candidates)) => {
                // Never a cancel: the File may exist. The journal stays, so the same call
                // again asks the service once more.
                tracing::warn!(upload = %entry.upload_id, %cause, "complete's outcome is unknown");
                return Err(UploadError::Stopped {
                    cause,
                    disposition: Disposition::MaybeCompleted {
                        upload_id: entry.upload_id,
                        journal: self.journal_path.clone().map(PathBuf::into_boxed_path),
                        candidates: candidates.into(),
                    },
                });
            }
        };
        self.forget_journal();
        let upload_id = entry.upload_id;
        let Finished {
            upload,
            file,
            md5,
            recovered,
            check,
        } = done;
        let Some(file) = file else {
            return Err(UploadError::Stopped {
                cause: StopCause::Refused {
                    step: Step::Complete,
                    error: uploads_client::ApiError::Decode(
                        "the completed Upload has no file".into(),
                    ),
                },
                disposition: Disposition::CompletedWithoutFile { upload_id },
            });
        };
        self.ctx.emit.emit(Event::Completed {
            file_id: file.id.clone(),
        });
        tracing::info!(upload = %upload_id, file = %file.id, recovered, "upload completed");
        Ok(Completed {
            upload,
            file,
            parts_sent: self.parts.len().saturating_sub(parts_resumed),
            parts_resumed,
            md5,
            recovered,
            check,
            identity: self.checked.identity.clone(),
        })
    }

    /// Everything after create: the parts (the md5 alongside), the checks, complete.
    async fn upload_parts_and_complete(&self, entry: &mut JournalEntry) -> Result<Finished, Halt> {
        self.ctx.emit.emit(Event::Started {
            upload_id: entry.upload_id.clone(),
            filename: self.checked.filename.clone(),
            bytes: self.checked.identity.size,
            parts: self.parts.len(),
            parts_done: entry.parts.len(),
            bytes_done: entry.bytes_done(),
        });
        let check = self
            .content_format
            .map(|format| (format, self.settings.check_options));
        let plan = ScanPlan {
            md5: self.settings.md5,
            check,
        };
        // A resumed object's pass reads the stored parts through for the md5 and the check,
        // holding none of them.
        if let Some(stream) = self.ctx.source.as_stream() {
            stream.skip(
                entry
                    .parts
                    .keys()
                    .filter_map(|i| self.parts.get(*i))
                    .map(|p| (p.offset, p.len)),
            );
        }
        let rejected = Arc::new(AtomicBool::new(false));
        // A stream is read once, by the parts: its check is armed before the first part
        // reads, since the spawned pass may start after they have read it all.
        if let (Some(stream), Some((purpose, options))) = (self.ctx.source.as_stream(), plan.check)
        {
            let (stop, flag) = (self.ctx.stop.clone(), rejected.clone());
            let on_first_error = move || {
                flag.store(true, Ordering::SeqCst);
                stop.cancel();
            };
            stream
                .check_with(purpose, options, Box::new(on_first_error))
                .await;
        }
        let scan_task = (plan.md5 || plan.check.is_some()).then(|| {
            let (source, len) = (self.ctx.source.clone(), self.checked.identity.size);
            let (stop, flag) = (self.ctx.stop.clone(), rejected.clone());
            // At the check's first error every part stops; the pass reads on to the end so
            // that the report counts everything.
            AbortOnDrop(tokio::spawn(scan(source, len, plan, move || {
                flag.store(true, Ordering::SeqCst);
                stop.cancel();
            })))
        });

        let sent = self.send_parts(entry).await;
        if rejected.load(Ordering::SeqCst)
            && let Some(task) = scan_task
        {
            return Err(match task.join().await?.report {
                Some(report) => StopCause::ContentRejected {
                    report: Box::new(report),
                },
                None => StopCause::Internal {
                    what: "checking the contents: an error was flagged with no report".into(),
                },
            }
            .into());
        }
        sent?;
        // Every part sent: what the pass has not reached is stored parts, read through now.
        if let Some(stream) = self.ctx.source.as_stream() {
            stream
                .drain_skipped()
                .await
                .map_err(|error| StopCause::Io {
                    what: "reading the stored parts for the md5 and the check".into(),
                    error,
                })?;
        }

        // Nothing is completed from a file that changed under us.
        let now = self
            .ctx
            .source
            .identity()
            .await
            .map_err(|error| StopCause::Io {
                what: if error.kind() == std::io::ErrorKind::NotFound {
                    "checking the file before completing: it was deleted or moved during the upload, so nothing can complete from it".into()
                } else {
                    "checking the file before completing".into()
                },
                error,
            })?;
        unchanged(&self.checked.identity, &now)?;
        let sent = entry.bytes_done();
        if sent != self.checked.identity.size || entry.parts.len() != self.parts.len() {
            return Err(StopCause::Internal {
                what: format!(
                    "checking the parts before completing: they add up to {sent} bytes in {} parts, expected {} bytes in {}",
                    entry.parts.len(),
                    self.checked.identity.size,
                    self.parts.len()
                ),
            }
            .into());
        }
        let scanned = match scan_task {
            Some(task) => task.join().await?,
            None => Scanned::default(),
        };
        if let Some(report) = scanned.report.as_ref().filter(|r| !r.is_ok()) {
            return Err(StopCause::ContentRejected {
                report: Box::new(report.clone()),
            }
            .into());
        }
        let mut done = self.complete(entry, scanned.md5).await?;
        done.check = scanned.report;
        Ok(done)
    }

    /// Writes the journal, if there is one.
    pub(super) fn save_journal(&self, entry: &JournalEntry) -> Result<(), StopCause> {
        match &self.journal_path {
            Some(path) => journal::save(path, entry).map_err(|error| StopCause::Io {
                what: format!("writing the journal {}", path.display()),
                error,
            }),
            None => Ok(()),
        }
    }

    /// Removes the journal (and, while still holding it, its lock file): the upload is
    /// completed or cancelled.
    pub(super) fn forget_journal(&self) {
        if let Some(path) = &self.journal_path
            && let Err(e) = journal::forget(path)
        {
            tracing::warn!(journal = %path.display(), error = %e, "could not remove the journal");
        }
    }
}

/// The md5-and-check pass, aborted if the run stops before it is awaited.
struct AbortOnDrop(tokio::task::JoinHandle<std::io::Result<Scanned>>);

impl AbortOnDrop {
    async fn join(mut self) -> Result<Scanned, StopCause> {
        let handle = &mut self.0;
        match handle.await {
            Ok(Ok(scanned)) => Ok(scanned),
            Ok(Err(error)) => Err(StopCause::Io {
                what: "reading the file for its md5 and check".into(),
                error,
            }),
            Err(join) => Err(StopCause::Internal {
                what: format!("computing the md5 and check: the task failed ({join})"),
            }),
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `Ok` if the source still has the size and modification time it was validated with.
pub(super) fn unchanged(before: &Identity, now: &Identity) -> Result<(), StopCause> {
    if before.size == now.size && before.mtime_ns == now.mtime_ns {
        return Ok(());
    }
    Err(StopCause::FileChanged {
        path: before.path.clone().unwrap_or_default(),
        detail: crate::clock::change((before.size, now.size), (before.mtime_ns, now.mtime_ns)),
    })
}
