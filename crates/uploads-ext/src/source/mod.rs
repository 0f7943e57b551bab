//! Where an upload's bytes come from: a file (or a region of one), bytes in memory, any
//! seekable async reader, a stream read once ([`stream`]), or an object read by ranges
//! ([`ranged`]).
//!
//! Each part is opened as its own stream over its byte range, so parts can go in parallel, a
//! retry re-reads its part from the source (which makes retrying a streamed body safe), and no
//! part is ever held in memory whole.

use std::fmt;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

pub(crate) mod ranged;
pub(crate) mod stream;

pub use ranged::{Prefetch, RangeRead, Remote, SourceChanged};
use stream::StreamSource;

/// Bytes read from a source per chunk: small enough that memory per part in flight stays
/// bounded, large enough that syscalls do not dominate.
pub const CHUNK: usize = 256 * 1024;

/// A reader of known length that can seek: what a [`Source::reader`] opens for each part.
pub trait SeekableReader: AsyncRead + AsyncSeek + Send + Unpin {}
impl<T: AsyncRead + AsyncSeek + Send + Unpin> SeekableReader for T {}

type Opener =
    Arc<dyn Fn() -> BoxFuture<'static, io::Result<Box<dyn SeekableReader>>> + Send + Sync>;

/// The bytes of one upload.
#[derive(Clone)]
pub struct Source {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    /// A file, or the region `offset..offset + len` of one.
    File {
        path: PathBuf,
        region: Option<(u64, u64)>,
    },
    Bytes(Bytes),
    Reader {
        open: Opener,
        len: u64,
    },
    Stream(Arc<StreamSource>),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::File { path, region: None } => f.debug_tuple("Source::File").field(path).finish(),
            Kind::File {
                path,
                region: Some((offset, len)),
            } => write!(f, "Source::File({path:?}, {len} bytes at {offset})"),
            Kind::Bytes(b) => write!(f, "Source::Bytes({} bytes)", b.len()),
            Kind::Reader { len, .. } => write!(f, "Source::Reader({len} bytes)"),
            Kind::Stream(s) => match s.remote() {
                Some(r) => write!(f, "Source::Ranged({}, {} bytes)", r.location, s.len()),
                None => write!(f, "Source::Stream({} bytes)", s.len()),
            },
        }
    }
}

/// What identifies a source's contents between runs: a resume needs the same path, size and
/// modification time, and an upload is refused if they change before it completes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The canonical path, for a file.
    pub path: Option<PathBuf>,
    /// The region of the file (offset, length), for a part of one.
    pub region: Option<(u64, u64)>,
    /// The size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: Option<i128>,
    /// For an object read by ranges: its URL and version.
    pub remote: Option<Remote>,
}

