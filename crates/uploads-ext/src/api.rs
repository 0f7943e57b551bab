//! The protocol steps of an upload, as a small trait the orchestration runs against.
//!
//! `uploads_client::Client` implements it; tests use fakes.

use std::future::Future;

use uploads_client::{ApiError, Client, ClientInfo, PartData, types};

/// What `create` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateRequest {
    pub filename: String,
    pub purpose: String,
    pub bytes: u64,
    pub mime_type: String,
    pub expires_after: Option<i64>,
}

pub trait UploadApi: Send + Sync + 'static {
    /// Where requests go: a journal made against one endpoint is not resumed against another.
    fn endpoint(&self) -> String;

    fn create(
        &self,
        req: CreateRequest,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;

    fn put_part(
        &self,
        upload_id: &str,
        data: PartData,
    ) -> impl Future<Output = Result<types::UploadPart, ApiError>> + Send;

    fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;

    fn cancel(
        &self,
        upload_id: &str,
    ) -> impl Future<Output = Result<types::Upload, ApiError>> + Send;
}

impl UploadApi for Client {
    fn endpoint(&self) -> String {
        self.baseurl().to_owned()
    }

    async fn create(&self, req: CreateRequest) -> Result<types::Upload, ApiError> {
        let mut body = types::CreateUploadRequest::builder()
            .filename(req.filename)
            .purpose(
                req.purpose
                    .parse::<types::UploadPurpose>()
                    .unwrap_or_else(|e| match e {}),
            )
            .bytes(req.bytes as i64)
            .mime_type(req.mime_type);
        if let Some(seconds) = req.expires_after {
            body = body.expires_after(types::FileExpirationAfter {
                anchor: types::FileExpirationAfterAnchor::CreatedAt,
                seconds,
            });
        }
        Ok(self.create_upload().body(body).send().await?.into_inner())
    }

    async fn put_part(
        &self,
        upload_id: &str,
        data: PartData,
    ) -> Result<types::UploadPart, ApiError> {
        Ok(self
            .add_upload_part()
            .upload_id(upload_id)
            .data(data)
            .send()
            .await?
            .into_inner())
    }

    async fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> Result<types::Upload, ApiError> {
        let mut body = types::CompleteUploadRequest::builder().part_ids(part_ids);
        if let Some(md5) = md5 {
            body = body.md5(md5);
        }
        Ok(self
            .complete_upload()
            .upload_id(upload_id)
            .body(body)
            .send()
            .await?
            .into_inner())
    }

    async fn cancel(&self, upload_id: &str) -> Result<types::Upload, ApiError> {
        Ok(self
            .cancel_upload()
            .upload_id(upload_id)
            .send()
            .await?
            .into_inner())
    }
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
        data: PartData,
    ) -> impl Future<Output = Result<types::UploadPart, ApiError>> + Send {
        (**self).put_part(upload_id, data)
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
}
