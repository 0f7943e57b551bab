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
//! Layout: [`config`] (limits, expiry, faults), [`store`] (crash-safe metadata and part files),
//! [`routes`] (the router and handlers), [`faults`] (the fault-injection decisions and the
//! bandwidth throttle), [`serve`] (the accept loop that can reset connections).

pub mod config;
mod envelope;
pub mod faults;
mod routes;
mod serve;
pub mod store;

pub use config::{Faults, ServerConfig};
pub use serve::{Server, Stats};
