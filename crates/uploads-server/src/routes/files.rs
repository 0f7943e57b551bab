//! The Files operations the uploads need: retrieve, delete, download content.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uploads_client::types;

use super::objects::{file_json, live};
use super::request::ApiResult;
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::store::FileRecord;

async fn file_record(state: &AppState, file_id: &str) -> ApiResult<FileRecord> {
    state
        .store
        .file(file_id)
        .await
        .ok_or_else(|| ApiFailure::not_found("id", format!("No such File object: {file_id}")))
}

/// The query of `GET /files`.
#[derive(serde::Deserialize)]
pub(super) struct ListQuery {
    purpose: Option<String>,
    limit: Option<i64>,
    order: Option<String>,
    after: Option<String>,
}

/// The most files one page holds, and the default (the spec's).
const MAX_PAGE: i64 = 10_000;

/// `GET /files`: a page of Files, newest first unless `order=asc`, after the `after` cursor.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let Query(q) = query.map_err(|e| ApiFailure::invalid(None, e.body_text()))?;
    let limit = q.limit.unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiFailure::invalid(
            Some("limit"),
            format!(
                "Invalid 'limit': integer below minimum value or above maximum value. Expected a value between 1 and {MAX_PAGE}, but got {limit} instead."
            ),
        ));
    }
    let newest_first = match q.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(ApiFailure::invalid(
                Some("order"),
                format!("'{other}' is not one of ['asc', 'desc'] - 'order'"),
            ));
        }
    };
    let files = state
        .store
        .list_files(q.purpose.as_deref(), newest_first, q.after.as_deref())
        .await;
    let rest = &files[..];
    let page = &rest[..rest.len().min(limit as usize)];
    let data: Vec<types::OpenAiFile> = page.iter().map(file_json).collect();
    Ok(live(types::ListFilesResponse {
        object: "list".into(),
        first_id: data.first().map(|f| f.id.clone()),
        last_id: data.last().map(|f| f.id.clone()),
        has_more: rest.len() > page.len(),
        data,
    }))
}

/// `GET /files/{file_id}`.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(live(file_json(&file_record(&state, &file_id).await?)))
}

/// `DELETE /files/{file_id}`: the File and its content.
pub(super) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Json<types::DeleteFileResponse>> {
    file_record(&state, &file_id).await?;
    state.store.delete_file(&file_id).await?;
    Ok(Json(types::DeleteFileResponse {
        id: file_id,
        object: types::DeleteFileResponseObject::File,
        deleted: true,
    }))
}

/// `GET /files/{file_id}/content`: the File's parts streamed one after the other; nothing is
/// copied or buffered whole.
pub(super) async fn download(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    let file = file_record(&state, &file_id).await?;
    // Answered as an error while one can still be (a File whose parts storage lost).
    let on_disk = state.store.size_of_parts(&file.parts).await?;
    if on_disk != file.bytes {
        return Err(ApiFailure::internal(format!(
            "the content of {file_id} is damaged in the server's storage ({on_disk} of {} bytes)",
            file.bytes
        )));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, file.bytes.to_string()),
        ],
        axum::body::Body::from_stream(state.store.read_parts(&file.parts, file.bytes)),
    )
        .into_response())
}
