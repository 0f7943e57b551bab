//! The Fine-tuning jobs operations: create, retrieve, cancel, list jobs, list events.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::Value;
use uploads_client::types::{self, KnownFineTuningJobStatus};

use super::batches::ListQuery;
use super::objects::live;
use super::request::{ApiJson, ApiResult};
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::workflows::JobRecord;
use crate::workflows::fine_tuning;
use crate::workflows::{lock, now, page};

fn not_found(id: &str) -> ApiFailure {
    ApiFailure::not_found(
        "fine_tuning_job_id",
        format!("Could not find fine tune: {id}"),
    )
}

/// `POST /fine_tuning/jobs`: the training (and validation) File must exist; the job starts
/// `validating_files`.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<types::CreateFineTuningJobRequest>,
) -> ApiResult<Json<Value>> {
    for (param, id) in [
        ("training_file", Some(&req.training_file)),
        ("validation_file", req.validation_file.as_ref()),
    ] {
        if let Some(id) = id
            && state.store.file(id).await.is_none()
        {
            return Err(ApiFailure::invalid(
                Some(param),
                format!("invalid {param}: {id}"),
            ));
        }
    }
    let suffix = req.suffix.clone();
    let job = types::FineTuningJob {
        id: crate::store::new_id("ftjob-"),
        object: types::FineTuningJobObject::FineTuningJob,
        created_at: now(),
        model: req.model,
        organization_id: "org-local".into(),
        status: KnownFineTuningJobStatus::ValidatingFiles.into(),
        training_file: req.training_file,
        validation_file: req.validation_file,
        result_files: Vec::new(),
        fine_tuned_model: None,
        finished_at: None,
        error: None,
        estimated_finish: None,
        hyperparameters: None,
        integrations: None,
        metadata: req.metadata,
        method: req.method,
        seed: Some(req.seed.unwrap_or(42)),
        trained_tokens: None,
    };
    let suffix = suffix.map(|s| s.to_string());
    lock(&state.workflows.jobs).push(JobRecord::new(job.clone(), suffix));
    tokio::spawn(fine_tuning::run(state.clone(), job.id.clone()));
    Ok(live(job))
}

/// `GET /fine_tuning/jobs/{fine_tuning_job_id}`.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    lock(&state.workflows.jobs)
        .iter()
        .find(|j| j.job.id == id)
        .map(|j| live(&j.job))
        .ok_or_else(|| not_found(&id))
}

/// `POST /fine_tuning/jobs/{fine_tuning_job_id}/cancel`.
pub(super) async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    fine_tuning::cancel(&state, &id)
        .map(live)
        .ok_or_else(|| not_found(&id))
}

/// `GET /fine_tuning/jobs`: newest first.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit()?;
    let all: Vec<types::FineTuningJob> = lock(&state.workflows.jobs)
        .iter()
        .rev()
        .map(|j| j.job.clone())
        .collect();
    let p = page(all, |j| &j.id, q.after.as_deref(), limit);
    Ok(live(types::ListPaginatedFineTuningJobsResponse {
        object: types::ListPaginatedFineTuningJobsResponseObject::List,
        has_more: p.has_more,
        data: p.data,
    }))
}

/// `GET /fine_tuning/jobs/{fine_tuning_job_id}/events`: newest first.
pub(super) async fn events(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit()?;
    let events: Vec<types::FineTuningJobEvent> = lock(&state.workflows.jobs)
        .iter()
        .find(|j| j.job.id == id)
        .ok_or_else(|| not_found(&id))?
        .events
        .iter()
        .rev()
        .cloned()
        .collect();
    let p = page(events, |e| &e.id, q.after.as_deref(), limit);
    Ok(live(types::ListFineTuningJobEventsResponse {
        object: types::ListFineTuningJobEventsResponseObject::List,
        has_more: p.has_more,
        data: p.data,
    }))
}
