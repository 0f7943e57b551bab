//! The router and its handlers, one per operation of the Uploads and Files API.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;
use uploads_client::{rules, types};

use crate::envelope::ApiFailure;
use crate::serve::AppState;
use crate::store::{FileRecord, PartRecord, UploadRecord};

type ApiResult<T> = Result<T, ApiFailure>;

/// Purposes the server accepts on createUpload, like the real service today.
const ACCEPTED_PURPOSES: &[&str] = rules::UPLOAD_PURPOSES;

pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/uploads", post(create_upload))
        .route("/uploads/{upload_id}/parts", post(add_upload_part))
        .route("/uploads/{upload_id}/complete", post(complete_upload))
        .route("/uploads/{upload_id}/cancel", post(cancel_upload))
        .route("/files/{file_id}", get(retrieve_file).delete(delete_file))
        .route("/files/{file_id}/content", get(download_file))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_bearer_key,
        ));
    Router::new()
        .nest("/v1", api)
        .route("/_admin/stats", get(stats))
        .fallback(unknown_url)
        .method_not_allowed_fallback(unknown_url)
        // Parts are streamed to disk and checked against our own limit as they arrive.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn require_bearer_key(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let fail = |message: String, code: Option<&'static str>| {
        let mut f = ApiFailure::invalid(None, message).with_status(StatusCode::UNAUTHORIZED);
        f.code = code;
        f.into_response()
    };
    if given.is_empty() {
        return fail(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).".into(),
            None,
        );
    }
    if let Some(key) = &state.config.api_key
        && given != key
    {
        return fail(
            format!("Incorrect API key provided: {}.", mask(given)),
            Some("invalid_api_key"),
        );
    }
    next.run(req).await
}

/// Shows a key the way OpenAI does in its 401s: a few characters at each end.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

