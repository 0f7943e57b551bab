//! The upload engine: gets a large file into OpenAI through the Uploads API.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use uploads_ext::{Purpose, Uploader};
//! let client = uploads_client::ClientConfig::from_env().build()?;
//! let done = Uploader::new(client).file("train.jsonl", Purpose::FineTune).concurrency(8).send().await?;
//! println!("{}", done.file.id);
//! # Ok(()) }
//! ```
//!
//! What it does that a loop over parts does not:
//! - parts go in parallel, each streamed from its region of the file, so memory stays bounded
//!   whatever the file or part size ([`Source`]);
//! - the whole file's md5 is computed while the parts upload, and checked by the server; batch
//!   and fine-tune files can be checked against the service's format in the same read
//!   ([`check`], [`UploadBuilder::check_content`]);
//! - a file's region ([`Source::file_region`]) or a stream read once ([`Source::stream`],
//!   e.g. stdin) uploads as well as a whole file;
//! - each part is retried on 408/409/429/5xx and network errors, re-read from its source
//!   ([`RetryPolicy`]);
//! - an error nothing can fix cancels the upload; a stop that can be resumed leaves it pending
//!   with a journal, and the same call again sends only the missing parts ([`journal`]);
//! - progress events, cheap enough to leave on ([`Event`]).
//!
//! The protocol steps sit behind the small [`UploadApi`] trait, apart from the orchestration
//! (the private `upload` module), so the orchestration can run against a fake.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

pub mod after;
mod api;
mod bandwidth;
mod clock;
mod error;
pub mod journal;
pub mod path_json;
mod plan;
mod progress;
mod retry;
mod scan;
mod size;
mod source;
pub mod split;
mod upload;
mod validate;

pub use api::{CreateRequest, FilePage, Offline, UploadApi};
pub use bandwidth::BandwidthLimit;
pub use error::{Disposition, ResumeError, Step, StopCause, UploadError, ValidationError};
pub use journal::{JournalEntry, default_journal_dir};
pub use plan::{AUTO_MIN_PART_BYTES, MIN_PART_BYTES, auto_part_size};
pub use progress::{Event, Progress};
pub use retry::RetryPolicy;
pub use size::human_bytes;
pub use source::{
    CHUNK, Identity, Prefetch, RangeRead, Remote, SeekableReader, Source, SourceChanged,
};
pub use upload::{
    Completed, Estimate, FinishedUpload, PartBudget, PreparedUpload, Sendable, UploadBuilder,
    Uploader,
};
/// Checks of batch and fine-tune files, fused with an upload by [`UploadBuilder::check_content`]
/// (the `uploads-check` crate).
pub use uploads_check as check;
pub use uploads_client::PartData;
pub use uploads_client::rules::{Limits, Purpose};

/// The README's Rust examples, compiled (not run) as doctests so they cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Concurrency used when none is given: parts in flight per upload (or per batch). Chosen by
/// measurement (`cargo xtask bench`, README): on a link where one TCP stream is slow, 16
/// parallel 64 MiB parts sent 1 GiB in one wave, 1.6 times faster than 8 and 2.7 times faster
/// than 4, at 27 MiB peak memory; more did not help.
pub const DEFAULT_CONCURRENCY: usize = 16;
