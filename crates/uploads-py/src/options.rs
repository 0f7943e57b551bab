//! The options the Python side sends as JSON: the client's (key, URL, organization, project,
//! timeout) and one upload's, with the defaults the Python signatures document.

use std::time::Duration;

use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::Deserialize;

/// How to reach the API, as an `openai.OpenAI` client (or the environment) gives it. No
/// `Debug`: nothing may print it (the key is in it).
#[derive(Deserialize)]
pub(crate) struct ClientOptions {
    pub(crate) api_key: String,
    pub(crate) base_url: Option<String>,
    pub(crate) organization: Option<String>,
    pub(crate) project: Option<String>,
    /// Seconds per request.
    pub(crate) timeout: Option<f64>,
    /// Parts in flight, shared by every upload of the uploader.
    pub(crate) concurrency: Option<usize>,
    /// Where resume journals go (`resume=True`); none: nothing is resumed.
    pub(crate) journal_dir: Option<std::path::PathBuf>,
    /// The smallest part size asked for (tests with a scaled-down server).
    pub(crate) min_part_size: Option<u64>,
    /// The server's part limit, if not the real API's (tests).
    pub(crate) max_part_size: Option<u64>,
    /// The SDK client's `default_headers`.
    #[serde(default)]
    pub(crate) headers: Vec<(String, String)>,
}

/// One upload's options.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadOptions {
    pub(crate) purpose: String,
    pub(crate) mime_type: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) part_size: Option<u64>,
    pub(crate) check: bool,
    pub(crate) md5: bool,
    pub(crate) expires_after: Option<i64>,
    /// The stream's length, for a file object.
    pub(crate) size: Option<u64>,
    /// Accept a purpose newer than the engine knows.
    pub(crate) allow_unknown_purpose: bool,
}

/// Parses the JSON the Python side sent.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("bad options: {e}")))
}

impl ClientOptions {
    /// The API client.
    pub(crate) fn client(&self) -> PyResult<uploads_client::Client> {
        let mut config = uploads_client::ClientConfig::default().api_key(&self.api_key);
        if let Some(url) = &self.base_url {
            config = config.base_url(url);
        }
        if let Some(org) = &self.organization {
            config = config.organization(org);
        }
        if let Some(project) = &self.project {
            config = config.project(project);
        }
        for (name, value) in &self.headers {
            config = config.header(name, value);
        }
        // The Python side sends only a positive finite number; anything else is none given
        // here too rather than a panic (`from_secs_f64` panics on what it cannot hold).
        let timeout = self
            .timeout
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
        if let Some(timeout) = timeout.filter(|t| !t.is_zero()) {
            config = config.request_timeout(timeout);
        }
        config
            .build()
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}
