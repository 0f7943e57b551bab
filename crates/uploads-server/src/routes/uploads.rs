//! The Uploads operations: create, add a part, complete, cancel.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use uploads_client::rules::{self, Purpose, unix_now};
use uploads_client::types::{self, KnownUploadStatus};

use super::objects::{live, upload_json};
use super::request::{ApiJson, ApiResult};
use crate::envelope::ApiFailure;
use crate::state::{AppState, Counters};
use crate::store::{PartRecord, PartWriteError, UploadRecord, new_id};

/// Runs a state change in a task of its own and waits for it: if the request is dropped (the
/// client went away), the change still finishes.
pub(super) async fn detached<T: Send + 'static>(
    change: impl std::future::Future<Output = T> + Send + 'static,
) -> ApiResult<T> {
    tokio::spawn(change)
        .await
        .map_err(|e| ApiFailure::internal(format!("a state change failed: {e}")))
}

/// The longest filename taken, in bytes (what most file systems take for one name).
const MAX_FILENAME_BYTES: usize = 255;

pub(super) fn not_found(id: &str) -> ApiFailure {
    ApiFailure::not_found("upload_id", format!("No such Upload: '{id}'"))
}

/// Only a pending upload takes parts, completes or cancels.
pub(super) fn require_pending(rec: &UploadRecord, action: &str) -> ApiResult<()> {
    if rec.status == KnownUploadStatus::Pending {
        return Ok(());
    }
    Err(ApiFailure::invalid(
        Some("upload_id"),
        format!(
            "Cannot {action} Upload {} because it is {}; only pending Uploads accept this.",
            rec.id, rec.status
        ),
    ))
}