impl Source {
    /// The file at `path`, read part by part.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::File {
                path: path.into(),
                region: None,
            },
        }
    }

    /// The `len` bytes of the file at `path` from `offset`: one piece of a file cut in
    /// several, read in place (no copy). Its journal is its own.
    pub fn file_region(path: impl Into<PathBuf>, offset: u64, len: u64) -> Self {
        Self {
            kind: Kind::File {
                path: path.into(),
                region: Some((offset, len)),
            },
        }
    }

    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self {
            kind: Kind::Bytes(bytes.into()),
        }
    }

    /// A source of `len` bytes read through `open`, called once per part (and for the md5), so
    /// each part gets a reader of its own to seek.
    pub fn reader<F, Fut, R>(len: u64, open: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<R>> + Send + 'static,
        R: SeekableReader + 'static,
    {
        let open: Opener = Arc::new(move || {
            let fut = open();
            Box::pin(async move { fut.await.map(|r| Box::new(r) as Box<dyn SeekableReader>) })
        });
        Self {
            kind: Kind::Reader { open, len },
        }
    }

    /// `len` bytes read once from `reader` (stdin, a pipe, a socket), in order. Each part is
    /// held in memory from when it is read until the server stores it, so memory is the parts
    /// in flight times the part size; nothing can be resumed, so any stop cancels the upload.
    /// A stream that ends early or goes on past `len` fails (and cancels) the upload.
    pub fn stream(reader: impl AsyncRead + Send + Unpin + 'static, len: u64) -> Self {
        Self {
            kind: Kind::Stream(Arc::new(StreamSource::new(Box::new(reader), len))),
        }
    }

    /// The object `reader` reads, fetched `prefetch.ahead` blocks at a time ahead of one
    /// in-order pass: each byte is fetched once and feeds its part, the md5 and the content
    /// check. Parts are held in memory as a stream's are (the parts in flight times the part
    /// size, plus the blocks ahead); nothing goes to disk. With a journal, a stop leaves the
    /// upload to resume (keyed by URL, refused if the version changed), and the resumed pass
    /// reads the parts already stored once more, for the md5 and the check, holding none;
    /// without one a stop cancels it. A read that fails (the object replaced since it was
    /// opened) stops the upload, which is then cancelled.
    pub fn ranged(reader: std::sync::Arc<dyn RangeRead>, prefetch: Prefetch) -> Self {
        let len = reader.len();
        let remote = Remote {
            location: reader.location().to_owned(),
            version: reader.version().map(str::to_owned),
        };
        let pass = ranged::InOrder::new(reader, prefetch);
        Self {
            kind: Kind::Stream(Arc::new(
                StreamSource::new(Box::new(pass), len).of_remote(remote),
            )),
        }
    }

    /// False for a stream: its bytes cannot be read again, so an interrupted upload of it
    /// cannot be resumed.
    pub fn is_replayable(&self) -> bool {
        !matches!(self.kind, Kind::Stream(_))
    }

    /// True if a stopped upload of it can be resumed by a later run: a file, a reader, an
    /// object read by ranges (pinned to its version); not a stream, which cannot be read again.
    pub fn is_resumable(&self) -> bool {
        match &self.kind {
            Kind::Stream(s) => s.remote().is_some(),
            _ => true,
        }
    }

    /// The stream, for a stream source.
    pub(crate) fn as_stream(&self) -> Option<&StreamSource> {
        match &self.kind {
            Kind::Stream(s) => Some(s),
            _ => None,
        }
    }

    /// Lets go of a stored part's bytes (a stream holds them until then).
    pub(crate) fn release(&self, offset: u64, len: u64) {
        if let Kind::Stream(s) = &self.kind {
            s.release(offset, len);
        }
    }

    /// Bytes this source holds in memory now: for a stream or an object read by ranges, the
    /// parts read and not yet stored (bounded by the parts in flight); 0 for other sources,
    /// which are read again for each attempt instead of held.
    pub fn held_bytes(&self) -> u64 {
        self.as_stream().map_or(0, StreamSource::held_bytes)
    }

    /// The file's path, for a file source.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// For a file: its path and where the source starts in it.
    pub(crate) fn file_start(&self) -> Option<(&Path, u64)> {
        match &self.kind {
            Kind::File { path, region } => Some((path, region.map_or(0, |(offset, _)| offset))),
            _ => None,
        }
    }

    /// Size and, for files, canonical path and modification time.
    pub async fn identity(&self) -> io::Result<Identity> {
        match &self.kind {
            Kind::File { path, region } => {
                let meta = tokio::fs::metadata(path).await?;
                let size = match *region {
                    None => meta.len(),
                    Some((offset, len)) if offset.saturating_add(len) <= meta.len() => len,
                    Some((offset, len)) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "the file is {} bytes, too short for {len} bytes at {offset}",
                                meta.len()
                            ),
                        ));
                    }
                };
                let mtime_ns = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos() as i128);
                let canonical = tokio::fs::canonicalize(path).await?;
                Ok(Identity {
                    path: Some(canonical),
                    region: *region,
                    size,
                    mtime_ns,
                    remote: None,
                })
            }
            Kind::Bytes(b) => Ok(Identity {
                path: None,
                region: None,
                size: b.len() as u64,
                mtime_ns: None,
                remote: None,
            }),
            Kind::Reader { len, .. } => Ok(Identity {
                path: None,
                region: None,
                size: *len,
                mtime_ns: None,
                remote: None,
            }),
            // An object found replaced mid-read is not itself any more.
            Kind::Stream(s) if s.changed().is_some() => {
                Err(io::Error::other(s.changed().unwrap_or_default()))
            }
            Kind::Stream(s) => Ok(Identity {
                path: None,
                region: None,
                size: s.len(),
                mtime_ns: None,
                remote: s.remote().cloned(),
            }),
        }
    }

    /// A stream of the bytes in `offset..offset + len`, in chunks of at most [`CHUNK`]. It fails
    /// with `UnexpectedEof` if the source ends early (a file truncated under us).
    pub async fn range(
        &self,
        offset: u64,
        len: u64,
    ) -> io::Result<Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>> {
        let reader: Box<dyn SeekableReader> = match &self.kind {
            Kind::Bytes(b) => {
                let start = offset.min(b.len() as u64) as usize;
                let end = (offset + len).min(b.len() as u64) as usize;
                return Ok(Box::pin(exact(chunked(b.slice(start..end)), len)));
            }
            Kind::File { path, region } => {
                let mut file = tokio::fs::File::open(path).await?;
                let start = region.map_or(0, |(o, _)| o);
                file.seek(SeekFrom::Start(start + offset)).await?;
                let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), CHUNK);
                return Ok(Box::pin(exact(stream, len)));
            }
            Kind::Reader { open, .. } => open().await?,
            Kind::Stream(s) => {
                return Ok(Box::pin(chunked(s.range(offset, len).await?)));
            }
        };
        let mut reader = reader;
        reader.seek(SeekFrom::Start(offset)).await?;
        let stream = tokio_util::io::ReaderStream::with_capacity(reader.take(len), CHUNK);
        Ok(Box::pin(exact(stream, len)))
    }
}

