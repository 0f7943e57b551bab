//! One upload in progress, as Python sees it: wait on it (the GIL released), drain its
//! progress events, cancel it, read its outcome.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// What the upload's task shares with its handle.
#[derive(Default)]
pub(crate) struct Shared {
    events: Mutex<Vec<Value>>,
    /// `(ok, json)` once the upload has ended.
    outcome: Mutex<Option<(bool, String)>>,
    ended: Condvar,
}

impl Shared {
    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a progress event for the Python side.
    pub(crate) fn push_event(&self, event: Value) {
        Self::lock(&self.events).push(event);
    }

    /// Records the outcome and wakes the waiters.
    pub(crate) fn end(&self, ok: bool, json: Value) {
        *Self::lock(&self.outcome) = Some((ok, json.to_string()));
        self.ended.notify_all();
    }
}

/// An upload started by `Uploader.start`.
#[pyclass(module = "openai_uploads._native", frozen)]
pub(crate) struct UploadHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) cancel: CancellationToken,
}

#[pymethods]
impl UploadHandle {
    /// Waits up to `timeout` seconds for the upload to end, without holding the GIL; true
    /// once it has. Short waits in a loop let Python handle Ctrl-C between them.
    fn wait(&self, py: Python<'_>, timeout: f64) -> bool {
        let shared = self.shared.clone();
        py.detach(move || {
            let guard = Shared::lock(&shared.outcome);
            let wait = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
            let (guard, _) = shared
                .ended
                .wait_timeout_while(guard, wait, |o| o.is_none())
                .unwrap_or_else(|p| p.into_inner());
            guard.is_some()
        })
    }

    /// The progress events since the last call, as JSON text (a list).
    fn events(&self) -> String {
        let drained: Vec<Value> = std::mem::take(&mut *Shared::lock(&self.shared.events));
        Value::Array(drained).to_string()
    }

    /// Stops the upload: it ends as interrupted, kept resumable where a journal allows, else
    /// cancelled on the server.
    fn cancel(&self) {
        self.cancel.cancel();
    }

    /// `(ok, json)` once ended: the completed Upload, or the failure. `None` before.
    fn outcome(&self) -> Option<(bool, String)> {
        Shared::lock(&self.shared.outcome).clone()
    }
}
