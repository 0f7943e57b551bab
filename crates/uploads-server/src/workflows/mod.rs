//! What the service does with Files after the upload: batches ([`batches`]), vector stores and
//! their file batches ([`vector_stores`]), fine-tuning jobs ([`fine_tuning`]). Each lives in
//! memory (not across restarts, unlike Uploads and Files) and is moved through its statuses
//! by a task of its own, one [`WorkflowConfig::step`](crate::config::WorkflowConfig) at a time.

mod batch_record;
pub(crate) mod batches;
mod clock;
mod content;
pub(crate) mod fine_tuning;
mod job_record;
mod paging;
mod table;
mod vector_store_record;
pub(crate) mod vector_stores;

pub(crate) use batch_record::BatchRecord;
pub(crate) use clock::now;
pub(crate) use job_record::JobRecord;
pub(crate) use paging::page;
pub(crate) use table::{Workflows, lock};
pub(crate) use vector_store_record::{Attach, StoreRecord};