/// Bytes in memory as a stream of [`CHUNK`]-sized slices (no copy).
fn chunked(bytes: Bytes) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let chunks: Vec<io::Result<Bytes>> = (0..bytes.len())
        .step_by(CHUNK)
        .map(|i| Ok(bytes.slice(i..(i + CHUNK).min(bytes.len()))))
        .collect();
    futures::stream::iter(chunks)
}

/// Passes a stream through and fails it if it yields fewer than `len` bytes.
fn exact(
    stream: impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send {
    futures::stream::unfold(
        (Box::pin(stream), 0u64, false),
        move |(mut s, seen, done)| async move {
            if done {
                return None;
            }
            match s.next().await {
                Some(Ok(b)) => {
                    let seen = seen + b.len() as u64;
                    Some((Ok(b), (s, seen, false)))
                }
                Some(Err(e)) => Some((Err(e), (s, seen, true))),
                None if seen < len => {
                    let e = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the source ended after {seen} of {len} bytes: was the file truncated?"
                        ),
                    );
                    Some((Err(e), (s, seen, true)))
                }
                None => None,
            }
        },
    )
}

impl Source {
    /// The md5 of the first `len` bytes of the source (all of a stream), as the lowercase hex
    /// the API takes. The engine computes it in one pass with the content check (see `scan`);
    /// this is the simple form, for callers that verify what was stored.
    pub async fn md5_hex(&self, len: u64) -> io::Result<String> {
        use md5::{Digest, Md5};
        if let Kind::Stream(s) = &self.kind {
            return s
                .digest()
                .await?
                .md5
                .ok_or_else(|| io::Error::other("the stream was not read to its end"));
        }
        let mut hasher = Md5::new();
        let mut stream = self.range(0, len).await?;
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        Ok(format!("{:x}", hasher.finalize()))
    }
}

#[cfg(test)]
mod tests;
