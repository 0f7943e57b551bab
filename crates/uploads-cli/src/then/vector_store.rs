//! `--vector-store ID|new:NAME`: Files gathered as their uploads complete into file batches
//! of up to 2,000 (a batch goes when it is full, or when no upload has completed for a
//! moment), then with --wait every File followed to its end, each failure named by its path.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uploads_ext::after::{AttachOptions, MAX_FILES_PER_BATCH, StepRecord, VectorStores};

use super::context::{Context, StepEnd, Uploaded, unless_stopped, wait_failed};
use crate::output::{exit, fail};

/// How long a partial file batch waits for more Files before it is sent.
const LINGER: Duration = Duration::from_millis(300);

/// One File on its way into the store.
struct Attached {
    file: Uploaded,
    /// Its ledger record (`id` once a file batch holding it was created).
    step: StepRecord,
}

/// The store, and the task that attaches Files to it as they come.
pub(super) struct Attacher {
    cx: Arc<Context>,
    store_id: String,
    tx: mpsc::UnboundedSender<Uploaded>,
    task: JoinHandle<(Vec<Attached>, u8)>,
}

impl Attacher {
    /// Finds (or, for `new:NAME`, makes at most once) the store, and starts attaching.
    pub(super) async fn start(cx: Arc<Context>, target: &str) -> Result<Self, u8> {
        let stores = VectorStores::new(&cx.client);
        let store = match target.strip_prefix("new:") {
            Some(name) => {
                let step = StepRecord::new(format!("vector_store|new|{name}"), "vector_store");
                stores
                    .create(name, cx.ledger.as_ref().map(|l| (l, step)))
                    .await
            }
            None => stores.retrieve(target).await,
        }
        .map_err(|e| fail(exit::FAILED, e))?;
        cx.say(&format!(
            "vector store {} ({})",
            store.id,
            store.name.as_deref().unwrap_or("")
        ));
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(attach_all(cx.clone(), store.id.clone(), rx));
        Ok(Self {
            cx,
            store_id: store.id,
            tx,
            task,
        })
    }

    /// A File ready to attach.
    pub(super) fn add(&mut self, file: Uploaded) {
        // The task ends only after every sender is gone; a send cannot fail before that.
        let _ = self.tx.send(file);
    }

    /// Sends the last file batch, waits (with --wait) and names each File that failed.
    pub(super) async fn finish(self) -> StepEnd {
        let Self {
            cx,
            store_id,
            tx,
            task,
        } = self;
        drop(tx);
        let (attached, mut code) = match task.await {
            Ok(done) => done,
            Err(e) => (
                Vec::new(),
                fail(exit::FAILED, format!("attaching files to {store_id}: {e}")),
            ),
        };
        let line = if cx.json {
            serde_json::json!({"vector_store_id": store_id, "files": attached.len()}).to_string()
        } else {
            store_id.clone()
        };
        let end = |code: u8| StepEnd {
            order: usize::MAX - 1,
            line: Some(line.clone()),
            code,
        };
        if !cx.args.wait || attached.is_empty() {
            return end(code);
        }
        let ids: Vec<String> = attached.iter().map(|a| a.file.file_id.clone()).collect();
        let stores = VectorStores::new(&cx.client);
        let mut last = (usize::MAX, 0, 0);
        let waited = unless_stopped(
            &cx.stop,
            stores.wait_files(&store_id, &ids, &cx.wait_policy(), |done, failed, busy| {
                if (done, failed, busy) != last {
                    cx.say(&format!("vector store {store_id}: {done} completed, {failed} failed, {busy} in progress"));
                    last = (done, failed, busy);
                }
            }),
        )
        .await;
        let outcomes = match waited {
            None => {
                cx.say(&format!(
                    "stopped waiting for vector store {store_id}; its files go on at OpenAI: run the same command again to wait on them"
                ));
                return end(exit::INTERRUPTED);
            }
            Some(Err(e)) => return end(wait_failed(&cx, &format!("vector store {store_id}"), &e)),
            Some(Ok(o)) => o,
        };
        for (a, outcome) in attached.into_iter().zip(&outcomes) {
            let step = cx
                .ledger
                .as_ref()
                .and_then(|l| l.last(&a.step.key))
                .unwrap_or(a.step);
            cx.close(step, &outcome.status);
            if outcome.status != "completed" {
                let (kind, why) = outcome.error.clone().unwrap_or_default();
                code = code.max(fail(
                    exit::FAILED,
                    format!(
                        "{}: {} {} in vector store {store_id}: {kind}: {why}",
                        a.file.label, a.file.file_id, outcome.status
                    ),
                ));
            }
        }
        end(code)
    }
}

