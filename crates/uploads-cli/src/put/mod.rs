//! `openai-uploads put`: the main job. Its options ([`args`]), which files ([`select`]), in
//! what pieces ([`pieces`]), what an earlier run already did ([`manifest`]), the plan without
//! sending ([`dry_run`]), the uploads, what each one's end prints and records ([`finish`])
//! and what a failure says ([`mod@report`]); stdin has its own path ([`stdin`]).

mod args;
mod dry_run;
mod finish;
mod manifest;
mod pieces;
mod report;
mod select;
mod stdin;

use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use uploads_client::ClientInfo;
use uploads_ext::check::ContentCheck;
use uploads_ext::{Purpose, UploadApi, UploadBuilder, UploadError, Uploader};

use crate::ui::{Mode, Ui};
use crate::{Globals, client_from_env, exit, fail, shown};
pub use args::PutArgs;
use args::usage;
use pieces::Job;
use report::report;

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
        // The file as it is now, for its manifest line (only with a manifest).
        let recorded = match manifest.as_mut() {
            Some(m) => Some((m, job.stat().await)),
            None => None,
        };
        let outcome = ends.record(job, &f, recorded);
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
