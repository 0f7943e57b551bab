//! A batch's life: `validating` (our own batch check of its input File, the way the service
//! refuses a file), `in_progress` (request counts rising), `finalizing` (the output and error
//! Files written), `completed`; or `failed`, `cancelling` then `cancelled`.
//!
//! The output holds one line per request, in input order, with the `custom_id` kept and a
//! deterministic stand-in response body; the requests the fault knob fails go to the error
//! File instead, with the shape the service documents for a request it could not run.

use std::sync::Arc;

use serde_json::{Value, json};
use uploads_check::{CheckOptions, ContentFormat, Severity};
use uploads_client::rules::Purpose;
use uploads_client::types::{self, KnownBatchStatus};

use super::batch_record::{BatchRecord, batch_errors, error, set_status, stand_in};
use super::clock::now;
use super::content;
use super::table::lock;
use crate::state::AppState;

/// The most errors a failed batch lists (the service lists the first few).
const LISTED_ERRORS: usize = 10;

/// Changes the batch `id` with `f`, under the lock.
fn update(state: &AppState, id: &str, f: impl FnOnce(&mut BatchRecord)) -> Option<BatchRecord> {
    let mut batches = lock(&state.workflows.batches);
    let rec = batches.iter_mut().find(|b| b.batch.id == id)?;
    f(rec);
    Some(rec.clone())
}

/// Asks for a batch to stop: `validating` and `in_progress` go to `cancelling`, and a step
/// later to `cancelled` (a task of its own finishes it, so a batch stuck by the `stick_at`
/// knob is cancelled too); other statuses are answered as they are.
pub(crate) fn request_cancel(state: &Arc<AppState>, id: &str) -> Option<BatchRecord> {
    let mut asked = false;
    let rec = update(state, id, |rec| {
        if matches!(
            rec.status(),
            Some(KnownBatchStatus::Validating | KnownBatchStatus::InProgress)
        ) {
            rec.cancel_requested = true;
            asked = true;
            set_status(rec, KnownBatchStatus::Cancelling);
        }
    })?;
    if asked && !state.workflows.sticks_at("cancelling") {
        let state = state.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            state.workflows.step().await;
            update(&state, &id, |rec| {
                if rec.status() == Some(KnownBatchStatus::Cancelling) {
                    set_status(rec, KnownBatchStatus::Cancelled);
                }
            });
        });
    }
    Some(rec)
}

/// Moves the batch through its statuses; returns when it reaches an end (or sticks).
pub(crate) async fn run(state: Arc<AppState>, id: String) {
    let w = &state.workflows;
    w.step().await;
    if cancel_requested(&state, &id) {
        return;
    }
    let Some(rec) = update(&state, &id, |_| {}) else {
        return;
    };
    let total = match validate(&state, &rec.batch).await {
        Ok((total, model)) => {
            update(&state, &id, |rec| rec.batch.model = model);
            total
        }
        Err(errors) => {
            update(&state, &id, |rec| {
                rec.batch.errors = Some(types::BatchErrors {
                    object: Some("list".into()),
                    data: errors,
                });
                set_status(rec, KnownBatchStatus::Failed);
            });
            return;
        }
    };
    update(&state, &id, |rec| {
        rec.batch.request_counts = Some(types::BatchRequestCounts {
            completed: 0,
            failed: 0,
            total,
        });
        set_status(rec, KnownBatchStatus::InProgress);
    });
    if w.sticks_at("in_progress") {
        return;
    }
    // The requests run in four rounds, so a client sees the counts rise.
    let every = i64::from(w.config.fail_batch_requests_every);
    let failed_total = if every > 0 { total / every } else { 0 };
    for round in 1..=4 {
        tokio::time::sleep(w.config.step / 4).await;
        if cancel_requested(&state, &id) {
            return;
        }
        update(&state, &id, |rec| {
            let failed = failed_total * round / 4;
            rec.batch.request_counts = Some(types::BatchRequestCounts {
                completed: total * round / 4 - failed,
                failed,
                total,
            });
        });
    }
    update(&state, &id, |rec| {
        set_status(rec, KnownBatchStatus::Finalizing)
    });
    if w.sticks_at("finalizing") {
        return;
    }
    let outputs = write_outputs(&state, &rec.batch).await;
    w.step().await;
    update(&state, &id, |rec| match outputs {
        Ok((output, error)) => {
            rec.batch.output_file_id = output;
            rec.batch.error_file_id = error;
            set_status(rec, KnownBatchStatus::Completed);
        }
        Err(e) => {
            rec.batch.errors = Some(batch_errors(vec![error(
                "server_error",
                &e.to_string(),
                None,
            )]));
            set_status(rec, KnownBatchStatus::Failed);
        }
    });
}

