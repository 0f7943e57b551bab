//! The CLI's integration tests, one binary: each file was its own test binary, each linking the
//! whole tool again (build time, disk, and each of cargo-mutants' builds). They drive the
//! `openai-uploads` binary as a user does, one module per concern as the files were.

mod after;
mod cli;
mod content;
mod remote;
mod selection;
mod terminal;
mod workloads;
