//! The protocol steps as the engine needs them: the [`UploadApi`] trait and the values it
//! takes and gives.

use std::future::Future;

use uploads_client::rules::Purpose;
use uploads_client::{ApiError, PartData, types};

/// What `create` needs.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CreateRequest {
    /// The name the File will get.
    pub filename: String,
    /// What the File is for.
    pub purpose: Purpose,
    /// The exact byte count of the whole file.
    pub bytes: u64,
    /// The file's MIME type.
    pub mime_type: String,
    /// When the File expires, in seconds after its creation.
    pub expires_after: Option<i64>,
}

impl CreateRequest {
    /// A request for a `bytes`-byte file named `filename`.
    pub fn new(
        filename: impl Into<String>,
        purpose: impl Into<Purpose>,
        bytes: u64,
        mime_type: impl Into<String>,
    ) -> Self {
        Self {
            filename: filename.into(),
            purpose: purpose.into(),
            bytes,
            mime_type: mime_type.into(),
            expires_after: None,
        }
    }
}

/// One page of Files, newest first.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct FilePage {
    /// The Files, newest first.
    pub files: Vec<types::OpenAiFile>,
    /// True if older Files follow (ask again after the last one).
    pub has_more: bool,
}

impl FilePage {
    /// A page of `files` (newest first), with more after it or not.
    pub fn new(files: Vec<types::OpenAiFile>, has_more: bool) -> Self {
        Self { files, has_more }
    }
}

/// The four calls of the Uploads API as the engine needs them, and the one Files call that
/// finds the File of a complete whose response was lost.
pub trait UploadApi: Send + Sync + 'static {
    /// Where requests go: a journal made against one endpoint is not resumed against another.
    fn endpoint(&self) -> String;

    /// `POST /uploads`: creates a pending Upload.
    fn create(
        &self,
        req: CreateRequest,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;

    /// `POST /uploads/{id}/parts`: stores one part and returns its id.
    fn put_part(
        &self,
        upload_id: &str,
        body: PartData,
    ) -> impl Future<Output = Result<types::UploadPart, ApiError>> + Send;

    /// `POST /uploads/{id}/complete`: joins the parts in this order into a File.
    fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;

    /// `POST /uploads/{id}/cancel`: no more parts; the Upload is discarded.
    fn cancel(
        &self,
        upload_id: &str,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;

    /// `GET /files?purpose=..&order=desc&after=..`: one page of Files with this purpose,
    /// newest first, after the File `after`.
    fn list_files(
        &self,
        purpose: &Purpose,
        after: Option<&str>,
    ) -> impl Future<Output = Result<FilePage, ApiError>> + Send;
}

impl<T: UploadApi> UploadApi for std::sync::Arc<T> {
    fn endpoint(&self) -> String {
        (**self).endpoint()
    }
    fn create(
        &self,
        req: CreateRequest,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send {
        (**self).create(req)
    }
    fn put_part(
        &self,
        upload_id: &str,
        body: PartData,
    ) -> impl Future<Output = Result<types::UploadPart, ApiError>> + Send {
        (**self).put_part(upload_id, body)
    }
    fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send {
        (**self).complete(upload_id, part_ids, md5)
    }
    fn cancel(
        &self,
        upload_id: &str,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send {
        (**self).cancel(upload_id)
    }
    fn list_files(
        &self,
        purpose: &Purpose,
        after: Option<&str>,
    ) -> impl Future<Output = Result<FilePage, ApiError>> + Send {
        (**self).list_files(purpose, after)
    }
}
