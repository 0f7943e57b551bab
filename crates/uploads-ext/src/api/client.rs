//! [`UploadApi`] for the generated client: the only place the engine meets HTTP.

use uploads_client::rules::Purpose;
use uploads_client::{ApiError, Client, ClientInfo, PartData, types};

use super::protocol::{CreateRequest, FilePage, UploadApi};

/// Files per page when looking for a File: enough that one page usually does.
const FILES_PER_PAGE: u32 = 100;

impl UploadApi for Client {
    fn endpoint(&self) -> String {
        self.baseurl().to_owned()
    }

    async fn create(&self, req: CreateRequest) -> Result<types::Upload, ApiError> {
        let purpose = types::UploadPurpose::from(&req.purpose);
        let mut body = types::CreateUploadRequest::builder()
            .filename(req.filename)
            .purpose(purpose)
            .bytes(i64::try_from(req.bytes).unwrap_or(i64::MAX))
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

    async fn list_files(
        &self,
        purpose: &Purpose,
        after: Option<&str>,
    ) -> Result<FilePage, ApiError> {
        let mut request = self
            .list_files()
            .purpose(purpose.as_str())
            .order(types::ListFilesOrder::Desc)
            .limit(i64::from(FILES_PER_PAGE));
        if let Some(after) = after {
            request = request.after(after);
        }
        let page = request.send().await?.into_inner();
        Ok(FilePage::new(page.data, page.has_more))
    }
}
