//! The orchestration: create (or resume), parts in parallel, md5 alongside, complete, and the
//! failure policy. Protocol calls go through [`UploadApi`]; nothing here knows HTTP.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uploads_client::rules::Limits;
use uploads_client::{ApiError, Client, PartData, types};

use crate::api::{CreateRequest, UploadApi};
use crate::error::{Disposition, ResumeError, Step, StopCause, UploadError};
use crate::journal::{self, DonePart, JournalEntry};
use crate::plan::{PartSpec, plan};
use crate::progress::{Event, Progress};
use crate::retry::{RetryPolicy, Verdict, classify};
pub use crate::validate::Purpose;
use crate::validate::{self, Checked};
use crate::{DEFAULT_CONCURRENCY, DEFAULT_PART_SIZE, Source};

/// A resumed upload is not used if it expires sooner than this: we could not finish in time.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// A finished upload.
#[derive(Clone, Debug)]
pub struct Completed {
    pub upload: types::Upload,
    /// The File made from the upload, ready to use.
    pub file: types::OpenAiFile,
    /// Parts sent by this call.
    pub parts_sent: usize,
    /// Parts an earlier, interrupted call had sent.
    pub parts_resumed: usize,
    /// The md5 the server checked, if computed.
    pub md5: Option<String>,
}

/// Options shared by the uploads an [`Uploader`] starts; each builder may change its copy.
#[derive(Clone)]
struct Settings {
    part_size: u64,
    concurrency: usize,
    md5: bool,
    expires_after: Option<i64>,
    allow_unknown_purpose: bool,
    skip_type_check: bool,
    restart: bool,
    journal_dir: Option<PathBuf>,
    progress: Option<Progress>,
    cancel: CancellationToken,
    retry: RetryPolicy,
    limits: Limits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            md5: true,
            expires_after: None,
            allow_unknown_purpose: false,
            skip_type_check: false,
            restart: false,
            journal_dir: journal::default_journal_dir(),
            progress: None,
            cancel: CancellationToken::new(),
            retry: RetryPolicy::default(),
            limits: Limits::default(),
        }
    }
}

/// Setters shared by [`Uploader`] (defaults for the uploads it starts) and [`UploadBuilder`]
/// (one upload): both keep their options in `settings`.
macro_rules! shared_setters {
    () => {
        /// Where journals go (default: the platform state dir); `None` turns resume off.
        pub fn journal_dir(mut self, dir: Option<PathBuf>) -> Self {
            self.settings.journal_dir = dir;
            self
        }

        pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
            self.settings.retry = policy;
            self
        }

        /// Limits of a compatible server, if not the real API's.
        pub fn limits(mut self, limits: Limits) -> Self {
            self.settings.limits = limits;
            self
        }

        /// Stops the upload(s) when fired; they stay resumable.
        pub fn cancel_token(mut self, token: CancellationToken) -> Self {
            self.settings.cancel = token;
            self
        }
    };
}

/// Starts uploads through one API client.
pub struct Uploader<A: UploadApi = Client> {
    api: Arc<A>,
    settings: Settings,
}

impl<A: UploadApi> Uploader<A> {
    shared_setters!();

    pub fn new(api: A) -> Self {
        Self {
            api: Arc::new(api),
            settings: Settings::default(),
        }
    }

    pub fn file(&self, path: impl Into<PathBuf>, purpose: impl Into<Purpose>) -> UploadBuilder<A> {
        self.source(Source::file(path), purpose)
    }

    pub fn bytes(
        &self,
        filename: &str,
        bytes: impl Into<bytes::Bytes>,
        purpose: impl Into<Purpose>,
    ) -> UploadBuilder<A> {
        self.source(Source::bytes(bytes), purpose)
            .filename(filename)
    }

    pub fn source(&self, source: Source, purpose: impl Into<Purpose>) -> UploadBuilder<A> {
        UploadBuilder {
            api: self.api.clone(),
            source,
            purpose: purpose.into(),
            filename: None,
            mime_type: None,
            settings: self.settings.clone(),
            slots: None,
        }
    }

