//! One upload's options, with their defaults: what the builders set and a run reads.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use uploads_client::rules::Limits;

use crate::DEFAULT_CONCURRENCY;
use crate::bandwidth::BandwidthLimit;
use crate::check::CheckOptions;
use crate::journal;
use crate::progress::Progress;
use crate::purpose::Purpose;
use crate::retry::RetryPolicy;
use crate::source::Source;
use crate::validate;

/// Options shared by the uploads an [`Uploader`](crate::Uploader) starts; each builder may change its copy.
#[derive(Clone)]
pub(crate) struct Settings {
    /// `None`: chosen for the file ([`auto_part_size`](crate::plan::auto_part_size)), or the
    /// interrupted upload's on a resume.
    pub(crate) part_size: Option<u64>,
    /// The floor of a part size asked for ([`MIN_PART_BYTES`](crate::MIN_PART_BYTES)).
    pub(crate) min_part_size: u64,
    pub(crate) concurrency: usize,
    pub(crate) md5: bool,
    pub(crate) expires_after: Option<i64>,
    pub(crate) allow_unknown_purpose: bool,
    pub(crate) skip_type_check: bool,
    pub(crate) restart: bool,
    pub(crate) journal_dir: Option<PathBuf>,
    pub(crate) progress: Option<Progress>,
    pub(crate) cancel: CancellationToken,
    pub(crate) retry: RetryPolicy,
    /// A cap on the bytes per second of every part that shares it.
    pub(crate) bandwidth: Option<Arc<BandwidthLimit>>,
    /// Fixes the retry jitter (tests); `None` draws it from the OS.
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) limits: Limits,
    /// Check batch and fine-tune files' contents in the md5's pass, and stop at an error.
    pub(crate) check_content: bool,
    pub(crate) check_options: CheckOptions,
}

impl Settings {
    /// What the pre-flight checks need of these settings and one upload's request.
    pub(crate) fn preflight<'a>(
        &'a self,
        source: &'a Source,
        purpose: &'a Purpose,
        filename: Option<&'a str>,
        mime_type: Option<&'a str>,
    ) -> validate::Request<'a> {
        validate::Request {
            source,
            filename,
            purpose,
            allow_unknown_purpose: self.allow_unknown_purpose,
            mime_type,
            part_size: self.part_size,
            min_part_size: self.min_part_size,
            concurrency: self.concurrency,
            expires_after: self.expires_after,
            limits: &self.limits,
            skip_type_check: self.skip_type_check,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            part_size: None,
            min_part_size: crate::MIN_PART_BYTES,
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
            jitter_seed: None,
            bandwidth: None,
            limits: Limits::default(),
            check_content: false,
            check_options: CheckOptions::default(),
        }
    }
}
