//! `openai-uploads put`: the main job, in steps: its options ([`args`]), which files
//! ([`select`]), in what pieces ([`pieces`], each a [`job`]), what an earlier run already did
//! ([`manifest`]), objects in stores and behind URLs ([`remote`]), a machine's share of the
//! selection ([`shard`]), one prepare step to the engine's plan ([`prepare`]), the plan without
//! sending ([`dry_run`]), the uploads, what each one's end prints and records ([`finish`]) and
//! what a failure says ([`mod@report`]), and each File handed to its step after the upload
//! ([`handoff`]); stdin has its own path ([`stdin`]).

mod args;
mod descriptors;
mod dry_run;
mod finish;
mod handoff;
mod interrupt;
mod job;
mod manifest;
mod pieces;
mod prepare;
mod remote;
mod report;
mod select;
mod shard;
mod stdin;

use std::path::Path;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use uploads_client::ClientInfo;
use uploads_ext::{PartBudget, Purpose, UploadError, Uploader};

use crate::connect::{Globals, client_from_env};
use crate::output::{exit, fail, shown};
use crate::ui::{Mode, Ui};
pub(crate) use args::PutArgs;
use job::Job;
use manifest::Manifest;
use report::report;

use crate::then;

pub(crate) async fn run(args: PutArgs, globals: Globals) -> u8 {
    if let Err(message) = args::usage(&args) {
        return fail(exit::USAGE, message);
    }
    if args.files.iter().any(|p| p == Path::new("-")) {
        return stdin::run(args, globals).await;
    }
    let mut code = exit::OK;
    let mut jobs = match jobs(&args, &mut code).await {
        Ok(jobs) => jobs,
        Err(code) => return code,
    };
    // Every input has a place: its result is printed there, whatever order they end in.
    for (order, job) in jobs.iter_mut().enumerate() {
        job.order = order;
    }
    let inputs = jobs.len();
    let (jobs, manifest, recorded) = match manifest::skip_recorded(&args, jobs).await {
        Ok(left) => left,
        Err(code) => return code,
    };
    if args.dry_run {
        return code.max(dry_run::run(&args, jobs).await);
    }
    code.max(upload(args, globals, inputs, jobs, manifest, recorded).await)
}

/// Selection (files, and objects listed or opened), this machine's share of it, then each
/// file's jobs (itself, or its pieces with `--split`).
async fn jobs(args: &PutArgs, code: &mut u8) -> Result<Vec<Job>, u8> {
    let shard = shard::from_args(args.shard, args.shards).map_err(|m| fail(exit::USAGE, m))?;
    let (mut selection, filters) = select::gather(&select::Inputs {
        paths: &args.files,
        files_from: args.files_from.as_deref(),
        include: &args.include,
        exclude: &args.exclude,
    })
    .map_err(|message| fail(exit::USAGE, message))?;
    let mut objects = remote::open_all(
        &selection.remote,
        args,
        &filters,
        &uploads_remote::Fetched::default(),
    )
    .await;
    select::finish(&mut selection, &filters);
    selection.skipped.append(&mut objects.skipped);
    for message in &objects.errors {
        *code = (*code).max(fail(exit::FAILED, shown(message)));
    }
    // Quiet means errors only.
    for warning in selection.warnings.iter().filter(|_| !args.quiet) {
        eprintln!("warning: {}", shown(warning));
    }
    for (path, why) in selection.skipped.iter().filter(|_| !args.quiet) {
        eprintln!("skipped: {}", shown(&format!("{}: {why}", path.display())));
    }
    if selection.files.is_empty() && objects.jobs.is_empty() {
        if !objects.errors.is_empty() {
            return Err(*code);
        }
        let why = match &selection.filtered {
            Some(filtered) => format!("nothing to upload: {filtered}"),
            None => "nothing to upload: no file was selected".to_owned(),
        };
        return Err(fail(exit::USAGE, why));
    }
    if let Some(shard) = shard {
        let selected = selection.files.len() + objects.jobs.len();
        selection
            .files
            .retain(|p| shard.takes(p.as_os_str().as_encoded_bytes()));
        objects
            .jobs
            .retain(|j| shard.takes(j.path.as_os_str().as_encoded_bytes()));
        if selection.files.is_empty() && objects.jobs.is_empty() {
            // Many machines, few files: an empty share is not a failure.
            if !args.quiet {
                eprintln!(
                    "nothing to upload: none of the {selected} selected file(s) falls in shard {}/{}",
                    shard.index, shard.count
                );
            }
            return Err(*code);
        }
    }
    if args.filename.is_some() && selection.files.len() + objects.jobs.len() > 1 {
        return Err(fail(
            exit::USAGE,
            "--filename names one file: give one FILE, or leave --filename out",
        ));
    }
    // A checked batch file over the limits is refused now, unless --split cuts it.
    let batch_limits = !args.no_check && args.purpose == Purpose::Batch;
    let mut jobs = Vec::new();
    for path in &selection.files {
        match pieces::jobs_for(path, args.split, batch_limits, args.filename.as_deref()).await {
            Ok(found) => jobs.extend(found),
            Err(message) => *code = (*code).max(fail(exit::USAGE, message)),
        }
    }
    jobs.append(&mut objects.jobs);
    Ok(jobs)
}

