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
mod tests {
    use super::*;

    fn args() -> ThenArgs {
        ThenArgs {
            completion_window: "24h".into(),
            timeout: Duration::from_secs(60),
            output_dir: ".".into(),
            ..ThenArgs::default()
        }
    }

    #[test]
    fn a_step_that_does_not_fit_the_purpose_or_its_options_is_refused_before_anything_is_read() {
        let batch = ThenArgs {
            then: Some(Then::Batch),
            ..args()
        };
        assert!(usage(&batch, &Purpose::Batch).is_ok());
        assert!(
            usage(&batch, &Purpose::FineTune)
                .unwrap_err()
                .contains("-p batch")
        );
        let ft = ThenArgs {
            then: Some(Then::FineTune),
            ..args()
        };
        assert!(
            usage(&ft, &Purpose::FineTune)
                .unwrap_err()
                .contains("--model")
        );
        let ft = ThenArgs {
            model: Some("m".into()),
            ..ft
        };
        assert!(usage(&ft, &Purpose::FineTune).is_ok());
        let wrong = ThenArgs {
            endpoint: Some("/v1/embeddings".into()),
            ..ft
        };
        assert_eq!(
            usage(&wrong, &Purpose::FineTune).unwrap_err(),
            "--endpoint is for --then batch"
        );
        let vs = ThenArgs {
            vector_store: Some("new: ".into()),
            ..args()
        };
        assert!(
            usage(&vs, &Purpose::Assistants)
                .unwrap_err()
                .contains("needs a name")
        );
        let chunks = ThenArgs {
            vector_store: Some("vs_1".into()),
            chunk_size: Some(800),
            chunk_overlap: Some(401),
            ..args()
        };
        assert!(
            usage(&chunks, &Purpose::Assistants)
                .unwrap_err()
                .contains("at most half")
        );
        let many = ThenArgs {
            then: Some(Then::Batch),
            metadata: (0..16).map(|i| (i.to_string(), "v".into())).collect(),
            ..args()
        };
        assert!(
            usage(&many, &Purpose::Batch)
                .unwrap_err()
                .contains("at most 15")
        );
        let lone_wait = ThenArgs {
            wait: true,
            ..args()
        };
        assert!(usage(&lone_wait, &Purpose::Batch).is_err());
    }

    #[test]
    fn a_validation_file_is_a_local_file_or_a_file_id_and_anything_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("valid.jsonl");
        std::fs::write(&local, "{}\n").unwrap();
        let with = |v: &str| {
            usage(
                &ThenArgs {
                    then: Some(Then::FineTune),
                    model: Some("gpt-4o-mini-2024-07-18".into()),
                    validation_file: Some(v.into()),
                    ..args()
                },
                &Purpose::FineTune,
            )
        };
        assert_eq!(with(local.to_str().unwrap()), Ok(()));
        assert_eq!(with("file-abc123"), Ok(()));
        let missing = dir.path().join("missing.jsonl");
        let missing = missing.to_str().unwrap();
        assert_eq!(
            with(missing),
            Err(format!(
                "--validation-file {missing}: no such file; give a local file, or the id of a File already uploaded (file-…)"
            ))
        );
        // A folder is no file either.
        assert!(with(dir.path().to_str().unwrap()).is_err());
    }

    #[test]
    fn a_pair_is_a_named_key_and_the_value_as_written() {
        let pair = |k: &str, v: &str| Ok((k.to_owned(), v.to_owned()));
        assert_eq!(parse_pair("team=search"), pair("team", "search"));
        // The key is trimmed; the value is kept as written, '=' and spaces included.
        assert_eq!(parse_pair(" run = a=b "), pair("run", " a=b "));
        assert_eq!(parse_pair("empty="), pair("empty", ""));
        for bad in ["no-equals", "=value", "  =value", ""] {
            assert_eq!(
                parse_pair(bad),
                Err(format!("{bad:?} is not KEY=VALUE")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn each_limit_of_the_step_is_taken_at_its_edge_and_refused_past_it() {
        // No step at all: nothing to say.
        assert_eq!(usage(&args(), &Purpose::Batch), Ok(()));
        let lone_metadata = ThenArgs {
            metadata: vec![("k".into(), "v".into())],
            ..args()
        };
        assert_eq!(
            usage(&lone_metadata, &Purpose::Batch).unwrap_err(),
            "--wait and --metadata are for --then or --vector-store"
        );
        let batch = |metadata: usize| ThenArgs {
            then: Some(Then::Batch),
            metadata: (0..metadata).map(|i| (i.to_string(), "v".into())).collect(),
            ..args()
        };
        assert_eq!(usage(&batch(15), &Purpose::Batch), Ok(()));
        assert!(
            usage(&batch(16), &Purpose::Batch)
                .unwrap_err()
                .starts_with("16 --metadata pairs: at most 15")
        );
        let ft = |suffix: String| ThenArgs {
            then: Some(Then::FineTune),
            model: Some("gpt-4o-mini-2024-07-18".into()),
            suffix: Some(suffix),
            ..args()
        };
        // Characters, not bytes: 64 two-byte characters are 64.
        assert_eq!(usage(&ft("é".repeat(64)), &Purpose::FineTune), Ok(()));
        assert_eq!(
            usage(&ft("é".repeat(65)), &Purpose::FineTune).unwrap_err(),
            "--suffix takes at most 64 characters"
        );
        assert_eq!(
            usage(&ft("s".into()), &Purpose::Batch).unwrap_err(),
            "--then fine-tune trains on the file: use it with -p fine-tune"
        );
        let chunks = |size: u32, overlap: Option<u32>| ThenArgs {
            vector_store: Some("vs_1".into()),
            chunk_size: Some(size),
            chunk_overlap: overlap,
            ..args()
        };
        for (size, overlap) in [
            (100, Some(50)),
            (4096, Some(2048)),
            (800, Some(400)),
            (801, None),
        ] {
            assert_eq!(
                usage(&chunks(size, overlap), &Purpose::Assistants),
                Ok(()),
                "{size} {overlap:?}"
            );
        }
        for size in [99, 4097] {
            assert_eq!(
                usage(&chunks(size, None), &Purpose::Assistants).unwrap_err(),
                format!("--chunk-size {size}: the service takes 100 to 4096 tokens")
            );
        }
        assert_eq!(
            usage(&chunks(801, Some(401)), &Purpose::Assistants).unwrap_err(),
            "--chunk-overlap 401: at most half of --chunk-size (400)"
        );
    }
}
