//! The Batches operations: create, retrieve, cancel, list (newest first).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::Value;
use uploads_client::types::{self, KnownBatchStatus};

use super::objects::live;
use super::request::{ApiJson, ApiResult};
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::workflows::BatchRecord;
use crate::workflows::batches;
use crate::workflows::{lock, now, page};

fn not_found(id: &str) -> ApiFailure {
    ApiFailure::not_found("batch_id", format!("No batch found with id '{id}'."))
}

/// `POST /batches`: the input File must exist; the batch starts `validating`.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<types::CreateBatchRequest>,
) -> ApiResult<Json<Value>> {
    if state.store.file(&req.input_file_id).await.is_none() {
        return Err(ApiFailure::invalid(
            Some("input_file_id"),
            format!("No such File object: {}", req.input_file_id),
        ));
    }
    let created_at = now();
    let batch = types::Batch {
        id: crate::store::new_id("batch_"),
        object: types::BatchObject::Batch,
        endpoint: req.endpoint.to_string(),
        model: None,
        errors: None,
        input_file_id: req.input_file_id,
        completion_window: "24h".into(),
        status: KnownBatchStatus::Validating.into(),
        output_file_id: None,
        error_file_id: None,
        created_at,
        in_progress_at: None,
        expires_at: Some(created_at + 24 * 3600),
        finalizing_at: None,
        completed_at: None,
        failed_at: None,
        expired_at: None,
        cancelling_at: None,
        cancelled_at: None,
        request_counts: Some(types::BatchRequestCounts {
            completed: 0,
            failed: 0,
            total: 0,
        }),
        usage: None,
        metadata: req.metadata,
    };
    lock(&state.workflows.batches).push(BatchRecord {
        batch: batch.clone(),
        cancel_requested: false,
    });
    tokio::spawn(batches::run(state.clone(), batch.id.clone()));
    Ok(live(batch))
}

/// `GET /batches/{batch_id}`.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(batch_id): Path<String>,
) -> ApiResult<Json<Value>> {
    lock(&state.workflows.batches)
        .iter()
        .find(|b| b.batch.id == batch_id)
        .map(|b| live(&b.batch))
        .ok_or_else(|| not_found(&batch_id))
}

/// `POST /batches/{batch_id}/cancel`: `cancelling`, then `cancelled` a step later.
pub(super) async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(batch_id): Path<String>,
) -> ApiResult<Json<Value>> {
    batches::request_cancel(&state, &batch_id)
        .map(|b| live(b.batch))
        .ok_or_else(|| not_found(&batch_id))
}

/// The query of the list operations: a cursor and a page size (1 to 100, default 20).
#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    pub(super) after: Option<String>,
    pub(super) limit: Option<i64>,
    pub(super) order: Option<String>,
    pub(super) filter: Option<String>,
}

impl ListQuery {
    /// The page size asked for, or the API's 400.
    pub(super) fn limit(&self) -> ApiResult<usize> {
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(ApiFailure::invalid(
                Some("limit"),
                format!(
                    "Invalid 'limit': integer below minimum value or above maximum value. Expected a value between 1 and 100, but got {limit} instead."
                ),
            ));
        }
        Ok(limit as usize)
    }
}

/// `GET /batches`: newest first.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit()?;
    let all: Vec<types::Batch> = lock(&state.workflows.batches)
        .iter()
        .rev()
        .map(|b| b.batch.clone())
        .collect();
    let p = page(all, |b| &b.id, q.after.as_deref(), limit);
    Ok(live(types::ListBatchesResponse {
        object: types::ListBatchesResponseObject::List,
        first_id: p.data.first().map(|b| b.id.clone()),
        last_id: p.data.last().map(|b| b.id.clone()),
        has_more: p.has_more,
        data: p.data,
    }))
}