/// True if a cancel was asked for (the cancel's own task ends the batch).
fn cancel_requested(state: &AppState, id: &str) -> bool {
    lock(&state.workflows.batches)
        .iter()
        .any(|b| b.batch.id == id && b.cancel_requested)
}

/// The validation step: the input File exists and passes our batch check, every request for
/// the batch's endpoint. The number of requests and the model they name, or the errors the
/// batch fails with.
async fn validate(
    state: &AppState,
    batch: &types::Batch,
) -> Result<(i64, Option<String>), Vec<types::BatchError>> {
    let Some(file) = state.store.file(&batch.input_file_id).await else {
        return Err(vec![error(
            "invalid_file",
            &format!("No such File object: {}", batch.input_file_id),
            None,
        )]);
    };
    let report = content::check(
        &state.store,
        &file,
        ContentFormat::Batch,
        CheckOptions::default(),
    )
    .await
    .map_err(|e| vec![error("server_error", &e.to_string(), None)])?;
    let mut errors: Vec<types::BatchError> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .take(LISTED_ERRORS)
        .map(|f| error(f.kind, &f.message, (f.line > 0).then_some(f.line)))
        .collect();
    if errors.is_empty()
        && let Some(first) = &report.first_error
    {
        errors.push(error(first.kind, &first.message, Some(first.line)));
    }
    for url in report.summary.by_kind.keys() {
        if *url != batch.endpoint && errors.len() < LISTED_ERRORS {
            errors.push(error(
                "mismatched_endpoint",
                &format!(
                    "The batch's endpoint is {} but the file has requests for {url}.",
                    batch.endpoint
                ),
                None,
            ));
        }
    }
    if errors.is_empty() {
        // The batch's model, as the service reports it: the one its requests name.
        let models = &report.summary.by_model;
        let model = (models.len() == 1)
            .then(|| models.keys().next().cloned())
            .flatten();
        Ok((report.summary.records as i64, model))
    } else {
        Err(errors)
    }
}

/// Writes the output File (and the error File, if a request failed): their ids.
async fn write_outputs(
    state: &AppState,
    batch: &types::Batch,
) -> std::io::Result<(Option<String>, Option<String>)> {
    let file = state
        .store
        .file(&batch.input_file_id)
        .await
        .ok_or_else(|| std::io::Error::other("the input file was deleted"))?;
    let every = state.workflows.config.fail_batch_requests_every as usize;
    let (mut output, mut errors) = (Vec::new(), Vec::new());
    let mut n = 0usize;
    content::for_each_line(&state.store, &file, |line| {
        n += 1;
        let request: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
        let custom_id = request.get("custom_id").cloned().unwrap_or(Value::Null);
        let id = format!("batch_req_{}_{n}", batch.id.trim_start_matches("batch_"));
        let (out, line) = if every > 0 && n.is_multiple_of(every) {
            (&mut errors, json!({
                "id": id, "custom_id": custom_id, "response": null,
                "error": {"code": "server_error", "message": "The request failed (injected fault)."},
            }))
        } else {
            (&mut output, json!({
                "id": id, "custom_id": custom_id,
                "response": {
                    "status_code": 200,
                    "request_id": format!("req_{n:08}"),
                    "body": stand_in(&batch.endpoint, &custom_id, &request["body"]),
                },
                "error": null,
            }))
        };
        out.extend_from_slice(line.to_string().as_bytes());
        out.push(b'\n');
    })
    .await?;
    let stem = batch.id.as_str();
    let mut ids = (None, None);
    if !output.is_empty() {
        let f = state
            .store
            .make_file(
                &format!("{stem}_output.jsonl"),
                Purpose::Other("batch_output".into()),
                &output,
                now(),
            )
            .await?;
        ids.0 = Some(f.id);
    }
    if !errors.is_empty() {
        let f = state
            .store
            .make_file(
                &format!("{stem}_error.jsonl"),
                Purpose::Other("batch_output".into()),
                &errors,
                now(),
            )
            .await?;
        ids.1 = Some(f.id);
    }
    Ok(ids)
}
