//! The public entry points: an [`Uploader`] holds shared options, an [`UploadBuilder`] one
//! upload's; [`UploadBuilder::prepare`] validates and plans it, and `send` runs it.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, Stream, StreamExt};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use uploads_client::Client;
use uploads_client::rules::{Limits, Purpose};

use super::budget::PartBudget;
use super::outcome::Completed;
use super::prepared::{self, PreparedUpload};
use super::settings::Settings;
use crate::api::UploadApi;
use crate::error::{UploadError, ValidationError};
use crate::progress::Event;
use crate::retry::RetryPolicy;
use crate::source::Source;

/// Setters shared by [`Uploader`] (defaults for the uploads it starts) and [`UploadBuilder`]
/// (one upload): both keep their options in `settings`.
macro_rules! shared_setters {
    () => {
        /// Where resume journals go. `None` (the default) writes nothing: a stopped upload is
        /// then cancelled (nothing could resume it), never left pending. With a directory
        /// ([`default_journal_dir`](crate::default_journal_dir) is the CLI's), the same call
        /// again after an interruption sends only the missing parts.
        pub fn journal_dir(mut self, dir: Option<PathBuf>) -> Self {
            self.settings.journal_dir = dir;
            self
        }

        /// How failed steps are retried.
        pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
            self.settings.retry = policy;
            self
        }

        /// Caps the bytes per second sent, across every part and every upload sharing the
        /// limit (set on the [`Uploader`], all its uploads share one); `None` or 0: no cap.
        pub fn bandwidth_limit(mut self, bytes_per_sec: Option<u64>) -> Self {
            self.settings.bandwidth = bytes_per_sec
                .filter(|&rate| rate > 0)
                .map(|rate| Arc::new(crate::BandwidthLimit::new(rate)));
            self
        }

        /// Where part slots come from: every upload given this budget (or a clone of it)
        /// shares its parts in flight. Set on the [`Uploader`], all its uploads share it.
        /// Without one, each upload has its own budget of
        /// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY) parts.
        pub fn part_budget(mut self, budget: PartBudget) -> Self {
            self.settings.budget = Some(budget);
            self
        }

        /// Limits of a compatible server, if not the real API's.
        pub fn limits(mut self, limits: Limits) -> Self {
            self.settings.limits = limits;
            self
        }

        /// Lowers (or raises) the floor of a part size asked for, 1 MiB by default
        /// ([`MIN_PART_BYTES`](crate::MIN_PART_BYTES)): for tests with small files and a
        /// server whose limits are scaled down.
        pub fn min_part_size(mut self, bytes: u64) -> Self {
            self.settings.min_part_size = bytes;
            self
        }

        /// Files already accounted for (recorded in a manifest, say): the search for the File
        /// of a complete whose response was lost never takes one of them. The uploads of one
        /// [`Uploader`] share their claims too, so a File one of them made is never another's.
        pub fn claimed_files(self, ids: impl IntoIterator<Item = String>) -> Self {
            self.settings.claims.add(ids);
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

    /// An uploader sending through `api` (usually a [`uploads_client::Client`]).
    pub fn new(api: A) -> Self {
        Self {
            api: Arc::new(api),
            settings: Settings::default(),
        }
    }

    /// An upload of the file at `path`.
    pub fn file(&self, path: impl Into<PathBuf>, purpose: impl Into<Purpose>) -> UploadBuilder<A> {
        self.source(Source::file(path), purpose)
    }

    /// An upload of bytes in memory, named `filename`.
    pub fn bytes(
        &self,
        filename: &str,
        bytes: impl Into<bytes::Bytes>,
        purpose: impl Into<Purpose>,
    ) -> UploadBuilder<A> {
        self.source(Source::bytes(bytes), purpose)
            .filename(filename)
    }

    /// An upload from any [`Source`].
    pub fn source(&self, source: Source, purpose: impl Into<Purpose>) -> UploadBuilder<A> {
        UploadBuilder {
            api: self.api.clone(),
            source,
            purpose: purpose.into(),
            filename: None,
            mime_type: None,
            settings: self.settings.clone(),
        }
    }

    /// Runs several uploads at once, at most `max_files` in progress at a time (their
    /// checks, creates, journals and md5 readers), so a thousand files cost no more open files
    /// or threads than a few. Parts come from each upload's [`PartBudget`]: give the
    /// [`Uploader`] one to share it among them all. Results come back in the order given.
    pub async fn send_all<U: Sendable>(
        &self,
        uploads: Vec<U>,
        max_files: usize,
    ) -> Vec<Result<Completed, UploadError>> {
        let mut results: Vec<_> = self.send_each(uploads, max_files).collect().await;
        results.sort_by_key(|f| f.index);
        results.into_iter().map(|f| f.result).collect()
    }

    /// Like [`send_all`](Self::send_all), but each upload's result comes as soon as it
    /// finishes, so a caller can record it (a manifest, say) before the others end.
    pub fn send_each<U: Sendable>(
        &self,
        uploads: Vec<U>,
        max_files: usize,
    ) -> impl Stream<Item = FinishedUpload> + Send + 'static {
        let files = Arc::new(Semaphore::new(max_files.max(1)));
        uploads
            .into_iter()
            .enumerate()
            .map(|(index, upload)| {
                let files = files.clone();
                async move {
                    // Never closed, so acquiring cannot fail; if it did, the upload would
                    // simply run unbounded.
                    let _file = files.acquire_owned().await.ok();
                    let started = Instant::now();
                    let result = upload.send().await;
                    FinishedUpload {
                        index,
                        result,
                        elapsed: started.elapsed(),
                    }
                }
            })
            .collect::<FuturesUnordered<_>>()
    }
}

