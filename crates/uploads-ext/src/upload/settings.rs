//! One upload's options, with their defaults: what the builders set and a run reads.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use uploads_client::rules::Limits;

use super::budget::PartBudget;
use super::claims::Claims;
use crate::bandwidth::BandwidthLimit;
use crate::check::CheckOptions;
use crate::progress::Progress;
use crate::retry::RetryPolicy;

/// Options shared by the uploads an [`Uploader`](crate::Uploader) starts; each builder may
/// change its copy.
#[derive(Clone)]
pub(crate) struct Settings {
    /// `None`: chosen for the file ([`auto_part_size`](crate::plan::auto_part_size)), or the
    /// interrupted upload's on a resume.
    pub(crate) part_size: Option<u64>,
    /// The floor of a part size asked for ([`MIN_PART_BYTES`](crate::MIN_PART_BYTES)).
    pub(crate) min_part_size: u64,
    /// Where part slots come from; `None`: a budget of the upload's own, of the default size.
    pub(crate) budget: Option<PartBudget>,
    /// For a stream: the most bytes held in parts waiting for the server.
    pub(crate) max_memory: Option<u64>,
    pub(crate) md5: bool,
    pub(crate) expires_after: Option<i64>,
    pub(crate) allow_unknown_purpose: bool,
    pub(crate) skip_type_check: bool,
    pub(crate) restart: bool,
    /// Where journals go; `None` (the library's default): nothing is written, nothing resumed.
    pub(crate) journal_dir: Option<PathBuf>,
    pub(crate) progress: Option<Progress>,
    pub(crate) cancel: CancellationToken,
    pub(crate) retry: RetryPolicy,
    /// A cap on the bytes per second of every part that shares it.
    pub(crate) bandwidth: Option<Arc<BandwidthLimit>>,
    pub(crate) limits: Limits,
    /// Check batch and fine-tune files' contents in the md5's pass, and stop at an error.
    pub(crate) check_content: bool,
    /// Which rules the content check applies (the fine-tuning method, validation data).
    pub(crate) check_options: CheckOptions,
    /// Files accounted for: shared by the uploads of one [`Uploader`](crate::Uploader).
    pub(crate) claims: Claims,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            part_size: None,
            min_part_size: crate::MIN_PART_BYTES,
            budget: None,
            max_memory: None,
            md5: true,
            expires_after: None,
            allow_unknown_purpose: false,
            skip_type_check: false,
            restart: false,
            journal_dir: None,
            progress: None,
            cancel: CancellationToken::new(),
            retry: RetryPolicy::default(),
            bandwidth: None,
            limits: Limits::default(),
            check_content: false,
            check_options: CheckOptions::default(),
            claims: Claims::default(),
        }
    }
}
