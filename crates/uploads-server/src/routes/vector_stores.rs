//! The Vector stores operations: create, retrieve, list; list its files; and its file batches:
//! create (at most 2,000 Files), retrieve, cancel, list their files.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::Value;
use uploads_client::types;

use super::batches::ListQuery;
use super::objects::live;
use super::request::{ApiJson, ApiResult};
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::workflows::vector_stores;
use crate::workflows::{Attach, StoreRecord};
use crate::workflows::{lock, now, page};

/// The most Files one file batch takes (the spec's `maxItems`).
const MAX_BATCH_FILES: usize = 2000;

fn store_not_found(id: &str) -> ApiFailure {
    ApiFailure::not_found(
        "vector_store_id",
        format!("No vector store found with id '{id}'."),
    )
}

fn batch_not_found(id: &str) -> ApiFailure {
    ApiFailure::not_found("batch_id", format!("No file batch found with id '{id}'."))
}

/// `POST /vector_stores`: an empty store, then its `file_ids` attached as one file batch.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<types::CreateVectorStoreRequest>,
) -> ApiResult<Json<Value>> {
    if req.file_ids.len() > MAX_BATCH_FILES {
        return Err(too_many(req.file_ids.len(), "file_ids"));
    }
    let id = crate::store::new_id("vs_");
    let store = types::VectorStoreObject {
        id: id.clone(),
        object: types::VectorStoreObjectObject::VectorStore,
        created_at: now(),
        name: Some(req.name.unwrap_or_default()),
        usage_bytes: Some(0),
        file_counts: None,
        status: Some(types::VectorStoreObjectStatus::Completed),
        expires_after: req.expires_after,
        expires_at: None,
        last_active_at: Some(now()),
        metadata: req.metadata,
    };
    lock(&state.workflows.vector_stores)
        .stores
        .push(StoreRecord {
            store,
            files: Vec::new(),
            batches: Vec::new(),
        });
    let strategy = req
        .chunking_strategy
        .and_then(|c| serde_json::to_value(c).ok());
    if !req.file_ids.is_empty() {
        let files = req
            .file_ids
            .into_iter()
            .map(|file_id| Attach {
                file_id,
                attributes: None,
                chunking_strategy: strategy.clone(),
            })
            .collect();
        vector_stores::create_batch(&state, &id, files);
    }
    answer_store(&state, &id)
}

fn too_many(n: usize, param: &'static str) -> ApiFailure {
    ApiFailure::invalid(
        Some(param),
        format!(
            "Invalid '{param}': array too long. Expected an array with maximum length {MAX_BATCH_FILES}, but got an array with length {n} instead."
        ),
    )
}

fn answer_store(state: &AppState, id: &str) -> ApiResult<Json<Value>> {
    lock(&state.workflows.vector_stores)
        .get(id)
        .map(|s| live(s.answer()))
        .ok_or_else(|| store_not_found(id))
}

/// `GET /vector_stores/{vector_store_id}`.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer_store(&state, &id)
}

/// `GET /vector_stores`: newest first unless `order=asc`.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = q.limit()?;
    let mut all: Vec<types::VectorStoreObject> = lock(&state.workflows.vector_stores)
        .stores
        .iter()
        .map(StoreRecord::answer)
        .collect();
    if q.order.as_deref() != Some("asc") {
        all.reverse();
    }
    let p = page(all, |s| &s.id, q.after.as_deref(), limit);
    Ok(live(types::ListVectorStoresResponse {
        object: "list".into(),
        first_id: p.data.first().map(|s| s.id.clone()),
        last_id: p.data.last().map(|s| s.id.clone()),
        has_more: p.has_more,
        data: p.data,
    }))
}

/// `POST /vector_stores/{vector_store_id}/file_batches`: `file_ids` (with the batch's
/// attributes and chunking strategy) or `files` (each with its own).
pub(super) async fn create_batch(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<types::CreateVectorStoreFileBatchRequest>,
) -> ApiResult<Json<Value>> {
    let files: Vec<Attach> = match req {
        types::CreateVectorStoreFileBatchRequest::Variant0 {
            attributes,
            chunking_strategy,
            file_ids,
        } => {
            let strategy = chunking_strategy.and_then(|c| serde_json::to_value(c).ok());
            file_ids
                .into_iter()
                .map(|file_id| Attach {
                    file_id,
                    attributes: attributes.clone(),
                    chunking_strategy: strategy.clone(),
                })
                .collect()
        }
        types::CreateVectorStoreFileBatchRequest::Variant1 { files, .. } => files
            .into_iter()
            .map(|f| Attach {
                file_id: f.file_id,
                attributes: f.attributes,
                chunking_strategy: f
                    .chunking_strategy
                    .and_then(|c| serde_json::to_value(c).ok()),
            })
            .collect(),
    };
    if files.is_empty() {
        return Err(ApiFailure::invalid(
            Some("file_ids"),
            "Invalid 'file_ids': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        ));
    }
    if files.len() > MAX_BATCH_FILES {
        return Err(too_many(files.len(), "file_ids"));
    }
    vector_stores::create_batch(&state, &id, files)
        .map(live)
        .ok_or_else(|| store_not_found(&id))
}

/// `GET /vector_stores/{vector_store_id}/file_batches/{batch_id}`.
pub(super) async fn retrieve_batch(
    State(state): State<Arc<AppState>>,
    Path((id, batch_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let stores = lock(&state.workflows.vector_stores);
    let store = stores.get(&id).ok_or_else(|| store_not_found(&id))?;
    let rec = store
        .batch(&batch_id)
        .ok_or_else(|| batch_not_found(&batch_id))?;
    Ok(live(store.answer_batch(rec)))
}

/// `POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel`.
pub(super) async fn cancel_batch(
    State(state): State<Arc<AppState>>,
    Path((id, batch_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    vector_stores::request_cancel(&state, &id, &batch_id)
        .map(live)
        .ok_or_else(|| batch_not_found(&batch_id))
}

/// `GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files`.
pub(super) async fn list_batch_files(
    State(state): State<Arc<AppState>>,
    Path((id, batch_id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let stores = lock(&state.workflows.vector_stores);
    let store = stores.get(&id).ok_or_else(|| store_not_found(&id))?;
    let rec = store
        .batch(&batch_id)
        .ok_or_else(|| batch_not_found(&batch_id))?;
    files_page(store.batch_files(rec).cloned().collect(), &q)
}

/// `GET /vector_stores/{vector_store_id}/files`.
pub(super) async fn list_files(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let stores = lock(&state.workflows.vector_stores);
    let store = stores.get(&id).ok_or_else(|| store_not_found(&id))?;
    files_page(store.files.clone(), &q)
}

/// A page of vector store files: `filter` by status, newest first unless `order=asc`.
fn files_page(
    mut files: Vec<types::VectorStoreFileObject>,
    q: &ListQuery,
) -> ApiResult<Json<Value>> {
    let limit = q.limit()?;
    if let Some(filter) = &q.filter {
        files.retain(|f| f.status.as_ref().is_some_and(|s| s.to_string() == *filter));
    }
    if q.order.as_deref() != Some("asc") {
        files.reverse();
    }
    let p = page(files, |f| &f.id, q.after.as_deref(), limit);
    Ok(live(types::ListVectorStoreFilesResponse {
        object: "list".into(),
        first_id: p.data.first().map(|f| f.id.clone()),
        last_id: p.data.last().map(|f| f.id.clone()),
        has_more: p.has_more,
        data: p.data,
    }))
}
