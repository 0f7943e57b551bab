//! `addUploadPart`, written by hand: progenitor cannot generate `multipart/form-data` bodies.
//!
//! It has the shape of the generated operations (a builder with `send()` returning the same
//! `ResponseValue`/`Error` types) and runs through the same hooks. The `data` field streams from
//! a stream of known length ([`PartData`]), so a 64 MiB part is never held in memory.

use std::fmt;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use progenitor_client::{ClientHooks, Error, OperationInfo, ResponseValue, encode_path};

use crate::{Client, types};

/// The bytes of one part: a stream of chunks and its exact length, declared up front (the
/// multipart request states it). Transport-free: the engine's parts and a fake's are this type
/// too, and only [`AddUploadPart::send`] turns it into an HTTP body.
///
/// The stream is read once, as the request goes out; a retry asks its source for a new one.
pub struct PartData {
    stream: PartStream,
    len: u64,
}

/// The chunks of a part.
type PartStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

impl PartData {
    /// A part of `len` bytes streamed from `stream`, which must yield exactly that many.
    pub fn streamed(
        stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
        len: u64,
    ) -> Self {
        Self {
            stream: Box::pin(stream),
            len,
        }
    }

    /// A part held in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        Self::streamed(futures::stream::once(async move { Ok(bytes) }), len)
    }

    /// The declared length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a zero-length part (which the API refuses).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, for a transport to send.
    pub fn into_stream(self) -> PartStream {
        self.stream
    }

    /// Reads the whole part into memory (for fakes and tests: the engine never does), and
    /// checks the stream gave the declared length.
    pub async fn collect(self) -> io::Result<Vec<u8>> {
        use futures::TryStreamExt;
        let len = self.len;
        let out: Vec<u8> = self
            .stream
            .try_fold(Vec::new(), |mut acc, chunk| async move {
                acc.extend_from_slice(&chunk);
                Ok(acc)
            })
            .await?;
        if out.len() as u64 != len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the part declared {len} bytes but its stream gave {}",
                    out.len()
                ),
            ));
        }
        Ok(out)
    }
}

impl fmt::Debug for PartData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartData").field("len", &self.len).finish()
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
        let body = reqwest::Body::wrap_stream(data.stream);
        let part = reqwest::multipart::Part::stream_with_length(body, data_len)
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
    use super::*;

    #[tokio::test]
    async fn part_data_declares_its_length_and_checks_it() {
        let part = PartData::bytes(vec![1u8, 2, 3]);
        assert_eq!((part.len(), part.is_empty()), (3, false));
        assert_eq!(part.collect().await.unwrap(), [1, 2, 3]);
        assert!(PartData::bytes(Vec::new()).is_empty());
        let chunks =
            || futures::stream::iter([b"ab".as_slice(), b"cde"].map(|c| Ok(Bytes::from_static(c))));
        let streamed = PartData::streamed(chunks(), 5);
        assert_eq!((streamed.len(), streamed.is_empty()), (5, false));
        assert_eq!(streamed.collect().await.unwrap(), b"abcde");
        let short = PartData::streamed(chunks(), 6);
        let err = short.collect().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("declared 6 bytes"), "{err}");
        assert_eq!(
            format!("{:?}", PartData::bytes(vec![0u8; 4])),
            "PartData { len: 4 }"
        );
    }

    #[test]
    fn part_timeouts_allow_slow_links() {
        assert_eq!(super::part_timeout(1024).as_secs(), 600);
        assert_eq!(super::part_timeout(64 * 1024 * 1024).as_secs(), 4096);
    }
}