/// The uploads: every job prepared before the first request (and before `--local` starts its
/// server), then sent sharing one budget of parts in flight, each end recorded as it comes.
async fn upload(
    mut args: PutArgs,
    globals: Globals,
    inputs: usize,
    jobs: Vec<Job>,
    mut manifest: Option<Manifest>,
    recorded: Vec<(Job, String)>,
) -> u8 {
    let mut code = exit::OK;
    let (j, lowered) = descriptors::fit(args.concurrency);
    if let Some(warning) = lowered {
        eprintln!("warning: {warning}");
    }
    args.concurrency = j;
    let mut ui = Ui::new(Mode::detect(args.quiet));
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

    // Without a journal (--local) an interrupt cancels: nothing could resume the uploads.
    let journaled = journal_dir.is_some();
    let token = CancellationToken::new();
    let base_url = client.baseurl().to_owned();
    let then = handoff::context(&args, &client, journal_dir.as_deref(), &token);
    // Files whose step an earlier run started: not uploaded again, their step taken up.
    let (jobs, resumed, attached) = match &then {
        Some(cx) => handoff::after_earlier_runs(cx, jobs).await,
        None => (jobs, Vec::new(), Vec::new()),
    };
    let uploader = Uploader::new(client)
        .part_budget(PartBudget::new(args.concurrency))
        .bandwidth_limit(args.bwlimit)
        .journal_dir(journal_dir)
        .cancel_token(token.clone())
        .claimed_files(
            manifest
                .iter()
                .flat_map(|m| m.file_ids())
                .collect::<Vec<_>>(),
        );
    let (ready, refused) = prepare::prepare_all(&uploader, &args, jobs, &mut code, false).await;
    let mut ends = finish::Ends::new(
        &args,
        inputs,
        recorded.len() + resumed.len() + attached.len(),
    );
    for (job, file_id) in &recorded {
        ends.already(job, file_id);
    }
    for (job, file_id) in resumed.iter().chain(&attached) {
        ends.earlier_run(job, file_id);
    }
    for (job, err) in &refused {
        ends.refused(job, err);
    }
    let steps_left = then.is_some() && (!recorded.is_empty() || !resumed.is_empty());
    if ready.is_empty() && !steps_left {
        ends.summary();
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

    interrupt::spawn_handler(token.clone(), journaled);
    let mut steps = match then {
        Some(cx) => match then::Steps::start(cx).await {
            Ok(s) => Some(s),
            Err(c) => return code.max(c),
        },
        None => None,
    };
    if let Some(steps) = &mut steps {
        for (job, file_id) in recorded.iter().chain(&resumed) {
            if let Some(stat) = job.stat().await {
                steps.uploaded(handoff::uploaded(job, &stat, file_id, None));
            }
        }
    }
    let several = ready.len() > 1;
    ui.total(ready.len(), ready.iter().map(|(_, p)| p.size()).sum());
    let (mut ended, mut failed_count) = (0, 0);
    let uploads_count = ready.len();
    let mut bars = Vec::new();
    let (jobs, uploads): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .map(|(job, prepared)| {
            let bar = ui.file(&shown(&job.label));
            bars.push(bar.clone());
            (job, prepared.progress(move |e| bar.on_event(e)))
        })
        .unzip();
    let mut finished = uploader.send_each(uploads, args.concurrency);
    while let Some(f) = finished.next().await {
        let job = &jobs[f.index];
        let bar = &bars[f.index];
        // For the manifest line: the file as the upload read it (not as it may be by now: a
        // rewrite during complete must make the next run send it again); for a failure, the
        // file as it is.
        let recorded = match (manifest.as_mut(), &f.result) {
            (Some(m), Ok(done)) => Some((m, Some(job::Stat::from_identity(&done.identity)))),
            (Some(m), Err(_)) => Some((m, job.stat().await)),
            (None, _) => None,
        };
        let outcome = ends.record(job, &f, recorded);
        ended += 1;
        failed_count += usize::from(f.result.is_err());
        match &f.result {
            Ok(done) => {
                let note = if done.recovered {
                    " (recovered after a lost response)"
                } else {
                    ""
                };
                bar.finish(&format!("uploaded as {}{note}", done.file.id));
                if let Some(check) = done.check.as_ref().filter(|_| !args.quiet) {
                    crate::check::print_warnings(&job.label, check);
                }
                if let Some(steps) = &mut steps {
                    let stat = job::Stat::from_identity(&done.identity);
                    steps.uploaded(handoff::uploaded(
                        job,
                        &stat,
                        &done.file.id,
                        done.check.as_ref(),
                    ));
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
                if let UploadError::Stopped {
                    cause: uploads_ext::StopCause::Interrupted,
                    disposition,
                } = err
                {
                    // Stopped on request, not failed: say what was kept.
                    bar.finish(&match disposition.upload_id() {
                        Some(id) if err.resumable_upload().is_some() => {
                            format!("interrupted; {id} kept to resume")
                        }
                        _ => "interrupted".to_owned(),
                    });
                } else if matches!(err, UploadError::Stopped { .. }) {
                    bar.finish("failed");
                } else {
                    bar.discard();
                }
                code = code.max(report(
                    job.label_if(several),
                    err,
                    token.is_cancelled(),
                    &base_url,
                ));
            }
        }
        ui.files_ended(ended, failed_count, uploads_count);
        if let Err(message) = outcome {
            code = code.max(fail(exit::FAILED, message));
        }
        if ends.stdout_lost().is_some() && !token.is_cancelled() {
            // As an interrupt: every upload stops where it can be resumed.
            eprintln!(
                "stdout takes no more: stopping; what was uploaded is in the summary, the rest stays resumable"
            );
            token.cancel();
        }
    }
    ends.summary();
    if let Some(lost) = ends.stdout_lost() {
        code = code.max(lost.code);
    }
    if let Some(steps) = steps {
        code = code.max(steps.finish().await);
    }
    #[cfg(feature = "local-server")]
    if let Some(l) = local {
        l.server.shutdown().await;
    }
    code
}
