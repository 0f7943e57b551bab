//! The API's objects as the server answers them, built from the stored records and shaped like
//! the live service's: a File always carries `status` and `status_details` (null), an Upload
//! carries `file` (null until completed), as openai-python and openai-node type them.

use axum::Json;
use serde_json::Value;
use uploads_client::types;

use crate::store::{FileRecord, UploadRecord};

/// A File object.
pub(super) fn file_json(f: &FileRecord) -> types::OpenAiFile {
    types::OpenAiFile {
        id: f.id.clone(),
        object: types::OpenAiFileObject::File,
        bytes: i64::try_from(f.bytes).unwrap_or(i64::MAX),
        created_at: f.created_at,
        expires_at: f.expires_at,
        filename: f.filename.clone(),
        purpose: f.purpose.as_str().parse().unwrap_or_else(|e| match e {}),
        // Files made by the Uploads API are ready at once.
        status: Some(types::KnownFileStatus::Processed.into()),
        status_details: None,
    }
}

/// An Upload object, with its File once completed.
pub(super) fn upload_json(rec: &UploadRecord, file: Option<&FileRecord>) -> types::Upload {
    types::Upload {
        id: rec.id.clone(),
        object: Some(types::UploadObject::Upload),
        bytes: i64::try_from(rec.bytes).unwrap_or(i64::MAX),
        created_at: rec.created_at,
        expires_at: rec.expires_at,
        filename: rec.filename.clone(),
        purpose: rec.purpose.to_string(),
        status: rec.status.into(),
        file: file.map(file_json),
    }
}

/// The JSON the live service sends for `object`: the generated types leave out fields that are
/// `None`, where the service sends `null` (`status_details` of a File, `file` of an Upload).
pub(super) fn live(object: impl serde::Serialize) -> Json<Value> {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    add_nulls(&mut value);
    Json(value)
}

fn add_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let null_fields: &[&str] = match map.get("object").and_then(Value::as_str) {
                Some("file") => &["status_details"],
                Some("upload") => &["file"],
                _ => &[],
            };
            for field in null_fields {
                map.entry(*field).or_insert(Value::Null);
            }
            map.values_mut().for_each(add_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(add_nulls),
        _ => {}
    }
}
