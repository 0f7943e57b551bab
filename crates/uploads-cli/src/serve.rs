//! `openai-uploads serve`: the local Uploads API server as a long-running process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use uploads_server::{ConnectionLimits, Faults, Server, ServerConfig, WorkflowConfig};

use crate::output::{exit, fail};
use crate::units::{format_duration, format_size, parse_duration, parse_size};
use uploads_client::rules::{MAX_PART_BYTES, MAX_UPLOAD_BYTES, UPLOAD_TTL_SECS};

/// Run a local server for the Uploads API: no key or internet needed, faults on demand.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on: IP:PORT or HOST:PORT, like localhost:8080 (port 0 picks a free
    /// one).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    addr: SocketAddr,
    /// Keep uploads here (default: a temporary directory removed on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The one API key accepted (default: any non-empty key). From the environment it stays
    /// out of `ps`.
    #[arg(
        long,
        value_name = "KEY",
        env = "OPENAI_UPLOADS_SERVE_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// Largest part accepted.
    #[arg(long, default_value = format_size(MAX_PART_BYTES), value_parser = parse_size, value_name = "SIZE")]
    max_part_size: u64,
    /// Largest upload accepted.
    #[arg(long, default_value = format_size(MAX_UPLOAD_BYTES), value_parser = parse_size, value_name = "SIZE")]
    max_upload_size: u64,
    /// Open connections at most; more wait to be accepted.
    #[arg(long, default_value_t = ConnectionLimits::default().max_connections, value_name = "N")]
    max_connections: usize,
    /// How long a request's headers may take, and an idle connection may wait for its next request.
    #[arg(long, default_value = format_duration(ConnectionLimits::default().header_read_timeout), value_parser = parse_duration, value_name = "DURATION")]
    header_timeout: Duration,
    /// How long a part's body may go without a byte before it is answered 408.
    #[arg(long, default_value = format_duration(ConnectionLimits::default().body_stall_timeout), value_parser = parse_duration, value_name = "DURATION")]
    body_timeout: Duration,
    /// How long an upload stays pending.
    #[arg(long, default_value = format_duration(Duration::from_secs(UPLOAD_TTL_SECS.unsigned_abs())), value_parser = parse_duration, value_name = "DURATION")]
    upload_ttl: Duration,
    /// How often the parts of expired and cancelled uploads are removed from disk.
    #[arg(long, default_value = format_duration(ServerConfig::default().sweep_interval), value_parser = parse_duration, value_name = "DURATION")]
    sweep_interval: Duration,
    /// Seed for the fault decisions, so a run can be repeated.
    #[arg(long, default_value_t = 0, help_heading = "Faults")]
    fault_seed: u64,
    /// Fraction of part requests that fail with --fail-status.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Faults",
        value_name = "RATE"
    )]
    fail_rate: f64,
    #[arg(
        long,
        default_value_t = 503,
        help_heading = "Faults",
        value_name = "STATUS"
    )]
    fail_status: u16,
    /// Send `x-should-retry: true|false` with the injected errors.
    #[arg(long, help_heading = "Faults", value_name = "BOOL")]
    fail_should_retry: Option<bool>,
    /// Carry out the first N completes but drop their connection before the response.
    #[arg(long, default_value_t = 0, help_heading = "Faults", value_name = "N")]
    lose_complete_responses: u32,
    /// Fraction of part requests answered 429 with Retry-After.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Faults",
        value_name = "RATE"
    )]
    rate_limit_rate: f64,
    /// The Retry-After of injected 429s.
    #[arg(long, default_value = format_duration(Faults::default().retry_after), value_parser = parse_duration, help_heading = "Faults", value_name = "DURATION")]
    retry_after: Duration,
    /// Fraction of part requests whose connection is reset halfway through the body.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Faults",
        value_name = "RATE"
    )]
    reset_rate: f64,
    /// Fraction of part requests answered after --delay.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Faults",
        value_name = "RATE"
    )]
    delay_rate: f64,
    #[arg(long, default_value = "0s", value_parser = parse_duration, help_heading = "Faults", value_name = "DURATION")]
    delay: Duration,
    /// Added to every request, like a WAN round trip.
    #[arg(long, default_value = "0s", value_parser = parse_duration, help_heading = "Faults", value_name = "DURATION")]
    latency: Duration,
    /// Bytes per second read from each connection (e.g. 25MB), like one TCP stream on a WAN.
    #[arg(long, value_parser = parse_size, help_heading = "Faults", value_name = "SIZE")]
    bandwidth: Option<u64>,
    /// Bytes per second read from all connections together (e.g. 50MB), like one uplink.
    #[arg(long, value_parser = parse_size, help_heading = "Faults", value_name = "SIZE")]
    link_bandwidth: Option<u64>,
    /// Bytes the data directory may still take: writes past them fail as on a full disk.
    #[arg(long, value_parser = parse_size, help_heading = "Faults", value_name = "SIZE")]
    disk_space: Option<u64>,
    /// How long each status of a batch, vector store file batch or fine-tuning job lasts.
    #[arg(long, default_value = format_duration(WorkflowConfig::default().step), value_parser = parse_duration, help_heading = "After the upload", value_name = "DURATION")]
    workflow_step: Duration,
    /// A status batches, file batches and jobs reach and never leave (e.g. in_progress,
    /// finalizing, running): a stuck service, for deadlines.
    #[arg(long, help_heading = "After the upload", value_name = "STATUS")]
    stick_at: Option<String>,
    /// Every N-th request of a batch fails and goes to the batch's error file.
    #[arg(
        long,
        default_value_t = 0,
        help_heading = "After the upload",
        value_name = "N"
    )]
    fail_batch_requests_every: u32,
    /// The first N vector store files end failed with a server_error.
    #[arg(
        long,
        default_value_t = 0,
        help_heading = "After the upload",
        value_name = "N"
    )]
    fail_vector_store_files: u32,
    /// Carry out the first N creates of batches, vector stores, file batches and jobs but
    /// drop their connection before the response.
    #[arg(
        long,
        default_value_t = 0,
        help_heading = "After the upload",
        value_name = "N"
    )]
    lose_create_responses: u32,
}

