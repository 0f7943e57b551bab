//! `addUploadPart`, written by hand: progenitor cannot generate `multipart/form-data` bodies.
//!
//! It has the shape of the generated operations (a builder with `send()` returning the same
//! `ResponseValue`/`Error` types) and runs through the same hooks. The `data` field streams from
//! any [`reqwest::Body`] of known length, so a 64 MiB part is never held in memory.

use progenitor_client::{ClientHooks, Error, OperationInfo, ResponseValue, encode_path};

use crate::{Client, types};

/// The bytes of one part: a body and its exact length (the multipart request declares it).
#[derive(Debug)]
pub struct PartData {
    body: reqwest::Body,
    len: u64,
}

impl PartData {
    /// A part streamed from `body`, which must yield exactly `len` bytes.
    pub fn streamed(body: impl Into<reqwest::Body>, len: u64) -> Self {
        Self {
            body: body.into(),
            len,
        }
    }

    /// A part held in memory.
    pub fn bytes(bytes: impl Into<bytes::Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            len: bytes.len() as u64,
            body: bytes.into(),
        }
    }

    /// The body and its declared length, for an alternative transport (or a test fake).
    pub fn into_parts(self) -> (reqwest::Body, u64) {
        (self.body, self.len)
    }

    /// The declared length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for zero bytes (which the API refuses).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The slowest link a part may take before its request times out: 16 KiB/s.
const SLOWEST_BYTES_PER_SEC: u64 = 16 * 1024;

/// A part's whole-request timeout: the client's usual timeout is sized for JSON calls, but a
/// 64 MiB part on a slow link takes longer; this allows it down to 16 KiB/s (about 68 minutes
/// for 64 MiB, longer than an Upload lives) and never less than 10 minutes.
pub fn part_timeout(len: u64) -> std::time::Duration {
    std::time::Duration::from_secs((len / SLOWEST_BYTES_PER_SEC).max(600))
}

impl Client {
    /// Adds a Part to an Upload: `POST /uploads/{upload_id}/parts`, multipart field `data`.
    ///
    /// Parts may be sent in parallel; `completeUpload` puts them in order.
    pub fn add_upload_part(&self) -> AddUploadPart<'_> {
        AddUploadPart {
            client: self,
            upload_id: None,
            data: None,
        }
    }
}

/// Builder for [`Client::add_upload_part`].
#[derive(Debug)]
pub struct AddUploadPart<'a> {
    client: &'a Client,
    upload_id: Option<String>,
    data: Option<PartData>,
}

impl AddUploadPart<'_> {
    /// The Upload the part belongs to.
    pub fn upload_id(mut self, id: impl Into<String>) -> Self {
        self.upload_id = Some(id.into());
        self
    }

    /// The part's bytes.
    pub fn data(mut self, data: PartData) -> Self {
        self.data = Some(data);
        self
    }

    /// Sends a `POST` request to `/uploads/{upload_id}/parts`.
    pub async fn send(
        self,
    ) -> Result<ResponseValue<types::UploadPart>, Error<types::ErrorResponse>> {
        let Self {
            client,
            upload_id,
            data,
        } = self;
        let upload_id = upload_id
            .ok_or_else(|| Error::InvalidRequest("upload_id was not initialized".into()))?;
        let data = data.ok_or_else(|| Error::InvalidRequest("data was not initialized".into()))?;
        let url = format!(
            "{}/uploads/{}/parts",
            client.baseurl,
            encode_path(&upload_id)
        );
        let data_len = data.len;
        let part = reqwest::multipart::Part::stream_with_length(data.body, data.len)
            .file_name("data")
            .mime_str("application/octet-stream")
            .map_err(Error::CommunicationError)?;
        let form = reqwest::multipart::Form::new().part("data", part);
        let mut request = client
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(part_timeout(data_len))
            .multipart(form)
            .build()?;
        let info = OperationInfo {
            operation_id: "add_upload_part",
        };
        client.pre(&mut request, &info).await?;
        let result = client.exec(request, &info).await;
        client.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200 => ResponseValue::from_response(response).await,
            400..=599 => Err(Error::ErrorResponse(
                ResponseValue::from_response(response).await?,
            )),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PartData;

    #[test]
    fn part_data_declares_its_length() {
        let part = PartData::bytes(vec![1u8, 2, 3]);
        assert_eq!((part.len(), part.is_empty()), (3, false));
        let (body, len) = part.into_parts();
        assert_eq!((body.as_bytes(), len), (Some(&[1u8, 2, 3][..]), 3));
        assert!(PartData::bytes(Vec::new()).is_empty());
        let streamed = PartData::streamed(vec![0u8; 5], 5);
        assert_eq!((streamed.len(), streamed.is_empty()), (5, false));
    }

    #[test]
    fn part_timeouts_allow_slow_links() {
        assert_eq!(super::part_timeout(1024).as_secs(), 600);
        assert_eq!(super::part_timeout(64 * 1024 * 1024).as_secs(), 4096);
    }
}
