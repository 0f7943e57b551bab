//! Sources read by ranges for the upload engine: objects in S3, Azure Blob Storage and Google
//! Cloud Storage (through `object_store`) and files behind HTTP(S) URLs, presigned ones
//! included.
//!
//! Each is a [`RangeRead`] the engine's [`Source::ranged`](uploads_ext::Source::ranged) reads
//! front to back with blocks fetched ahead in parallel: every byte is fetched once, memory
//! stays bounded, nothing goes to local disk, and every read is pinned to the version seen at
//! the start. A store a program already has is read with [`ObjectRange::open`].
#![warn(missing_docs, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use uploads_ext::RangeRead;

mod error;
mod http;
mod location;
mod object;

pub use error::RemoteError;
pub use http::HttpRange;
pub use location::{Scheme, StoreOptions, is_remote, scheme_of, shown};
pub use object::ObjectRange;
pub use object_store;

/// Bytes fetched from the stores, shared by the sources that count into it: what a run cost
/// in egress.
#[derive(Clone, Debug, Default)]
pub struct Fetched(Arc<AtomicU64>);

impl Fetched {
    /// Bytes fetched so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// The error of a read refused because the object is not the one opened: the engine cancels
/// the upload on it.
pub(crate) fn changed(url: &str, version: Option<&str>) -> std::io::Error {
    let seen = version.map_or_else(String::new, |v| format!(" (it was {v})"));
    uploads_ext::SourceChanged(format!(
        "{url} changed since the upload started{seen}: no File mixes two versions; run the command again to upload the object as it is now"
    ))
    .into_io()
}

/// One object found at a URL.
pub struct Found {
    /// Its URL.
    pub url: String,
    /// Its path under the prefix listed (its name, for one object named).
    pub relative: String,
    /// Its reader.
    pub reader: Arc<dyn RangeRead>,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("url", &self.url)
            .field("bytes", &self.reader.len())
            .finish()
    }
}

/// The store a `s3://`, `az://` or `gs://` URL names (built from each store's environment
/// and `options`), and the object path or prefix in it.
pub fn store_for(
    url: &str,
    options: &StoreOptions,
) -> Result<(Arc<dyn object_store::ObjectStore>, object_store::path::Path), RemoteError> {
    let at = location::store_for(url, options)?;
    Ok((at.store, at.path))
}

/// True if `url` names a prefix to list rather than one object: it ends with `/`, or names a
/// bucket or container with no key.
pub fn is_prefix(url: &str) -> bool {
    if scheme_of(url) == Some(Scheme::Http) {
        return false;
    }
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    url.ends_with('/') || !rest.contains('/')
}

/// What `url` names, opened: one object (a HEAD, or the first byte of an HTTP(S) URL), or
/// every object under a prefix (one listing, sorted by path). Reads count into `fetched`.
pub async fn find(
    url: &str,
    options: &StoreOptions,
    fetched: &Fetched,
) -> Result<Vec<Found>, RemoteError> {
    if scheme_of(url) == Some(Scheme::Http) {
        let reader = HttpRange::open(http_client()?, url)
            .await?
            .counting(fetched.clone());
        let shown_url = shown(url);
        let relative = shown_url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        return Ok(vec![Found {
            url: shown_url,
            relative,
            reader: Arc::new(reader),
        }]);
    }
    let at = location::store_for(url, options)?;
    if !is_prefix(url) {
        let reader = ObjectRange::open(at.store, at.path.clone(), url)
            .await?
            .counting(fetched.clone());
        return Ok(vec![Found {
            url: url.to_owned(),
            relative: at.path.filename().unwrap_or_default().to_owned(),
            reader: Arc::new(reader),
        }]);
    }
    let prefix = (!at.path.as_ref().is_empty()).then_some(&at.path);
    let mut metas: Vec<_> = at
        .store
        .list(prefix)
        .try_collect()
        .await
        .map_err(|e| RemoteError::store(url, e))?;
    metas.sort_by(|a, b| a.location.cmp(&b.location));
    let base = at.path.as_ref();
    Ok(metas
        .into_iter()
        .map(|meta| {
            let key = meta.location.as_ref().to_owned();
            let relative = key
                .strip_prefix(base)
                .map_or(key.as_str(), |r| r.trim_start_matches('/'))
                .to_owned();
            let object_url = format!("{}/{key}", at.root);
            let reader = ObjectRange::from_meta(at.store.clone(), meta, object_url.clone())
                .counting(fetched.clone());
            Found {
                url: object_url,
                relative,
                reader: Arc::new(reader),
            }
        })
        .collect())
}

/// The client for HTTP(S) sources: rustls, the proxy variables obeyed, a connect and read
/// deadline so a dead server fails rather than hangs.
fn http_client() -> Result<reqwest::Client, RemoteError> {
    uploads_client::install_tls_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| RemoteError::Store {
            url: "https".into(),
            message: format!("building the HTTP client: {e}"),
        })
}