    /// Runs several uploads at once sharing one budget of `concurrency` parts in flight.
    /// Results come back in the order given.
    pub async fn send_all(
        &self,
        uploads: Vec<UploadBuilder<A>>,
        concurrency: usize,
    ) -> Vec<Result<Completed, UploadError>> {
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        let runs = uploads.into_iter().map(|mut u| {
            u.slots = Some(slots.clone());
            u.send()
        });
        futures::future::join_all(runs).await
    }
}

/// One upload's options; [`send`](Self::send) runs it.
pub struct UploadBuilder<A: UploadApi = Client> {
    api: Arc<A>,
    source: Source,
    purpose: Purpose,
    filename: Option<String>,
    mime_type: Option<String>,
    settings: Settings,
    slots: Option<Arc<Semaphore>>,
}

impl<A: UploadApi> UploadBuilder<A> {
    shared_setters!();

    /// The name the File gets (default: the path's file name).
    pub fn filename(mut self, name: &str) -> Self {
        self.filename = Some(name.to_owned());
        self
    }

    /// The MIME type (default: inferred from the filename's extension).
    pub fn mime_type(mut self, mime: &str) -> Self {
        self.mime_type = Some(mime.to_owned());
        self
    }

    pub fn part_size(mut self, bytes: u64) -> Self {
        self.settings.part_size = bytes;
        self
    }

    /// Parts in flight at once (default [`DEFAULT_CONCURRENCY`]).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.settings.concurrency = n;
        self
    }

    /// Compute the whole file's md5 and have the server check it (default on).
    pub fn md5(mut self, on: bool) -> Self {
        self.settings.md5 = on;
        self
    }

    /// When the File expires, in seconds after creation (3600 to 2592000).
    pub fn expires_after(mut self, seconds: i64) -> Self {
        self.settings.expires_after = Some(seconds);
        self
    }

    /// Accept a purpose newer than this crate knows.
    pub fn allow_unknown_purpose(mut self, allow: bool) -> Self {
        self.settings.allow_unknown_purpose = allow;
        self
    }

    /// Send the MIME type and filename even if they do not fit the purpose, for a compatible
    /// server that takes more types (the server still decides).
    pub fn skip_type_check(mut self, skip: bool) -> Self {
        self.settings.skip_type_check = skip;
        self
    }

    /// Ignore (and cancel) an interrupted upload of this file and start over.
    pub fn restart(mut self, restart: bool) -> Self {
        self.settings.restart = restart;
        self
    }

    pub fn progress(mut self, progress: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.settings.progress = Some(Arc::new(progress));
        self
    }

    /// Validates, then uploads. See [`UploadError`] for what a failure left behind.
    pub async fn send(self) -> Result<Completed, UploadError> {
        let span = tracing::info_span!("upload", source = ?self.source, purpose = %self.purpose);
        self.run().instrument(span).await
    }

    async fn run(self) -> Result<Completed, UploadError> {
        let s = &self.settings;
        let checked = validate::preflight(&validate::Request {
            source: &self.source,
            filename: self.filename.as_deref(),
            purpose: &self.purpose,
            allow_unknown_purpose: s.allow_unknown_purpose,
            mime_type: self.mime_type.as_deref(),
            part_size: s.part_size,
            concurrency: s.concurrency,
            expires_after: s.expires_after,
            limits: &s.limits,
            skip_type_check: s.skip_type_check,
        })
        .await?;
        let endpoint = self.api.endpoint();
        let journal_path = match (&s.journal_dir, &checked.identity.path) {
            (Some(dir), Some(path)) => Some(journal::path_for(dir, &endpoint, path)),
            _ => None,
        };
        let run = Run {
            api: self.api.clone(),
            source: self.source.clone(),
            parts: plan(checked.identity.size, s.part_size),
            emit: Emitter(s.progress.clone()),
            stop: s.cancel.child_token(),
            slots: self
                .slots
                .clone()
                .unwrap_or_else(|| Arc::new(Semaphore::new(s.concurrency))),
            journal_path,
            settings: s.clone(),
            purpose: self.purpose.to_string(),
            checked,
            endpoint,
        };
        run.execute().await
    }
}

