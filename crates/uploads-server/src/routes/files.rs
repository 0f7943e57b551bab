//! The Files operations the uploads need: retrieve, delete, download content.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uploads_client::types;

use super::objects::file_json;
use super::request::ApiResult;
use crate::envelope::ApiFailure;
use crate::state::AppState;
use crate::store::FileRecord;

async fn file_record(state: &AppState, file_id: &str) -> ApiResult<FileRecord> {
    state
        .store
        .file(file_id)
        .await
        .ok_or_else(|| ApiFailure::not_found("file_id", format!("No such File object: {file_id}")))
}

/// `GET /files/{file_id}`.
pub(super) async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Json<types::OpenAiFile>> {
    Ok(Json(file_json(&file_record(&state, &file_id).await?)))
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
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, file.bytes.to_string()),
        ],
        axum::body::Body::from_stream(state.store.read_parts(&file.parts)),
    )
        .into_response())
}
