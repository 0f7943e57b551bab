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

use super::ranged::{Remote, SourceChanged};
use crate::check::{CheckOptions, Checker, ContentFormat, Report};

/// Bytes per read of the parts an earlier run stored, read through for the md5 and the check.
const THROUGH: usize = 256 * 1024;

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
    remote: Option<Remote>,
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
        let mut buf = vec![0u8; THROUGH];
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
            match read_some(&mut state.reader, &mut buf[got..]).await {
                Ok(0) => {
                    let message = format!(
                        "the stream ended after {} bytes, short of the {} given as its size",
                        state.read + got as u64,
                        self.len
                    );
                    return Err(self.fail(state, message));
                }
                Ok(n) => got += n,
                Err(e) => {
                    let message = self.read_failed(&e);
                    if SourceChanged::is(&e) {
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
        match read_some(&mut state.reader, &mut probe).await {
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
    pub(crate) fn of_remote(mut self, remote: Remote) -> Self {
        self.remote = Some(remote);
        self
    }

    pub(crate) fn remote(&self) -> Option<&Remote> {
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
    /// pass then ends with the report of what was read. Only before the first read, and once:
    /// a second call (the pass arming what the upload armed) changes nothing.
    pub(crate) async fn check_with(
        &self,
        purpose: ContentFormat,
        options: CheckOptions,
        on_first_error: OnError,
    ) {
        let mut state = self.reader.lock().await;
        if state.read == 0 && state.check.is_none() {
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

    /// Bytes read and held for parts not yet stored.
    pub(crate) fn held_bytes(&self) -> u64 {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.values().map(|b| b.len() as u64).sum()
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

/// One read, again while it is interrupted (EINTR): every read of the stream goes through it.
async fn read_some(reader: &mut Reader, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf).await {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            read => return read,
        }
    }
}

#[cfg(test)]
mod tests;
