//! A Python binary file object as the engine's stream source: a thread of its own calls its
//! `read(n)` (taking the GIL only for that call) and hands each chunk on through a small
//! channel, so the file is read once, in order, never whole into memory.

use std::io;

use bytes::Bytes;
use pyo3::prelude::*;
use tokio::io::AsyncRead;

/// Bytes asked of `read` at a time.
const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the engine.
const AHEAD: usize = 4;

/// Reads `file` to its end on a thread of its own, as an `AsyncRead`.
pub(crate) fn reader(file: Py<PyAny>) -> impl AsyncRead + Send + Unpin + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(AHEAD);
    std::thread::Builder::new()
        .name("openai-uploads-read".into())
        .spawn(move || {
            loop {
                let chunk = Python::attach(|py| -> PyResult<Vec<u8>> {
                    file.call_method1(py, "read", (CHUNK,))?.extract(py)
                });
                let item = match chunk {
                    Ok(bytes) if bytes.is_empty() => return,
                    Ok(bytes) => Ok(Bytes::from(bytes)),
                    Err(e) => Err(io::Error::other(format!("reading the file object: {e}"))),
                };
                let stop = item.is_err();
                // The engine went away (the upload ended): stop reading.
                if tx.blocking_send(item).is_err() || stop {
                    return;
                }
            }
        })
        .ok();
    let chunks = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    tokio_util::io::StreamReader::new(Box::pin(chunks))
}
