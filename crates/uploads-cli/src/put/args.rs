//! `put`'s options, and what is wrong with them together before anything is read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use uploads_ext::Purpose;

use crate::units::{parse_duration, parse_size};

/// Upload files to OpenAI. Parts go in parallel; an interrupted upload resumes when you run the
/// same command again.
#[derive(Args)]
#[command(after_help = "Examples:
  openai-uploads put train.jsonl -p fine-tune
  openai-uploads put corpus/ -p assistants --exclude drafts/ --manifest corpus.jsonl
  openai-uploads put requests.jsonl -p batch --split --json
  openai-uploads put s3://bucket/train/ -p fine-tune --include '*.jsonl' --manifest m.jsonl
  openai-uploads put corpus/ -p assistants --shard 2/8     (machine 2 of 8, counting from 0)
  zcat big.jsonl.gz | openai-uploads put - -p batch --size 123456789 --filename big.jsonl
  openai-uploads put README.md -p assistants --local     (no key: a local server)
  openai-uploads put requests.jsonl -p batch --then batch --wait --output-dir results/
  openai-uploads put docs/ -p assistants --vector-store new:docs --wait
  openai-uploads put train.jsonl -p fine-tune --then fine-tune --model gpt-4o-mini-2024-07-18 --wait")]
pub(crate) struct PutArgs {
    /// Files, directories (uploaded recursively) or quoted globs ('docs/**/*.pdf'); objects
    /// (s3://BUCKET/KEY, az://CONTAINER/PATH, gs://BUCKET/KEY, https://… presigned or public)
    /// and prefixes (a URL ending in /, listed); all share one --concurrency budget. `-` reads
    /// the bytes from stdin (with --size and --filename).
    #[arg(value_name = "PATH", required_unless_present = "files_from")]
    pub(super) files: Vec<PathBuf>,
    /// Also upload the paths listed in FILE, one per line (`-`: stdin; # comments).
    #[arg(help_heading = "Selection", long, value_name = "FILE")]
    pub(super) files_from: Option<PathBuf>,
    /// Only files matching PATTERN, a glob (repeatable), as in gitignore: a bare name matches
    /// a file or directory at any depth, `dir/` directories only, a `/` elsewhere anchors it
    /// under the directory given; a directory matched takes what is under it.
    #[arg(help_heading = "Selection", long, value_name = "PATTERN")]
    pub(super) include: Vec<String>,
    /// Leave out files matching PATTERN (repeatable; as --include).
    #[arg(help_heading = "Selection", long, value_name = "PATTERN")]
    pub(super) exclude: Vec<String>,
    /// Upload share K of N of the selection (K from 0 to N-1), chosen by a hash of each path:
    /// N machines running the same command with K = 0..N-1 upload every file once between them.
    #[arg(help_heading = "Selection", long, value_name = "K/N", env = "OPENAI_UPLOADS_SHARD", value_parser = super::shard::parse_shard)]
    pub(super) shard: Option<super::shard::Shard>,
    /// Upload share JOB_COMPLETION_INDEX of N (a Kubernetes Indexed Job's index; as --shard).
    #[arg(
        help_heading = "Selection",
        long,
        value_name = "N",
        conflicts_with = "shard"
    )]
    pub(super) shards: Option<u32>,
    /// An option for the object stores, KEY=VALUE in object_store's names (repeatable), on
    /// top of each store's environment: aws_endpoint, aws_region, allow_http,
    /// azure_storage_use_emulator, google_service_account, …
    #[arg(help_heading = "Sources", long, value_name = "KEY=VALUE", value_parser = uploads_remote::StoreOptions::parse_pair)]
    pub(super) store_option: Vec<(String, String)>,
    /// Append one JSON line per file to PATH as each finishes (path, bytes, md5, upload and
    /// File ids, status, error, seconds); a re-run with the same manifest skips the files it
    /// records as uploaded with the same size and modification time (an object: the same
    /// size and ETag).
    #[arg(help_heading = "Re-runs", long, value_name = "PATH")]
    pub(super) manifest: Option<PathBuf>,
    /// Upload files the manifest records as uploaded all the same.
    #[arg(help_heading = "Re-runs", long, requires = "manifest")]
    pub(super) force: bool,
    /// With --manifest: a file whose modification time changed but whose size did not is
    /// read, and skipped if its md5 is the one recorded.
    #[arg(help_heading = "Re-runs", long, requires = "manifest")]
    pub(super) checksum: bool,
    /// Check everything and print the plan (files, sizes, parts, time at --assume-rate);
    /// send nothing.
    #[arg(help_heading = "Plan", long)]
    pub(super) dry_run: bool,
    /// The upload rate --dry-run assumes for its time estimates.
    #[arg(help_heading = "Plan", long, value_parser = parse_size, value_name = "RATE", default_value = "50MB", requires = "dry_run")]
    pub(super) assume_rate: u64,
    /// With `-` (stdin): the stream's exact length, which the Uploads API needs up front.
    #[arg(help_heading = "Stdin", long, value_parser = parse_size, value_name = "BYTES")]
    pub(super) size: Option<u64>,
    /// For `-` (stdin) and each object: the most memory held in parts waiting for the server
    /// (each part is kept until stored, for retries); parts in flight are limited to fit.
    #[arg(help_heading = "Transfer", long, value_parser = parse_size, value_name = "SIZE", default_value = "256MiB")]
    pub(super) max_memory: u64,
    // The help lists the purposes from the one table in uploads_client::rules.
    #[arg(
        help_heading = "The File",
        long,
        short,
        value_parser = parse_purpose,
        help = format!("What the files are for: {}", uploads_client::rules::purpose_names())
    )]
    pub(super) purpose: Purpose,
    /// Accept a purpose newer than this tool knows.
    #[arg(help_heading = "The File", long)]
    pub(super) allow_unknown_purpose: bool,
    /// MIME type (default: from the file's extension).
    #[arg(help_heading = "The File", long, value_name = "TYPE")]
    pub(super) mime_type: Option<String>,
    /// Name the File gets (default: the file's name; only with one file).
    #[arg(help_heading = "The File", long, value_name = "NAME")]
    pub(super) filename: Option<String>,
    /// Size of each part, 1MiB to 64MiB (default: chosen for the file, about two parts per
    /// part in flight, 8MiB to 64MiB; a resume keeps the interrupted upload's).
    #[arg(help_heading = "Transfer", long, value_parser = parse_size, value_name = "SIZE")]
    pub(super) part_size: Option<u64>,
    /// The smallest --part-size taken (default 1MiB): lowered only by tests against a local
    /// server with scaled-down limits.
    #[arg(
        help_heading = "Transfer",
        long,
        hide = true,
        env = "OPENAI_UPLOADS_MIN_PART_SIZE",
        value_parser = parse_size,
        default_value_t = uploads_ext::MIN_PART_BYTES
    )]
    pub(super) min_part_size: u64,
    /// Parts in flight at once, across all files.
    #[arg(
        help_heading = "Transfer",
        long,
        short = 'j',
        default_value_t = uploads_ext::DEFAULT_CONCURRENCY,
        value_parser = parse_concurrency,
        value_name = "N"
    )]
    pub(super) concurrency: usize,
    /// Cap the bytes per second sent, across all parts and files of the command (e.g. 10MB;
    /// 0: no cap).
    #[arg(help_heading = "Transfer", long, value_parser = parse_size, value_name = "RATE")]
    pub(super) bwlimit: Option<u64>,
    /// When the File expires after creation, e.g. 2h or 30d (1h to 30d).
    #[arg(help_heading = "The File", long, value_parser = parse_expiry, value_name = "DURATION")]
    pub(super) expires_after: Option<Duration>,
    /// No warning when the MIME type or extension does not fit the purpose as this tool knows it.
    #[arg(help_heading = "Transfer", long, hide = true)]
    pub(super) skip_type_check: bool,
    /// Do not compute and send the whole file's md5.
    #[arg(long, help_heading = "Transfer")]
    pub(super) no_md5: bool,
    #[command(flatten)]
    pub(super) rules: crate::check::ContentRules,
    #[command(flatten)]
    pub(super) then: crate::then::ThenArgs,
    /// Do not check batch and fine-tune files' contents. By default they are checked as the
    /// md5 reads them (no extra pass), and an upload is cancelled at the first error.
    #[arg(help_heading = "Content check", long)]
    pub(super) no_check: bool,
    /// Cut a batch file over the limits (50,000 requests, 200 MiB) at line ends into pieces
    /// within them, each uploaded from its byte range as its own File named <stem>.NN.jsonl;
    /// one File id per piece is printed, in order.
    #[arg(help_heading = "Content check", long)]
    pub(super) split: bool,
    /// Cancel an interrupted upload of these files and start over.
    #[arg(help_heading = "Transfer", long)]
    pub(super) restart: bool,
    /// One JSON document per input on stdout, in order: its path and the completed Upload
    /// (with its File), or its error, or the File id a manifest recorded.
    #[arg(help_heading = "Output", long)]
    pub(super) json: bool,
    /// Errors only: no progress, no warnings, no summary (stdout keeps its one line per input).
    #[arg(help_heading = "Output", long, short)]
    pub(super) quiet: bool,
    /// API base URL (default: OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[cfg_attr(feature = "local-server", arg(conflicts_with = "local"))]
    #[arg(help_heading = "Server", long, value_name = "URL")]
    pub(super) base_url: Option<String>,
    /// Upload to a local server started in-process (no key needed), then download the stored
    /// file and check its md5 against the source.
    #[cfg(feature = "local-server")]
    #[arg(help_heading = "Server", long)]
    pub(super) local: bool,
}

