//! The link from an upload to its step after (`--then`, `--vector-store`): what identifies a
//! source across runs in the ledger, the File handed to its step, and the jobs an earlier run
//! took as far as their File.

use std::path::Path;

use tokio_util::sync::CancellationToken;
use uploads_client::Client;
use uploads_ext::after::Ledger;

use super::args::PutArgs;
use super::job::{self, Job};
use crate::then;

/// The context of the command's steps after the upload, if it has any; its ledger in the
/// journal directory (none: nothing is found again by a later run).
pub(super) fn context(
    args: &PutArgs,
    client: &Client,
    journal_dir: Option<&Path>,
    stop: &CancellationToken,
) -> Option<then::Context> {
    args.then.any().then(|| then::Context {
        client: client.clone(),
        ledger: journal_dir.and_then(|dir| match Ledger::in_journal_dir(dir) {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("warning: the ledger of steps after the upload cannot be opened ({e}): a re-run will not find what this one starts");
                None
            }
        }),
        args: args.then.clone(),
        method: args.rules.method,
        check: !args.no_check,
        json: args.json,
        quiet: args.quiet,
        stop: stop.clone(),
    })
}

/// What identifies a source across runs, for the ledger: its key, size and modification time
/// (an object: its ETag).
pub(super) fn source_key(stat: &job::Stat) -> String {
    let when = stat
        .mtime_ns
        .map(|m| m.to_string())
        .or_else(|| stat.version.clone())
        .unwrap_or_default();
    format!("{}|{}|{when}", stat.key.display(), stat.bytes)
}

/// A File ready for its step: where it came from, and the one endpoint its check read.
pub(super) fn uploaded(
    job: &Job,
    stat: &job::Stat,
    file_id: &str,
    check: Option<&uploads_ext::check::Report>,
) -> then::Uploaded {
    then::Uploaded {
        order: job.order,
        label: job.label.clone(),
        source_key: source_key(stat),
        file_id: file_id.to_owned(),
        endpoint: endpoint(check),
        path: job.source.path().map(Path::to_owned),
    }
}

/// A File uploaded from stdin, ready for its step. A stream cannot be recognised by a later
/// run, so its key is its File: the step is never taken up again by another upload.
pub(super) fn streamed(
    file_id: &str,
    check: Option<&uploads_ext::check::Report>,
) -> then::Uploaded {
    then::Uploaded {
        order: 0,
        label: "stdin".into(),
        source_key: format!("stdin|{file_id}"),
        file_id: file_id.to_owned(),
        endpoint: endpoint(check),
        path: None,
    }
}

/// The one endpoint the check read from a batch file's requests, if there was one.
fn endpoint(check: Option<&uploads_ext::check::Report>) -> Option<String> {
    check
        .map(|r| &r.summary.by_kind)
        .filter(|k| k.len() == 1)
        .and_then(|k| k.keys().next().cloned())
}

/// Splits off the jobs an earlier run took as far as their File: those whose step it left
/// open (their File taken up again: not uploaded twice) and, for a vector store, those it
/// attached and saw completed (nothing left to do).
pub(super) async fn after_earlier_runs(
    cx: &then::Context,
    jobs: Vec<Job>,
) -> (Vec<Job>, Vec<(Job, String)>, Vec<(Job, String)>) {
    let (mut left, mut resumed, mut done) = (Vec::new(), Vec::new(), Vec::new());
    for job in jobs {
        let Some(stat) = job.stat().await else {
            left.push(job);
            continue;
        };
        let Some(rec) = cx.earlier(&source_key(&stat)) else {
            left.push(job);
            continue;
        };
        let file_id = rec.file_id.clone().unwrap_or_default();
        if rec.done && rec.outcome.as_deref() == Some("completed") {
            cx.say(&format!(
                "{}: already in the vector store as {file_id}",
                job.label
            ));
            done.push((job, file_id));
        } else {
            cx.say(&format!(
                "{}: uploaded by an earlier run as {file_id}; taking up its step",
                job.label
            ));
            resumed.push((job, file_id));
        }
    }
    (left, resumed, done)
}