async fn unknown_url(req: Request) -> ApiFailure {
    ApiFailure::invalid(
        None,
        format!("Invalid URL ({} {})", req.method(), req.uri().path()),
    )
    .with_status(StatusCode::NOT_FOUND)
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<crate::Stats> {
    Json(state.stats.snapshot())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

fn parse_json<T: serde::de::DeserializeOwned>(
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<T> {
    let Json(value) = body.map_err(|e| {
        ApiFailure::invalid(
            None,
            format!(
                "We could not parse the JSON body of your request: {}",
                e.body_text()
            ),
        )
    })?;
    serde_json::from_value(value)
        .map_err(|e| ApiFailure::invalid(None, format!("Invalid request body: {e}")))
}

/// Marks a pending upload past its expiry as expired. True if it changed.
fn expire_if_due(rec: &mut UploadRecord) {
    if rec.status == "pending" && now() >= rec.expires_at {
        rec.status = "expired".into();
    }
}

fn not_found_upload(id: &str) -> ApiFailure {
    ApiFailure::not_found("upload_id", format!("No such Upload: '{id}'"))
}

fn require_pending(rec: &UploadRecord, action: &str) -> ApiResult<()> {
    if rec.status == "pending" {
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

async fn create_upload(
    State(state): State<Arc<AppState>>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<types::Upload>> {
    let req: types::CreateUploadRequest = parse_json(body)?;
    let purpose = req.purpose.to_string();
    if !ACCEPTED_PURPOSES.contains(&purpose.as_str()) {
        return Err(ApiFailure::invalid(
            Some("purpose"),
            format!(
                "Invalid value for purpose: '{purpose}'. Supported values are: {}.",
                ACCEPTED_PURPOSES.join(", ")
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
        &purpose,
        &req.mime_type,
        req.bytes,
        expires_after,
        &state.config.limits,
    )
    .map_err(|v| ApiFailure::invalid(Some(v.param), v.message))?;
    let created_at = now();
    let rec = UploadRecord {
        id: new_id("upload_"),
        filename: req.filename,
        purpose,
        mime_type: req.mime_type,
        bytes: req.bytes as u64,
        created_at,
        expires_at: created_at + state.config.upload_ttl.as_secs() as i64,
        status: "pending".into(),
        file_expires_after: expires_after,
        parts: Default::default(),
        file_id: None,
    };
    state.store.insert_upload(rec.clone()).await?;
    state.stats.uploads_created.fetch_add(1, Ordering::Relaxed);
    tracing::info!(upload = %rec.id, bytes = rec.bytes, "upload created");
    Ok(Json(upload_json(&rec, None)))
}

async fn add_upload_part(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Json<types::UploadPart>> {
    // Refuse early, before reading a byte of the body, when the upload cannot take parts.
    let check = state
        .store
        .update_upload(&upload_id, |rec| {
            expire_if_due(rec);
            require_pending(rec, "add a Part to")
        })
        .await
        .ok_or_else(|| not_found_upload(&upload_id))?;
    check?;
    let mut multipart = multipart.map_err(|e| {
        ApiFailure::invalid(
            Some("data"),
            format!("Expected a multipart/form-data body: {}", e.body_text()),
        )
    })?;

    let part_id = new_id("part_");
    let tmp = state.store.temp_path(&part_id);
    let received =
        receive_data_field(&mut multipart, &tmp, state.config.limits.max_part_bytes).await;
    let size = match received {
        Ok(size) => size,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let final_path = state.store.part_path(&part_id);
    tokio::fs::rename(&tmp, &final_path).await?;
    let max_upload = state.config.limits.max_upload_bytes;
    let created_at = now();
    let stored = state
        .store
        .update_upload(&upload_id, |rec| {
            expire_if_due(rec);
            require_pending(rec, "add a Part to")?;
            let total: u64 = rec.parts.values().map(|p| p.size).sum::<u64>() + size;
            if total > max_upload {
                return Err(ApiFailure::invalid(
                    Some("data"),
                    format!("Adding this Part would bring the Upload to {total} bytes, over the maximum of {max_upload}."),
                ));
            }
            rec.parts.insert(part_id.clone(), PartRecord { size, created_at });
            Ok(())
        })
        .await
        .ok_or_else(|| not_found_upload(&upload_id))?;
    if let Err(e) = stored {
        let _ = tokio::fs::remove_file(&final_path).await;
        return Err(e);
    }
    state.stats.parts_stored.fetch_add(1, Ordering::Relaxed);
    state
        .stats
        .part_bytes_stored
        .fetch_add(size, Ordering::Relaxed);
    tracing::debug!(upload = %upload_id, part = %part_id, size, "part stored");
    Ok(Json(types::UploadPart {
        id: part_id,
        created_at,
        upload_id,
        object: types::UploadPartObject::UploadPart,
    }))
}

/// Streams the `data` field to `path`, refusing it as soon as it passes `max` bytes.
async fn receive_data_field(
    multipart: &mut Multipart,
    path: &std::path::Path,
    max: u64,
) -> ApiResult<u64> {
    let bad = |m: String| ApiFailure::invalid(Some("data"), m);
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| bad(format!("Could not read the multipart body: {}", e.body_text())))?
            .ok_or_else(|| bad("The multipart body has no 'data' field: send the Part's bytes as field 'data'.".into()))?;
        if field.name() != Some("data") {
            continue;
        }
        let mut field = field;
        let mut file = tokio::fs::File::create(path).await?;
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            bad(format!(
                "Could not read the Part's bytes: {}",
                e.body_text()
            ))
        })? {
            size += chunk.len() as u64;
            if size > max {
                return Err(ApiFailure::invalid(
                    Some("data"),
                    format!("The Part is larger than the maximum Part size of {max} bytes: split it into smaller Parts."),
                )
                .with_status(StatusCode::PAYLOAD_TOO_LARGE));
            }
            file.write_all(&chunk).await?;
        }
        if size == 0 {
            return Err(bad(
                "The Part is empty: a Part needs at least one byte.".into()
            ));
        }
        file.sync_all().await?;
        return Ok(size);
    }
}

async fn complete_upload(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<types::Upload>> {
    let req: types::CompleteUploadRequest = parse_json(body)?;
    let rec = state
        .store
        .update_upload(&upload_id, |rec| {
            expire_if_due(rec);
            require_pending(rec, "complete")?;
            Ok::<_, ApiFailure>(rec.clone())
        })
        .await
        .ok_or_else(|| not_found_upload(&upload_id))??;
    check_part_list(&rec, &req.part_ids)?;
    if let Some(want) = &req.md5 {
        let paths: Vec<_> = req
            .part_ids
            .iter()
            .map(|p| state.store.part_path(p))
            .collect();
        let got = md5_of(&paths).await?;
        if !got.eq_ignore_ascii_case(want.trim()) {
            return Err(ApiFailure::invalid(
                Some("md5"),
                format!(
                    "The md5 checksum {want} does not match the md5 of the uploaded bytes in the given Part order ({got})."
                ),
            ));
        }
    }
    let created_at = now();
    let file = FileRecord {
        id: new_id("file-"),
        upload_id: upload_id.clone(),
        filename: rec.filename.clone(),
        purpose: rec.purpose.clone(),
        bytes: rec.bytes,
        created_at,
        expires_at: rec.file_expires_after.map(|s| created_at + s),
        parts: req.part_ids.clone(),
    };
    let file_id = file.id.clone();
    let done = state
        .store
        .update_upload(&upload_id, |rec| {
            require_pending(rec, "complete")?;
            rec.status = "completed".into();
            rec.file_id = Some(file_id.clone());
            Ok::<_, ApiFailure>(rec.clone())
        })
        .await
        .ok_or_else(|| not_found_upload(&upload_id))??;
    state.store.insert_file(file.clone()).await?;
    state
        .stats
        .uploads_completed
        .fetch_add(1, Ordering::Relaxed);
    tracing::info!(upload = %upload_id, file = %file.id, parts = file.parts.len(), "upload completed");
    Ok(Json(upload_json(&done, Some(&file))))
}

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

async fn md5_of(paths: &[std::path::PathBuf]) -> std::io::Result<String> {
    let paths = paths.to_vec();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut hasher = Md5::new();
        let mut buf = vec![0u8; 1 << 20];
        for p in paths {
            let mut f = std::fs::File::open(p)?;
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
        }
        Ok(format!("{:x}", hasher.finalize()))
    })
    .await
    .map_err(std::io::Error::other)?
}

async fn cancel_upload(
    State(state): State<Arc<AppState>>,
    Path(upload_id): Path<String>,
) -> ApiResult<Json<types::Upload>> {
    let rec = state
        .store
        .update_upload(&upload_id, |rec| {
            expire_if_due(rec);
            require_pending(rec, "cancel")?;
            rec.status = "cancelled".into();
            Ok::<_, ApiFailure>(rec.clone())
        })
        .await
        .ok_or_else(|| not_found_upload(&upload_id))??;
    for part in rec.parts.keys() {
        let _ = tokio::fs::remove_file(state.store.part_path(part)).await;
    }
    state
        .stats
        .uploads_cancelled
        .fetch_add(1, Ordering::Relaxed);
    tracing::info!(upload = %upload_id, "upload cancelled");
    Ok(Json(upload_json(&rec, None)))
}

async fn file_record(state: &AppState, file_id: &str) -> ApiResult<FileRecord> {
    state
        .store
        .file(file_id)
        .await
        .ok_or_else(|| ApiFailure::not_found("file_id", format!("No such File object: {file_id}")))
}

async fn retrieve_file(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Json<types::OpenAiFile>> {
    Ok(Json(file_json(&file_record(&state, &file_id).await?)))
}

async fn delete_file(
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

/// Streams the File's parts one after the other; nothing is copied or buffered whole.
async fn download_file(
    State(state): State<Arc<AppState>>,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    let file = file_record(&state, &file_id).await?;
    let paths: Vec<_> = file
        .parts
        .iter()
        .map(|p| state.store.part_path(p))
        .collect();
    let body = futures::stream::iter(paths)
        .then(tokio::fs::File::open)
        .map_ok(tokio_util::io::ReaderStream::new)
        .try_flatten();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, file.bytes.to_string()),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

fn file_json(f: &FileRecord) -> types::OpenAiFile {
    types::OpenAiFile {
        id: f.id.clone(),
        object: types::OpenAiFileObject::File,
        bytes: f.bytes as i64,
        created_at: f.created_at,
        expires_at: f.expires_at,
        filename: f.filename.clone(),
        purpose: f
            .purpose
            .parse::<types::KnownFilePurpose>()
            .map_or_else(|_| types::FilePurpose::Other(f.purpose.clone()), Into::into),
        status: None,
        status_details: None,
    }
}

fn upload_json(rec: &UploadRecord, file: Option<&FileRecord>) -> types::Upload {
    types::Upload {
        id: rec.id.clone(),
        object: Some(types::UploadObject::Upload),
        bytes: rec.bytes as i64,
        created_at: rec.created_at,
        expires_at: rec.expires_at,
        filename: rec.filename.clone(),
        purpose: rec.purpose.clone(),
        status: rec.status.parse::<types::KnownUploadStatus>().map_or_else(
            |_| types::UploadStatus::Other(rec.status.clone()),
            Into::into,
        ),
        file: file.map(file_json),
    }
}
