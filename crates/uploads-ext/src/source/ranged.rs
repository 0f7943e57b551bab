//! A source read by byte ranges (an object in S3, Azure or GCS, a file behind HTTPS): blocks
//! are fetched ahead in parallel and handed on in order, so the one in-order pass that feeds
//! the parts, the md5 and the content check reads each byte once, with memory bounded by the
//! blocks ahead.
//!
//! The engine knows no store or protocol: a [`RangeRead`] says how to read a range, and the
//! crate `uploads-remote` has them for `object_store` and plain HTTP.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, StreamExt};
use tokio::io::{AsyncRead, ReadBuf};

/// Reads byte ranges of one object whose size and version were fixed when it was opened.
///
/// An implementation pins the object: every read asks for the version seen at the start (an
/// `If-Match` on its ETag, or its version id), so an object replaced mid-upload fails the read
/// instead of mixing two versions in one File.
pub trait RangeRead: Send + Sync + 'static {
    /// Its size in bytes, when it was opened.
    fn len(&self) -> u64;

    /// True if it holds no byte.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where it is, as a URL: names it in messages, the manifest and the progress display.
    fn location(&self) -> &str;

    /// What pins its contents (an ETag or a version id), if its store gives one.
    fn version(&self) -> Option<&str>;

    /// The bytes in `range`, every one of them: fewer is an error.
    fn read(&self, range: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>>;
}

/// What a [`RangeRead`] fails with when its object is no longer the version it opened: the
/// upload is then cancelled, not kept to resume (a resume would be refused anyway).
#[derive(Debug)]
pub struct SourceChanged(pub String);

impl fmt::Display for SourceChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SourceChanged {}

impl SourceChanged {
    /// As an I/O error, which a [`RangeRead`] returns.
    pub fn into_io(self) -> io::Error {
        io::Error::other(self)
    }

    /// True if `e` says its object changed.
    pub(crate) fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<Self>())
    }
}

/// Where a source read by ranges lives, for its [`Identity`](super::Identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// The URL it was opened by.
    pub location: String,
    /// Its ETag or version id when it was opened, if its store gives one.
    pub version: Option<String>,
}

/// How far ahead a source read by ranges is fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefetch {
    /// Bytes per ranged read.
    pub block: u64,
    /// Reads in flight ahead of the in-order pass: memory is about `block × ahead` on top of
    /// the parts in flight.
    pub ahead: usize,
}

impl Default for Prefetch {
    /// 4 MiB blocks, 4 ahead (16 MiB): one stream from a store gives tens of MB/s, four keep
    /// ahead of an upload to OpenAI, and many objects at once stay within a few hundred MiB.
    fn default() -> Self {
        Self {
            block: 4 << 20,
            ahead: 4,
        }
    }
}

/// The object read front to back: `ahead` ranged reads in flight, their bytes given out in
/// order.
pub(crate) struct InOrder {
    reader: Arc<dyn RangeRead>,
    prefetch: Prefetch,
    /// Where the next read to start begins.
    next: u64,
    pending: FuturesOrdered<BoxFuture<'static, io::Result<Bytes>>>,
    /// Blocks arrived, not yet given out.
    current: VecDeque<Bytes>,
}

impl fmt::Debug for InOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InOrder")
            .field("location", &self.reader.location())
            .field("next", &self.next)
            .finish()
    }
}

impl InOrder {
    pub(crate) fn new(reader: Arc<dyn RangeRead>, prefetch: Prefetch) -> Self {
        Self {
            reader,
            prefetch: Prefetch {
                block: prefetch.block.max(1),
                ahead: prefetch.ahead.max(1),
            },
            next: 0,
            pending: FuturesOrdered::new(),
            current: VecDeque::new(),
        }
    }

    /// Starts reads until `ahead` are in flight or the object is all asked for.
    fn top_up(&mut self) {
        let len = self.reader.len();
        while self.pending.len() < self.prefetch.ahead && self.next < len {
            let range = self.next..(self.next + self.prefetch.block).min(len);
            self.next = range.end;
            let reader = self.reader.clone();
            self.pending.push_back(Box::pin(async move {
                let want = range.end - range.start;
                let bytes = reader.read(range.clone()).await?;
                if bytes.len() as u64 != want {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "{}: asked for bytes {}..{}, got {} bytes",
                            reader.location(),
                            range.start,
                            range.end,
                            bytes.len()
                        ),
                    ));
                }
                Ok(bytes)
            }));
        }
    }
}

impl AsyncRead for InOrder {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some(block) = this.current.front_mut() {
                let n = block.len().min(buf.remaining());
                buf.put_slice(&block[..n]);
                block.advance(n);
                if block.is_empty() {
                    this.current.pop_front();
                }
                return Poll::Ready(Ok(()));
            }
            this.top_up();
            match this.pending.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                // Everything read: the end of the object.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Some(Ok(block))) => {
                    this.current.push_back(block);
                    this.top_up();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::io::AsyncReadExt;

    /// Bytes in memory, read by ranges, each read logged.
    struct Logged {
        data: Bytes,
        reads: Mutex<Vec<Range<u64>>>,
        /// Reads from this offset on fail, as a replaced object's would.
        fail_from: Option<u64>,
    }

