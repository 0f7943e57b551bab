//! `POST /uploads/{upload_id}/complete`: the part list checked (every part the upload's, none
//! twice, adding up to `bytes`), each part on disk at its size, the md5, then the File made.

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use uploads_client::rules::{self, Purpose, unix_now};
use uploads_client::types::KnownUploadStatus;

use super::objects::{live, upload_json};
use super::request::{ApiJson, ApiResult};
use super::uploads::{detached, not_found, require_pending};
use crate::envelope::ApiFailure;
use crate::state::{AppState, Counters};
use crate::store::{FileRecord, UploadRecord, new_id};
use uploads_client::types;

/// `POST /uploads/{upload_id}/complete`: checks the part list and md5, then makes the File.
pub(super) async fn complete(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
    ApiJson(req): ApiJson<types::CompleteUploadRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let rec = state
        .store
        .update_upload(&upload_id, |rec| {
            rec.expire_if_due(unix_now());
            require_pending(rec, "complete")?;
            Ok::<_, ApiFailure>(rec.clone())
        })
        .await
        .ok_or_else(|| not_found(&upload_id))??;
    check_part_list(&rec, &req.part_ids)?;
    // Each listed part is on disk at its size, before a File is made of them.
    let sizes = req
        .part_ids
        .iter()
        .map(|p| (p.clone(), rec.parts.get(p).map_or(0, |r| r.size)))
        .collect();
    match state.store.verify_parts(sizes).await {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(parts_gone(&state, &upload_id).await);
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(want) = &req.md5 {
        let got = match state.store.md5_of_parts(&req.part_ids).await {
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(parts_gone(&state, &upload_id).await);
            }
            Err(e) => return Err(e.into()),
        };
        if !got.eq_ignore_ascii_case(want.trim()) {
            return Err(ApiFailure::invalid(
                Some("md5"),
                format!(
                    "The md5 checksum {want} does not match the md5 of the uploaded bytes in the given Part order ({got})."
                ),
            ));
        }
    }
    let created_at = unix_now();
    let file = FileRecord {
        id: new_id("file-"),
        upload_id: upload_id.clone(),
        filename: rec.filename.clone(),
        purpose: rec.purpose.clone(),
        bytes: rec.bytes,
        created_at,
        expires_at: rec
            .file_expires_after
            .or((rec.purpose == Purpose::Batch).then_some(rules::BATCH_FILE_EXPIRES_AFTER_SECS))
            .map(|s| created_at + s),
        parts: req.part_ids.clone(),
    };
    // The commit runs in a task of its own: a client that goes away mid-request cannot cut it
    // in half; it finishes (or does not start) either way.
    let (task_state, task_file) = (state.clone(), file.clone());
    let done = detached(async move {
        task_state
            .store
            .complete_upload(task_file, |rec| require_pending(rec, "complete"))
            .await
    })
    .await?
    .ok_or_else(|| not_found(&upload_id))??;
    // Parts stored but not listed, and the part log: the File lists what it is made of.
    let listed: HashSet<&String> = file.parts.iter().collect();
    let unlisted: Vec<String> = done
        .parts
        .keys()
        .filter(|p| !listed.contains(p))
        .cloned()
        .collect();
    let (task_state, id) = (state.clone(), upload_id.clone());
    tokio::spawn(async move {
        if let Err(e) = task_state.store.remove_parts_and_log(&id, &unlisted).await {
            tracing::warn!(upload = %id, error = %e, "could not remove a completed upload's spare parts");
        }
    });
    Counters::bump(&state.stats.uploads_completed);
    tracing::info!(upload = %upload_id, file = %file.id, parts = file.parts.len(), "upload completed");
    Ok(live(upload_json(&done, Some(&file))))
}

/// A listed part's file is gone: a cancel won the race and removed the parts (a 4xx nobody
/// retries), or, with the upload still pending, storage lost it (a 5xx).
async fn parts_gone(state: &AppState, upload_id: &str) -> ApiFailure {
    let pending = state
        .store
        .inspect_upload(upload_id, |rec| rec.status == KnownUploadStatus::Pending)
        .await
        .unwrap_or(false);
    if pending {
        ApiFailure::internal(format!(
            "a part of Upload {upload_id} is missing from the server's storage"
        ))
    } else {
        ApiFailure::invalid(
            Some("upload_id"),
            format!(
                "Cannot complete Upload {upload_id} because it is cancelled; only pending Uploads accept this."
            ),
        )
    }
}

/// The part list of a complete: every part the upload's, none twice, adding up to `bytes`.
fn check_part_list(rec: &UploadRecord, part_ids: &[String]) -> ApiResult<()> {
    let bad = |m: String| ApiFailure::invalid(Some("part_ids"), m);
    if part_ids.is_empty() {
        return Err(bad(
            "part_ids is empty: list the Parts of the Upload in order.".into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut total = 0u64;
    for id in part_ids {
        let part = rec
            .parts
            .get(id)
            .ok_or_else(|| bad(format!("Part '{id}' does not belong to Upload {}.", rec.id)))?;
        if !seen.insert(id) {
            return Err(bad(format!("Part '{id}' is listed more than once.")));
        }
        total += part.size;
    }
    if total != rec.bytes {
        return Err(bad(format!(
            "The number of bytes uploaded upon completion ({total}) does not match the number of bytes specified when creating the Upload ({}).",
            rec.bytes
        )));
    }
    Ok(())
}
