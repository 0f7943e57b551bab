//! The public entry points: an [`Uploader`] holds shared options, an [`UploadBuilder`] one
//! upload's; `send` hands them to a run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, Stream, StreamExt};

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uploads_client::Client;
use uploads_client::rules::Limits;

use super::run::{Completed, Request, Run};
use super::settings::Settings;
use crate::api::UploadApi;
use crate::error::{UploadError, ValidationError};
use crate::progress::Event;
use crate::purpose::Purpose;
use crate::retry::RetryPolicy;
use crate::source::Source;

/// Setters shared by [`Uploader`] (defaults for the uploads it starts) and [`UploadBuilder`]
/// (one upload): both keep their options in `settings`.
macro_rules! shared_setters {
    () => {
        /// Where journals go (default: the platform state dir); `None` turns resume off.
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

        /// Makes the retry waits' jitter repeatable, for tests that check them.
        pub fn retry_jitter_seed(mut self, seed: u64) -> Self {
            self.settings.jitter_seed = Some(seed);
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
            slots: None,
        }
    }

    /// Runs several uploads at once sharing one budget of `concurrency` parts in flight.
    /// At most `concurrency` files are in progress at a time (their checks, creates, journals
    /// and md5 readers), so a thousand files cost no more open files or threads than a few.
    /// Results come back in the order given.
    pub async fn send_all(
        &self,
        uploads: Vec<UploadBuilder<A>>,
        concurrency: usize,
    ) -> Vec<Result<Completed, UploadError>> {
        let mut results: Vec<_> = self.send_each(uploads, concurrency).collect().await;
        results.sort_by_key(|f| f.index);
        results.into_iter().map(|f| f.result).collect()
    }

    /// Like [`send_all`](Self::send_all), but each upload's result comes as soon as it
    /// finishes, so a caller can record it (a manifest, say) before the others end.
    pub fn send_each(
        &self,
        uploads: Vec<UploadBuilder<A>>,
        concurrency: usize,
    ) -> impl Stream<Item = FinishedUpload> + Send + 'static {
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        let files = Arc::new(Semaphore::new(concurrency.max(1)));
        uploads
            .into_iter()
            .enumerate()
            .map(|(index, mut u)| {
                u.slots = Some(slots.clone());
                let files = files.clone();
                async move {
                    // Never closed, so acquiring cannot fail; if it did, the upload would
                    // simply run unbounded.
                    let _file = files.acquire_owned().await.ok();
                    let started = Instant::now();
                    let result = u.send().await;
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

/// One upload's options; [`send`](Self::send) runs it.
pub struct UploadBuilder<A: UploadApi = Client> {
    api: Arc<A>,
    source: Source,
    purpose: Purpose,
    filename: Option<String>,
    mime_type: Option<String>,
    settings: Settings,
    /// The part budget shared with other uploads ([`Uploader::send_all`]), if any.
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

    /// Bytes per part; the last part may be shorter. Default: chosen for the file, about two
    /// parts per part in flight, 8 MiB to 64 MiB
    /// ([`auto_part_size`](crate::auto_part_size)); a resume keeps the interrupted upload's.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.settings.part_size = Some(bytes);
        self
    }

    /// Parts in flight at once (default [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)).
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

    /// Which rules the content check applies (see [`check_content`](Self::check_content)).
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

    /// The pre-flight checks alone, sending nothing: the warnings [`send`](Self::send) would
    /// report (as [`Event::Warning`]), or why it would refuse. A caller with many files can
    /// check them all before the first request.
    pub async fn check(&self) -> Result<Vec<String>, ValidationError> {
        let request = self.settings.preflight(
            &self.source,
            &self.purpose,
            self.filename.as_deref(),
            self.mime_type.as_deref(),
        );
        Ok(crate::validate::preflight(&request).await?.warnings)
    }

    /// Validates, then uploads. See [`UploadError`] for what a failure left behind.
    pub async fn send(self) -> Result<Completed, UploadError> {
        let span = tracing::info_span!("upload", source = ?self.source, purpose = %self.purpose);
        let request = Request {
            api: self.api,
            source: self.source,
            purpose: self.purpose,
            filename: self.filename,
            mime_type: self.mime_type,
            settings: self.settings,
            slots: self.slots,
        };
        async move { Run::prepare(request).await?.execute().await }
            .instrument(span)
            .await
    }
}
