//! The step after the upload: `put … --then batch|fine-tune` and `--vector-store`. Each File
//! goes on as its upload completes (a batch or job started at once; vector store files
//! gathered into file batches); `--wait` then follows every step to its end, with a deadline.
//! Each step is recorded in the engine's ledger ([`uploads_ext::after::Ledger`]) under the
//! local file's identity and the step's options: the same command again finds the File and
//! the batch, job or attachment it started, waits on them, and creates nothing twice.

mod args;
mod batch;
mod fine_tune;
mod vector_store;

use std::sync::Arc;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uploads_client::Client;
use uploads_ext::after::{Ledger, StepRecord, WaitPolicy};

pub(crate) use args::{Then, ThenArgs, usage};
pub(crate) use batch::{BatchCommand, run_batch_command};

use crate::output::{exit, fail, out, shown};

/// One File ready for its step.
#[derive(Clone, Debug)]
pub(crate) struct Uploaded {
    /// Its place among the command's inputs.
    pub(crate) order: usize,
    /// The local path or URL, as shown.
    pub(crate) label: String,
    /// What identifies the source across runs (path, size, mtime or ETag).
    pub(crate) source_key: String,
    /// The File.
    pub(crate) file_id: String,
    /// The one endpoint the check read from a batch file's requests.
    pub(crate) endpoint: Option<String>,
    /// The local file, if it is one (its endpoint is read from it when no check ran).
    pub(crate) path: Option<std::path::PathBuf>,
}

/// How one step ended: its stdout line and the exit code it asks for.
pub(crate) struct StepEnd {
    order: usize,
    line: Option<String>,
    code: u8,
}

/// What every step shares.
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) ledger: Option<Ledger>,
    pub(crate) args: ThenArgs,
    /// The fine-tuning method (put's --method), for the job and its validation file's check.
    pub(crate) method: Option<uploads_ext::check::FineTuneMethod>,
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    pub(crate) stop: CancellationToken,
}

impl Context {
    /// The wait policy of `--timeout`.
    pub(crate) fn wait_policy(&self) -> WaitPolicy {
        WaitPolicy::with_timeout(self.args.timeout)
    }

    /// The ledger key of this source's step, with every option that makes it another step.
    pub(crate) fn step_key(&self, source_key: &str) -> String {
        let a = &self.args;
        match (&a.then, &a.vector_store) {
            (Some(Then::Batch), _) => format!(
                "batch|{source_key}|{:?}|{}|{:?}",
                a.endpoint, a.completion_window, a.metadata
            ),
            (Some(Then::FineTune), _) => format!(
                "fine_tune|{source_key}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                a.model, self.method, a.validation_file, a.suffix, a.seed, a.metadata
            ),
            (None, Some(target)) => format!("vector_store_file|{target}|{source_key}"),
            (None, None) => source_key.to_owned(),
        }
    }

    /// What an earlier run recorded for this source's step, if it got as far as the File:
    /// for a batch or job the step it left open; for a vector store file its last record,
    /// ended or not (a failed attachment is made again from the same File).
    pub(crate) fn earlier(&self, source_key: &str) -> Option<StepRecord> {
        let ledger = self.ledger.as_ref()?;
        let key = self.step_key(source_key);
        let found = match self.args.vector_store {
            Some(_) => ledger.last(&key),
            None => ledger.open_step(&key),
        };
        found.filter(|r| r.file_id.is_some())
    }

    /// Records that the source's File is `file_id`, before its step is created.
    pub(crate) fn record_file(&self, source_key: &str, file_id: &str) -> StepRecord {
        let key = self.step_key(source_key);
        let kind = match self.args.then {
            Some(Then::Batch) => "batch",
            Some(Then::FineTune) => "fine_tune",
            None => "vector_store_file",
        };
        let mut step = self
            .ledger
            .as_ref()
            .and_then(|l| l.open_step(&key))
            .unwrap_or_else(|| StepRecord::new(key, kind));
        if step.file_id.as_deref() != Some(file_id) {
            step.file_id = Some(file_id.to_owned());
            if let Some(l) = &self.ledger
                && let Err(e) = l.record(&step)
            {
                tracing::warn!("recording {file_id} in the ledger: {e}");
            }
        }
        step
    }

    /// Marks a step ended in the ledger, with how it ended.
    pub(crate) fn close(&self, mut step: StepRecord, outcome: &str) {
        step.done = true;
        step.outcome = Some(outcome.to_owned());
        if let Some(l) = &self.ledger
            && let Err(e) = l.record(&step)
        {
            tracing::warn!("recording the end of {} in the ledger: {e}", step.key);
        }
    }

    /// A progress line on stderr (not with --quiet).
    pub(crate) fn say(&self, line: &str) {
        if !self.quiet {
            crate::output::say(&shown(line));
        }
    }
}

/// The steps of one `put`: started as Files come, ended together.
pub(crate) struct Steps {
    cx: Arc<Context>,
    tasks: JoinSet<StepEnd>,
    store: Option<vector_store::Attacher>,
}

impl Steps {
    /// The steps of a command with these options. A vector store named `new:NAME` is made
    /// now (at most once).
    pub(crate) async fn start(cx: Context) -> Result<Self, u8> {
        let cx = Arc::new(cx);
        let store = match &cx.args.vector_store {
            Some(target) => Some(vector_store::Attacher::start(cx.clone(), target).await?),
            None => None,
        };
        Ok(Self {
            cx,
            tasks: JoinSet::new(),
            store,
        })
    }

    /// A File is ready: its step starts now.
    pub(crate) fn uploaded(&mut self, file: Uploaded) {
        let cx = self.cx.clone();
        match (&cx.args.then, &mut self.store) {
            (Some(Then::Batch), _) => {
                self.tasks.spawn(batch::run(cx, file));
            }
            (Some(Then::FineTune), _) => {
                self.tasks.spawn(fine_tune::run(cx, file));
            }
            (None, Some(store)) => store.add(file),
            (None, None) => {}
        }
    }

    /// Ends every step (waiting for them with --wait) and prints their lines in input order;
    /// the exit code they ask for.
    pub(crate) async fn finish(mut self) -> u8 {
        let mut ends = Vec::new();
        if let Some(store) = self.store.take() {
            ends.push(store.finish().await);
        }
        while let Some(end) = self.tasks.join_next().await {
            match end {
                Ok(end) => ends.push(end),
                Err(e) => ends.push(StepEnd {
                    order: usize::MAX,
                    line: None,
                    code: fail(
                        exit::FAILED,
                        format!("a step after the upload stopped: {e}"),
                    ),
                }),
            }
        }
        ends.sort_by_key(|e| e.order);
        let mut code = exit::OK;
        for end in ends {
            code = code.max(end.code);
            if let Some(line) = end.line
                && out(line).is_err()
            {
                code = code.max(exit::STDOUT_CLOSED);
            }
        }
        code
    }
}

/// The exit code of a stopped wait: interrupted, or what the error says.
pub(crate) fn wait_failed(cx: &Context, what: &str, err: &uploads_ext::after::AfterError) -> u8 {
    if cx.stop.is_cancelled() {
        cx.say(&format!(
            "stopped waiting for {what}; it goes on at OpenAI: run the same command again to wait on it"
        ));
        return exit::INTERRUPTED;
    }
    fail(exit::FAILED, err)
}

/// Runs `f` until it ends or the command is interrupted (`None`).
pub(crate) async fn unless_stopped<T>(
    stop: &CancellationToken,
    f: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        v = f => Some(v),
        () = stop.cancelled() => None,
    }
}
