//! A source read once, in order, from a stream (stdin, or an object's in-order pass): each part
//! is read into memory when it is first asked for and held until the server has stored it, so
//! a retry can resend it; the md5 and the content check see the bytes as they pass. Memory is
//! the parts in flight. For a resumed object, the parts an earlier run stored are read through
//! (for the md5 and the check) in small pieces and never held.

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::watch;

use crate::check::{CheckOptions, Checker, ContentFormat, Report};

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type OnError = Box<dyn FnOnce() + Send>;

/// The stream, and what has been read of it.
pub(crate) struct StreamSource {
    len: u64,
    reader: tokio::sync::Mutex<ReadState>,
    /// Parts read and not yet stored: start offset -> bytes.
    held: Mutex<BTreeMap<u64, Bytes>>,
    /// The md5 and report, once the stream is read to its end (or the check stopped it).
    outcome: watch::Sender<Option<Result<Digested, String>>>,
    /// For an object read by ranges: where it is.
    remote: Option<super::Remote>,
    /// Ranges (start, end) stored by an earlier run: read through, never held.
    skipped: Mutex<Vec<(u64, u64)>>,
    /// Why the object is not the version opened, once a read found it replaced.
    changed: Mutex<Option<String>>,
}

/// What the pass over the stream found.
#[derive(Clone, Debug)]
pub(crate) struct Digested {
    /// `None` if the check stopped the stream before its end.
    pub(crate) md5: Option<String>,
    pub(crate) report: Option<Report>,
}

struct ReadState {
    reader: Reader,
    read: u64,
    md5: Md5,
    check: Option<(Checker, Option<OnError>)>,
    /// A failure of the stream: every later read fails the same way.
    failed: Option<String>,
}

impl StreamSource {
    pub(crate) fn new(reader: Reader, len: u64) -> Self {
        Self {
            len,
            reader: tokio::sync::Mutex::new(ReadState {
                reader,
                read: 0,
                md5: Md5::new(),
                check: None,
                failed: None,
            }),
            held: Mutex::new(BTreeMap::new()),
            outcome: watch::channel(None).0,
            remote: None,
            skipped: Mutex::new(Vec::new()),
            changed: Mutex::new(None),
        }
    }

