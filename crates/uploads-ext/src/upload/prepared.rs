//! The one prepare step: an upload validated and planned, nothing sent. It is what a dry run
//! prints and what `send` consumes, so the checks run once and the plan is made in one place.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use uploads_client::Client;
use uploads_client::rules::{ContentFormat, Purpose, UPLOAD_TTL_SECS};

use super::budget::PartBudget;
use super::outcome::Completed;
use super::settings::Settings;
use crate::api::UploadApi;
use crate::check::Report;
use crate::error::{UploadError, ValidationError};
use crate::plan::{auto_part_size, plan};
use crate::scan::{ScanPlan, scan};
use crate::source::{Identity, Source};
use crate::validate::{self, Checked};

/// An upload that passed every check before a request, with its plan: what
/// [`UploadBuilder::prepare`](crate::UploadBuilder::prepare) gives, to look at (a dry run
/// prints it) and then [`send`](Self::send).
pub struct PreparedUpload<A: UploadApi = Client> {
    pub(super) api: Arc<A>,
    pub(super) source: Source,
    pub(super) purpose: Purpose,
    pub(super) checked: Checked,
    pub(super) part_size: u64,
    pub(super) part_count: usize,
    pub(super) budget: PartBudget,
    pub(super) parts_in_flight: usize,
    pub(super) content_format: Option<ContentFormat>,
    pub(super) settings: Settings,
}

/// How long an upload would take at a rate, next to the hour an Upload lives.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Estimate {
    /// The rate used: the one assumed, or the bandwidth cap if that is lower (bytes/s).
    pub rate: u64,
    /// The time the bytes take at that rate.
    pub duration: Duration,
    /// True if that leaves a tenth of the Upload's hour spare (under 54 minutes): an upload
    /// that is not done within its hour expires, parts and all.
    pub fits: bool,
}

/// What the builder hands to [`prepare`].
pub(super) struct Request<A: UploadApi> {
    pub(super) api: Arc<A>,
    pub(super) source: Source,
    pub(super) purpose: Purpose,
    pub(super) filename: Option<String>,
    pub(super) mime_type: Option<String>,
    pub(super) settings: Settings,
}

/// Validates the request (nothing is sent) and plans it: part size, part count, parts in flight.
pub(super) async fn prepare<A: UploadApi>(
    req: Request<A>,
) -> Result<PreparedUpload<A>, ValidationError> {
    let s = req.settings;
    let budget = s.budget.clone().unwrap_or_default();
    let checked = validate::preflight(&validate::Request {
        source: &req.source,
        filename: req.filename.as_deref(),
        purpose: &req.purpose,
        allow_unknown_purpose: s.allow_unknown_purpose,
        mime_type: req.mime_type.as_deref(),
        part_size: s.part_size,
        min_part_size: s.min_part_size,
        concurrency: budget.parts(),
        expires_after: s.expires_after,
        limits: &s.limits,
        skip_type_check: s.skip_type_check,
    })
    .await?;
    let size = checked.identity.size;
    let part_size = s
        .part_size
        .unwrap_or_else(|| auto_part_size(size, budget.parts(), s.limits.max_part_bytes));
    let part_count = plan(size, part_size).len();
    let mut parts_in_flight = budget.parts().min(part_count);
    // A stream holds each part in memory until the server has it: fit them in the limit.
    if let Some(memory) = s.max_memory.filter(|_| !req.source.is_replayable()) {
        let fit = usize::try_from(memory / part_size).unwrap_or(usize::MAX);
        if fit == 0 {
            return Err(ValidationError::MemoryBelowPart { memory, part_size });
        }
        parts_in_flight = parts_in_flight.min(fit);
    }
    let content_format = s
        .check_content
        .then(|| req.purpose.content_format())
        .flatten();
    Ok(PreparedUpload {
        api: req.api,
        source: req.source,
        purpose: req.purpose,
        checked,
        part_size,
        part_count,
        budget,
        parts_in_flight,
        content_format,
        settings: s,
    })
}

impl<A: UploadApi> PreparedUpload<A> {
    /// The source as validated: size, modification time, path. A change before completion
    /// stops the upload.
    pub fn identity(&self) -> &Identity {
        &self.checked.identity
    }

