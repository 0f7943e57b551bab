//! The client every command that talks to the API builds: the environment, the global options
//! and `--base-url`, with a missing key as a usage error.

use std::path::PathBuf;

use crate::output::{exit, fail};

/// What every command that talks to the API takes from the global options.
pub(crate) struct Globals {
    /// Where resume journals are kept, if anywhere.
    pub(crate) journal_dir: Option<PathBuf>,
    /// `--allow-insecure-http`.
    pub(crate) allow_insecure_http: bool,
}

/// The client from the environment, with `--base-url` on top; a missing key is a usage error.
pub(crate) fn client_from_env(
    base_url: Option<&str>,
    globals: &Globals,
) -> Result<uploads_client::Client, u8> {
    let mut config = uploads_client::ClientConfig::from_env();
    if let Some(url) = base_url {
        config = config.base_url(url);
    }
    config = config.allow_insecure_http(globals.allow_insecure_http);
    if globals.allow_insecure_http && config.sends_key_in_clear() {
        eprintln!(
            "warning: {} is plain http to a host other than this machine: the API key travels in clear",
            config.base_url
        );
    }
    config.build().map_err(|e| match e {
        uploads_client::ConfigError::MissingApiKey => fail(
            exit::USAGE,
            "no API key: set OPENAI_API_KEY, or try it without one against a local server with --local",
        ),
        e @ uploads_client::ConfigError::InsecureBaseUrl { .. } => fail(
            exit::USAGE,
            format!("{e}\n  hint: --allow-insecure-http sends it anyway (the key travels in clear)"),
        ),
        other => fail(exit::USAGE, other),
    })
}
