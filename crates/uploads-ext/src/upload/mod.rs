//! One upload from start to finish: builders ([`builder`]) over its options ([`settings`]),
//! the one prepare step that validates and plans ([`prepared`]), the shared parts in flight
//! ([`budget`]), the run ([`run`]), resuming from a journal ([`resume`]), scheduling parts
//! ([`schedule`]), one part's worker ([`part`]), completing and finding a lost complete's File
//! ([`complete`]), what a run ends with ([`outcome`]), and what is left on the server when a
//! run stops ([`failure`]).
//!
//! Protocol calls go through [`UploadApi`](crate::UploadApi) and every retry through
//! [`RetryContext`](crate::retry::RetryContext); this module holds the orchestration only.

mod budget;
mod builder;
mod claims;
mod complete;
mod failure;
mod outcome;
mod part;
mod prepared;
mod resume;
mod run;
mod schedule;
mod settings;

pub use budget::PartBudget;
pub use builder::{FinishedUpload, Sendable, UploadBuilder, Uploader};
pub use outcome::Completed;
pub use prepared::{Estimate, PreparedUpload};
