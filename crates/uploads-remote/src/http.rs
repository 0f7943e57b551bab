//! A file behind an HTTP(S) URL (public, or presigned with its query kept) read by ranged
//! GETs, pinned by `If-Match` on the ETag of the first answer (or `If-Unmodified-Since` on its
//! `Last-Modified` where it gives no ETag).

use std::io;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderMap, StatusCode, header};
use uploads_ext::RangeRead;

use crate::Fetched;
use crate::error::RemoteError;
use crate::location::shown;

/// Attempts per ranged read: connection failures, 5xx and 429 are tried again.
const ATTEMPTS: u32 = 5;

/// A file read by ranged GETs.
pub struct HttpRange {
    client: reqwest::Client,
    /// The URL as given: its query (a presigned signature) is sent, never shown.
    url: String,
    shown: String,
    len: u64,
    e_tag: Option<String>,
    last_modified: Option<String>,
    fetched: Fetched,
}

impl std::fmt::Debug for HttpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRange")
            .field("url", &self.shown)
            .field("len", &self.len)
            .field("e_tag", &self.e_tag)
            .finish()
    }
}

impl HttpRange {
    /// Opens `url` with one `GET` of its first byte (a presigned URL allows GET, not HEAD):
    /// the answer gives its size and ETag.
    pub async fn open(
        client: reqwest::Client,
        url: impl Into<String>,
    ) -> Result<Self, RemoteError> {
        let url = url.into();
        let shown = shown(&url);
        let response = send(&client, &url, "bytes=0-0", &HeaderMap::new(), &shown)
            .await
            .map_err(|e| RemoteError::Store {
                url: shown.clone(),
                message: e.to_string(),
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let len = match status {
            StatusCode::PARTIAL_CONTENT => {
                total_of(&headers).ok_or_else(|| RemoteError::NoRanges {
                    url: shown.clone(),
                    why: "a 206 without the total size in Content-Range".into(),
                })?
            }
            // An empty file has no byte 0.
            StatusCode::RANGE_NOT_SATISFIABLE => total_of(&headers).unwrap_or(0),
            StatusCode::OK => {
                return Err(RemoteError::NoRanges {
                    url: shown,
                    why: "it answered 200 with the whole file to a Range request".into(),
                });
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return Err(RemoteError::NotFound { url: shown });
            }
            s => {
                return Err(RemoteError::Http {
                    url: shown,
                    status: s.as_u16(),
                    hint: match s {
                        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => {
                            ": not allowed (an expired presigned URL? sign a new one)"
                        }
                        _ => "",
                    },
                });
            }
        };
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Self {
            client,
            url,
            shown,
            len,
            e_tag: text(header::ETAG).filter(|e| !e.starts_with("W/")),
            last_modified: text(header::LAST_MODIFIED),
            fetched: Fetched::default(),
        })
    }

    /// Counts the bytes its reads fetch into `fetched`.
    pub fn counting(mut self, fetched: Fetched) -> Self {
        self.fetched = fetched;
        self
    }

    fn pins(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = self.e_tag.as_deref().and_then(|e| e.parse().ok()) {
            h.insert(header::IF_MATCH, v);
        } else if let Some(v) = self.last_modified.as_deref().and_then(|t| t.parse().ok()) {
            h.insert(header::IF_UNMODIFIED_SINCE, v);
        }
        h
    }

    async fn read_range(&self, range: Range<u64>) -> io::Result<Bytes> {
        let spec = format!("bytes={}-{}", range.start, range.end - 1);
        let want = range.end - range.start;
        let fail = |what: String| {
            io::Error::other(format!(
                "{}: reading bytes {}..{}: {what}",
                self.shown, range.start, range.end
            ))
        };
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=ATTEMPTS {
            let last = attempt == ATTEMPTS;
            let response = match send(&self.client, &self.url, &spec, &self.pins(), &self.shown)
                .await
            {
                Ok(r) => r,
                Err(e) if !last => {
                    tracing::debug!(url = %self.shown, attempt, error = %e, "ranged read failed; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    continue;
                }
                Err(e) => return Err(fail(format!("{e} (after {ATTEMPTS} attempts)"))),
            };
            let status = response.status();
            if status == StatusCode::PRECONDITION_FAILED {
                return Err(crate::changed(&self.shown, self.version()));
            }
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                if last {
                    return Err(fail(format!("HTTP {status} (after {ATTEMPTS} attempts)")));
                }
                tokio::time::sleep(delay).await;
                delay *= 2;
                continue;
            }
            if status != StatusCode::PARTIAL_CONTENT {
                return Err(fail(format!("HTTP {status} where a 206 was expected")));
            }
            if let Some((start, end)) = range_of(response.headers())
                && (start, end) != (range.start, range.end - 1)
            {
                return Err(fail(format!("the server sent bytes {start}-{end}")));
            }
            match response.bytes().await {
                Ok(b) if b.len() as u64 == want => {
                    self.fetched.add(want);
                    return Ok(b);
                }
                Ok(b) => return Err(fail(format!("got {} of {want} bytes", b.len()))),
                Err(e) if !last => {
                    tracing::debug!(url = %self.shown, attempt, error = %e, "ranged read cut; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(e) => return Err(fail(format!("{e} (after {ATTEMPTS} attempts)"))),
            }
        }
        Err(fail("no attempt left".into()))
    }
}

impl RangeRead for HttpRange {
    fn len(&self) -> u64 {
        self.len
    }

    fn location(&self) -> &str {
        &self.shown
    }

    fn version(&self) -> Option<&str> {
        self.e_tag.as_deref().or(self.last_modified.as_deref())
    }

    fn read(&self, range: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
        Box::pin(self.read_range(range))
    }
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    range: &str,
    extra: &HeaderMap,
    shown: &str,
) -> Result<reqwest::Response, String> {
    client
        .get(url)
        .header(header::RANGE, range)
        // Bytes as stored: a compressed answer's ranges would not be the file's.
        .header(header::ACCEPT_ENCODING, "identity")
        .headers(extra.clone())
        .send()
        .await
        // reqwest's message holds the URL, query included: say it our way.
        .map_err(|e| format!("{shown}: {}", e.without_url()))
}

/// The total size in `Content-Range: bytes a-b/TOTAL` (or `bytes */TOTAL`).
fn total_of(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    v.rsplit_once('/')?.1.trim().parse().ok()
}

/// The first and last byte in `Content-Range: bytes a-b/TOTAL`.
fn range_of(headers: &HeaderMap) -> Option<(u64, u64)> {
    let v = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (a, b) = v
        .strip_prefix("bytes ")?
        .split_once('/')?
        .0
        .split_once('-')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}
