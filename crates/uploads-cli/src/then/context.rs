//! What every step after the upload shares: the client, the ledger, the options, the stop
//! token; the File a step starts from, and how a step ends.

use std::future::Future;

use tokio_util::sync::CancellationToken;
use uploads_client::Client;
use uploads_ext::after::{Ledger, StepRecord, WaitPolicy};

use super::args::{Then, ThenArgs};
use crate::output::{exit, fail, shown};

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
    pub(crate) order: usize,
    pub(crate) line: Option<String>,
    pub(crate) code: u8,
}

/// What every step shares.
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) ledger: Option<Ledger>,
    pub(crate) args: ThenArgs,
    /// The fine-tuning method (put's --method), for the job and its validation file's check.
    pub(crate) method: Option<uploads_ext::check::FineTuneMethod>,
    /// Check the contents of a file a step uploads itself (the validation file), as put
    /// checks its own (off with put's --no-check).
    pub(crate) check: bool,
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