impl<A: UploadApi> fmt::Debug for Uploader<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Uploader")
            .field("endpoint", &self.api.endpoint())
            .field("budget", &self.settings.budget)
            .field("journal_dir", &self.settings.journal_dir)
            .finish_non_exhaustive()
    }
}

/// An upload [`Uploader::send_each`] can run: a builder (prepared when its turn comes) or an
/// upload already prepared.
pub trait Sendable: Send + 'static {
    /// Prepares the upload if it is not yet, and sends it.
    fn send(self) -> impl Future<Output = Result<Completed, UploadError>> + Send;
}

impl<A: UploadApi> Sendable for UploadBuilder<A> {
    fn send(self) -> impl Future<Output = Result<Completed, UploadError>> + Send {
        UploadBuilder::send(self)
    }
}

impl<A: UploadApi> Sendable for PreparedUpload<A> {
    fn send(self) -> impl Future<Output = Result<Completed, UploadError>> + Send {
        PreparedUpload::send(self)
    }
}

/// One upload of [`Uploader::send_each`], finished.
#[derive(Debug)]
#[non_exhaustive]
pub struct FinishedUpload {
    /// Its position in the list given.
    pub index: usize,
    /// What became of it.
    pub result: Result<Completed, UploadError>,
    /// From the start of its turn (checks, create) to its end.
    pub elapsed: Duration,
}

/// One upload's options; [`prepare`](Self::prepare) validates and plans it,
/// [`send`](Self::send) does both and uploads.
pub struct UploadBuilder<A: UploadApi = Client> {
    api: Arc<A>,
    source: Source,
    purpose: Purpose,
    filename: Option<String>,
    mime_type: Option<String>,
    settings: Settings,
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

    /// Bytes per part; the last part may be shorter. Default: chosen for the file, about two
    /// parts per part in flight, 8 MiB to 64 MiB
    /// ([`auto_part_size`](crate::auto_part_size)); a resume keeps the interrupted upload's.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.settings.part_size = Some(bytes);
        self
    }

    /// Parts in flight for this upload alone: a [`PartBudget`] of `n` of its own (default
    /// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)). To share parts with other
    /// uploads, give them one [`part_budget`](Self::part_budget) instead.
    pub fn concurrency(self, n: usize) -> Self {
        self.part_budget(PartBudget::new(n))
    }

    /// For a stream source (read once, e.g. stdin): the most bytes held in parts waiting for
    /// the server (each is kept until stored, for retries); parts in flight are limited to
    /// fit, and a limit below one part is refused. Sources that can be read again hold no
    /// parts, and ignore it. Default: no limit beyond the parts in flight.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.settings.max_memory = Some(bytes);
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

    /// No warning when the MIME type and filename do not fit the purpose as our tables know it
    /// (they are sent either way; the service decides).
    pub fn skip_type_check(mut self, skip: bool) -> Self {
        self.settings.skip_type_check = skip;
        self
    }

    /// Check the contents of a `batch` or `fine-tune` file against the format the service
    /// takes ([`check`](crate::check)) as the md5 reads it, and cancel the upload at the first
    /// error ([`StopCause::ContentRejected`](crate::StopCause)). Off by default in the library
    /// (the CLI turns it on); other purposes have no check.
    pub fn check_content(mut self, on: bool) -> Self {
        self.settings.check_content = on;
        self
    }

    /// Which rules the content check applies: the fine-tuning method the job will use, a
    /// validation file ([`CheckOptions`](crate::check::CheckOptions)).
    pub fn check_options(mut self, options: crate::check::CheckOptions) -> Self {
        self.settings.check_options = options;
        self
    }

    /// Ignore (and cancel) an interrupted upload of this file and start over.
    pub fn restart(mut self, restart: bool) -> Self {
        self.settings.restart = restart;
        self
    }

    /// Calls `progress` with every [`Event`]; it must be cheap.
    pub fn progress(mut self, progress: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.settings.progress = Some(Arc::new(progress));
        self
    }

    /// Validates and plans the upload, sending nothing: every check that can be made before a
    /// request (what is certain to fail is refused here), and the plan (name, MIME type, part
    /// size and count, parts in flight, warnings, content format, time at a rate). A caller
    /// with many files can prepare them all before the first request, show the plan, then
    /// [`send`](PreparedUpload::send) each.
    pub async fn prepare(self) -> Result<PreparedUpload<A>, ValidationError> {
        prepared::prepare(prepared::Request {
            api: self.api,
            source: self.source,
            purpose: self.purpose,
            filename: self.filename,
            mime_type: self.mime_type,
            settings: self.settings,
        })
        .await
    }

    /// Prepares, then uploads. See [`UploadError`] for what a failure left behind.
    pub async fn send(self) -> Result<Completed, UploadError> {
        self.prepare().await?.send().await
    }
}

impl<A: UploadApi> fmt::Debug for UploadBuilder<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadBuilder")
            .field("source", &self.source)
            .field("purpose", &self.purpose)
            .field("filename", &self.filename)
            .field("mime_type", &self.mime_type)
            .field("part_size", &self.settings.part_size)
            .field("budget", &self.settings.budget)
            .finish_non_exhaustive()
    }
}
