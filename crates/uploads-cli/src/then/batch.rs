//! `--then batch`: start the batch of an uploaded File, follow `request_counts` to the end,
//! download the output and error files (the `batch` command follows one the same way).

use std::path::PathBuf;
use std::sync::Arc;

use uploads_client::types;
use uploads_ext::after::{BatchRequest, Batches, batch_failed_requests};

use super::context::{Context, StepEnd, Uploaded, unless_stopped, wait_failed};
use crate::output::{exit, fail, shown};

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
pub(super) async fn follow(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(status: &str, counts: Option<(i64, i64, i64)>) -> types::Batch {
        let mut b = serde_json::json!({
            "id": "batch_1",
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": "file-1",
            "completion_window": "24h",
            "status": status,
            "created_at": 1,
        });
        if let Some((total, completed, failed)) = counts {
            b["request_counts"] =
                serde_json::json!({"total": total, "completed": completed, "failed": failed});
        }
        serde_json::from_value(b).unwrap()
    }

    #[test]
    fn progress_counts_requests_once_the_batch_has_any() {
        assert_eq!(
            progress(&batch("in_progress", Some((10, 4, 1)))),
            "batch batch_1: in_progress, 5 of 10 requests done, 1 failed"
        );
        assert_eq!(
            progress(&batch("in_progress", Some((1, 0, 0)))),
            "batch batch_1: in_progress, 0 of 1 requests done, 0 failed"
        );
        // Before its requests are counted (validating), and with no counts at all.
        assert_eq!(
            progress(&batch("validating", Some((0, 0, 0)))),
            "batch batch_1: validating"
        );
        assert_eq!(
            progress(&batch("validating", None)),
            "batch batch_1: validating"
        );
    }
}
