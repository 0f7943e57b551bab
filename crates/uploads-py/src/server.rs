//! `openai_uploads.LocalServer`: the local server (the same as `openai-uploads serve`) in
//! this process, for offline tests of code that uploads.

use std::time::Duration;

use pyo3::prelude::*;
use serde::Deserialize;
use uploads_server::{Faults, Server, ServerConfig, WorkflowConfig};

use crate::{options, runtime};

/// What the Python side may set (JSON text): the key, limits and faults.
#[derive(Default, Deserialize)]
#[serde(default)]
struct ServerOptions {
    api_key: Option<String>,
    max_part_size: Option<u64>,
    error_rate: f64,
    error_status: Option<u16>,
    reset_rate: f64,
    lose_complete_responses: u32,
    latency: f64,
    bandwidth: Option<u64>,
    link_bandwidth: Option<u64>,
    seed: u64,
    workflow_step: Option<f64>,
    stick_at: Option<String>,
    fail_batch_requests_every: u32,
    fail_vector_store_files: u32,
    lose_create_responses: u32,
}

/// A running local server.
#[pyclass(module = "openai_uploads._native")]
pub(crate) struct LocalServer {
    server: Option<Server>,
    base_url: String,
}

#[pymethods]
impl LocalServer {
    /// Starts a server on a free loopback port with its data in a temporary directory.
    #[new]
    fn new(py: Python<'_>, options_json: &str) -> PyResult<Self> {
        let o: ServerOptions = options::parse(options_json)?;
        let mut config = ServerConfig {
            api_key: o.api_key,
            faults: Faults {
                seed: o.seed,
                error_rate: o.error_rate,
                reset_rate: o.reset_rate,
                lose_complete_responses: o.lose_complete_responses,
                latency: Duration::from_secs_f64(o.latency.max(0.0)),
                bandwidth: o.bandwidth,
                link_bandwidth: o.link_bandwidth,
                ..Faults::default()
            },
            workflows: WorkflowConfig {
                step: o.workflow_step.map_or(WorkflowConfig::default().step, |s| {
                    Duration::from_secs_f64(s.max(0.0))
                }),
                stick_at: o.stick_at,
                fail_batch_requests_every: o.fail_batch_requests_every,
                fail_vector_store_files: o.fail_vector_store_files,
                lose_create_responses: o.lose_create_responses,
            },
            ..ServerConfig::default()
        };
        if let Some(status) = o.error_status {
            config.faults.error_status = status;
        }
        if let Some(max) = o.max_part_size {
            config.limits.max_part_bytes = max;
        }
        let rt = runtime::get()?;
        let server = py
            .detach(|| rt.block_on(Server::start(config)))
            .map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!("starting the local server: {e}"))
            })?;
        Ok(Self {
            base_url: server.base_url(),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT/v1`.
    #[getter]
    fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The server's counters (parts stored, uploads completed, ...) as JSON text.
    fn stats(&self) -> PyResult<String> {
        let server = self.server.as_ref().ok_or_else(|| {
            pyo3::exceptions::PyRuntimeError::new_err("the local server is stopped")
        })?;
        serde_json::to_string(&server.stats())
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }

    /// Stops the server (its data goes with it).
    fn stop(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(server) = self.server.take() {
            let rt = runtime::get()?;
            py.detach(|| rt.block_on(server.shutdown()));
        }
        Ok(())
    }
}
