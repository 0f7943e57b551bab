//! The protocol steps of an upload, as a small trait the orchestration runs against.
//!
//! The trait speaks in the engine's own terms ([`PartBody`], [`CreateRequest`]) and the
//! generated types, not in a transport's: `uploads_client::Client` implements it in
//! [`client`], wrapping a part's stream into an HTTP body; tests use in-memory fakes.

mod client;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use uploads_client::{ApiError, types};

/// What `create` needs.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CreateRequest {
    /// The name the File will get.
    pub filename: String,
    /// What the File is for (`batch`, `fine-tune`, ...).
    pub purpose: String,
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
        purpose: impl Into<String>,
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

/// The bytes of one part: a stream of chunks and its exact length, declared up front.
///
/// The stream is read once, as the request goes out; a retry asks the source for a new one.
pub struct PartBody {
    stream: Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>,
    len: u64,
}

impl PartBody {
    /// A part of `len` bytes streamed from `stream`, which must yield exactly that many.
    pub fn new(stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static, len: u64) -> Self {
        Self {
            stream: Box::pin(stream),
            len,
        }
    }

    /// A part held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let len = bytes.len() as u64;
        Self::new(futures::stream::once(async move { Ok(bytes) }), len)
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
    pub fn into_stream(self) -> Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>> {
        self.stream
    }

    /// Reads the whole part into memory (for fakes and tests: the engine never does).
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

impl fmt::Debug for PartBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartBody").field("len", &self.len).finish()
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
        body: PartBody,
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
        purpose: &str,
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
        body: PartBody,
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
        purpose: &str,
        after: Option<&str>,
    ) -> impl Future<Output = Result<FilePage, ApiError>> + Send {
        (**self).list_files(purpose, after)
    }
}
