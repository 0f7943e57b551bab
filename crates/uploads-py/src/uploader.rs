//! Uploads through one client that share one budget of parts in flight: `openai_uploads`
//! makes one per `upload` call, or one for all the files of `upload_many`.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tokio_util::sync::CancellationToken;
use uploads_ext::{PartBudget, Purpose, Source};

use crate::options::{self, ClientOptions, UploadOptions};
use crate::upload::{Shared, UploadHandle};
use crate::{outcome, runtime, stream};

/// An uploader: a client, a budget of parts in flight, and where journals go.
#[pyclass(module = "openai_uploads._native", frozen)]
pub(crate) struct Uploader {
    inner: uploads_ext::Uploader,
}

#[pymethods]
impl Uploader {
    /// An uploader from the client options (JSON text).
    #[new]
    fn new(client_json: &str) -> PyResult<Self> {
        let o: ClientOptions = options::parse(client_json)?;
        // reqwest's client is made inside the runtime's context.
        let _guard = runtime::get()?.enter();
        let mut inner = uploads_ext::Uploader::new(o.client()?)
            .part_budget(PartBudget::new(
                o.concurrency
                    .unwrap_or(uploads_ext::DEFAULT_CONCURRENCY)
                    .max(1),
            ))
            .journal_dir(o.journal_dir.clone());
        if let Some(min) = o.min_part_size {
            inner = inner.min_part_size(min);
        }
        if let Some(max) = o.max_part_size {
            inner = inner.limits(uploads_ext::Limits {
                max_part_bytes: max,
                ..uploads_ext::Limits::default()
            });
        }
        Ok(Self { inner })
    }

    /// Starts an upload of `source`: `kind` is "path" (a str), "bytes" or "stream" (a binary
    /// file object, read with `read(n)`; `size` in the options is its length).
    fn start(&self, kind: &str, source: Py<PyAny>, upload_json: &str) -> PyResult<UploadHandle> {
        Python::attach(|py| self.start_in(py, kind, source, upload_json))
    }
}

impl Uploader {
    fn start_in(
        &self,
        py: Python<'_>,
        kind: &str,
        source: Py<PyAny>,
        upload_json: &str,
    ) -> PyResult<UploadHandle> {
        let o: UploadOptions = options::parse(upload_json)?;
        let source = match kind {
            "path" => Source::file(source.extract::<std::path::PathBuf>(py)?),
            "bytes" => Source::bytes(source.extract::<Vec<u8>>(py)?),
            "stream" => {
                let size = o.size.ok_or_else(|| {
                    PyValueError::new_err("a file object needs its size: pass bytes=")
                })?;
                Source::stream(stream::reader(source), size)
            }
            other => return Err(PyValueError::new_err(format!("unknown source {other:?}"))),
        };
        // Any spelling parses; one the engine does not know is refused (before any request)
        // unless allow_unknown_purpose says otherwise.
        let purpose: Purpose = o.purpose.parse().unwrap_or_else(|e| match e {});
        let shared = Arc::new(Shared::default());
        let cancel = CancellationToken::new();
        let events = shared.clone();
        let mut builder = self
            .inner
            .source(source, purpose)
            .cancel_token(cancel.clone())
            .md5(o.md5)
            .check_content(o.check)
            .allow_unknown_purpose(o.allow_unknown_purpose)
            .progress(move |e| events.push_event(outcome::event(e)));
        if let Some(name) = &o.filename {
            builder = builder.filename(name);
        }
        if let Some(mime) = &o.mime_type {
            builder = builder.mime_type(mime);
        }
        if let Some(size) = o.part_size {
            builder = builder.part_size(size);
        }
        if let Some(secs) = o.expires_after {
            builder = builder.expires_after(secs);
        }
        let ended = shared.clone();
        runtime::get()?.spawn(async move {
            match builder.send().await {
                Ok(done) => ended.end(true, outcome::completed(&done)),
                Err(e) => ended.end(false, outcome::failed(&e)),
            }
        });
        Ok(UploadHandle { shared, cancel })
    }
}
