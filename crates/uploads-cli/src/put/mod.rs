//! `openai-uploads put`: the main job. Which files ([`select`]), in what pieces
//! ([`pieces`]), what an earlier run already did ([`manifest`]), the plan without sending
//! ([`dry_run`]), the uploads, and what each one's end prints and records ([`finish`]);
//! stdin has its own path ([`stdin`]).

mod dry_run;
mod finish;
mod manifest;
mod pieces;
mod select;
mod stdin;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use uploads_client::ClientInfo;
use uploads_ext::ResumeError;
use uploads_ext::check::ContentCheck;
use uploads_ext::{
    Disposition, Purpose, StopCause, UploadApi, UploadBuilder, UploadError, Uploader,
    ValidationError,
};

use crate::ui::{Mode, Ui};
use crate::{Globals, client_from_env, exit, fail, shown};
use pieces::Job;
use uploads_ext::units::{parse_duration, parse_size};

/// Upload files to OpenAI. Parts go in parallel; an interrupted upload resumes when you run the
/// same command again.
#[derive(Args)]
pub struct PutArgs {
    /// Files, directories (uploaded recursively) or quoted globs ('docs/**/*.pdf'); all share
    /// one --concurrency budget. `-` reads the bytes from stdin (with --size and --filename).
    #[arg(value_name = "PATH", required_unless_present = "files_from")]
    files: Vec<PathBuf>,
    /// Also upload the paths listed in FILE, one per line (`-`: stdin; # comments).
    #[arg(long, value_name = "FILE")]
    files_from: Option<PathBuf>,
    /// Only files matching PATTERN, a glob (repeatable): without a `/` it matches the file's
    /// name at any depth, with one the path under the directory given.
    #[arg(long, value_name = "PATTERN")]
    include: Vec<String>,
    /// Leave out files matching PATTERN (repeatable; as --include).
    #[arg(long, value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Append one JSON line per file to PATH as each finishes (path, bytes, md5, upload and
    /// File ids, status, error, seconds); a re-run with the same manifest skips the files it
    /// records as uploaded with the same size and modification time.
    #[arg(long, value_name = "PATH")]
    manifest: Option<PathBuf>,
    /// Upload files the manifest records as uploaded all the same.
    #[arg(long, requires = "manifest")]
    force: bool,
    /// With --manifest: a file whose modification time changed but whose size did not is
    /// read, and skipped if its md5 is the one recorded.
    #[arg(long, requires = "manifest")]
    checksum: bool,
    /// Check everything and print the plan (files, sizes, parts, time at --assume-rate);
    /// send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The upload rate --dry-run assumes for its time estimates.
    #[arg(long, value_parser = parse_size, value_name = "RATE", default_value = "50MB", requires = "dry_run")]
    assume_rate: u64,
    /// With `-` (stdin): the stream's exact length, which the Uploads API needs up front.
    #[arg(long, value_parser = parse_size, value_name = "BYTES")]
    size: Option<u64>,
    /// With `-` (stdin): the most memory held in parts waiting for the server (each part is
    /// kept until stored, for retries); parts in flight are limited to fit.
    #[arg(long, value_parser = parse_size, value_name = "SIZE", default_value = "256MiB")]
    max_memory: u64,
    // The help lists the purposes from the one table in uploads_client::rules.
    #[arg(long, short, help = format!("What the files are for: {}", uploads_client::rules::purpose_names()))]
    purpose: String,
    /// Accept a purpose newer than this tool knows.
    #[arg(long)]
    allow_unknown_purpose: bool,
    /// MIME type (default: from the file's extension).
    #[arg(long, value_name = "TYPE")]
    mime_type: Option<String>,
    /// Name the File gets (default: the file's name; only with one file).
    #[arg(long, value_name = "NAME")]
    filename: Option<String>,
    /// Size of each part, 1MiB to 64MiB (default: chosen for the file, about two parts per
    /// part in flight, 8MiB to 64MiB; a resume keeps the interrupted upload's).
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    part_size: Option<u64>,
    /// The smallest --part-size taken (default 1MiB): lowered only by tests against a local
    /// server with scaled-down limits.
    #[arg(
        long,
        hide = true,
        env = "OPENAI_UPLOADS_MIN_PART_SIZE",
        value_parser = parse_size,
        default_value_t = uploads_ext::MIN_PART_BYTES
    )]
    min_part_size: u64,
    /// Parts in flight at once, across all files.
    #[arg(
        long,
        short = 'j',
        default_value_t = uploads_ext::DEFAULT_CONCURRENCY,
        value_parser = parse_concurrency,
        value_name = "N"
    )]
    concurrency: usize,
    /// Cap the bytes per second sent, across all parts and files of the command (e.g. 10MB;
    /// 0: no cap).
    #[arg(long, value_parser = parse_size, value_name = "RATE")]
    bwlimit: Option<u64>,
    /// When the File expires after creation, e.g. 2h or 30d (1h to 30d).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    expires_after: Option<Duration>,
    /// No warning when the MIME type or extension does not fit the purpose as this tool knows it.
    #[arg(long, hide = true)]
    skip_type_check: bool,
    /// Do not compute and send the whole file's md5.
    #[arg(long)]
    no_md5: bool,
    /// Do not check batch and fine-tune files' contents. By default they are checked as the
    /// md5 reads them (no extra pass), and an upload is cancelled at the first error.
    #[arg(long)]
    no_check: bool,
    /// Cut a batch file over the limits (50,000 requests, 200 MiB) at line ends into pieces
    /// within them, each uploaded from its byte range as its own File named <stem>.NN.jsonl;
    /// one File id per piece is printed, in order.
    #[arg(long)]
    split: bool,
    /// Cancel an interrupted upload of these files and start over.
    #[arg(long)]
    restart: bool,
    /// Print each completed Upload (with its File) as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No progress output.
    #[arg(long, short)]
    quiet: bool,
    /// API base URL (default: OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[cfg_attr(feature = "local-server", arg(conflicts_with = "local"))]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Upload to a local server started in-process (no key needed), then download the stored
    /// file and check its md5 against the source.
    #[cfg(feature = "local-server")]
    #[arg(long)]
    local: bool,
}

