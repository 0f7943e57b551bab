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
//!   whatever the file or part size ([`source`], [`plan`]);
//! - the whole file's md5 is computed while the parts upload, and checked by the server;
//! - each part is retried on 408/409/429/5xx and network errors, re-read from its source
//!   ([`retry`]);
//! - an error nothing can fix cancels the upload; a stop that can be resumed leaves it pending
//!   with a journal, and the same call again sends only the missing parts ([`journal`]);
//! - progress events, cheap enough to leave on ([`progress`]).
//!
//! The protocol steps sit behind the small [`UploadApi`] trait, apart from the orchestration in
//! [`upload`], so the orchestration can run against a fake.

pub mod api;
pub mod error;
pub mod journal;
pub mod plan;
pub mod progress;
pub mod retry;
pub mod source;
pub mod upload;
pub mod validate;

pub use api::UploadApi;
pub use error::{Disposition, StopCause, UploadError, ValidationError};
pub use journal::{JournalEntry, default_journal_dir};
pub use progress::{Event, Progress};
pub use retry::RetryPolicy;
pub use source::Source;
pub use upload::{Completed, Purpose, UploadBuilder, Uploader};
pub use uploads_client::rules::Limits;

/// Concurrency used when none is given: parts in flight per upload (or per batch). Chosen by
/// measurement (`cargo xtask bench`, README): on a link where one TCP stream is slow, 16
/// parallel 64 MiB parts sent 1 GiB in one wave, 1.6 times faster than 8 and 2.7 times faster
/// than 4, at 27 MiB peak memory; more did not help.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// Part size used when none is given: the API's maximum, which means the fewest requests.
pub const DEFAULT_PART_SIZE: u64 = uploads_client::rules::MAX_PART_BYTES;
