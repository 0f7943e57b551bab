//! An object in a store (`object_store`: S3, Azure, GCS, in memory) read by ranges, pinned to
//! the ETag and version seen when it was opened.

use std::io;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt};
use uploads_ext::RangeRead;

use crate::Fetched;
use crate::error::RemoteError;

/// One object of a store, read by ranged GETs that each carry `If-Match` with the ETag seen at
/// the start (and the version id, where the store keeps versions).
pub struct ObjectRange {
    store: Arc<dyn ObjectStore>,
    path: Path,
    url: String,
    meta: ObjectMeta,
    fetched: Fetched,
}

impl std::fmt::Debug for ObjectRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectRange")
            .field("url", &self.url)
            .field("size", &self.meta.size)
            .field("e_tag", &self.meta.e_tag)
            .finish()
    }
}

impl ObjectRange {
    /// Opens `path` in `store` (one HEAD): `url` names it in messages and the manifest.
    pub async fn open(
        store: Arc<dyn ObjectStore>,
        path: Path,
        url: impl Into<String>,
    ) -> Result<Self, RemoteError> {
        let url = url.into();
        let meta = store
            .head(&path)
            .await
            .map_err(|e| RemoteError::store(&url, e))?;
        Ok(Self::from_meta(store, meta, url))
    }

    /// An object whose metadata a listing already gave.
    pub fn from_meta(
        store: Arc<dyn ObjectStore>,
        meta: ObjectMeta,
        url: impl Into<String>,
    ) -> Self {
        Self {
            store,
            path: meta.location.clone(),
            url: url.into(),
            meta,
            fetched: Fetched::default(),
        }
    }

    /// Counts the bytes its reads fetch into `fetched` (shared with other sources).
    pub fn counting(mut self, fetched: Fetched) -> Self {
        self.fetched = fetched;
        self
    }

    /// The object's metadata when it was opened.
    pub fn meta(&self) -> &ObjectMeta {
        &self.meta
    }
}

impl RangeRead for ObjectRange {
    fn len(&self) -> u64 {
        self.meta.size
    }

    fn location(&self) -> &str {
        &self.url
    }

    fn version(&self) -> Option<&str> {
        self.meta.e_tag.as_deref().or(self.meta.version.as_deref())
    }

    fn read(&self, range: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
        Box::pin(async move {
            let options = GetOptions {
                if_match: self.meta.e_tag.clone(),
                version: self.meta.version.clone(),
                range: Some(GetRange::Bounded(range.clone())),
                ..GetOptions::default()
            };
            let got = self.store.get_opts(&self.path, options).await;
            let bytes = match got {
                Ok(result) => result.bytes().await,
                Err(e) => Err(e),
            }
            .map_err(|e| self.read_error(&range, e))?;
            self.fetched.add(bytes.len() as u64);
            Ok(bytes)
        })
    }
}

impl ObjectRange {
    fn read_error(&self, range: &Range<u64>, e: object_store::Error) -> io::Error {
        match e {
            object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. } => {
                crate::changed(&self.url, self.version())
            }
            other => io::Error::other(format!(
                "{}: the store failed reading bytes {}..{} (after its own retries): {other}",
                self.url, range.start, range.end
            )),
        }
    }
}
