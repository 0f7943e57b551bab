//! The one step from `put`'s options to the engine's plan: each job becomes an upload with
//! the command's options, prepared (validated and planned) once, before the first request.

use uploads_ext::{PreparedUpload, UploadApi, UploadBuilder, UploadError, Uploader};

use super::args::PutArgs;
use super::job::Job;
use super::report::report;
use crate::output::shown;

/// One upload with the command's options. The parts in flight and the bandwidth cap are the
/// uploader's, shared by all.
pub(super) fn builder<A: UploadApi>(
    uploader: &Uploader<A>,
    args: &PutArgs,
    job: &Job,
) -> UploadBuilder<A> {
    let mut b = uploader
        .source(job.source.clone(), args.purpose.clone())
        .min_part_size(args.min_part_size)
        .check_content(!args.no_check)
        .check_options(args.rules.options())
        .md5(!args.no_md5)
        .restart(args.restart)
        .allow_unknown_purpose(args.allow_unknown_purpose)
        .skip_type_check(args.skip_type_check)
        // Parts of a stream or an object are held until stored: the memory cap fits them.
        .max_memory(args.max_memory);
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

/// Prepares every job before the first request: a refusal is reported (and raises `code`),
/// and the jobs that passed come back with their plans, the refused ones with why. Warnings
/// are said here with `say_warnings` (a dry run); an upload's run says them as it starts.
pub(super) async fn prepare_all<A: UploadApi>(
    uploader: &Uploader<A>,
    args: &PutArgs,
    jobs: Vec<Job>,
    code: &mut u8,
    say_warnings: bool,
) -> (Vec<(Job, PreparedUpload<A>)>, Vec<(Job, UploadError)>) {
    let several = jobs.len() > 1;
    let mut ready = Vec::new();
    let mut refused = Vec::new();
    for job in jobs {
        match builder(uploader, args, &job).prepare().await {
            Ok(prepared) => {
                for w in prepared.warnings().iter().filter(|_| say_warnings) {
                    eprintln!("warning: {}", shown(&format!("{}: {w}", job.label)));
                }
                ready.push((job, prepared));
            }
            Err(e) => {
                let e = UploadError::from(e);
                *code = (*code).max(report(job.label_if(several), &e, false, ""));
                refused.push((job, e));
            }
        }
    }
    (ready, refused)
}
