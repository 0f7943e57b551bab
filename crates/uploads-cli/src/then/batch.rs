//! `--then batch`, and `openai-uploads batch wait|results|cancel ID` for a batch started
//! earlier: start, follow `request_counts` to the end, download the output and error files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use uploads_client::types;
use uploads_ext::after::{BatchRequest, Batches, batch_failed_requests};

use super::context::{Context, StepEnd, Uploaded, unless_stopped, wait_failed};
use crate::connect::{Globals, client_from_env};
use crate::output::{exit, fail, out, shown};
use crate::units::parse_duration;

/// Start the batch of one uploaded File, and with --wait follow it to the end.
pub(super) async fn run(cx: Arc<Context>, file: Uploaded) -> StepEnd {
    let end = |line: Option<String>, code: u8| StepEnd {
        order: file.order,
        line,
        code,
    };
    let endpoint = match (
        cx.args.endpoint.clone().or(file.endpoint.clone()),
        &file.path,
    ) {
        (Some(e), _) => Some(e),
        // Uploaded before (no check ran in this run): read from the file.
        (None, Some(path)) => endpoint_of(path.clone()).await,
        (None, None) => None,
    };
    let Some(endpoint) = endpoint else {
        return end(
            None,
            fail(
                exit::FAILED,
                format!(
                    "{}: no batch started: its requests name no single endpoint the check could read (give --endpoint)",
                    file.label
                ),
            ),
        );
    };
    let step = cx.record_file(&file.source_key, &file.file_id);
    let mut req = BatchRequest::new(&file.file_id, endpoint).metadata(cx.args.metadata.clone());
    req.completion_window = cx.args.completion_window.clone();
    let batches = Batches::new(&cx.client);
    let started = unless_stopped(
        &cx.stop,
        batches.start(&req, cx.ledger.as_ref().map(|l| (l, step.clone()))),
    )
    .await;
    let batch = match started {
        None => return end(None, exit::INTERRUPTED),
        Some(Err(e)) => return end(None, fail(exit::FAILED, format!("{}: {e}", file.label))),
        Some(Ok(b)) => b,
    };
    cx.say(&format!(
        "{}: batch {} {}",
        file.label, batch.id, batch.status
    ));
    if !cx.args.wait {
        return end(Some(line(&cx, &file, &batch, None)), exit::OK);
    }
    let (batch, code, results) = follow(&cx, &batches, &batch.id, Some(&file.label)).await;
    if let Some(batch) = &batch
        && code != exit::INTERRUPTED
        && let Some(step) = cx.ledger.as_ref().and_then(|l| l.last(&step.key))
    {
        cx.close(step, &batch.status.to_string());
    }
    let shown_line = batch
        .as_ref()
        .map(|b| line(&cx, &file, b, results.as_ref()));
    end(shown_line, code)
}

/// The one endpoint a local batch file's requests name, read by our check.
async fn endpoint_of(path: PathBuf) -> Option<String> {
    let report = tokio::task::spawn_blocking(move || {
        uploads_ext::check::check_file(
            &path,
            uploads_ext::check::ContentFormat::Batch,
            Default::default(),
        )
    })
    .await
    .ok()?
    .ok()?;
    let kinds = report.summary.by_kind;
    (kinds.len() == 1)
        .then(|| kinds.into_keys().next())
        .flatten()
}

/// The stdout line of a started batch: its id, or with --json the batch and its result files.
fn line(
    cx: &Context,
    file: &Uploaded,
    batch: &types::Batch,
    results: Option<&uploads_ext::after::BatchResults>,
) -> String {
    if !cx.json {
        return batch.id.clone();
    }
    serde_json::json!({
        "path": file.label,
        "file_id": file.file_id,
        "batch": batch,
        "output_file": results.and_then(|r| r.output.as_ref()),
        "error_file": results.and_then(|r| r.errors.as_ref()),
    })
    .to_string()
}

/// Waits for a batch (progress on stderr as its counts change), then downloads its files;
/// the batch as it ended, the exit code (0 only if it completed with no request failed) and
/// the files.
async fn follow(
    cx: &Context,
    batches: &Batches<'_>,
    id: &str,
    label: Option<&str>,
) -> (
    Option<types::Batch>,
    u8,
    Option<uploads_ext::after::BatchResults>,
) {
    let prefix = label.map(|l| format!("{l}: ")).unwrap_or_default();
    let mut last = String::new();
    let waited = unless_stopped(
        &cx.stop,
        batches.wait(id, &cx.wait_policy(), |b| {
            let now = progress(b);
            if now != last {
                cx.say(&format!("{prefix}{now}"));
                last = now;
            }
        }),
    )
    .await;
    let batch = match waited {
        None => {
            cx.say(&format!(
                "stopped waiting for batch {id}; it goes on at OpenAI: run the same command again to wait on it"
            ));
            return (None, exit::INTERRUPTED, None);
        }
        Some(Err(e)) => return (None, wait_failed(cx, &format!("batch {id}"), &e), None),
        Some(Ok(b)) => b,
    };
    let mut code = exit::OK;
    if let Some(errors) = &batch.errors {
        for e in &errors.data {
            let at = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
            crate::output::say(&shown(&format!(
                "{prefix}batch {id}: {at}{}: {}",
                e.code.as_deref().unwrap_or("error"),
                e.message.as_deref().unwrap_or("")
            )));
        }
    }
    let results = match batches.download_results(&batch, &cx.args.output_dir).await {
        Ok(r) => {
            for path in r.output.iter().chain(&r.errors) {
                cx.say(&format!("{prefix}wrote {}", path.display()));
            }
            Some(r)
        }
        Err(e) => {
            code = fail(exit::FAILED, format!("{prefix}{e}"));
            None
        }
    };
    let failed = batch_failed_requests(&batch);
    if batch.status.to_string() != "completed" {
        code = code.max(fail(
            exit::FAILED,
            format!("{prefix}batch {id} ended {}", batch.status),
        ));
    } else if failed > 0 {
        code = code.max(fail(
            exit::FAILED,
            format!(
                "{prefix}batch {id} completed with {failed} failed request(s): see its error file"
            ),
        ));
    }
    (Some(batch), code, results)
}