/// Gathers Files into file batches and creates them; every File it was given, and an exit
/// code for the batches that could not be created.
async fn attach_all(
    cx: Arc<Context>,
    store_id: String,
    mut rx: mpsc::UnboundedReceiver<Uploaded>,
) -> (Vec<Attached>, u8) {
    let stores = VectorStores::new(&cx.client);
    let options = attach_options(&cx);
    let mut all = Vec::new();
    let mut code = exit::OK;
    let mut open = true;
    while open {
        let mut chunk: Vec<Attached> = Vec::new();
        // The first File of a batch is waited for as long as it takes; then more are taken
        // while they come close together.
        match rx.recv().await {
            Some(file) => chunk.push(prepare(&cx, file)),
            None => break,
        }
        while chunk.len() < MAX_FILES_PER_BATCH {
            match tokio::time::timeout(LINGER, rx.recv()).await {
                Ok(Some(file)) => chunk.push(prepare(&cx, file)),
                Ok(None) => {
                    open = false;
                    break;
                }
                Err(_) => break,
            }
        }
        // Files an earlier run attached (and whose end it did not see) are only waited for.
        let to_send: Vec<String> = chunk
            .iter()
            .filter(|a| a.step.id.is_none())
            .map(|a| a.file.file_id.clone())
            .collect();
        if !to_send.is_empty() {
            let key = format!(
                "file_batch|{store_id}|{}|{}",
                to_send.len(),
                to_send.join(",")
            );
            let step = StepRecord::new(
                format!("file_batch|{store_id}|{:x}", digest(&key)),
                "file_batch",
            );
            match stores
                .attach(
                    &store_id,
                    &to_send,
                    &options,
                    cx.ledger.as_ref().map(|l| (l, step)),
                )
                .await
            {
                Ok(batch) => {
                    cx.say(&format!(
                        "vector store {store_id}: {} file(s) attached{}",
                        to_send.len(),
                        batch
                            .as_ref()
                            .map(|b| format!(" in file batch {b}"))
                            .unwrap_or_default()
                    ));
                    for a in chunk.iter_mut().filter(|a| a.step.id.is_none()) {
                        a.step.id = Some(batch.clone().unwrap_or_else(|| "attached".into()));
                        if let Some(l) = &cx.ledger {
                            let _ = l.record(&a.step);
                        }
                    }
                }
                Err(e) => {
                    code = code.max(fail(
                        exit::FAILED,
                        format!("attaching {} file(s) to {store_id}: {e}", to_send.len()),
                    ));
                    continue;
                }
            }
        }
        all.extend(chunk);
    }
    (all, code)
}

/// The File's ledger record for this store: made now, or the earlier run's (a failed
/// attachment starts over from the same File).
fn prepare(cx: &Context, file: Uploaded) -> Attached {
    let mut step = cx.record_file(&file.source_key, &file.file_id);
    if step.done {
        step.done = false;
        step.id = None;
        step.outcome = None;
    }
    Attached { file, step }
}

fn attach_options(cx: &Context) -> AttachOptions {
    let mut options = AttachOptions::default();
    options.attributes = cx
        .args
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), attribute_value(v)))
        .collect::<BTreeMap<_, _>>();
    options.static_chunking = cx
        .args
        .chunk_size
        .map(|size| (size, cx.args.chunk_overlap.unwrap_or(size / 4)));
    options
}

/// `true`, `false` and numbers as such; anything else a string.
fn attribute_value(v: &str) -> serde_json::Value {
    match v {
        "true" => true.into(),
        "false" => false.into(),
        _ => v
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| v.into(), serde_json::Value::Number),
    }
}

/// A short stable name for a long key: the first 128 bits of its SHA-256.
fn digest(text: &str) -> u128 {
    use sha2::Digest;
    let sum = sha2::Sha256::digest(text.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&sum[..16]);
    u128::from_be_bytes(first)
}
