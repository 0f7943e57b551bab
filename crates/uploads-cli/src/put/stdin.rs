//! `put -`: the bytes from stdin, whose length `--size` gives (the Uploads API needs it at
//! creation). Each part is held in memory until the server has it, so a retry can resend it;
//! the engine limits parts in flight to fit `--max-memory`. Nothing can be resumed: any stop
//! cancels the upload.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;
use uploads_client::ClientInfo;
use uploads_ext::{PartBudget, Source, StopCause, UploadError, Uploader};

use super::args::PutArgs;
use super::job::Job;
use super::prepare::builder;
use super::report::report;
use crate::connect::{Globals, client_from_env};
use crate::output::{exit, fail};
use crate::ui::{Mode, Ui};

pub(super) async fn run(args: PutArgs, globals: Globals) -> u8 {
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
    let client = match client_from_env(args.base_url.as_deref(), &globals) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let base_url = client.baseurl().to_owned();
    let token = CancellationToken::new();
    let then = super::handoff::context(&args, &client, None, &token);
    let uploader = Uploader::new(client)
        .part_budget(PartBudget::new(args.concurrency))
        .bandwidth_limit(args.bwlimit)
        .cancel_token(token.clone());
    let job = Job {
        label: "stdin".into(),
        source: Source::stream(tokio::io::stdin(), size),
        filename: Some(name),
        path: PathBuf::from("-"),
        order: 0,
    };
    let prepared = match builder(&uploader, &args, &job).prepare().await {
        Ok(p) => p,
        Err(e) => return report(None, &e.into(), false, &base_url),
    };
    let ui = Ui::new(Mode::detect(args.quiet));
    let bar = ui.file("stdin");
    let progress = bar.clone();
    // A stream cannot be read again: it has no journal, and a stop cancels it.
    super::interrupt::spawn_handler(token.clone(), false);
    let prepared = prepared.progress(move |e| progress.on_event(e));
    match prepared.send().await {
        Ok(done) => {
            bar.finish(&format!("uploaded as {}", done.file.id));
            if let Some(check) = &done.check {
                crate::check::print_warnings("stdin", check);
            }
            if let Err(lost) =
                crate::output::out(super::finish::stdout_line(args.json, &job.path, &done))
            {
                eprintln!(
                    "uploaded as {}, but stdout took no more before the id could be printed",
                    done.file.id
                );
                return lost.code;
            }
            match then {
                Some(cx) => match crate::then::Steps::start(cx).await {
                    Ok(mut steps) => {
                        steps
                            .uploaded(super::handoff::streamed(&done.file.id, done.check.as_ref()));
                        steps.finish().await
                    }
                    Err(code) => code,
                },
                None => exit::OK,
            }
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
