//! An API that sends nothing: for planning uploads (a dry run) with no client and no key.

use uploads_client::rules::Purpose;
use uploads_client::{ApiError, PartData, types};

use super::protocol::{CreateRequest, FilePage, UploadApi};

/// An [`UploadApi`] with no server behind it: [`prepare`](crate::UploadBuilder::prepare)
/// works as against a real one (nothing it does sends a request), and every call fails
/// without a request. A dry run plans through it, so it needs no client and no key.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offline;

fn refused() -> ApiError {
    ApiError::InvalidRequest("offline: this uploader plans uploads and sends nothing".into())
}

impl UploadApi for Offline {
    fn endpoint(&self) -> String {
        "offline:".into()
    }

    async fn create(&self, _req: CreateRequest) -> Result<types::Upload, ApiError> {
        Err(refused())
    }

    async fn put_part(
        &self,
        _upload_id: &str,
        _data: PartData,
    ) -> Result<types::UploadPart, ApiError> {
        Err(refused())
    }

    async fn complete(
        &self,
        _upload_id: &str,
        _part_ids: Vec<String>,
        _md5: Option<String>,
    ) -> Result<types::Upload, ApiError> {
        Err(refused())
    }

    async fn cancel(&self, _upload_id: &str) -> Result<types::Upload, ApiError> {
        Err(refused())
    }

    async fn list_files(
        &self,
        _purpose: &Purpose,
        _after: Option<&str>,
    ) -> Result<FilePage, ApiError> {
        Err(refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_fails_without_a_request() {
        let api = std::sync::Arc::new(Offline);
        // Through an `Arc`, every call is the inner API's.
        assert_eq!(api.endpoint(), "offline:");
        let req = CreateRequest::new("a.jsonl", Purpose::Batch, 1, "text/jsonl");
        let errors = [
            api.create(req).await.unwrap_err(),
            api.put_part("u", PartData::bytes(&b"x"[..]))
                .await
                .unwrap_err(),
            api.complete("u", vec![], None).await.unwrap_err(),
            api.cancel("u").await.unwrap_err(),
            api.list_files(&Purpose::Batch, None).await.unwrap_err(),
        ];
        for e in errors {
            assert!(e.to_string().contains("offline"), "{e}");
        }
    }
}
