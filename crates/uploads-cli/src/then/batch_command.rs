//! `openai-uploads batch wait|results|cancel ID`: a batch started earlier, followed to its end,
//! its files fetched, or cancelled.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use uploads_client::types;
use uploads_ext::after::Batches;

use super::batch::follow;
use super::context::Context;
use crate::connect::{Globals, client_from_env};
use crate::output::{exit, fail, out};
use crate::units::parse_duration;

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
                check: false,
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
                Some(Err(lost)) => lost.code,
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
                out(b.id).err().map_or(exit::OK, |lost| lost.code)
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
                if let Err(lost) = out(path.display()) {
                    code = lost.code;
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
