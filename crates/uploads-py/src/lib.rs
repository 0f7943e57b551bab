//! `openai_uploads._native`: the uploads engine behind the `openai_uploads` Python package.
//!
//! The Python side (`python/openai_uploads`) owns everything Python: signatures, exception
//! classes, `openai` types, signals and asyncio. This module gives it a few handles whose
//! calls release the GIL while bytes move: an `Uploader` that starts uploads sharing one
//! budget of parts, an `UploadHandle` to wait on, drain progress from and cancel, the content
//! `check`, and a `LocalServer`. Options and results cross as JSON text, so the two sides
//! share one plain contract.

use pyo3::prelude::*;

mod options;
mod outcome;
mod runtime;
mod server;
mod stream;
mod upload;
mod uploader;

/// Checks a batch or fine-tuning file's contents; the report as JSON text.
#[pyfunction]
#[pyo3(signature = (path, purpose, method=None, validation=false))]
fn check(
    py: Python<'_>,
    path: std::path::PathBuf,
    purpose: &str,
    method: Option<&str>,
    validation: bool,
) -> PyResult<String> {
    let format = match purpose {
        "batch" => uploads_ext::check::ContentFormat::Batch,
        "fine-tune" => uploads_ext::check::ContentFormat::FineTune,
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "purpose {other:?} has no content check: use \"batch\" or \"fine-tune\""
            )));
        }
    };
    let method = method
        .map(str::parse::<uploads_ext::check::FineTuneMethod>)
        .transpose()
        .map_err(pyo3::exceptions::PyValueError::new_err)?;
    let options = uploads_ext::check::CheckOptions {
        method,
        validation,
        ..Default::default()
    };
    let report = py
        .detach(|| uploads_ext::check::check_file(&path, format, options))
        .map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("reading {}: {e}", path.display()))
        })?;
    serde_json::to_string(&report)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<uploader::Uploader>()?;
    m.add_class::<upload::UploadHandle>()?;
    m.add_class::<server::LocalServer>()?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add("ENGINE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
