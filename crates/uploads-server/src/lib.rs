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
//! Layout, from the bottom up: `config` (limits, expiry, faults), `store` (crash-safe metadata
//! and part files), `state` (what handlers share), `routes` (the router, handlers by resource),
//! `faults` (the fault-injection decisions and the bandwidth throttle), `serve` (the accept
//! loop that can reset connections). Each module imports only those before it.

#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod accept;
mod config;
mod envelope;
mod faults;
mod headers;
mod routes;
mod serve;
mod state;
mod store;

pub use config::{ConnectionLimits, Faults, Limits, ServerConfig};
pub use serve::Server;
pub use state::Stats;
