//! One ordered read of an upload's source feeding both the whole-file md5 and the content
//! check, while the parts upload. A file is read once, on a blocking thread, in 1 MiB
//! chunks: md5 on that thread, the check on a second one fed through a short queue, so the
//! check costs no wall time as long as it keeps up with md5.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::mpsc;

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};

use crate::check::{CheckOptions, Checker, ContentFormat, Report};
use crate::source::Source;

/// Bytes per read of a file.
const READ_CHUNK: usize = 1 << 20;
/// Chunks queued for the checker: bounds the pass's memory at a few MiB.
const QUEUE: usize = 4;

/// What to compute in the pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanPlan {
    pub(crate) md5: bool,
    pub(crate) check: Option<(ContentFormat, CheckOptions)>,
}

/// What the pass found.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub(crate) md5: Option<String>,
    pub(crate) report: Option<Report>,
}

/// Reads the `len` bytes of `source` once; `on_first_error` is called as soon as the check
/// finds an error (the pass goes on to the end, so the report counts everything).
pub(crate) async fn scan(
    source: Source,
    len: u64,
    plan: ScanPlan,
    on_first_error: impl FnOnce() + Send + 'static,
) -> io::Result<Scanned> {
    if let Some(stream) = source.as_stream() {
        // Read once, by the parts: the md5 and the check ride on those reads.
        if let Some((purpose, options)) = plan.check {
            stream
                .check_with(purpose, options, Box::new(on_first_error))
                .await;
        }
        let digested = stream.digest().await?;
        return Ok(Scanned {
            md5: digested.md5.filter(|_| plan.md5),
            report: digested.report,
        });
    }
    let mut md5 = plan.md5.then(Md5::new);
    let mut check = plan.check.map(|(purpose, options)| {
        Watched::new(Checker::with_options(purpose, options), on_first_error)
    });
    if let Some((path, start)) = source.file_start() {
        let path = path.to_owned();
        return tokio::task::spawn_blocking(move || {
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(start))?;
            read_file(file.take(len), len, md5, check)
        })
        .await
        .map_err(io::Error::other)?;
    }
    let mut stream = source.range(0, len).await?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if let Some(h) = &mut md5 {
            h.update(&chunk);
        }
        if let Some(c) = &mut check {
            c.feed(&chunk);
        }
    }
    Ok(Scanned {
        md5: md5.map(hex),
        report: check.map(Watched::finish),
    })
}

/// A checker that calls back once, at its first error.
struct Watched<F: FnOnce()> {
    checker: Checker,
    on_first_error: Option<F>,
}

impl<F: FnOnce()> Watched<F> {
    fn new(checker: Checker, on_first_error: F) -> Self {
        Self {
            checker,
            on_first_error: Some(on_first_error),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.checker.feed(bytes);
        if self.checker.has_errors()
            && let Some(f) = self.on_first_error.take()
        {
            f();
        }
    }

    fn finish(mut self) -> Report {
        let report = self.checker.finish();
        if !report.is_ok()
            && let Some(f) = self.on_first_error.take()
        {
            f();
        }
        report
    }
}

/// The blocking pass over a file: md5 here, the check on a thread of its own.
fn read_file<F: FnOnce() + Send + 'static>(
    mut file: impl Read,
    len: u64,
    mut md5: Option<Md5>,
    check: Option<Watched<F>>,
) -> io::Result<Scanned> {
    let (tx, checker) = match check {
        Some(mut c) => {
            let (tx, rx) = mpsc::sync_channel::<Bytes>(QUEUE);
            let handle = std::thread::Builder::new()
                .name("content-check".into())
                .spawn(move || {
                    for chunk in rx {
                        c.feed(&chunk);
                    }
                    c.finish()
                })?;
            (Some(tx), Some(handle))
        }
        None => (None, None),
    };
    let mut left = len;
    loop {
        // No bigger than what is left: a small file's pass zeroes no megabyte.
        let mut buf = vec![
            0u8;
            READ_CHUNK
                .min(usize::try_from(left).unwrap_or(READ_CHUNK))
                .max(1)
        ];
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.truncate(n);
        left = left.saturating_sub(n as u64);
        if let Some(h) = &mut md5 {
            h.update(&buf);
        }
        if let Some(tx) = &tx
            && tx.send(Bytes::from(buf)).is_err()
        {
            break;
        }
    }
    drop(tx);
    let report = match checker {
        Some(handle) => Some(
            handle
                .join()
                .map_err(|_| io::Error::other("the content check panicked"))?,
        ),
        None => None,
    };
    Ok(Scanned {
        md5: md5.map(hex),
        report,
    })
}

fn hex(h: Md5) -> String {
    format!("{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_pass_gives_the_md5_and_the_report_and_calls_back_once() {
        let mut text = String::new();
        for i in 0..20_000 {
            let id = if i == 15_000 { 3 } else { i };
            text.push_str(&format!(
                "{{\"custom_id\":\"r{id}\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{{\"model\":\"m\",\"input\":\"x\"}}}}\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.jsonl");
        std::fs::write(&path, format!("junk{text}")).unwrap();
        let plan = ScanPlan {
            md5: true,
            check: Some((ContentFormat::Batch, CheckOptions::default())),
        };
        for source in [
            Source::file_region(&path, 4, text.len() as u64),
            Source::bytes(text.clone().into_bytes()),
        ] {
            let calls = Arc::new(AtomicUsize::new(0));
            let c = calls.clone();
            let out = scan(source, text.len() as u64, plan, move || {
                c.fetch_add(1, Ordering::SeqCst);
            })
            .await
            .unwrap();
            assert_eq!(
                out.md5.as_deref(),
                Some(uploads_client::checksum::md5_hex(text.as_bytes()).as_str())
            );
            let report = out.report.unwrap();
            assert_eq!(report.errors, 1, "{report}");
            assert_eq!(report.first_error.unwrap().line, 15_001);
            assert_eq!(report.summary.records, 20_000);
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        }
        let out = scan(
            Source::file(&path),
            4,
            ScanPlan {
                md5: true,
                check: None,
            },
            || {},
        )
        .await
        .unwrap();
        assert!(out.report.is_none());
        assert_eq!(out.md5.unwrap(), uploads_client::checksum::md5_hex(b"junk"));
    }

    /// A reader that fails once with `kind`, then gives `data`.
    struct FailsOnce {
        kind: Option<io::ErrorKind>,
        data: io::Cursor<Vec<u8>>,
    }

    impl Read for FailsOnce {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.kind.take() {
                Some(kind) => Err(io::Error::new(kind, "probe")),
                None => self.data.read(buf),
            }
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_and_any_other_failure_ends_the_pass() {
        let read = |kind| {
            let reader = FailsOnce {
                kind: Some(kind),
                data: io::Cursor::new(b"abc".to_vec()),
            };
            read_file(reader, 3, Some(Md5::new()), None::<Watched<fn()>>)
        };
        let out = read(io::ErrorKind::Interrupted).unwrap();
        assert_eq!(out.md5.unwrap(), uploads_client::checksum::md5_hex(b"abc"));
        let err = read(io::ErrorKind::PermissionDenied).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }
}
