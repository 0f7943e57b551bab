//! The step after the upload: `put … --then batch|fine-tune` and `--vector-store`. Each File
//! goes on as its upload completes (a batch or job started at once; vector store files
//! gathered into file batches); `--wait` then follows every step to its end, with a deadline.
//! Each step is recorded in the engine's ledger ([`uploads_ext::after::Ledger`]) under the
//! local file's identity and the step's options: the same command again finds the File and
//! the batch, job or attachment it started, waits on them, and creates nothing twice.

mod args;
mod batch;
mod batch_command;
mod context;
mod fine_tune;
mod vector_store;

use std::sync::Arc;

use tokio::task::JoinSet;

pub(crate) use args::{Then, ThenArgs, usage};
pub(crate) use batch_command::{BatchCommand, run_batch_command};
pub(crate) use context::{Context, StepEnd, Uploaded};

use crate::output::{exit, fail, out};

/// What `--dry-run` says the command would do after the uploads, if anything.
pub(crate) fn plan(args: &ThenArgs) -> Option<String> {
    let step = match (&args.then, &args.vector_store) {
        (Some(Then::Batch), _) => format!(
            "a batch of each File's requests for {} within {}",
            args.endpoint
                .as_deref()
                .unwrap_or("the endpoint its requests name"),
            args.completion_window
        ),
        (Some(Then::FineTune), _) => format!(
            "a fine-tuning job of {} on each File",
            args.model.as_deref().unwrap_or("?")
        ),
        (None, Some(target)) => match target.strip_prefix("new:") {
            Some(name) => format!("each File attached to a new vector store {name:?} (made once)"),
            None => format!("each File attached to vector store {target}"),
        },
        (None, None) => return None,
    };
    Some(if args.wait {
        format!(
            "{step}, waited for up to {}",
            crate::units::clock(args.timeout)
        )
    } else {
        step
    })
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

    /// A File is ready: its step starts now (a File an earlier run saw completed in the
    /// vector store, uploaded by a manifest's run, has nothing left to do).
    pub(crate) fn uploaded(&mut self, file: Uploaded) {
        let cx = self.cx.clone();
        if cx.args.vector_store.is_some()
            && let Some(rec) = cx.earlier(&file.source_key)
            && rec.done
            && rec.outcome.as_deref() == Some("completed")
            && rec.file_id.as_deref() == Some(file.file_id.as_str())
        {
            cx.say(&format!(
                "{}: already in the vector store as {}",
                file.label, file.file_id
            ));
            return;
        }
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
                && let Err(lost) = out(line)
            {
                code = code.max(lost.code);
            }
        }
        code
    }
}
