//! After the upload: start a batch, fill a vector store, start a fine-tuning job, and wait for
//! it, every create made at most once.
//!
//! Creating a batch, a vector store, a file batch or a job is not idempotent, and the response
//! of a create can be lost after the service carried it out. Each create here therefore
//! carries a marker of our own (a metadata entry, [`MARKER_KEY`]) and is written to a
//! [`Ledger`] before it is sent and after it is answered: a create whose answer did not come
//! is looked for by listing (as a lost complete is looked for among the Files) before anything
//! is created again, and a run stopped while waiting finds the id in the ledger and waits on
//! the same batch or job. Every wait has a deadline ([`WaitPolicy`]) and says what it waits for.
//!
//! ```no_run
//! # async fn demo(client: uploads_client::Client, file_id: String) -> Result<(), uploads_ext::after::AfterError> {
//! use uploads_ext::after::{BatchRequest, Batches, WaitPolicy};
//! let batches = Batches::new(&client);
//! let batch = batches.start(&BatchRequest::new(&file_id, "/v1/chat/completions"), None).await?;
//! let done = batches.wait(&batch.id, &WaitPolicy::default(), |b| {
//!     if let Some(c) = &b.request_counts {
//!         eprintln!("{}: {}/{} done, {} failed", b.status, c.completed, c.total, c.failed);
//!     }
//! }).await?;
//! let results = batches.download_results(&done, std::path::Path::new("results")).await?;
//! println!("{:?}", results.output);
//! # Ok(()) }
//! ```

mod batch;
mod create;
mod error;
mod fine_tune;
mod ledger;
mod marker;
mod vector_store;
mod wait;

pub use batch::{BatchRequest, BatchResults, Batches, batch_failed_requests, is_batch_final};
pub use error::AfterError;
pub use fine_tune::{FineTuneRequest, FineTuning, is_job_final};
pub use ledger::{Ledger, StepRecord};
pub use marker::{MARKER_KEY, new_marker};
pub use vector_store::{AttachOptions, FileOutcome, MAX_FILES_PER_BATCH, VectorStores};
pub use wait::WaitPolicy;
