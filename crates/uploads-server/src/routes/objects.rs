//! The API's objects as the server answers them, built from the stored records.

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
        purpose: f.purpose.parse().unwrap_or_else(|e| match e {}),
        status: None,
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
        purpose: rec.purpose.clone(),
        status: rec.status.into(),
        file: file.map(file_json),
    }
}