/// What is wrong with the options together, before anything is read.
pub(super) fn usage(args: &PutArgs) -> Result<(), String> {
    // The purpose first: a typo is said before anything else (a missing key, say) hides it.
    if let Purpose::Other(p) = &args.purpose
        && !args.allow_unknown_purpose
    {
        let refused = uploads_ext::ValidationError::UnknownPurpose { purpose: p.clone() };
        return Err(match Purpose::closest(p) {
            Some(_) => format!(
                "{refused}\n  hint: for a purpose newer than this tool, add --allow-unknown-purpose"
            ),
            None => format!("{refused}\n  hint: add --allow-unknown-purpose to send it anyway"),
        });
    }
    let stdin = args.files.iter().any(|p| p == Path::new("-"));
    if args.split && args.purpose != Purpose::Batch {
        return Err("--split cuts batch files: use it with --purpose batch".into());
    }
    if stdin {
        if args.files.len() > 1 || args.files_from.is_some() {
            return Err(
                "`-` (stdin) is uploaded on its own: give no other PATH or --files-from".into(),
            );
        }
        if args.size.is_none() || args.filename.is_none() {
            return Err("`-` (stdin) needs --size BYTES (the Uploads API takes the length up front) and --filename NAME".into());
        }
        if args.split || args.manifest.is_some() {
            return Err("`-` (stdin) takes no --split or --manifest".into());
        }
        if args.shard.is_some() || args.shards.is_some() {
            return Err("`-` (stdin) is one stream: it cannot be sharded".into());
        }
    } else if args.size.is_some() {
        return Err("--size is for `-` (stdin): a file's size is read from the file".into());
    }
    if args.files_from.as_deref() == Some(Path::new("-")) && stdin {
        return Err("stdin cannot be both the list of files and the data".into());
    }
    crate::then::usage(&args.then, &args.purpose)
}