#[derive(Clone)]
struct Emitter(Option<Progress>);

impl Emitter {
    fn emit(&self, event: Event) {
        if let Some(p) = &self.0 {
            p(&event);
        }
    }
}

/// One upload in progress.
struct Run<A: UploadApi> {
    api: Arc<A>,
    source: Source,
    parts: Vec<PartSpec>,
    emit: Emitter,
    /// Fired to stop every part: by the caller's token, or by us on the first failure.
    stop: CancellationToken,
    slots: Arc<Semaphore>,
    journal_path: Option<PathBuf>,
    settings: Settings,
    purpose: String,
    checked: Checked,
    endpoint: String,
}

impl<A: UploadApi> Run<A> {
    async fn execute(self) -> Result<Completed, UploadError> {
        let mut entry = self.start_or_resume().await?;
        let upload_id = entry.upload_id.clone();
        let parts_resumed = entry.parts.len();
        self.emit.emit(Event::Started {
            upload_id: upload_id.clone(),
            filename: self.checked.filename.clone(),
            bytes: self.checked.identity.size,
            parts: self.parts.len(),
            parts_done: parts_resumed,
            bytes_done: entry.bytes_done(),
        });

        let md5_task = self.settings.md5.then(|| {
            let (source, len) = (self.source.clone(), self.checked.identity.size);
            tokio::spawn(async move { crate::source::md5_hex(&source, len).await })
        });

        if let Err(cause) = self.send_parts(&mut entry).await {
            if let Some(t) = &md5_task {
                t.abort();
            }
            return Err(self.stop_with(cause, &entry).await);
        }

        // Nothing is completed from a file that changed under us.
        if let Err(cause) = self.check_unchanged().await {
            return Err(self.stop_with(cause, &entry).await);
        }
        let sent: u64 = entry.bytes_done();
        if sent != self.checked.identity.size || entry.parts.len() != self.parts.len() {
            let cause = StopCause::Io {
                what: "checking the parts before completing".into(),
                error: std::io::Error::other(format!(
                    "the parts add up to {sent} bytes in {} parts, expected {} bytes in {}",
                    entry.parts.len(),
                    self.checked.identity.size,
                    self.parts.len()
                )),
            };
            return Err(self.stop_with(cause, &entry).await);
        }
        let md5 = match md5_task {
            Some(task) => match task.await {
                Ok(Ok(md5)) => Some(md5),
                Ok(Err(error)) => {
                    return Err(self
                        .stop_with(
                            StopCause::Io {
                                what: "computing the md5".into(),
                                error,
                            },
                            &entry,
                        )
                        .await);
                }
                Err(join) => {
                    let error = std::io::Error::other(join.to_string());
                    return Err(self
                        .stop_with(
                            StopCause::Io {
                                what: "computing the md5".into(),
                                error,
                            },
                            &entry,
                        )
                        .await);
                }
            },
            None => None,
        };

        self.emit.emit(Event::Completing);
        let part_ids: Vec<String> = entry.parts.values().map(|p| p.id.clone()).collect();
        let upload = match self
            .with_retries(Step::Complete, || {
                self.api.complete(&upload_id, part_ids.clone(), md5.clone())
            })
            .await
        {
            Ok(upload) => upload,
            Err(cause) => return Err(self.stop_with(cause, &entry).await),
        };
        self.forget_journal();
        let Some(file) = upload.file.clone() else {
            let error = ApiError::Decode("the completed Upload has no file".into());
            return Err(UploadError::Stopped {
                cause: StopCause::Refused {
                    step: Step::Complete,
                    error,
                },
                disposition: Disposition::NothingCreated,
            });
        };
        self.emit.emit(Event::Completed {
            file_id: file.id.clone(),
        });
        tracing::info!(upload = %upload_id, file = %file.id, "upload completed");
        Ok(Completed {
            upload,
            file,
            parts_sent: self.parts.len().saturating_sub(parts_resumed),
            parts_resumed,
            md5,
        })
    }