    /// Why the object read is not the version opened, if a read found it replaced.
    pub(crate) fn changed(&self) -> Option<String> {
        self.changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Marks `ranges` (offset, length) as stored by an earlier run: when the pass reaches them
    /// they are read for the md5 and the check and dropped.
    pub(crate) fn skip(&self, ranges: impl IntoIterator<Item = (u64, u64)>) {
        let mut skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        skipped.extend(ranges.into_iter().map(|(o, l)| (o, o + l)));
        skipped.sort_unstable();
    }

    /// The skipped range `at` is in, if any: its end.
    fn skipped_until(&self, at: u64) -> Option<u64> {
        let skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        skipped
            .iter()
            .find(|(start, end)| *start <= at && at < *end)
            .map(|(_, end)| *end)
    }

    /// The first skipped range that starts in `from..to`: its start.
    fn next_skip_in(&self, from: u64, to: u64) -> Option<u64> {
        let skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        skipped
            .iter()
            .map(|(start, _)| *start)
            .find(|start| from < *start && *start < to)
    }

    /// Reads the skipped ranges at the pass's position through to the end, once every part
    /// this run sends has been read: the md5 and the check then cover the whole source.
    pub(crate) async fn drain_skipped(&self) -> io::Result<()> {
        let mut state = self.reader.lock().await;
        if let Some(e) = &state.failed {
            return Err(io::Error::other(e.clone()));
        }
        while state.read < self.len {
            let Some(end) = self.skipped_until(state.read) else {
                return Ok(());
            };
            self.read_through(&mut state, end).await?;
        }
        Ok(())
    }

    /// Reads `state.read..end` for the md5 and the check only, a chunk at a time.
    async fn read_through(&self, state: &mut ReadState, end: u64) -> io::Result<()> {
        let mut buf = vec![0u8; super::CHUNK];
        while state.read < end {
            let want = usize::try_from(end - state.read)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let got = self.fill(state, &mut buf[..want]).await?;
            state.md5.update(&buf[..got]);
            self.feed_check(state, &buf[..got]);
            state.read += got as u64;
        }
        self.at_end(state).await
    }

    /// Fills `buf` from the stream; an early end or a read error fails the stream.
    async fn fill(&self, state: &mut ReadState, buf: &mut [u8]) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            match state.reader.read(&mut buf[got..]).await {
                Ok(0) => {
                    let message = format!(
                        "the stream ended after {} bytes, short of the {} given as its size",
                        state.read + got as u64,
                        self.len
                    );
                    return Err(self.fail(state, message));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let message = self.read_failed(&e);
                    if super::SourceChanged::is(&e) {
                        *self.changed.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(message.clone());
                    }
                    return Err(self.fail(state, message));
                }
            }
        }
        Ok(got)
    }

    /// At the declared end, the stream must end too; then the pass is settled.
    async fn at_end(&self, state: &mut ReadState) -> io::Result<()> {
        if state.read != self.len {
            return Ok(());
        }
        let mut probe = [0u8; 1];
        match state.reader.read(&mut probe).await {
            Ok(0) => {
                self.settle(state);
                Ok(())
            }
            Ok(_) => {
                let message = format!(
                    "the stream is longer than the {} bytes given as its size",
                    self.len
                );
                Err(self.fail(state, message))
            }
            Err(e) => {
                let message = self.read_failed(&e);
                Err(self.fail(state, message))
            }
        }
    }

    /// The stream is the in-order pass over an object read by ranges.
    pub(crate) fn of_remote(mut self, remote: super::Remote) -> Self {
        self.remote = Some(remote);
        self
    }

    pub(crate) fn remote(&self) -> Option<&super::Remote> {
        self.remote.as_ref()
    }

    /// What a failed read says: an object's reader names its URL and side itself.
    fn read_failed(&self, e: &io::Error) -> String {
        match &self.remote {
            Some(_) => e.to_string(),
            None => format!("reading the stream: {e}"),
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Checks the bytes as they pass; `on_first_error` is called at the first error, and the
    /// pass then ends with the report of what was read.
    pub(crate) async fn check_with(
        &self,
        purpose: ContentFormat,
        options: CheckOptions,
        on_first_error: OnError,
    ) {
        let mut state = self.reader.lock().await;
        if state.read == 0 {
            state.check = Some((
                Checker::with_options(purpose, options),
                Some(on_first_error),
            ));
        }
    }

    /// The bytes `offset..offset + len`: held ones, or read now (with any before them that no
    /// part has asked for yet, held for theirs).
    pub(crate) async fn range(&self, offset: u64, len: u64) -> io::Result<Bytes> {
        if let Some(b) = self.held_slice(offset, len) {
            return Ok(b);
        }
        let mut state = self.reader.lock().await;
        if let Some(b) = self.held_slice(offset, len) {
            return Ok(b);
        }
        if let Some(e) = &state.failed {
            return Err(io::Error::other(e.clone()));
        }
        let end = offset + len;
        if end <= state.read {
            return Err(io::Error::other(format!(
                "bytes {offset}..{end} of the stream were already sent and released: a stream cannot be read twice"
            )));
        }
        // Held from where the pass is to the end asked for, but for ranges an earlier run
        // stored: those are read through, not held.
        while state.read < end {
            if let Some(skip_end) = self.skipped_until(state.read) {
                self.read_through(&mut state, skip_end.min(end)).await?;
                continue;
            }
            let start = state.read;
            let until = self.next_skip_in(start, end).unwrap_or(end);
            let mut buf = BytesMut::zeroed((until - start) as usize);
            self.fill(&mut state, &mut buf).await?;
            let bytes = buf.freeze();
            state.read = until;
            state.md5.update(&bytes);
            self.feed_check(&mut state, &bytes);
            self.held
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(start, bytes);
            self.at_end(&mut state).await?;
        }
        self.held_slice(offset, len).ok_or_else(|| {
            io::Error::other(format!(
                "bytes {offset}..{end} of the stream were stored by an earlier run: they are not held"
            ))
        })
    }

    /// Forgets a stored part's bytes.
    pub(crate) fn release(&self, offset: u64, len: u64) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let Some((&start, _)) = held.range(..=offset).next_back() else {
            return;
        };
        let Some(chunk) = held.remove(&start) else {
            return;
        };
        let (from, to) = ((offset - start) as usize, (offset - start + len) as usize);
        if from > 0 {
            held.insert(start, chunk.slice(..from.min(chunk.len())));
        }
        if to < chunk.len() {
            held.insert(offset + len, chunk.slice(to..));
        }
    }

    /// Waits for the pass to end: the whole stream read, or the check stopped it.
    pub(crate) async fn digest(&self) -> io::Result<Digested> {
        let mut rx = self.outcome.subscribe();
        let outcome = rx
            .wait_for(Option::is_some)
            .await
            .map_err(|_| io::Error::other("the stream was dropped"))?;
        match outcome.as_ref() {
            Some(Ok(d)) => Ok(d.clone()),
            Some(Err(e)) => Err(io::Error::other(e.clone())),
            None => Err(io::Error::other("the stream was dropped")),
        }
    }

    fn held_slice(&self, offset: u64, len: u64) -> Option<Bytes> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let (&start, chunk) = held.range(..=offset).next_back()?;
        let (from, to) = ((offset - start) as usize, (offset - start + len) as usize);
        (to <= chunk.len()).then(|| chunk.slice(from..to))
    }

    fn feed_check(&self, state: &mut ReadState, bytes: &[u8]) {
        let Some((checker, on_error)) = &mut state.check else {
            return;
        };
        checker.feed(bytes);
        if !checker.has_errors() {
            return;
        }
        if let Some(f) = on_error.take() {
            f();
        }
        // The check stops the stream here: its report is of what was read.
        if let Some((checker, _)) = state.check.take() {
            self.outcome.send_replace(Some(Ok(Digested {
                md5: None,
                report: Some(checker.finish()),
            })));
        }
    }

    fn settle(&self, state: &mut ReadState) {
        let md5 = format!("{:x}", std::mem::take(&mut state.md5).finalize());
        let report = state.check.take().map(|(checker, on_error)| {
            let report = checker.finish();
            if !report.is_ok()
                && let Some(f) = on_error
            {
                f();
            }
            report
        });
        if self.outcome.borrow().is_none() {
            self.outcome.send_replace(Some(Ok(Digested {
                md5: Some(md5),
                report,
            })));
        }
    }

    fn fail(&self, state: &mut ReadState, message: String) -> io::Error {
        state.failed = Some(message.clone());
        if self.outcome.borrow().is_none() {
            self.outcome.send_replace(Some(Err(message.clone())));
        }
        io::Error::new(io::ErrorKind::InvalidData, message)
    }
}

#[cfg(test)]
mod tests {
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
}
