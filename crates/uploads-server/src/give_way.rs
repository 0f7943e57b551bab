//! At the connection cap, a connection that makes no progress gives way to one waiting: the
//! one idle longest (no byte either way for [`IDLE`], and not waiting on our own handler) is
//! closed, so stalled clients cannot lock others out for the length of the body deadline.
//!
//! A connection is *waiting on the client* when no handler of ours runs for it (an idle
//! keep-alive, headers trickling in, a response the client does not read) or when its handler
//! waits for the request body. A handler at work (storing a part, completing an upload) is
//! never interrupted, however long it takes.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

/// How long a connection must have moved no byte before it may be closed for another.
pub(crate) const IDLE: Duration = Duration::from_secs(1);

/// The open connections, for choosing which one gives way.
#[derive(Default)]
pub(crate) struct Connections {
    epoch: Option<Instant>,
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

/// One open connection's progress.
pub(crate) struct Connection {
    id: u64,
    epoch: Instant,
    /// When a byte last moved, in ms since `epoch`.
    last_progress: AtomicU64,
    /// Handlers of ours running for it.
    handlers: AtomicUsize,
    /// A handler waits for the request body.
    awaiting_body: AtomicBool,
    /// Fired to close it.
    pub(crate) close: CancellationToken,
}

impl Connections {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Some(Instant::now()),
            ..Self::default()
        }
    }

    /// Registers a new connection; it leaves when its [`Registered`] is dropped.
    pub(crate) fn register(self: &Arc<Self>) -> Registered {
        let epoch = self.epoch.unwrap_or_else(Instant::now);
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Connection {
            id,
            epoch,
            last_progress: AtomicU64::new(epoch.elapsed().as_millis() as u64),
            handlers: AtomicUsize::new(0),
            awaiting_body: AtomicBool::new(false),
            close: CancellationToken::new(),
        });
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, conn.clone());
        Registered {
            all: self.clone(),
            conn,
        }
    }

    /// Closes the connection waiting on its client longest, if one has been for [`IDLE`];
    /// true if one was closed.
    pub(crate) fn close_idlest(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let victim = open
            .values()
            .filter(|c| !c.close.is_cancelled() && c.waiting_on_client())
            .filter(|c| c.idle() >= IDLE)
            .max_by_key(|c| c.idle());
        match victim {
            Some(c) => {
                tracing::info!(
                    idle_ms = c.idle().as_millis() as u64,
                    "at the connection cap: closing a connection that made no progress"
                );
                c.close.cancel();
                true
            }
            None => false,
        }
    }
}

/// A connection's place in [`Connections`], for as long as it is open.
pub(crate) struct Registered {
    all: Arc<Connections>,
    pub(crate) conn: Arc<Connection>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.all
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.conn.id);
    }
}

impl Connection {
    fn progressed(&self) {
        self.last_progress
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_progress.load(Ordering::Relaxed)))
    }

    fn waiting_on_client(&self) -> bool {
        self.handlers.load(Ordering::SeqCst) == 0 || self.awaiting_body.load(Ordering::SeqCst)
    }

    /// Marks a handler of ours running until the guard is dropped.
    pub(crate) fn handling(self: &Arc<Self>) -> Handling {
        self.handlers.fetch_add(1, Ordering::SeqCst);
        Handling(self.clone())
    }

    /// The request body, watched: while the handler waits for it, the connection waits on
    /// its client.
    pub(crate) fn watch_body<B>(self: &Arc<Self>, body: B) -> Body
    where
        B: HttpBody<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Body::new(WatchedBody {
            inner: body,
            conn: self.clone(),
        })
    }
}

/// A handler running.
pub(crate) struct Handling(Arc<Connection>);

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.awaiting_body.store(false, Ordering::SeqCst);
        self.0.handlers.fetch_sub(1, Ordering::SeqCst);
        // The response starts now: the client gets the time to read it.
        self.0.progressed();
    }
}

struct WatchedBody<B> {
    inner: B,
    conn: Arc<Connection>,
}

impl<B> HttpBody for WatchedBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.conn
            .awaiting_body
            .store(polled.is_pending(), Ordering::SeqCst);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection's stream, recording each byte that moves either way.
pub(crate) struct Progress<S> {
    inner: S,
    conn: Arc<Connection>,
}

impl<S> Progress<S> {
    pub(crate) fn new(inner: S, conn: Arc<Connection>) -> Self {
        Self { inner, conn }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Progress<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.progressed();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Progress<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.progressed();
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(c: &Connection, by: Duration) {
        let now = c.epoch.elapsed().as_millis() as u64;
        let then = now.saturating_sub(by.as_millis() as u64);
        c.last_progress.store(then, Ordering::Relaxed);
    }

    #[test]
    fn the_idlest_connection_waiting_on_its_client_gives_way_and_no_other() {
        // An epoch a minute back, so connections can be aged by seconds.
        let all = Arc::new(Connections {
            epoch: Instant::now().checked_sub(Duration::from_secs(60)),
            ..Connections::default()
        });
        let (a, b, c) = (all.register(), all.register(), all.register());
        // None idle long enough: nobody is closed.
        assert!(!all.close_idlest());
        aged(&a.conn, Duration::from_secs(3));
        aged(&b.conn, Duration::from_secs(5));
        aged(&c.conn, Duration::from_secs(9));
        // c is idlest but its handler is at work (not waiting for its body): b goes.
        let _busy = c.conn.handling();
        assert!(all.close_idlest());
        assert!(b.conn.close.is_cancelled());
        assert!(!a.conn.close.is_cancelled() && !c.conn.close.is_cancelled());
        // A handler waiting for its body waits on the client: c goes next.
        c.conn.awaiting_body.store(true, Ordering::SeqCst);
        assert!(all.close_idlest());
        assert!(c.conn.close.is_cancelled());
        drop(b);
        assert_eq!(all.open.lock().unwrap().len(), 2, "a closed one leaves");
    }
}
