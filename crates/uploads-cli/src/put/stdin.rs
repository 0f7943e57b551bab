//! `put -`: the bytes from stdin, whose length `--size` gives (the Uploads API needs it at
//! creation). Each part is held in memory until the server has it, so a retry can resend it;
//! parts in flight are limited so that they fit in `--max-memory`. Nothing can be resumed:
//! any stop cancels the upload.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;
use uploads_client::ClientInfo;
use uploads_client::rules::MAX_PART_BYTES;
use uploads_ext::check::ContentCheck;
use uploads_ext::units::human_bytes;
use uploads_ext::{Source, StopCause, UploadError, Uploader, auto_part_size};

use super::pieces::Job;
use super::{PutArgs, builder, report, spawn_interrupt_handler};
use crate::ui::{Mode, Ui};
use crate::{Globals, client_from_env, exit, fail, shown};

pub async fn run(args: PutArgs, globals: Globals) -> u8 {
    // `usage` made sure both are there.
    let (Some(size), Some(name)) = (args.size, args.filename.clone()) else {
        return fail(exit::USAGE, "`-` needs --size and --filename");
    };
    #[cfg(feature = "local-server")]
    if args.local {
        return fail(
            exit::USAGE,
            "`-` (stdin) uploads to the API: leave out --local",
        );
    }
    if args.dry_run {
        return fail(
            exit::USAGE,
            "--dry-run reads files: it cannot plan a stream",
        );
    }
    let part = args
        .part_size
        .unwrap_or_else(|| auto_part_size(size, args.concurrency, MAX_PART_BYTES));
    let fits = usize::try_from(args.max_memory / part.max(1)).unwrap_or(usize::MAX);
    if fits == 0 {
        return fail(
            exit::USAGE,
            format!(
                "--max-memory {} holds less than one part of {}: raise it, or lower --part-size",
                human_bytes(args.max_memory),
                human_bytes(part)
            ),
        );
    }
    let in_flight = fits.min(args.concurrency);
    let client = match client_from_env(args.base_url.as_deref(), &globals) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let base_url = client.baseurl().to_owned();
    let token = CancellationToken::new();
    let uploader = Uploader::new(client)
        .bandwidth_limit(args.bwlimit)
        .journal_dir(None)
        .cancel_token(token.clone());
    let job = Job {
        label: "stdin".into(),
        source: Source::stream(tokio::io::stdin(), size),
        filename: Some(name),
        path: PathBuf::from("-"),
        region: None,
    };
    let check = !args.no_check && ContentCheck::for_purpose(&args.purpose).is_some();
    let b = builder(&uploader, &args, &job, check)
        .part_size(part)
        .concurrency(in_flight);
    match b.check().await {
        Ok(warnings) => {
            for w in warnings {
                eprintln!("warning: {}", shown(&format!("stdin: {w}")));
            }
        }
        Err(e) => return report(None, &e.into(), false, &base_url),
    }
    let ui = Ui::new(Mode::detect(args.quiet));
    let bar = ui.file("stdin");
    let progress = bar.clone();
    spawn_interrupt_handler(token.clone());
    match b.progress(move |e| progress.on_event(e)).send().await {
        Ok(done) => {
            bar.finish(&format!("uploaded as {}", done.file.id));
            if let Some(check) = &done.check {
                crate::check::print_warnings("stdin", check);
            }
            println!("{}", super::finish::stdout_line(args.json, &done));
            exit::OK
        }
        Err(err) => {
            bar.finish("failed");
            let code = report(None, &err, token.is_cancelled(), &base_url);
            if matches!(
                err,
                UploadError::Stopped {
                    cause: StopCause::Interrupted,
                    ..
                }
            ) {
                eprintln!(
                    "stdin cannot be read again, so the upload was cancelled, not kept for a resume"
                );
            }
            code
        }
    }
}