/// `POST /uploads`.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<types::CreateUploadRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let purpose = Purpose::from(req.purpose.to_string());
    if purpose.rule().is_none() {
        return Err(ApiFailure::invalid(
            Some("purpose"),
            // The live service's words (quoted in openai/openai-ruby issue 748).
            format!(
                "'{purpose}' is not one of [{}] - 'purpose'",
                rules::PURPOSES
                    .iter()
                    .map(|p| format!("'{}'", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if req.filename.len() > MAX_FILENAME_BYTES || req.filename.chars().any(char::is_control) {
        return Err(ApiFailure::invalid(
            Some("filename"),
            format!(
                "The filename must be at most {MAX_FILENAME_BYTES} bytes, without control characters."
            ),
        ));
    }
    if req.bytes <= 0 {
        return Err(ApiFailure::invalid(
            Some("bytes"),
            "bytes must be a positive integer: an Upload cannot be empty.",
        ));
    }
    let expires_after = req.expires_after.as_ref().map(|e| e.seconds);
    rules::check_create(
        &req.filename,
        purpose.as_str(),
        &req.mime_type,
        req.bytes,
        expires_after,
        &state.config.limits,
    )
    .and_then(|()| rules::check_type(&req.filename, purpose.as_str(), &req.mime_type))
    .map_err(|v| ApiFailure::invalid(Some(v.param), v.message))?;
    let created_at = unix_now();
    let rec = UploadRecord {
        id: new_id("upload_"),
        filename: req.filename,
        purpose,
        mime_type: req.mime_type,
        bytes: req.bytes.unsigned_abs(),
        created_at,
        expires_at: created_at + state.config.upload_ttl.as_secs() as i64,
        status: KnownUploadStatus::Pending,
        file_expires_after: expires_after,
        parts: Default::default(),
        file_id: None,
    };
    state.store.insert_upload(rec.clone()).await?;
    Counters::bump(&state.stats.uploads_created);
    tracing::info!(upload = %rec.id, bytes = rec.bytes, "upload created");
    Ok(live(upload_json(&rec, None)))
}

/// `POST /uploads/{upload_id}/parts`: the `data` field streamed to disk, then recorded.
pub(super) async fn add_part(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<types::UploadPart>> {
    // Refuse early, before reading a byte of the body, when the upload cannot take parts.
    state
        .store
        .inspect_upload(&upload_id, |rec| {
            rec.expire_if_due(unix_now());
            require_pending(rec, "add a Part to")
        })
        .await
        .ok_or_else(|| not_found(&upload_id))??;
    let mut multipart = multipart.map_err(|e| {
        ApiFailure::invalid(
            Some("data"),
            format!("Expected a multipart/form-data body: {}", e.body_text()),
        )
    })?;

    let part_id = new_id("part_");
    let size = receive_data_field(&state, &mut multipart, &part_id).await?;
    let max_upload = state.config.limits.max_upload_bytes;
    let created_at = unix_now();
    // Recorded (or the part removed) even if the client goes away now.
    let (task_state, task_upload, task_part) = (state.clone(), upload_id.clone(), part_id.clone());
    detached(async move {
        let part = PartRecord { size, created_at };
        let stored = task_state
            .store
            .add_part(&task_upload, &task_part, part, |rec, part| {
                rec.expire_if_due(created_at);
                require_pending(rec, "add a Part to")?;
                let total = rec.bytes_stored() + part.size;
                if total > max_upload {
                    return Err(ApiFailure::invalid(
                        Some("data"),
                        format!("Adding this Part would bring the Upload to {total} bytes, over the maximum of {max_upload}."),
                    ));
                }
                Ok(())
            })
            .await
            .unwrap_or_else(|| Err(not_found(&task_upload)));
        if stored.is_err() {
            task_state.store.discard_parts([&task_part]).await;
        }
        stored
    })
    .await??;
    Counters::bump(&state.stats.parts_stored);
    state
        .stats
        .part_bytes_stored
        .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
    tracing::debug!(upload = %upload_id, part = %part_id, size, "part stored");
    Ok(Json(types::UploadPart {
        id: part_id,
        created_at,
        upload_id,
        object: types::UploadPartObject::UploadPart,
    }))
}

/// Finds the `data` field and has the store write it, refused past the part limit.
async fn receive_data_field(
    state: &AppState,
    multipart: &mut Multipart,
    part_id: &str,
) -> ApiResult<u64> {
    let bad = |m: String| ApiFailure::invalid(Some("data"), m);
    loop {
        // The preamble and any field before `data` arrive within the stall deadline too.
        let stall = state.config.connections.body_stall_timeout;
        let field = tokio::time::timeout(stall, multipart.next_field())
            .await
            .map_err(|_| super::request::stalled(stall))?
            .map_err(|e| bad(format!("Could not read the multipart body: {}", e.body_text())))?
            .ok_or_else(|| bad("The multipart body has no 'data' field: send the Part's bytes as field 'data'.".into()))?;
        if field.name() != Some("data") {
            continue;
        }
        let max = state.config.limits.max_part_bytes;
        let stall = state.config.connections.body_stall_timeout;
        return match state.store.write_part(part_id, field, max, stall).await {
            Ok(size) => {
                // One part per request: a second `data` field is refused, not ignored.
                while let Ok(Some(extra)) = multipart.next_field().await {
                    if extra.name() == Some("data") {
                        state.store.discard_parts([&part_id.to_owned()]).await;
                        return Err(bad(
                            "The multipart body has more than one 'data' field: send one Part per request.".into(),
                        ));
                    }
                }
                Ok(size)
            }
            Err(PartWriteError::TooLarge { max }) => Err(ApiFailure::invalid(
                Some("data"),
                format!("The Part is larger than the maximum Part size of {max} bytes: split it into smaller Parts."),
            )
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)),
            Err(PartWriteError::Empty) => Err(bad(
                "The Part is empty: a Part needs at least one byte.".into(),
            )),
            Err(PartWriteError::Body(e)) => Err(bad(format!(
                "Could not read the Part's bytes: {}",
                e.body_text()
            ))),
            Err(PartWriteError::Stalled { after }) => Err(ApiFailure::invalid(
                Some("data"),
                format!("The Part's bytes stopped arriving for {} s: send the Part again.", after.as_secs()),
            )
            .with_status(StatusCode::REQUEST_TIMEOUT)),
            Err(PartWriteError::Io(e)) => Err(e.into()),
        };
    }
}

/// `POST /uploads/{upload_id}/cancel`: no more parts; the stored ones are removed.
pub(super) async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let task_state = state.clone();
    let task_id = upload_id.clone();
    let rec = detached(async move {
        let rec = task_state
            .store
            .update_upload(&task_id, |rec| {
                rec.expire_if_due(unix_now());
                require_pending(rec, "cancel")?;
                rec.status = KnownUploadStatus::Cancelled;
                Ok::<_, ApiFailure>(rec.clone())
            })
            .await;
        if let Some(Ok(rec)) = &rec {
            // The answer does not wait for thousands of files to go: removed in the
            // background (a crash first leaves them to the next start-up's sweep).
            let (store_state, id) = (task_state.clone(), rec.id.clone());
            let parts: Vec<String> = rec.parts.keys().cloned().collect();
            tokio::spawn(async move {
                if let Err(e) = store_state.store.remove_parts_and_log(&id, &parts).await {
                    tracing::warn!(upload = %id, error = %e, "could not remove a cancelled upload's parts");
                }
            });
        }
        rec
    })
    .await?
    .ok_or_else(|| not_found(&upload_id))??;
    Counters::bump(&state.stats.uploads_cancelled);
    tracing::info!(upload = %upload_id, "upload cancelled");
    Ok(live(upload_json(&rec, None)))
}
