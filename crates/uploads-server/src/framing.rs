//! The errors hyper answers on its own, before a request reaches the router (a bad request
//! line or header, a URI over its limit, too many headers), put in OpenAI's envelope like
//! every other error: hyper writes them with an empty body, and this connection wrapper
//! rewrites such a response as it goes out. Every response of the router has a body, so an
//! empty 4xx can only be hyper's.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose bodiless 4xx responses go out in the envelope.
pub(crate) struct Enveloped<S> {
    inner: S,
    /// A rewritten response still to write, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> Enveloped<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

/// The envelope for a bodiless 4xx response head, if `head` is one (whole, in one write).
fn rewritten(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    if !text.starts_with("HTTP/1.1 4") || !text.ends_with("\r\n\r\n") {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let status_line = text.split("\r\n").next()?;
    let reason = status_line.splitn(3, ' ').nth(2).unwrap_or("Bad Request");
    let body = serde_json::json!({
        "error": {
            "message": format!("The request was refused: {reason}."),
            "type": "invalid_request_error",
            "param": null,
            "code": null,
        }
    })
    .to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncWrite + Unpin> Enveloped<S> {
    /// Writes what is pending of a rewritten response; ready once none is left.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Enveloped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Enveloped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(bytes) = rewritten(data) {
            self.pending = Some((bytes, 0));
            // The response is taken whole; it goes out as the envelope.
            let _ = self.drain(cx)?;
            return Poll::Ready(Ok(data.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bodiless_4xx_is_rewritten() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewritten(hyper_400).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"));
        assert!(out.ends_with(r#""type":"invalid_request_error","param":null,"code":null}}"#));
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        assert!(out.contains(&format!("content-length: {}\r\n", body.len())));
        // Ours carry a body; a 2xx or 5xx, or a head cut in two writes, is left alone.
        assert!(rewritten(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\n\r\n").is_none());
        assert!(rewritten(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            rewritten(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n")
                .is_none()
        );
    }

    /// A connection that takes at most `chunk` bytes a write (0: takes none), and with
    /// `stalls`, is not ready every other time.
    #[derive(Default)]
    struct Trickle {
        out: Vec<u8>,
        chunk: usize,
        stalls: bool,
        stalled: bool,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Trickle {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            if self.stalls && !self.stalled {
                self.stalled = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.stalled = false;
            let n = data.len().min(self.chunk);
            self.out.extend_from_slice(&data[..n]);
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_rewritten_response_goes_out_whole_through_a_connection_that_takes_a_few_bytes_at_a_time()
     {
        use tokio::io::AsyncWriteExt;
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        let mut conn = Enveloped::new(Trickle {
            chunk: 7,
            ..Default::default()
        });
        conn.write_all(head).await.unwrap();
        conn.write_all(b"after").await.unwrap();
        conn.flush().await.unwrap();
        let mut want = rewritten(head).unwrap();
        want.extend_from_slice(b"after");
        assert_eq!(
            String::from_utf8(conn.inner.out).unwrap(),
            String::from_utf8(want).unwrap()
        );

        // A connection that takes nothing is an error, not a loop.
        let mut stuck = Enveloped::new(Trickle::default());
        let e = stuck.write_all(head).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::WriteZero);
    }

    #[tokio::test]
    async fn a_rewritten_response_the_connection_was_not_ready_for_goes_out_at_flush_or_shutdown() {
        use tokio::io::AsyncWriteExt;
        let head = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        let want = String::from_utf8(rewritten(head).unwrap()).unwrap();
        for shutdown in [false, true] {
            let mut conn = Enveloped::new(Trickle {
                chunk: 7,
                stalls: true,
                ..Default::default()
            });
            // Taken whole at once, though the connection was not ready for it.
            conn.write_all(head).await.unwrap();
            assert!(conn.inner.out.len() < want.len());
            if shutdown {
                conn.shutdown().await.unwrap();
            } else {
                conn.flush().await.unwrap();
            }
            assert_eq!(String::from_utf8(conn.inner.out).unwrap(), want);
        }
    }
}
