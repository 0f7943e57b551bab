//! A local server for OpenAI's Uploads API, faithful to the real one, with fault injection.
//!
//! It lets people run real uploads with no API key, gives our end-to-end tests and benchmarks a
//! real peer, and produces on demand the faults the real service produces only by chance.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use uploads_server::{Server, ServerConfig};
//! let server = Server::start(ServerConfig::default()).await?;
//! println!("listening on {}", server.base_url()); // e.g. http://127.0.0.1:41234/v1
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Layout, from the bottom up: `config` (limits, expiry, faults), `envelope` (OpenAI's error
//! body) and `headers` (the live service's response headers), `store` (crash-safe metadata and
//! part files), `faults` (the fault-injection decisions and the bandwidth throttle), `state`
//! (what handlers share: config, store, faults, counters), `routes` (the router, handlers by
//! resource), `accept` (the listener's error policy), `operation` (a request classified once
//! from its method and path), `serve` (the accept loop that can reset connections). Each module imports only those before it (the
//! `layers_import_only_those_below_them` test reads the sources to hold this).

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod accept;
mod config;
mod envelope;
mod faults;
mod framing;
mod give_way;
mod headers;
mod operation;
mod routes;
mod serve;
mod stall;
mod state;
mod store;
mod workflows;

pub use config::{ConnectionLimits, Faults, Limits, ServerConfig, WorkflowConfig};
pub use serve::Server;
pub use state::Stats;

#[cfg(test)]
mod tests {
    /// The layers, bottom up, as the crate doc lists them.
    const LAYERS: [(&str, &str); 10] = [
        ("config", include_str!("config.rs")),
        ("envelope", include_str!("envelope.rs")),
        ("headers", include_str!("headers.rs")),
        (
            "store",
            concat!(
                include_str!("store/mod.rs"),
                include_str!("store/part_log.rs"),
                include_str!("store/records.rs"),
                include_str!("store/recovery.rs")
            ),
        ),
        ("faults", include_str!("faults.rs")),
        ("state", include_str!("state.rs")),
        (
            "routes",
            concat!(
                include_str!("routes/mod.rs"),
                include_str!("routes/files.rs"),
                include_str!("routes/objects.rs"),
                include_str!("routes/request.rs"),
                include_str!("routes/uploads.rs")
            ),
        ),
        ("accept", include_str!("accept.rs")),
        ("operation", include_str!("operation.rs")),
        ("serve", include_str!("serve.rs")),
    ];

    #[test]
    fn layers_import_only_those_below_them() {
        for (i, (name, text)) in LAYERS.iter().enumerate() {
            for (above, _) in &LAYERS[i + 1..] {
                assert!(
                    !text.contains(&format!("crate::{above}")),
                    "{name} imports {above}, a layer above it"
                );
            }
        }
    }
}
