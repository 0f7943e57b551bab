//! The options of the step after the upload (`--then`, `--vector-store`, `--wait`, ...), and
//! what is wrong with them together before anything is read.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use uploads_ext::Purpose;

use crate::units::parse_duration;

/// What to start with each uploaded File.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Then {
    // Plain comments: help on a value would switch `put --help` to its long layout.
    // A batch of the file's requests (`-p batch`).
    Batch,
    // A fine-tuning job on the file (`-p fine-tune`, with --model).
    FineTune,
}

// Where the uploaded Files go next (a plain comment: a doc comment here would become the
// command's long help).
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct ThenArgs {
    /// After each upload, start a batch of its requests (batch) or a fine-tuning job
    /// (fine-tune, with --model); its id is printed on stdout after the File's.
    #[arg(
        help_heading = "After the upload",
        long,
        value_enum,
        value_name = "STEP"
    )]
    pub(crate) then: Option<Then>,
    /// Attach each uploaded File to this vector store (vs_…), or to one made now (new:NAME),
    /// in file batches of up to 2,000 as uploads complete.
    #[arg(
        help_heading = "After the upload",
        long,
        value_name = "ID|new:NAME",
        conflicts_with = "then"
    )]
    pub(crate) vector_store: Option<String>,
    /// The batch's endpoint (default: the one the check read from the file's requests).
    #[arg(help_heading = "After the upload", long, value_name = "PATH")]
    pub(crate) endpoint: Option<String>,
    /// The batch's completion window.
    #[arg(
        help_heading = "After the upload",
        long,
        value_name = "WINDOW",
        default_value = "24h"
    )]
    pub(crate) completion_window: String,
    /// Metadata for the batch or job, KEY=VALUE (repeatable, at most 15).
    #[arg(help_heading = "After the upload", long, value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub(crate) metadata: Vec<(String, String)>,
    /// An attribute of each File in the vector store, KEY=VALUE (repeatable; true, false and
    /// numbers are sent as such).
    #[arg(help_heading = "After the upload", long = "attribute", visible_alias = "attributes", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub(crate) attributes: Vec<(String, String)>,
    /// Static chunking: tokens per chunk (100 to 4096; the service's default is auto).
    #[arg(
        help_heading = "After the upload",
        long,
        value_name = "TOKENS",
        requires = "vector_store"
    )]
    pub(crate) chunk_size: Option<u32>,
    /// Static chunking: tokens shared by neighbouring chunks (at most half of --chunk-size).
    #[arg(
        help_heading = "After the upload",
        long,
        value_name = "TOKENS",
        requires = "chunk_size"
    )]
    pub(crate) chunk_overlap: Option<u32>,
    /// The model to fine-tune (with --then fine-tune).
    #[arg(help_heading = "After the upload", long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// Validation data for the job: a local file (uploaded and checked too) or a File id.
    #[arg(help_heading = "After the upload", long, value_name = "PATH|file-…")]
    pub(crate) validation_file: Option<String>,
    /// Added to the fine-tuned model's name (at most 64 characters).
    #[arg(help_heading = "After the upload", long, value_name = "TEXT")]
    pub(crate) suffix: Option<String>,
    /// The job's seed, for reproducible jobs.
    #[arg(help_heading = "After the upload", long, value_name = "N")]
    pub(crate) seed: Option<i64>,
    /// Wait for the batch, the vector store files or the job to end, showing progress; a batch's
    /// output and error files are then downloaded. Ctrl-C stops the wait (the work goes on);
    /// the same command again waits on the same batch or job.
    #[arg(help_heading = "After the upload", long)]
    pub(crate) wait: bool,
    /// The longest --wait (e.g. 30m, 24h): past it, the command stops waiting and says where
    /// things stood.
    #[arg(help_heading = "After the upload", long, value_name = "DURATION", value_parser = parse_duration, default_value = "24h", requires = "wait")]
    pub(crate) timeout: Duration,
    /// Where a batch's output and error files are written (with --wait).
    #[arg(
        help_heading = "After the upload",
        long,
        value_name = "DIR",
        default_value = ".",
        requires = "wait"
    )]
    pub(crate) output_dir: PathBuf,
}

impl ThenArgs {
    /// True if anything follows the upload.
    pub(crate) fn any(&self) -> bool {
        self.then.is_some() || self.vector_store.is_some()
    }
}

/// `KEY=VALUE`.
pub(crate) fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// What is wrong with the step's options for this purpose, before anything is read.
pub(crate) fn usage(args: &ThenArgs, purpose: &Purpose) -> Result<(), String> {
    let then_only = |flag: &str, set: bool, step: Then| -> Result<(), String> {
        if set && args.then != Some(step) {
            let name = match step {
                Then::Batch => "batch",
                Then::FineTune => "fine-tune",
            };
            return Err(format!("{flag} is for --then {name}"));
        }
        Ok(())
    };
    then_only("--endpoint", args.endpoint.is_some(), Then::Batch)?;
    then_only("--model", args.model.is_some(), Then::FineTune)?;
    then_only(
        "--validation-file",
        args.validation_file.is_some(),
        Then::FineTune,
    )?;
    then_only("--suffix", args.suffix.is_some(), Then::FineTune)?;
    then_only("--seed", args.seed.is_some(), Then::FineTune)?;
    if !args.attributes.is_empty() && args.vector_store.is_none() {
        return Err("--attribute is for --vector-store".into());
    }
    if (args.wait || !args.metadata.is_empty()) && !args.any() {
        return Err("--wait and --metadata are for --then or --vector-store".into());
    }
    if args.metadata.len() > 15 {
        return Err(format!(
            "{} --metadata pairs: at most 15 (the service takes 16, and one is the marker that makes a lost create safe to retry)",
            args.metadata.len()
        ));
    }
    match args.then {
        Some(Then::Batch) if *purpose != Purpose::Batch => {
            return Err(
                "--then batch starts a batch of the file's requests: use it with -p batch".into(),
            );
        }
        Some(Then::FineTune) if *purpose != Purpose::FineTune => {
            return Err("--then fine-tune trains on the file: use it with -p fine-tune".into());
        }
        Some(Then::FineTune) if args.model.is_none() => {
            return Err("--then fine-tune needs --model (e.g. gpt-4o-mini-2024-07-18)".into());
        }
        _ => {}
    }
    // The rule the step reads it by: a `file-…` that is no local file is a File id.
    if let Some(v) = &args.validation_file
        && !(v.starts_with("file-") || std::path::Path::new(v).is_file())
    {
        return Err(format!(
            "--validation-file {v}: no such file; give a local file, or the id of a File already uploaded (file-…)"
        ));
    }
    if args.suffix.as_ref().is_some_and(|s| s.chars().count() > 64) {
        return Err("--suffix takes at most 64 characters".into());
    }
    if let Some(target) = &args.vector_store
        && let Some(name) = target.strip_prefix("new:")
        && name.trim().is_empty()
    {
        return Err("--vector-store new:NAME needs a name".into());
    }
    if let (Some(size), overlap) = (args.chunk_size, args.chunk_overlap.unwrap_or(0)) {
        if !(100..=4096).contains(&size) {
            return Err(format!(
                "--chunk-size {size}: the service takes 100 to 4096 tokens"
            ));
        }
        if overlap > size / 2 {
            return Err(format!(
                "--chunk-overlap {overlap}: at most half of --chunk-size ({})",
                size / 2
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