    impl RangeRead for Logged {
        fn len(&self) -> u64 {
            self.data.len() as u64
        }
        fn location(&self) -> &str {
            "mem://logged"
        }
        fn version(&self) -> Option<&str> {
            Some("\"v1\"")
        }
        fn read(&self, range: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
            self.reads.lock().unwrap().push(range.clone());
            let out = match self.fail_from {
                Some(at) if range.start >= at => Err(io::Error::other("precondition failed")),
                _ => Ok(self.data.slice(range.start as usize..range.end as usize)),
            };
            Box::pin(async move {
                // Later blocks answer first: the order must come from InOrder.
                tokio::time::sleep(std::time::Duration::from_millis(
                    (10 - (range.start / 10 % 10)) * 2,
                ))
                .await;
                out
            })
        }
    }

    fn logged(len: usize, fail_from: Option<u64>) -> Arc<Logged> {
        Arc::new(Logged {
            data: (0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>().into(),
            reads: Mutex::new(Vec::new()),
            fail_from,
        })
    }

    #[tokio::test]
    async fn every_byte_is_read_once_and_given_in_order() {
        let src = logged(1003, None);
        let prefetch = Prefetch {
            block: 10,
            ahead: 4,
        };
        let mut out = Vec::new();
        InOrder::new(src.clone(), prefetch)
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, src.data);
        let mut reads = src.reads.lock().unwrap().clone();
        assert_eq!(reads.len(), 101);
        reads.sort_by_key(|r| r.start);
        let mut at = 0;
        for r in &reads {
            assert_eq!(r.start, at, "ranges are disjoint and cover the object");
            at = r.end;
        }
        assert_eq!(at, 1003);
    }

    #[tokio::test]
    async fn reads_stay_within_the_blocks_ahead() {
        let src = logged(1000, None);
        let mut r = InOrder::new(
            src.clone(),
            Prefetch {
                block: 10,
                ahead: 3,
            },
        );
        let mut one = [0u8; 1];
        r.read_exact(&mut one).await.unwrap();
        // One block given out, three asked for at most past it.
        assert!(src.reads.lock().unwrap().len() <= 4);
    }

    #[tokio::test]
    async fn a_failed_read_fails_the_pass_at_its_place() {
        let src = logged(100, Some(50));
        let mut out = Vec::new();
        let mut r = InOrder::new(
            src.clone(),
            Prefetch {
                block: 10,
                ahead: 2,
            },
        );
        let e = r.read_to_end(&mut out).await.unwrap_err();
        assert!(e.to_string().contains("precondition"), "{e}");
        assert_eq!(
            out,
            src.data[..50],
            "bytes before the failure came in order"
        );
    }

    #[tokio::test]
    async fn a_short_read_is_an_error() {
        struct Short;
        impl RangeRead for Short {
            fn len(&self) -> u64 {
                20
            }
            fn location(&self) -> &str {
                "mem://short"
            }
            fn version(&self) -> Option<&str> {
                None
            }
            fn read(&self, _: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
                Box::pin(async { Ok(Bytes::from_static(b"abc")) })
            }
        }
        let mut out = Vec::new();
        let e = InOrder::new(Arc::new(Short), Prefetch::default())
            .read_to_end(&mut out)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("asked for bytes 0..20, got 3"),
            "{e}"
        );
    }

    /// Exactly `ahead` reads are in flight at once, never more: the memory a ranged source
    /// holds ahead of its parts is `ahead` blocks.
    #[tokio::test]
    async fn exactly_the_blocks_ahead_are_in_flight() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Counted {
            now: Arc<AtomicUsize>,
            max: AtomicUsize,
        }
        impl RangeRead for Counted {
            fn len(&self) -> u64 {
                200
            }
            fn location(&self) -> &str {
                "mem://counted"
            }
            fn version(&self) -> Option<&str> {
                None
            }
            fn read(&self, range: Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
                let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
                self.max.fetch_max(now, Ordering::SeqCst);
                let counter = self.now.clone();
                Box::pin(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    counter.fetch_sub(1, Ordering::SeqCst);
                    Ok(Bytes::from(vec![0u8; (range.end - range.start) as usize]))
                })
            }
        }
        let src = Arc::new(Counted {
            now: Arc::new(AtomicUsize::new(0)),
            max: AtomicUsize::new(0),
        });
        assert!(!src.is_empty());
        let mut r = InOrder::new(
            src.clone(),
            Prefetch {
                block: 10,
                ahead: 3,
            },
        );
        assert_eq!(
            format!("{r:?}"),
            r#"InOrder { location: "mem://counted", next: 0 }"#
        );
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out.len(), 200);
        assert_eq!(src.max.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn an_object_of_no_bytes_is_empty_and_a_changed_one_says_so() {
        assert!(logged(0, None).is_empty());
        assert!(!logged(1, None).is_empty());
        let e = SourceChanged("s3://b/k changed".into()).into_io();
        assert!(SourceChanged::is(&e));
        assert_eq!(e.to_string(), "s3://b/k changed");
        assert!(!SourceChanged::is(&io::Error::other("reset")));
        assert!(!SourceChanged::is(&io::Error::from(
            io::ErrorKind::NotFound
        )));
    }
}