    /// The source.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Bytes to upload.
    pub fn size(&self) -> u64 {
        self.checked.identity.size
    }

    /// The name the File gets.
    pub fn filename(&self) -> &str {
        &self.checked.filename
    }

    /// The MIME type sent.
    pub fn mime_type(&self) -> &str {
        &self.checked.mime_type
    }

    /// What the File is for.
    pub fn purpose(&self) -> &Purpose {
        &self.purpose
    }

    /// Bytes per part (the last may be shorter). A resume of an upload interrupted with an
    /// automatic size keeps that upload's size instead.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Parts in the plan.
    pub fn part_count(&self) -> usize {
        self.part_count
    }

    /// Parts in flight at once: the budget, fewer if the file has fewer parts or (for a
    /// stream) if more would not fit the memory limit. With a budget shared by several
    /// uploads, this is the most this upload can have.
    pub fn parts_in_flight(&self) -> usize {
        self.parts_in_flight
    }

    /// What our tables of the service expect otherwise (a MIME type or extension the purpose
    /// is not known to take): said, and sent anyway; the service decides.
    pub fn warnings(&self) -> &[String] {
        &self.checked.warnings
    }

    /// The format the contents are checked against as they are read, if the content check is
    /// on and the purpose has one.
    pub fn content_format(&self) -> Option<ContentFormat> {
        self.content_format
    }

    /// The bandwidth cap, if any (bytes/s).
    pub fn bandwidth_limit(&self) -> Option<u64> {
        self.settings.bandwidth.as_ref().map(|b| b.bytes_per_sec())
    }

    /// How long the bytes take at `rate` bytes/s (or the bandwidth cap, if lower), and
    /// whether that fits the hour an Upload lives.
    pub fn estimate(&self, rate: u64) -> Estimate {
        let rate = self
            .bandwidth_limit()
            .map_or(rate, |cap| cap.min(rate))
            .max(1);
        let secs = self.size() as f64 / rate as f64;
        Estimate {
            rate,
            duration: Duration::from_secs_f64(secs),
            fits: secs < UPLOAD_TTL_SECS as f64 * 0.9,
        }
    }

    /// Calls `progress` with every [`Event`](crate::Event) of the upload; it must be cheap.
    /// (Set here, after looking at the plan, or on the builder.)
    pub fn progress(mut self, progress: impl Fn(&crate::Event) + Send + Sync + 'static) -> Self {
        self.settings.progress = Some(Arc::new(progress));
        self
    }

    /// Runs the content check alone over the source (no md5, nothing sent), as the upload
    /// would run it: `None` if the plan has no content format. A stream cannot be read twice,
    /// so it is refused here (its check rides on the upload's one read).
    pub async fn check_contents(&self) -> std::io::Result<Option<Report>> {
        let Some(format) = self.content_format else {
            return Ok(None);
        };
        if !self.source.is_replayable() {
            return Err(std::io::Error::other(
                "a stream is read once, by the upload: its contents cannot be checked before",
            ));
        }
        let plan = ScanPlan {
            md5: false,
            check: Some((format, self.settings.check_options)),
        };
        Ok(scan(self.source.clone(), self.size(), plan, || {})
            .await?
            .report)
    }

    /// Uploads as planned. See [`UploadError`] for what a failure left behind.
    pub async fn send(self) -> Result<Completed, UploadError> {
        use tracing::Instrument;
        let span = tracing::info_span!("upload", source = ?self.source, purpose = %self.purpose);
        self.run().instrument(span).await
    }
}

impl<A: UploadApi> fmt::Debug for PreparedUpload<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedUpload")
            .field("source", &self.source)
            .field("purpose", &self.purpose)
            .field("filename", &self.checked.filename)
            .field("mime_type", &self.checked.mime_type)
            .field("size", &self.checked.identity.size)
            .field("part_size", &self.part_size)
            .field("part_count", &self.part_count)
            .field("parts_in_flight", &self.parts_in_flight)
            .field("content_format", &self.content_format)
            .field("warnings", &self.checked.warnings)
            .finish_non_exhaustive()
    }
}