/// An address to listen on: an IP and port, or a host name and port resolved here (the
/// first IPv4 address, as `localhost` means 127.0.0.1 to most clients).
fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    use std::net::ToSocketAddrs;
    let found: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("{text:?} is not HOST:PORT or IP:PORT ({e})"))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

pub async fn run(args: ServeArgs) -> u8 {
    for (name, rate) in [
        ("--fail-rate", args.fail_rate),
        ("--rate-limit-rate", args.rate_limit_rate),
        ("--reset-rate", args.reset_rate),
        ("--delay-rate", args.delay_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return fail(
                exit::USAGE,
                format!("{name} is {rate}: a rate is a fraction between 0 and 1"),
            );
        }
    }
    let args_had_key = args.api_key.is_some();
    if args.api_key.is_none() && !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} (not loopback) and accepting ANY API key: anyone who can reach it can store and read files; set --api-key",
            args.addr
        );
    }
    let config = ServerConfig {
        addr: args.addr,
        data_dir: args.data_dir,
        api_key: args.api_key,
        limits: uploads_client::rules::Limits {
            max_part_bytes: args.max_part_size,
            max_upload_bytes: args.max_upload_size,
        },
        upload_ttl: args.upload_ttl,
        faults: Faults {
            seed: args.fault_seed,
            error_rate: args.fail_rate,
            error_status: args.fail_status,
            error_should_retry: args.fail_should_retry,
            lose_complete_responses: args.lose_complete_responses,
            rate_limit_rate: args.rate_limit_rate,
            retry_after: args.retry_after,
            reset_rate: args.reset_rate,
            delay_rate: args.delay_rate,
            delay: args.delay,
            latency: args.latency,
            bandwidth: args.bandwidth,
            link_bandwidth: args.link_bandwidth,
            disk_space: args.disk_space,
        },
        connections: ConnectionLimits {
            max_connections: args.max_connections,
            header_read_timeout: args.header_timeout,
            body_stall_timeout: args.body_timeout,
        },
        sweep_interval: args.sweep_interval,
        workflows: WorkflowConfig {
            step: args.workflow_step,
            stick_at: args.stick_at,
            fail_batch_requests_every: args.fail_batch_requests_every,
            fail_vector_store_files: args.fail_vector_store_files,
            lose_create_responses: args.lose_create_responses,
        },
    };
    // Request logs unless the user chose a filter with OPENAI_UPLOADS_LOG (a no-op after
    // --verbose set up logging already).
    crate::output::init_tracing("uploads_server=info");
    // Listening for the stop signals before anyone can know the URL: no signal is missed.
    let stop = StopSignal::listen();
    let server = match Server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            return fail(
                exit::FAILED,
                format!("could not start the server on {}: {e}", args.addr),
            );
        }
    };
    // The first stdout line is the base URL, for scripts and tests.
    // Scripts read the URL from the first line; one that stops reading does not stop the server.
    let _ = crate::output::out(server.base_url());
    // The key to try with: the one it takes (--api-key), else any.
    let key = if args_had_key {
        "<the key given to serve>"
    } else {
        "sk-local"
    };
    eprintln!(
        "openai-uploads local server on {} (data in {}). Try:\n  OPENAI_BASE_URL={} OPENAI_API_KEY={key} openai-uploads put FILE --purpose assistants",
        server.base_url(),
        server.data_dir().display(),
        server.base_url()
    );
    stop.wait().await;
    eprintln!("shutting down");
    server.shutdown().await;
    exit::OK
}

/// Ctrl-C, or SIGTERM (what service managers and `kill` send): both stop gracefully.
struct StopSignal {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    interrupt: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>,
}

impl StopSignal {
    /// Starts listening (the handlers are installed now, not when waited on).
    fn listen() -> Self {
        let mut interrupt: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
            Box::pin(tokio::signal::ctrl_c());
        // Polling once installs the Ctrl-C handler.
        let waker = futures::task::noop_waker();
        let _ = interrupt
            .as_mut()
            .poll(&mut std::task::Context::from_waker(&waker));
        Self {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
            interrupt,
        }
    }

    /// Waits for either signal.
    async fn wait(mut self) {
        #[cfg(unix)]
        if let Some(term) = &mut self.term {
            tokio::select! {
                _ = &mut self.interrupt => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = self.interrupt.await;
    }
}