/// `in_progress: 5 of 10 requests done, 1 failed`.
fn progress(b: &types::Batch) -> String {
    match &b.request_counts {
        Some(c) if c.total > 0 => format!(
            "batch {}: {}, {} of {} requests done, {} failed",
            b.id,
            b.status,
            c.completed + c.failed,
            c.total,
            c.failed
        ),
        _ => format!("batch {}: {}", b.id, b.status),
    }
}

/// Follow, fetch the results of, or cancel a batch started earlier.
#[derive(Args)]
pub(crate) struct BatchCommand {
    #[command(subcommand)]
    action: BatchAction,
    /// API base URL (default: OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[arg(long, global = true, value_name = "URL")]
    base_url: Option<String>,
}

#[derive(Subcommand)]
enum BatchAction {
    /// Wait for the batch to end (progress on stderr), then download its output and error
    /// files; exit 0 only if it completed with no request failed.
    Wait {
        /// The batch (batch_…).
        id: String,
        /// The longest wait.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "24h")]
        timeout: Duration,
        /// Where the output and error files are written.
        #[arg(long, value_name = "DIR", default_value = ".")]
        output_dir: PathBuf,
        /// The batch as JSON on stdout (else its id).
        #[arg(long)]
        json: bool,
    },
    /// Download a finished batch's output and error files.
    Results {
        /// The batch (batch_…).
        id: String,
        /// Where the files are written.
        #[arg(long, value_name = "DIR", default_value = ".")]
        output_dir: PathBuf,
    },
    /// Ask OpenAI to cancel the batch (it goes through cancelling to cancelled).
    Cancel {
        /// The batch (batch_…).
        id: String,
    },
}

/// `openai-uploads batch …`.
pub(crate) async fn run_batch_command(cmd: BatchCommand, globals: Globals) -> u8 {
    let client = match client_from_env(cmd.base_url.as_deref(), &globals) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let batches = Batches::new(&client);
    match cmd.action {
        BatchAction::Wait {
            id,
            timeout,
            output_dir,
            json,
        } => {
            let stop = tokio_util::sync::CancellationToken::new();
            spawn_stop_on_ctrl_c(stop.clone());
            let cx = Context {
                client: client.clone(),
                ledger: None,
                method: None,
                args: super::args::ThenArgs {
                    timeout,
                    output_dir,
                    wait: true,
                    ..super::args::ThenArgs::default()
                },
                json,
                quiet: false,
                stop,
            };
            let (batch, code, _) = follow(&cx, &batches, &id, None).await;
            let printed = batch.map(|b| {
                if json {
                    serde_json::to_string(&b).unwrap_or_default()
                } else {
                    b.id
                }
            });
            match printed.map(out) {
                Some(Err(_)) => exit::STDOUT_CLOSED,
                _ => code,
            }
        }
        BatchAction::Results { id, output_dir } => {
            let batch = match batches.retrieve(&id).await {
                Ok(b) => b,
                Err(e) => return fail(exit::FAILED, e),
            };
            if !uploads_ext::after::is_batch_final(&batch) {
                return fail(
                    exit::FAILED,
                    format!(
                        "batch {id} is {}: its files come when it ends (`batch wait {id}`)",
                        batch.status
                    ),
                );
            }
            results_to(&batches, &batch, &output_dir).await
        }
        BatchAction::Cancel { id } => match batches.cancel(&id).await {
            Ok(b) => {
                eprintln!("batch {}: {}", b.id, b.status);
                u8::from(out(b.id).is_err()) * exit::STDOUT_CLOSED
            }
            Err(e) => fail(exit::FAILED, e),
        },
    }
}

async fn results_to(batches: &Batches<'_>, batch: &types::Batch, dir: &Path) -> u8 {
    match batches.download_results(batch, dir).await {
        Ok(r) => {
            let mut code = exit::OK;
            for path in r.output.iter().chain(&r.errors) {
                if out(path.display()).is_err() {
                    code = exit::STDOUT_CLOSED;
                }
            }
            if r.output.is_none() && r.errors.is_none() {
                eprintln!(
                    "batch {} ({}) has no output or error file",
                    batch.id, batch.status
                );
            }
            code
        }
        Err(e) => fail(exit::FAILED, e),
    }
}

/// Ctrl-C stops the wait (the batch goes on); a second exits at once.
fn spawn_stop_on_ctrl_c(stop: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(exit::INTERRUPTED as i32);
            }
        }
    });
}
