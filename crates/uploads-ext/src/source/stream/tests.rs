//! The stream source: parts out of order, releases, stored parts read through, short and
//! long streams, the check riding on the read.

use super::*;

/// Where each held chunk starts, and its length.
fn held_spans(s: &StreamSource) -> Vec<(u64, usize)> {
    let held = s.held.lock().unwrap();
    held.iter().map(|(k, v)| (*k, v.len())).collect()
}

fn source(data: &[u8], len: u64) -> StreamSource {
    StreamSource::new(Box::new(std::io::Cursor::new(data.to_vec())), len)
}

#[tokio::test]
async fn parts_out_of_order_and_again_until_released() {
    let data: Vec<u8> = (0..100u8).collect();
    let s = source(&data, 100);
    // Part 3 first: parts 1 and 2 are read and held for theirs.
    assert_eq!(&s.range(60, 40).await.unwrap()[..], &data[60..]);
    assert_eq!(&s.range(0, 30).await.unwrap()[..], &data[..30]);
    assert_eq!(&s.range(30, 30).await.unwrap()[..], &data[30..60]);
    // A retry gets the same bytes again.
    assert_eq!(&s.range(30, 30).await.unwrap()[..], &data[30..60]);
    s.release(30, 30);
    assert!(s.range(30, 30).await.is_err(), "released");
    assert_eq!(&s.range(0, 30).await.unwrap()[..], &data[..30]);
    s.release(0, 30);
    s.release(60, 40);
    assert!(s.held.lock().unwrap().is_empty());
    let d = s.digest().await.unwrap();
    assert_eq!(d.md5.unwrap(), uploads_client::checksum::md5_hex(&data));
}

#[tokio::test]
async fn releasing_a_part_inside_a_held_read_keeps_its_neighbours() {
    let data: Vec<u8> = (0..100u8).collect();
    let s = source(&data, 100);
    assert_eq!(&s.range(0, 30).await.unwrap()[..], &data[..30]);
    // One read of 30..100 is held from offset 30; the part 60..90 inside it is released.
    assert_eq!(&s.range(90, 10).await.unwrap()[..], &data[90..]);
    s.release(60, 30);
    assert_eq!(&s.range(30, 30).await.unwrap()[..], &data[30..60]);
    assert_eq!(&s.range(90, 10).await.unwrap()[..], &data[90..]);
    assert!(s.range(60, 30).await.is_err(), "released");
    let held = held_spans(&s);
    assert_eq!(held, [(0, 30), (30, 30), (90, 10)]);
}

#[tokio::test]
async fn an_error_only_the_end_of_the_file_reveals_calls_back_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let example =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#;
    for (examples, calls) in [(9, 1), (10, 0)] {
        let text = format!("{}\n", vec![example; examples].join("\n"));
        let s = source(text.as_bytes(), text.len() as u64);
        let called = Arc::new(AtomicUsize::new(0));
        let seen = called.clone();
        let on_error = Box::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        s.check_with(ContentFormat::FineTune, CheckOptions::default(), on_error)
            .await;
        s.range(0, text.len() as u64).await.unwrap();
        let d = s.digest().await.unwrap();
        let report = d.report.unwrap();
        assert_eq!(report.is_ok(), calls == 0, "{report}");
        assert_eq!(called.load(Ordering::SeqCst), calls, "{examples} examples");
    }
}

#[tokio::test]
async fn parts_stored_before_are_read_through_for_the_md5_and_never_held() {
    let data: Vec<u8> = (0..100u8).collect();
    let s = source(&data, 100);
    // Parts 0..20, 40..60 and 80..100 were stored by an earlier run.
    s.skip([(0, 20), (40, 20), (80, 20)]);
    assert_eq!(&s.range(60, 20).await.unwrap()[..], &data[60..80]);
    let held = held_spans(&s);
    assert_eq!(held, [(20, 20), (60, 20)], "only the parts still to send");
    assert!(s.range(40, 20).await.is_err(), "a stored part is not held");
    assert_eq!(&s.range(20, 20).await.unwrap()[..], &data[20..40]);
    // The tail is stored parts only: drained, and the md5 covers every byte.
    s.drain_skipped().await.unwrap();
    let d = s.digest().await.unwrap();
    assert_eq!(d.md5.unwrap(), uploads_client::checksum::md5_hex(&data));
}

#[tokio::test]
async fn a_stream_shorter_or_longer_than_its_size_fails() {
    let s = source(&[1; 10], 20);
    let e = s.range(0, 20).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("ended after 10 bytes, short of the 20"),
        "{e}"
    );
    assert!(s.digest().await.is_err());
    assert!(
        s.range(0, 20).await.is_err(),
        "a failed stream stays failed"
    );

    let s = source(&[1; 30], 20);
    let e = s.range(0, 20).await.unwrap_err();
    assert!(e.to_string().contains("longer than the 20 bytes"), "{e}");
}

/// A reader interrupted (EINTR) before each of its reads.
struct Interrupting {
    inner: std::io::Cursor<Vec<u8>>,
    interrupted: usize,
}

impl tokio::io::AsyncRead for Interrupting {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.interrupted += 1;
        if self.interrupted % 2 == 1 {
            return std::task::Poll::Ready(Err(io::ErrorKind::Interrupted.into()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

#[tokio::test]
async fn an_interrupted_read_is_read_again() {
    let data: Vec<u8> = (0..100u8).collect();
    let reader = Interrupting {
        inner: std::io::Cursor::new(data.clone()),
        interrupted: 0,
    };
    let s = StreamSource::new(Box::new(reader), 100);
    assert_eq!(&s.range(0, 100).await.unwrap()[..], &data[..]);
    let d = s.digest().await.unwrap();
    assert_eq!(d.md5.unwrap(), uploads_client::checksum::md5_hex(&data));
}

/// A reader that gives its bytes, then fails.
struct FailingAtEnd(std::io::Cursor<Vec<u8>>);

impl tokio::io::AsyncRead for FailingAtEnd {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        if self.0.position() == self.0.get_ref().len() as u64 {
            return std::task::Poll::Ready(Err(io::Error::other("the pipe broke")));
        }
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

#[tokio::test]
async fn a_read_error_at_the_declared_end_fails_the_stream() {
    let data = vec![7u8; 100];
    let s = StreamSource::new(Box::new(FailingAtEnd(std::io::Cursor::new(data))), 100);
    let e = s.range(0, 100).await.unwrap_err();
    assert!(e.to_string().contains("the pipe broke"), "{e}");
    assert!(s.digest().await.is_err(), "no md5 of a stream that failed");
}
