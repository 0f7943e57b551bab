//! The records the store keeps: an Upload with its parts, and a File.

use std::collections::BTreeMap;
use uploads_client::rules::Purpose;

use serde::{Deserialize, Serialize};
use uploads_client::types::KnownUploadStatus;

/// An Upload as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct UploadRecord {
    /// `upload_...`.
    pub(crate) id: String,
    /// The name its File gets.
    pub(crate) filename: String,
    /// The purpose given on create.
    pub(crate) purpose: Purpose,
    /// The MIME type given on create.
    pub(crate) mime_type: String,
    /// The byte count declared on create.
    pub(crate) bytes: u64,
    /// Unix seconds.
    pub(crate) created_at: i64,
    /// Unix seconds; a pending upload past it is expired.
    pub(crate) expires_at: i64,
    /// Where it is in its life.
    pub(crate) status: KnownUploadStatus,
    /// When the File made from this upload expires (`expires_after` on create).
    pub(crate) file_expires_after: Option<i64>,
    /// Stored parts by id: kept in the upload's part log (`part_log`), not in this record,
    /// which is written only when the status changes. (Records of older data directories
    /// that still list their parts are read as before.)
    #[serde(default, skip_serializing)]
    pub(crate) parts: BTreeMap<String, PartRecord>,
    /// The File, once completed.
    pub(crate) file_id: Option<String>,
}

impl UploadRecord {
    /// Marks a pending upload past its expiry as expired.
    pub(crate) fn expire_if_due(&mut self, now: i64) {
        if self.status == KnownUploadStatus::Pending && now >= self.expires_at {
            self.status = KnownUploadStatus::Expired;
        }
    }

    /// Bytes of the stored parts.
    pub(crate) fn bytes_stored(&self) -> u64 {
        self.parts.values().map(|p| p.size).sum()
    }
}

/// A stored part.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct PartRecord {
    /// Its length in bytes.
    pub(crate) size: u64,
    /// Unix seconds.
    pub(crate) created_at: i64,
}

/// A File as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct FileRecord {
    /// `file-...`.
    pub(crate) id: String,
    /// The upload it was made from.
    pub(crate) upload_id: String,
    /// Its name.
    pub(crate) filename: String,
    /// Its purpose.
    pub(crate) purpose: Purpose,
    /// Its size.
    pub(crate) bytes: u64,
    /// Unix seconds.
    pub(crate) created_at: i64,
    /// Unix seconds, if it expires.
    pub(crate) expires_at: Option<i64>,
    /// The part ids, in the order given on complete.
    pub(crate) parts: Vec<String>,
}
