//! How a server is started: address, data, key, limits, expiry and faults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use uploads_client::rules::Limits;

/// How a [`Server`](crate::Server) starts.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Where uploads are kept. `None`: a fresh temporary directory, removed at shutdown.
    pub data_dir: Option<PathBuf>,
    /// The one key accepted. `None`: any non-empty bearer key.
    pub api_key: Option<String>,
    /// Part and upload size limits (scaled down in tests).
    pub limits: Limits,
    /// How long an Upload stays pending after creation (the real API: one hour).
    pub upload_ttl: Duration,
    /// Faults to inject.
    pub faults: Faults,
    /// Connections and timeouts.
    pub connections: ConnectionLimits,
    /// How often the parts of expired and cancelled uploads are removed from disk.
    pub sweep_interval: Duration,
    /// How batches, vector store files and fine-tuning jobs move, and their faults.
    pub workflows: WorkflowConfig,
}

/// How the work after an upload moves: each batch, file batch and job passes through its
/// statuses one `step` at a time (the live service takes minutes to hours), with faults.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowConfig {
    /// How long each status lasts.
    pub step: Duration,
    /// A status that batches, file batches and jobs reach and then never leave (`in_progress`,
    /// `finalizing`, `running`, ...): a stuck service, for clients' deadlines.
    pub stick_at: Option<String>,
    /// Every this-many-th request of a batch fails and goes to its error file; 0: none.
    pub fail_batch_requests_every: u32,
    /// The first this-many vector store files end `failed` with a `server_error`.
    pub fail_vector_store_files: u32,
    /// The first this-many creates (batches, vector stores, file batches, jobs) are carried
    /// out but their connection is dropped before the response: a response lost on the way
    /// back.
    pub lose_create_responses: u32,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        Self {
            step: Duration::from_secs(2),
            stick_at: None,
            fail_batch_requests_every: 0,
            fail_vector_store_files: 0,
            lose_create_responses: 0,
        }
    }
}

/// How many connections, and how long a slow or silent client is waited for.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionLimits {
    /// Open connections at most; more wait to be accepted.
    pub max_connections: usize,
    /// How long a request's headers may take to arrive; also how long an idle keep-alive
    /// connection is kept waiting for its next request.
    pub header_read_timeout: Duration,
    /// How long a part's body may go without a byte before the request is answered 408.
    pub body_stall_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(30),
            body_stall_timeout: Duration::from_secs(60),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            api_key: None,
            limits: Limits::default(),
            upload_ttl: Duration::from_secs(uploads_client::rules::UPLOAD_TTL_SECS as u64),
            faults: Faults::default(),
            connections: ConnectionLimits::default(),
            sweep_interval: Duration::from_secs(60),
            workflows: WorkflowConfig::default(),
        }
    }
}

/// Faults to inject, off by default. Rates are fractions (0.0 to 1.0) of part requests; the
/// decisions come from a random generator seeded with `seed`, so a run can be repeated.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Seeds the fault decisions.
    pub seed: u64,
    /// Fraction of part requests answered with `error_status` (500, 502, 503).
    pub error_rate: f64,
    /// The status of an injected server error.
    pub error_status: u16,
    /// The `x-should-retry` header an injected server error carries, if any.
    pub error_should_retry: Option<bool>,
    /// Fraction of part requests answered 429 with `Retry-After: retry_after`.
    pub rate_limit_rate: f64,
    /// The wait an injected 429 asks for.
    pub retry_after: Duration,
    /// Fraction of part requests whose connection is reset halfway through the body.
    pub reset_rate: f64,
    /// Fraction of part requests whose response is delayed by `delay`.
    pub delay_rate: f64,
    /// How long a delayed response waits.
    pub delay: Duration,
    /// The first this-many complete requests are carried out (the File is made) but their
    /// connection is dropped before the response: a response lost on the way back.
    pub lose_complete_responses: u32,
    /// Added to every request before it is handled, like a WAN round trip.
    pub latency: Duration,
    /// Bytes per second read from each connection; `None` for no cap. One TCP stream is slow,
    /// parallel parts are what makes an upload fast, as on a real WAN link.
    pub bandwidth: Option<u64>,
    /// Bytes per second read from all connections together, like one uplink; `None` for no
    /// cap. With it, more parallel parts stop helping once the link is full.
    pub link_bandwidth: Option<u64>,
    /// Bytes the data directory may still take; a write past them fails as on a full disk
    /// (what fits is written, then `ENOSPC`). `None`: as much as the disk holds.
    pub disk_space: Option<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            seed: 0,
            error_rate: 0.0,
            error_status: 503,
            error_should_retry: None,
            lose_complete_responses: 0,
            rate_limit_rate: 0.0,
            retry_after: Duration::from_secs(1),
            reset_rate: 0.0,
            delay_rate: 0.0,
            delay: Duration::ZERO,
            latency: Duration::ZERO,
            bandwidth: None,
            link_bandwidth: None,
            disk_space: None,
        }
    }
}