/// A purpose, parsed once here; one newer than this tool is kept as given (the engine refuses
/// it unless --allow-unknown-purpose).
fn parse_purpose(text: &str) -> Result<Purpose, String> {
    Ok(Purpose::from(text))
}

/// `--expires-after`: a duration within what the API takes, said in the units given.
fn parse_expiry(text: &str) -> Result<Duration, String> {
    use uploads_client::rules::{MAX_EXPIRES_AFTER_SECS, MIN_EXPIRES_AFTER_SECS};
    let d = parse_duration(text)?;
    let secs = d.as_secs() as i64;
    if secs < MIN_EXPIRES_AFTER_SECS {
        return Err(format!(
            "{text} is under the 1 hour a File must be kept at least (1h to 30d)"
        ));
    }
    if secs > MAX_EXPIRES_AFTER_SECS {
        return Err(format!(
            "{text} is over the 30 days a File may be kept at most (1h to 30d)"
        ));
    }
    Ok(d)
}

/// Parts in flight: a whole number, at least 1.
fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("at least one part must be in flight: use 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Put {
        #[command(flatten)]
        args: PutArgs,
    }

    fn usage_of(args: &[&str]) -> Result<(), String> {
        let put = Put::try_parse_from(std::iter::once("put").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        usage(&put.args)
    }

    #[test]
    fn stdin_is_one_stream_of_a_size_and_name_given_and_nothing_else() {
        let ok = ["-", "-p", "batch", "--size", "10", "--filename", "x.jsonl"];
        assert_eq!(usage_of(&ok), Ok(()));
        let with = |extra: &[&str]| usage_of(&[&ok[..], extra].concat()).unwrap_err();
        let alone = "`-` (stdin) is uploaded on its own: give no other PATH or --files-from";
        assert_eq!(with(&["other.jsonl"]), alone);
        assert_eq!(with(&["--files-from", "list.txt"]), alone);
        let no = "`-` (stdin) takes no --split or --manifest";
        assert_eq!(with(&["--split"]), no);
        assert_eq!(with(&["--manifest", "m.jsonl"]), no);
        let one = "`-` (stdin) is one stream: it cannot be sharded";
        assert_eq!(with(&["--shard", "0/2"]), one);
        assert_eq!(with(&["--shards", "2"]), one);
        let needs = "`-` (stdin) needs --size BYTES (the Uploads API takes the length up front) and --filename NAME";
        assert_eq!(
            usage_of(&["-", "-p", "batch", "--filename", "x.jsonl"]),
            Err(needs.into())
        );
        assert_eq!(
            usage_of(&["-", "-p", "batch", "--size", "10"]),
            Err(needs.into())
        );
        assert_eq!(
            usage_of(&["a.jsonl", "-p", "batch", "--size", "10"]),
            Err("--size is for `-` (stdin): a file's size is read from the file".into())
        );
    }

    #[test]
    fn a_file_is_kept_one_hour_to_thirty_days_and_the_edges_are_taken() {
        assert_eq!(parse_expiry("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_expiry("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(
            parse_expiry("3599s"),
            Err("3599s is under the 1 hour a File must be kept at least (1h to 30d)".into())
        );
        assert_eq!(
            parse_expiry("2592001s"),
            Err("2592001s is over the 30 days a File may be kept at most (1h to 30d)".into())
        );
    }
}