pub async fn run(args: PutArgs, globals: Globals) -> u8 {
    if let Err(message) = usage(&args) {
        return fail(exit::USAGE, message);
    }
    if args.files.iter().any(|p| p == Path::new("-")) {
        return stdin::run(args, globals).await;
    }
    let selection = match select::select(&select::Inputs {
        paths: &args.files,
        files_from: args.files_from.as_deref(),
        include: &args.include,
        exclude: &args.exclude,
    }) {
        Ok(s) => s,
        Err(message) => return fail(exit::USAGE, message),
    };
    for (path, why) in &selection.skipped {
        eprintln!("skipped: {}", shown(&format!("{}: {why}", path.display())));
    }
    if selection.files.is_empty() {
        return fail(exit::USAGE, "nothing to upload: no file was selected");
    }
    if args.filename.is_some() && selection.files.len() > 1 {
        return fail(
            exit::USAGE,
            "--filename names one file: give one FILE, or leave --filename out",
        );
    }
    let check = !args.no_check && ContentCheck::for_purpose(&args.purpose).is_some();
    let mut code = exit::OK;
    let mut jobs = Vec::new();
    for path in &selection.files {
        let batch_limits = check && args.purpose == "batch";
        match pieces::jobs_for(path, args.split, batch_limits, args.filename.as_deref()).await {
            Ok(found) => jobs.extend(found),
            Err(message) => code = code.max(fail(exit::USAGE, message)),
        }
    }
    let mut manifest = match &args.manifest {
        Some(path) => match manifest::Manifest::open(path) {
            Ok(m) => Some(m),
            Err(message) => return fail(exit::USAGE, message),
        },
        None => None,
    };
    let mut already = 0;
    if let Some(m) = &manifest
        && !args.force
    {
        let mut left = Vec::new();
        for job in jobs {
            match manifest::uploaded_before(m, &job, args.checksum).await {
                Some((file_id, why)) => {
                    already += 1;
                    eprintln!(
                        "{}",
                        shown(&format!(
                            "{}: already uploaded as {file_id} ({why}; --force uploads it again)",
                            job.label
                        ))
                    );
                }
                None => left.push(job),
            }
        }
        jobs = left;
    }
    if args.dry_run {
        return code.max(dry_run::run(&args, jobs, check).await);
    }

    let ui = Ui::new(Mode::detect(args.quiet));
    // --local: the address is reserved now and the server started only once the files have
    // passed their checks.
    #[cfg(feature = "local-server")]
    let reserved = if args.local {
        match crate::local::Reserved::new() {
            Ok(r) => Some(r),
            Err(code) => return code,
        }
    } else {
        None
    };
    #[cfg(not(feature = "local-server"))]
    let reserved: Option<std::convert::Infallible> = None;
    let (client, journal_dir) = match &reserved {
        // The local server lives as long as this command: there is nothing to resume later.
        #[cfg(feature = "local-server")]
        Some(r) => (r.client.clone(), None),
        #[cfg(not(feature = "local-server"))]
        Some(never) => match *never {},
        None => match client_from_env(args.base_url.as_deref(), &globals) {
            Ok(c) => (c, globals.journal_dir),
            Err(code) => return code,
        },
    };

    let token = CancellationToken::new();
    let base_url = client.baseurl().to_owned();
    let uploader = Uploader::new(client)
        .bandwidth_limit(args.bwlimit)
        .journal_dir(journal_dir)
        .cancel_token(token.clone());

    // Every file is checked before the first request: refusals now, warnings said once.
    let several = jobs.len() > 1;
    let mut ready = Vec::new();
    for job in jobs {
        let b = builder(&uploader, &args, &job, check);
        match b.check().await {
            Ok(warnings) => {
                for w in warnings {
                    eprintln!("warning: {}", shown(&format!("{}: {w}", job.label)));
                }
                ready.push((job, b));
            }
            Err(e) => {
                code = code.max(report(label(several, &job), &e.into(), false, &base_url));
            }
        }
    }
    if ready.is_empty() {
        return code;
    }
    #[cfg(feature = "local-server")]
    let local = match reserved {
        Some(r) => match r.start(&ui).await {
            Ok(l) => Some(l),
            Err(c) => return c,
        },
        None => None,
    };

    spawn_interrupt_handler(token.clone());
    let mut bars = Vec::new();
    let (jobs, builders): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .map(|(job, b)| {
            let bar = ui.file(&shown(&job.label));
            bars.push(bar.clone());
            (job, b.progress(move |e| bar.on_event(e)))
        })
        .unzip();
    let mut ends = finish::Ends::new(&args, jobs.len(), already);
    let mut finished = uploader.send_each(builders, args.concurrency);
    while let Some(f) = finished.next().await {
        let job = &jobs[f.index];
        let bar = &bars[f.index];
        let outcome = ends.record(job, &f, manifest.as_mut());
        match &f.result {
            Ok(done) => {
                let note = if done.recovered {
                    " (recovered after a lost response)"
                } else {
                    ""
                };
                bar.finish(&format!("uploaded as {}{note}", done.file.id));
                if let Some(check) = &done.check {
                    crate::check::print_warnings(&job.label, check);
                }
                #[cfg(feature = "local-server")]
                if let Some(l) = &local {
                    code = code.max(
                        l.verify(&done.file.id, done.md5.as_deref(), &job.source, &ui)
                            .await,
                    );
                }
            }
            Err(err) => {
                if matches!(err, UploadError::Stopped { .. }) {
                    bar.finish("failed");
                } else {
                    bar.discard();
                }
                code = code.max(report(
                    label(several, job),
                    err,
                    token.is_cancelled(),
                    &base_url,
                ));
            }
        }
        if let Err(message) = outcome {
            code = code.max(fail(exit::FAILED, message));
        }
    }
    ends.summary();
    #[cfg(feature = "local-server")]
    if let Some(l) = local {
        l.server.shutdown().await;
    }
    code
}

