//! A fine-tuning job's life: `validating_files` (our own fine-tune check of the training and
//! validation Files, with the job's method), `queued`, `running` (a few metric events),
//! `succeeded` with a model name and a results File; or `failed` with the first error the check
//! found, or `cancelled`. Each step adds events, listed newest first as the service does.

use std::sync::Arc;

use uploads_check::{CheckOptions, ContentFormat, FineTuneMethod};
use uploads_client::rules::Purpose;
use uploads_client::types::{self, KnownFineTuningJobStatus};

use super::clock::now;
use super::content;
use super::job_record::JobRecord;
use super::table::lock;
use crate::state::AppState;

fn update(state: &AppState, id: &str, f: impl FnOnce(&mut JobRecord)) -> bool {
    let mut jobs = lock(&state.workflows.jobs);
    let Some(rec) = jobs.iter_mut().find(|j| j.job.id == id) else {
        return false;
    };
    f(rec);
    true
}

/// Asks a job to stop: one not yet ended is `cancelled` at once (as the service answers).
pub(crate) fn cancel(state: &AppState, id: &str) -> Option<types::FineTuningJob> {
    let mut jobs = lock(&state.workflows.jobs);
    let rec = jobs.iter_mut().find(|j| j.job.id == id)?;
    if !matches!(
        rec.status(),
        Some(
            KnownFineTuningJobStatus::Succeeded
                | KnownFineTuningJobStatus::Failed
                | KnownFineTuningJobStatus::Cancelled
        )
    ) {
        rec.cancel_requested = true;
        rec.job.status = KnownFineTuningJobStatus::Cancelled.into();
        rec.job.finished_at = Some(now());
        rec.event(
            types::FineTuningJobEventLevel::Info,
            "Fine-tuning job cancelled".into(),
        );
    }
    Some(rec.job.clone())
}

/// The method the job trains with, as our check names it.
fn method_of(job: &types::FineTuningJob) -> FineTuneMethod {
    match job.method.as_ref().map(|m| m.type_) {
        Some(types::FineTuneMethodType::Dpo) => FineTuneMethod::Preference,
        Some(types::FineTuneMethodType::Reinforcement) => FineTuneMethod::Reinforcement,
        _ => FineTuneMethod::Supervised,
    }
}

/// Enters `status` unless the job was cancelled; false if it was (or is gone).
fn enter(state: &AppState, id: &str, status: KnownFineTuningJobStatus, message: &str) -> bool {
    let mut entered = false;
    update(state, id, |rec| {
        if !rec.cancel_requested {
            rec.job.status = status.into();
            rec.event(types::FineTuningJobEventLevel::Info, message.to_owned());
            entered = true;
        }
    });
    entered
}

/// Moves the job through its statuses; returns when it ends (or sticks).
pub(crate) async fn run(state: Arc<AppState>, id: String) {
    let w = &state.workflows;
    let Some(job) = lock(&w.jobs)
        .iter()
        .find(|j| j.job.id == id)
        .map(|j| j.job.clone())
    else {
        return;
    };
    if w.sticks_at("validating_files") {
        return;
    }
    w.step().await;
    let files = [
        ("training_file", Some(&job.training_file)),
        ("validation_file", job.validation_file.as_ref()),
    ];
    for (param, file_id) in files {
        let Some(file_id) = file_id else { continue };
        if let Err(message) =
            validate(&state, file_id, method_of(&job), param == "validation_file").await
        {
            update(&state, &id, |rec| {
                if rec.cancel_requested {
                    return;
                }
                rec.job.status = KnownFineTuningJobStatus::Failed.into();
                rec.job.finished_at = Some(now());
                rec.job.error = Some(types::FineTuningJobError {
                    code: Some(format!("invalid_{param}")),
                    message: Some(message.clone()),
                    param: Some(param.to_owned()),
                });
                rec.event(types::FineTuningJobEventLevel::Error, message);
            });
            return;
        }
    }
    if !enter(
        &state,
        &id,
        KnownFineTuningJobStatus::Queued,
        "Files validated, moving job to queued state",
    ) || w.sticks_at("queued")
    {
        return;
    }
    w.step().await;
    if !enter(
        &state,
        &id,
        KnownFineTuningJobStatus::Running,
        "Fine-tuning job started",
    ) || w.sticks_at("running")
    {
        return;
    }
    for step in 1..=3 {
        tokio::time::sleep(w.config.step / 3).await;
        let mut cancelled = false;
        update(&state, &id, |rec| {
            cancelled = rec.cancel_requested;
            if !cancelled {
                let loss = 1.0 / f64::from(step + 1);
                rec.event(
                    types::FineTuningJobEventLevel::Info,
                    format!("Step {step}/3: training loss={loss:.4}"),
                );
            }
        });
        if cancelled {
            return;
        }
    }
    let results = state
        .store
        .make_file(
            &format!("{id}_results.csv"),
            Purpose::Other("fine-tune-results".into()),
            b"step,train_loss\n1,0.5000\n2,0.3333\n3,0.2500\n",
            now(),
        )
        .await;
    update(&state, &id, |rec| {
        if rec.cancel_requested {
            return;
        }
        // Named as the service names them: ft:BASE:ORG:SUFFIX:ID.
        let id: String = rec
            .job
            .id
            .trim_start_matches("ftjob-")
            .chars()
            .take(8)
            .collect();
        let suffix = rec.suffix.as_deref().unwrap_or("");
        let model = format!("ft:{}:local:{suffix}:{id}", rec.job.model);
        match results {
            Ok(file) => {
                rec.job.result_files = vec![file.id];
                rec.job.status = KnownFineTuningJobStatus::Succeeded.into();
                rec.job.fine_tuned_model = Some(model.clone());
                rec.job.trained_tokens = Some(3000);
                rec.event(
                    types::FineTuningJobEventLevel::Info,
                    format!("New fine-tuned model created: {model}"),
                );
                rec.event(
                    types::FineTuningJobEventLevel::Info,
                    "The job has successfully completed".into(),
                );
            }
            Err(e) => {
                rec.job.status = KnownFineTuningJobStatus::Failed.into();
                rec.job.error = Some(types::FineTuningJobError {
                    code: Some("server_error".into()),
                    message: Some(e.to_string()),
                    param: None,
                });
            }
        }
        rec.job.finished_at = Some(now());
    });
}

/// Our fine-tune check of one File with the job's method: the first error, if any.
async fn validate(
    state: &AppState,
    file_id: &str,
    method: FineTuneMethod,
    validation: bool,
) -> Result<(), String> {
    let file = state
        .store
        .file(file_id)
        .await
        .ok_or_else(|| format!("File {file_id} not found."))?;
    let options = CheckOptions {
        method: Some(method),
        validation,
        ..CheckOptions::default()
    };
    let report = content::check(&state.store, &file, ContentFormat::FineTune, options)
        .await
        .map_err(|e| e.to_string())?;
    match report.first_error {
        None => Ok(()),
        Some(first) => Err(format!(
            "The job failed due to an invalid {} file ({file_id}). {first} ({} errors in all)",
            if validation { "validation" } else { "training" },
            report.errors
        )),
    }
}
