//! Starting and stopping a server: the accept loop, per-connection throttling, injected faults.
//!
//! We run our own accept loop (hyper-util) rather than `axum::serve` because a fault must be able
//! to drop a connection halfway through a request body, which only a service that can fail does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::ServerConfig;
use crate::accept::Acceptor;
use crate::envelope::ApiFailure;
use crate::faults::{FaultPlan, PartFault, Throttled};
use crate::framing::Enveloped;
use crate::give_way::{Connection, Progress};
use crate::headers;
use crate::operation::Operation;
use crate::stall::WriteDeadline;
use crate::state::{AppState, Counters, Stats};
use crate::store::{Disk, Store};

/// A running server. Dropping it without [`shutdown`](Self::shutdown) stops accepting at once.
pub struct Server {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("running", &self.task.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the data directory, binds, and serves in the background.
    pub async fn start(config: ServerConfig) -> std::io::Result<Self> {
        let (dir, temp): (PathBuf, _) = match &config.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("openai-uploads-server-")
                    .tempdir()?;
                (t.path().to_owned(), Some(t))
            }
        };
        let store = Store::open(&dir, Disk::new(config.faults.disk_space)).await?;
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let faults = FaultPlan::new(config.faults.clone());
        let state = Arc::new(AppState {
            workflows: crate::workflows::Workflows::new(config.workflows.clone()),
            config,
            store,
            stats: Counters::default(),
            faults,
        });
        let stop = CancellationToken::new();
        let task = tokio::spawn(accept_loop(listener, state.clone(), stop.clone()));
        tokio::spawn(sweep_loop(state.clone(), stop.clone()));
        tracing::info!(%addr, data_dir = %dir.display(), "uploads server listening");
        Ok(Self {
            addr,
            state,
            stop,
            task: Some(task),
            _temp_dir: temp,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:41234/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Where its data is.
    pub fn data_dir(&self) -> &Path {
        self.state.store.dir()
    }

    /// Its counters now.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// Stops accepting, lets requests in flight finish (up to 10 s), and returns.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<AppState>, stop: CancellationToken) {
    let router = crate::routes::router(state.clone());
    let graceful = GracefulShutdown::new();
    let limits = state.config.connections.clone();
    let mut acceptor = Acceptor::new(listener, limits.max_connections);
    loop {
        let (stream, peer, slot) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = acceptor.accept() => accepted,
        };
        let _ = stream.set_nodelay(true);
        let registered = acceptor.connections.register();
        let conn = registered.conn.clone();
        let io = TokioIo::new(Enveloped::new(WriteDeadline::new(
            Throttled::new(
                Progress::new(stream, conn.clone()),
                state.config.faults.bandwidth,
                state.faults.link(),
            ),
            state.config.connections.body_stall_timeout,
        )));
        let (state, router) = (state.clone(), router.clone());
        let close = conn.close.clone();
        let service = hyper::service::service_fn(move |req| {
            handle(state.clone(), router.clone(), req, conn.clone())
        });
        let watcher = graceful.watcher();
        let header_timeout = limits.header_read_timeout;
        tokio::spawn(async move {
            let (_slot, _registered) = (slot, registered);
            // HTTP/1.1 only: the connection limits (idle, headers, body progress) are HTTP/1's;
            // HTTP/2 (h2c) would multiplex streams past them.
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(io, service);
            tokio::select! {
                ended = watcher.watch(conn) => {
                    if let Err(e) = ended {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                // At the cap, idle: dropping the connection closes it for one waiting.
                () = close.cancelled() => tracing::debug!(%peer, "connection gave way"),
            }
        });
    }
    drop(acceptor);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; stopping anyway");
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The request limit an injected 429 reports in `x-ratelimit-limit-requests`.
const RATE_LIMIT_REQUESTS: u64 = 500;

/// One request, logged with its outcome.
async fn handle(
    state: Arc<AppState>,
    router: axum::Router,
    req: Request<Incoming>,
    conn: Arc<Connection>,
) -> Result<Response<Body>, BoxError> {
    let _handling = conn.handling();
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let started = std::time::Instant::now();
    let operation = Operation::of(&method, &path);
    let _in_flight = (operation == Operation::Part).then(|| InFlight::enter(&state));
    let echo = headers::Echo::from_request(req.headers());
    let request_id = headers::request_id();
    let mut result = handle_inner(state.clone(), router, req, operation, &conn)
        .await
        .map(crate::envelope::ensure_envelope);
    let ms = started.elapsed().as_millis() as u64;
    match &mut result {
        Ok(resp) => {
            headers::apply(resp, echo, &request_id, ms);
            tracing::info!(%method, %path, status = resp.status().as_u16(), ms, request_id, "request");
        }
        Err(e) => tracing::info!(%method, %path, ms, error = %e, request_id, "request"),
    }
    result
}

/// Counts a part request as in flight until dropped (also when the connection is dropped).
struct InFlight(Arc<AppState>);

impl InFlight {
    fn enter(state: &Arc<AppState>) -> Self {
        let now = state.stats.parts_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state
            .stats
            .max_parts_in_flight
            .fetch_max(now, Ordering::SeqCst);
        Self(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.stats.parts_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Latency, then for part requests a drawn fault, then the router.
async fn handle_inner(
    state: Arc<AppState>,
    router: axum::Router,
    req: Request<Incoming>,
    operation: Operation,
    conn: &Arc<Connection>,
) -> Result<Response<Body>, BoxError> {
    let faults = state.faults.faults();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let mut fault = PartFault::None;
    if operation == Operation::Part {
        state.stats.part_requests.fetch_add(1, Ordering::Relaxed);
        fault = state.faults.draw();
        if !matches!(fault, PartFault::None | PartFault::Delay) {
            state.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
        }
    }
    match fault {
        PartFault::Reset => {
            let declared = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(2);
            read_body(req.into_body(), Some(declared / 2)).await;
            tracing::info!("fault: connection reset halfway through a part body");
            Err("injected fault: connection reset".into())
        }
        PartFault::RateLimit => {
            read_body(req.into_body(), None).await;
            let secs = faults.retry_after.as_secs().max(1);
            let mut failure = ApiFailure::invalid(
                None,
                "Rate limit reached for requests (injected fault). Please try again later.",
            )
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .with_code("rate_limit_exceeded");
            // The live service types a request-rate 429 `requests` (a token-rate one `tokens`).
            failure.kind = "requests";
            let mut resp = failure.into_response();
            headers::rate_limited(&mut resp, RATE_LIMIT_REQUESTS, secs);
            resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
            resp.headers_mut().insert(
                "retry-after-ms",
                (faults.retry_after.as_millis() as u64).into(),
            );
            Ok(resp)
        }
        PartFault::ServerError => {
            read_body(req.into_body(), None).await;
            let status = StatusCode::from_u16(faults.error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut resp = ApiFailure::internal(
                "The server is temporarily unable to handle the request (injected fault).",
            )
            .with_status(status)
            .into_response();
            if let Some(should) = faults.error_should_retry {
                let value = if should { "true" } else { "false" };
                resp.headers_mut()
                    .insert("x-should-retry", header::HeaderValue::from_static(value));
            }
            Ok(resp)
        }
        PartFault::Delay => {
            let resp = route(router, req, conn).await;
            tokio::time::sleep(faults.delay).await;
            Ok(resp)
        }
        PartFault::None if operation == Operation::Complete => {
            let resp = route(router, req, conn).await;
            if resp.status().is_success() && state.faults.lose_complete_response() {
                state.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
                tracing::info!("fault: complete done, its response lost (connection dropped)");
                return Err("injected fault: complete response lost".into());
            }
            Ok(resp)
        }
        PartFault::None if operation == Operation::Create => {
            let resp = route(router, req, conn).await;
            if resp.status().is_success() && state.workflows.lose_create_response() {
                state.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
                tracing::info!("fault: create done, its response lost (connection dropped)");
                return Err("injected fault: create response lost".into());
            }
            Ok(resp)
        }
        PartFault::None => Ok(route(router, req, conn).await),
    }
}

async fn route(
    router: axum::Router,
    req: Request<Incoming>,
    conn: &Arc<Connection>,
) -> Response<Body> {
    match router.oneshot(req.map(|body| conn.watch_body(body))).await {
        Ok(resp) => resp,
        Err(e) => match e {},
    }
}

/// Reads and discards a body, all of it or up to `limit` bytes.
async fn read_body(mut body: Incoming, limit: Option<u64>) {
    let mut seen = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(data) = frame.data_ref() {
            seen += data.len() as u64;
        }
        if limit.is_some_and(|l| seen >= l) {
            return;
        }
    }
}

/// Every `sweep_interval`, the parts of expired and cancelled uploads leave the disk.
async fn sweep_loop(state: Arc<AppState>, stop: CancellationToken) {
    let every = state
        .config
        .sweep_interval
        .max(std::time::Duration::from_millis(10));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match state
            .store
            .sweep_expired(uploads_client::rules::unix_now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                uploads = n,
                "removed the parts of expired or cancelled uploads"
            ),
            Err(e) => tracing::warn!(error = %e, "sweeping expired uploads failed"),
        }
    }
}