/// What is wrong with the options together, before anything is read.
fn usage(args: &PutArgs) -> Result<(), String> {
    let stdin = args.files.iter().any(|p| p == Path::new("-"));
    if args.split && args.purpose != "batch" {
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
    } else if args.size.is_some() {
        return Err("--size is for `-` (stdin): a file's size is read from the file".into());
    }
    if args.files_from.as_deref() == Some(Path::new("-")) && stdin {
        return Err("stdin cannot be both the list of files and the data".into());
    }
    Ok(())
}

/// Parts in flight: a whole number, at least 1.
fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("at least one part must be in flight: use 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

/// A file's label in a message, when the command has several uploads.
fn label(several: bool, job: &Job) -> Option<&str> {
    several.then_some(job.label.as_str())
}

/// One upload with the command's options.
fn builder<A: UploadApi>(
    uploader: &Uploader<A>,
    args: &PutArgs,
    job: &Job,
    check: bool,
) -> UploadBuilder<A> {
    let mut b = uploader
        .source(job.source.clone(), Purpose::from(args.purpose.as_str()))
        .min_part_size(args.min_part_size)
        .check_content(check)
        .concurrency(args.concurrency)
        .md5(!args.no_md5)
        .restart(args.restart)
        .allow_unknown_purpose(args.allow_unknown_purpose)
        .skip_type_check(args.skip_type_check);
    if let Some(size) = args.part_size {
        b = b.part_size(size);
    }
    if let Some(m) = &args.mime_type {
        b = b.mime_type(m);
    }
    if let Some(n) = job.filename.as_ref().or(args.filename.as_ref()) {
        b = b.filename(n);
    }
    if let Some(d) = args.expires_after {
        b = b.expires_after(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    }
    b
}

/// Prints what went wrong and what to do, and picks the exit code.
fn report(label: Option<&str>, err: &UploadError, interrupted: bool, base_url: &str) -> u8 {
    let code = match err {
        UploadError::Invalid(_) => exit::USAGE,
        _ if interrupted => exit::INTERRUPTED,
        _ => exit::FAILED,
    };
    let mut message = match label {
        Some(l) => format!("{l}: {err}"),
        None => err.to_string(),
    };
    match err {
        UploadError::Stopped {
            cause: StopCause::ContentRejected { report },
            ..
        } => {
            message.push_str(&format!(
                "\n{report}\n  fix the file, or add --no-check to upload it as it is"
            ));
        }
        UploadError::Invalid(ValidationError::UnknownPurpose { .. }) => {
            message.push_str("\n  hint: add --allow-unknown-purpose to send it anyway");
        }
        UploadError::Stopped {
            cause:
                StopCause::Refused {
                    step: uploads_ext::Step::Complete,
                    error,
                },
            ..
        } if error.body().and_then(|b| b.param.as_deref()) == Some("part_ids") => {
            message.push_str(
                "\n  the service did not take the parts recorded for this upload (a journal from another server or an older run?); the upload was cancelled and its journal removed\n  start over: run the same command again",
            );
        }
        UploadError::Stopped {
            cause: StopCause::Unreachable { .. },
            ..
        } => {
            message.push_str(&format!(
                "\n  hint: nothing answers at {base_url}: check OPENAI_BASE_URL or --base-url, and the network"
            ));
        }
        UploadError::Stopped {
            disposition: Disposition::MaybeCompleted { upload_id, .. },
            ..
        } => {
            message.push_str(&format!(
                "\n  finish: run the same command again: it asks once more and, if {upload_id} completed, finds its File\n  do not upload the file anew before that: a second File would be made"
            ));
        }
        UploadError::Stopped { .. } if err.resumable_upload().is_some() => {
            let id = err.resumable_upload().unwrap_or_default();
            message.push_str(&format!(
                "\n  resume: run the same command again\n  cancel: openai-uploads cancel {id}"
            ));
        }
        UploadError::Resume(
            ResumeError::Expired { .. }
            | ResumeError::FileChanged { .. }
            | ResumeError::OptionsChanged { .. },
        ) => {
            message.push_str("\n  start over: add --restart");
        }
        _ => {}
    }
    fail(code, message)
}

/// First Ctrl-C: stop cleanly, leaving uploads resumable. Second: exit at once.
fn spawn_interrupt_handler(token: CancellationToken) {
    let token = Arc::new(token);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\ninterrupted: stopping; the upload stays resumable (Ctrl-C again to exit now)");
        token.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(exit::INTERRUPTED as i32);
        }
    });
}
