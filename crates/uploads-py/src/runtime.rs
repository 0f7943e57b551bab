//! One tokio runtime for the process, started on first use: every upload and local server
//! of the package runs on it, off the Python thread.

use std::sync::OnceLock;

use pyo3::PyResult;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The package's runtime.
pub(crate) fn get() -> PyResult<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("openai-uploads")
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "cannot start the uploads runtime: {e}"
            ))
        })?;
    // Two threads racing here: one runtime is kept, the other dropped unused.
    let _ = RUNTIME.set(rt);
    Ok(RUNTIME.get().expect("set just above"))
}
