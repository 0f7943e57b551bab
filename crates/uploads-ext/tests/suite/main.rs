//! uploads-ext's integration tests, one binary: each file was its own test binary, and every
//! binary links tokio, reqwest, axum and the local server again (build time, disk, and each of
//! cargo-mutants' builds). One module per concern, as the files were.

mod common;

mod after_conformance;
mod after_create;
mod after_e2e;
mod claims;
mod completion;
mod content_check;
mod e2e;
mod engine;
mod examples;
mod http;
mod prepare;
mod stream;