    /// Finds a journal to resume, or creates the upload and its journal.
    async fn start_or_resume(&self) -> Result<JournalEntry, UploadError> {
        if let Some(path) = &self.journal_path {
            let existing = journal::load(path).map_err(|error| UploadError::Stopped {
                cause: StopCause::Io {
                    what: format!("reading the journal {}", path.display()),
                    error,
                },
                disposition: Disposition::NothingCreated,
            })?;
            if let Some(entry) = existing {
                if self.settings.restart {
                    tracing::info!(upload = %entry.upload_id, "restart: cancelling the interrupted upload");
                    let _ = self.api.cancel(&entry.upload_id).await;
                    let _ = journal::remove(path);
                } else {
                    self.check_resumable(&entry)?;
                    tracing::info!(upload = %entry.upload_id, done = entry.parts.len(), "resuming");
                    return Ok(entry);
                }
            }
        }
        let req = CreateRequest {
            filename: self.checked.filename.clone(),
            purpose: self.purpose.clone(),
            bytes: self.checked.identity.size,
            mime_type: self.checked.mime_type.clone(),
            expires_after: self.settings.expires_after,
        };
        let upload = self
            .with_retries(Step::Create, || self.api.create(req.clone()))
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
            path: self.checked.identity.path.clone().unwrap_or_default(),
            size: self.checked.identity.size,
            mtime_ns: self.checked.identity.mtime_ns,
            filename: self.checked.filename.clone(),
            purpose: self.purpose.clone(),
            mime_type: self.checked.mime_type.clone(),
            part_size: self.settings.part_size,
            total_parts: self.parts.len(),
            parts: Default::default(),
        };
        self.save_journal(&entry)
            .map_err(|cause| UploadError::Stopped {
                cause,
                disposition: Disposition::Resumable {
                    upload_id: upload.id.clone(),
                    journal: None,
                    parts_done: 0,
                    parts: self.parts.len(),
                },
            })?;
        tracing::info!(upload = %upload.id, parts = self.parts.len(), "upload created");
        Ok(entry)
    }

    fn check_resumable(&self, e: &JournalEntry) -> Result<(), ResumeError> {
        let id = &self.checked.identity;
        if e.size != id.size || e.mtime_ns != id.mtime_ns {
            return Err(ResumeError::FileChanged {
                path: e.path.clone(),
                upload_id: e.upload_id.clone(),
                detail: format!(
                    "size {} -> {}, modification time {:?} -> {:?}",
                    e.size, id.size, e.mtime_ns, id.mtime_ns
                ),
            });
        }
        let mut diffs = Vec::new();
        for (what, was, now) in [
            (
                "filename",
                e.filename.clone(),
                self.checked.filename.clone(),
            ),
            ("purpose", e.purpose.clone(), self.purpose.clone()),
            (
                "MIME type",
                e.mime_type.clone(),
                self.checked.mime_type.clone(),
            ),
            (
                "part size",
                e.part_size.to_string(),
                self.settings.part_size.to_string(),
            ),
        ] {
            if was != now {
                diffs.push(format!("{what} was {was}, now {now}"));
            }
        }
        if !diffs.is_empty() {
            return Err(ResumeError::OptionsChanged {
                upload_id: e.upload_id.clone(),
                detail: diffs.join("; "),
            });
        }
        if unix_now() + EXPIRY_MARGIN_SECS >= e.expires_at {
            return Err(ResumeError::Expired {
                upload_id: e.upload_id.clone(),
                expired_at: e.expires_at,
            });
        }
        Ok(())
    }

    /// Sends the missing parts, recording each in the journal as it finishes. On the first
    /// failure every other part is stopped.
    async fn send_parts(&self, entry: &mut JournalEntry) -> Result<(), StopCause> {
        let mut tasks = JoinSet::new();
        for spec in self
            .parts
            .iter()
            .filter(|p| !entry.parts.contains_key(&p.index))
        {
            let part = PartTask {
                api: self.api.clone(),
                source: self.source.clone(),
                upload_id: entry.upload_id.clone(),
                spec: *spec,
                emit: self.emit.clone(),
                stop: self.stop.clone(),
                slots: self.slots.clone(),
                retry: self.settings.retry.clone(),
                identity: self.checked.identity.clone(),
            };
            let span = tracing::debug_span!(
                "part",
                index = spec.index,
                offset = spec.offset,
                len = spec.len
            );
            tasks.spawn(part.run().instrument(span));
        }
        let mut first_failure = None;
        while let Some(joined) = tasks.join_next().await {
            let result = joined.unwrap_or_else(|e| {
                Err(StopCause::Io {
                    what: "a part task".into(),
                    error: std::io::Error::other(e.to_string()),
                })
            });
            match result {
                Ok((index, done)) => {
                    self.emit.emit(Event::PartDone {
                        index,
                        part_id: done.id.clone(),
                        len: done.len,
                    });
                    entry.parts.insert(index, done);
                    if let Err(cause) = self.save_journal(entry) {
                        first_failure.get_or_insert(cause);
                        self.stop.cancel();
                    }
                }
                Err(cause) => {
                    // The first real cause wins; the others are mostly "interrupted" by it.
                    if first_failure.is_none()
                        || matches!(first_failure, Some(StopCause::Interrupted))
                    {
                        first_failure = Some(cause);
                    }
                    self.stop.cancel();
                }
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn check_unchanged(&self) -> Result<(), StopCause> {
        let now = self
            .source
            .identity()
            .await
            .map_err(|error| StopCause::Io {
                what: "checking the file".into(),
                error,
            })?;
        changed(&self.checked.identity, &now)
    }

    /// Calls `op` until it succeeds, fails for good, or the retries run out.
    async fn with_retries<T, F, Fut>(&self, step: Step, op: F) -> Result<T, StopCause>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = tokio::select! {
                r = op() => r,
                _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
            };
            let error = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let policy = &self.settings.retry;
            match classify(&error) {
                Verdict::Fatal => return Err(StopCause::Refused { step, error }),
                Verdict::Retry { .. } if attempt >= policy.max_attempts => {
                    return Err(StopCause::RetriesExhausted {
                        step,
                        attempts: attempt,
                        error,
                    });
                }
                Verdict::Retry { after, reason } => {
                    let wait = policy.delay(attempt, after);
                    tracing::warn!(%step, attempt, ?wait, %reason, "retrying");
                    self.emit.emit(Event::RetryScheduled {
                        part: None,
                        attempt,
                        wait,
                        reason,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
                    }
                }
            }
        }
    }

    /// Applies the failure policy: cancel what cannot be fixed, keep what can be resumed.
    async fn stop_with(&self, cause: StopCause, entry: &JournalEntry) -> UploadError {
        let upload_id = entry.upload_id.clone();
        let disposition = if cause.is_resumable() {
            Disposition::Resumable {
                upload_id,
                journal: self.journal_path.clone(),
                parts_done: entry.parts.len(),
                parts: self.parts.len(),
            }
        } else {
            tracing::warn!(upload = %upload_id, %cause, "cancelling the upload");
            self.forget_journal();
            match self.api.cancel(&upload_id).await {
                Ok(_) => Disposition::Cancelled { upload_id },
                Err(e) => Disposition::CancelFailed {
                    upload_id,
                    error: e.to_string(),
                },
            }
        };
        UploadError::Stopped { cause, disposition }
    }

    fn save_journal(&self, entry: &JournalEntry) -> Result<(), StopCause> {
        match &self.journal_path {
            Some(path) => journal::save(path, entry).map_err(|error| StopCause::Io {
                what: format!("writing the journal {}", path.display()),
                error,
            }),
            None => Ok(()),
        }
    }

    fn forget_journal(&self) {
        if let Some(path) = &self.journal_path
            && let Err(e) = journal::remove(path)
        {
            tracing::warn!(journal = %path.display(), error = %e, "could not remove the journal");
        }
    }
}

fn changed(
    before: &crate::source::Identity,
    now: &crate::source::Identity,
) -> Result<(), StopCause> {
    if before.size == now.size && before.mtime_ns == now.mtime_ns {
        return Ok(());
    }
    Err(StopCause::FileChanged {
        path: before.path.clone().unwrap_or_default(),
        detail: format!(
            "size {} -> {}, modification time {:?} -> {:?}",
            before.size, now.size, before.mtime_ns, now.mtime_ns
        ),
    })
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One part: wait for a slot, stream the part, retry as the policy says.
struct PartTask<A: UploadApi> {
    api: Arc<A>,
    source: Source,
    upload_id: String,
    spec: PartSpec,
    emit: Emitter,
    stop: CancellationToken,
    slots: Arc<Semaphore>,
    retry: RetryPolicy,
    identity: crate::source::Identity,
}

impl<A: UploadApi> PartTask<A> {
    async fn run(self) -> Result<(usize, DonePart), StopCause> {
        let step = Step::Part(self.spec.index);
        let _slot = tokio::select! {
            slot = self.slots.clone().acquire_owned() => slot.map_err(|_| StopCause::Interrupted)?,
            _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = Arc::new(AtomicU64::new(0));
            let result = tokio::select! {
                r = self.attempt(sent.clone()) => r,
                _ = self.stop.cancelled() => {
                    self.restarted(&sent);
                    return Err(StopCause::Interrupted);
                }
            };
            let error = match result {
                Ok(part) => {
                    return Ok((
                        self.spec.index,
                        DonePart {
                            id: part.id,
                            len: self.spec.len,
                        },
                    ));
                }
                Err(AttemptError::Source(error)) => {
                    self.restarted(&sent);
                    // A source that cannot be read may have changed; that is final.
                    self.check_source().await?;
                    return Err(StopCause::Io {
                        what: format!("reading part {}", self.spec.index + 1),
                        error,
                    });
                }
                Err(AttemptError::Api(e)) => e,
            };
            self.restarted(&sent);
            self.check_source().await?;
            match classify(&error) {
                Verdict::Fatal => return Err(StopCause::Refused { step, error }),
                Verdict::Retry { .. } if attempt >= self.retry.max_attempts => {
                    return Err(StopCause::RetriesExhausted {
                        step,
                        attempts: attempt,
                        error,
                    });
                }
                Verdict::Retry { after, reason } => {
                    let wait = self.retry.delay(attempt, after);
                    tracing::debug!(attempt, ?wait, %reason, "part will be retried");
                    self.emit.emit(Event::RetryScheduled {
                        part: Some(self.spec.index),
                        attempt,
                        wait,
                        reason,
                    });
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
                    }
                }
            }
        }
    }

    /// One attempt: the part re-read from its source, counted as it streams.
    async fn attempt(&self, sent: Arc<AtomicU64>) -> Result<types::UploadPart, AttemptError> {
        let stream = self
            .source
            .range(self.spec.offset, self.spec.len)
            .await
            .map_err(AttemptError::Source)?;
        let emit = self.emit.clone();
        let counted = stream.inspect(move |chunk| {
            if let Ok(bytes) = chunk {
                let n = bytes.len() as u64;
                sent.fetch_add(n, Ordering::Relaxed);
                emit.emit(Event::BytesSent { bytes: n });
            }
        });
        let body = reqwest::Body::wrap_stream(counted);
        self.api
            .put_part(&self.upload_id, PartData::streamed(body, self.spec.len))
            .await
            .map_err(AttemptError::Api)
    }

    fn restarted(&self, sent: &AtomicU64) {
        let lost = sent.load(Ordering::Relaxed);
        if lost > 0 {
            self.emit.emit(Event::PartRestarted {
                index: self.spec.index,
                bytes_lost: lost,
            });
        }
    }

    async fn check_source(&self) -> Result<(), StopCause> {
        match self.source.identity().await {
            Ok(now) => changed(&self.identity, &now),
            Err(e) => Err(StopCause::FileChanged {
                path: self.identity.path.clone().unwrap_or_default(),
                detail: format!("it can no longer be read: {e}"),
            }),
        }
    }
}

enum AttemptError {
    Source(std::io::Error),
    Api(ApiError),
}
