//! One upload from start to finish: builders ([`builder`]) over its options ([`settings`]), the
//! run ([`run`]), resuming from a journal ([`resume`]), scheduling parts ([`schedule`]), one
//! part's worker ([`part`]), completing and finding a lost complete's File ([`complete`]), and
//! what is left on the server when a run stops ([`failure`]).
//!
//! Protocol calls go through [`UploadApi`](crate::UploadApi) and every retry through
//! [`RetryContext`](crate::retry::RetryContext); this module holds the orchestration only.

mod builder;
mod complete;
mod failure;
mod part;
mod resume;
mod run;
mod schedule;
mod settings;

pub use builder::{FinishedUpload, UploadBuilder, Uploader};
pub use run::Completed;
