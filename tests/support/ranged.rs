//! A ranged-GET file server of the tests' own: what a public file server or a presigned URL
//! answers (Range, ETag, If-Match, a signature in the query), with the faults a test needs
//! (ranges ignored, a file replaced after some bytes were served). It runs on a thread of its
//! own, so synchronous tests of the binary can use it as well as async ones.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// One file served.
#[derive(Clone)]
struct Served {
    bytes: Arc<Vec<u8>>,
    etag: String,
}

#[derive(Default)]
struct Shared {
    files: Mutex<HashMap<String, Served>>,
    /// Body bytes sent, over every answer.
    sent: AtomicU64,
    generation: AtomicU64,
    /// Query the server requires (a stand-in for a presigned URL's signature).
    token: Option<String>,
    /// Answer 200 and the whole file to every Range.
    ignore_ranges: bool,
    /// Replace a file by these bytes once this many body bytes were sent.
    replace: Mutex<Option<(u64, String, Vec<u8>)>>,
    /// The `If-Match` of each GET.
    if_match: Mutex<Vec<Option<String>>>,
    /// The next this-many ranged GETs are answered with this status.
    failing: Mutex<(usize, u16)>,
    /// The next ranged GET is answered wrongly: `Short` a byte short, `Shifted` from one
    /// byte later than asked.
    wrong: Mutex<Option<Wrong>>,
}

/// A wrong answer to a ranged GET, on cue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrong {
    /// The body one byte short of the range its Content-Range states.
    Short,
    /// The range one byte later than the one asked for.
    Shifted,
}

/// The server; stopped when dropped.
pub struct RangedServer {
    base: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RangedServer {
    /// Serves `http://127.0.0.1:PORT/NAME`.
    pub fn start() -> Self {
        Self::with(Shared::default())
    }

    /// Every GET must carry `token` as its query, as a presigned URL's signature (403 if not).
    pub fn with_token(token: &str) -> Self {
        Self::with(Shared {
            token: Some(token.to_owned()),
            ..Shared::default()
        })
    }

    /// Answers every Range with 200 and the whole file.
    pub fn ignoring_ranges() -> Self {
        Self::with(Shared {
            ignore_ranges: true,
            ..Shared::default()
        })
    }

    fn with(shared: Shared) -> Self {
        let shared = Arc::new(shared);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the ranged server");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a loopback port");
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new()
                    .route("/{*name}", axum::routing::get(get_file))
                    .with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("the ranged server's address");
        Self {
            base: format!("http://{addr}"),
            shared,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// The URL of `name` (no query).
    pub fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// Serves `bytes` as `name`, with a new ETag.
    pub fn put(&self, name: &str, bytes: Vec<u8>) {
        let n = self.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.shared.files.lock().unwrap().insert(
            name.to_owned(),
            Served {
                bytes: Arc::new(bytes),
                etag: format!("\"{name}-v{n}\""),
            },
        );
    }

    /// Replaces `name` by `bytes` once `after` body bytes have been sent in all.
    pub fn replace_after(&self, after: u64, name: &str, bytes: Vec<u8>) {
        *self.shared.replace.lock().unwrap() = Some((after, name.to_owned(), bytes));
    }

    /// Body bytes sent so far.
    pub fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// Answers the next `count` ranged GETs (after the first byte's) with `status`.
    pub fn fail_next(&self, count: usize, status: u16) {
        *self.shared.failing.lock().unwrap() = (count, status);
    }

    /// Answers the next ranged GET (after the first byte's) wrongly.
    pub fn answer_next_wrongly(&self, wrong: Wrong) {
        *self.shared.wrong.lock().unwrap() = Some(wrong);
    }

    /// The `If-Match` of each GET so far.
    pub fn if_matches(&self) -> Vec<Option<String>> {
        self.shared.if_match.lock().unwrap().clone()
    }
}

impl Drop for RangedServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn get_file(
    State(s): State<Arc<Shared>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let text = |h| {
        headers
            .get(h)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    s.if_match
        .lock()
        .unwrap()
        .push(text(header::IF_MATCH).map(str::to_owned));
    if let Some(token) = &s.token
        && query.as_deref() != Some(token.as_str())
    {
        return answer(StatusCode::FORBIDDEN, &[], Vec::new());
    }
    let Some(file) = s.files.lock().unwrap().get(&name).cloned() else {
        return answer(StatusCode::NOT_FOUND, &[], Vec::new());
    };
    let len = file.bytes.len() as u64;
    if let Some(m) = text(header::IF_MATCH)
        && m != file.etag
    {
        return answer(StatusCode::PRECONDITION_FAILED, &[], Vec::new());
    }
    let etag = ("etag", file.etag.clone());
    let range = text(header::RANGE).and_then(parse_range);
    if range.is_some_and(|(start, end)| (start, end) != (0, 0)) {
        let mut failing = s.failing.lock().unwrap();
        if failing.0 > 0 {
            failing.0 -= 1;
            let status = StatusCode::from_u16(failing.1).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return answer(status, &[], Vec::new());
        }
    }
    let body = match range {
        Some(_) if s.ignore_ranges => {
            let body = file.bytes.to_vec();
            return sent(&s, answer(StatusCode::OK, &[etag], body), len);
        }
        None => {
            let body = file.bytes.to_vec();
            return sent(&s, answer(StatusCode::OK, &[etag], body), len);
        }
        Some((start, _)) if start >= len => {
            return answer(
                StatusCode::RANGE_NOT_SATISFIABLE,
                &[("content-range", format!("bytes */{len}"))],
                Vec::new(),
            );
        }
        Some((start, end)) => {
            let end = end.min(len - 1);
            // Taken by the first ranged GET it can apply to (a shift needs a byte after).
            let wrong = {
                let mut w = s.wrong.lock().unwrap();
                let applies = match *w {
                    _ if (start, end) == (0, 0) => false,
                    Some(Wrong::Shifted) => end + 1 < len,
                    _ => true,
                };
                if applies { w.take() } else { None }
            };
            let (start, end, cut) = match wrong {
                Some(Wrong::Shifted) if end + 1 < len => (start + 1, end + 1, 0),
                Some(Wrong::Short) => (start, end, 1),
                _ => (start, end, 0),
            };
            let body = file.bytes[start as usize..=(end - cut) as usize].to_vec();
            let n = body.len() as u64;
            let r = answer(
                StatusCode::PARTIAL_CONTENT,
                &[
                    etag,
                    ("content-range", format!("bytes {start}-{end}/{len}")),
                ],
                body,
            );
            (r, n)
        }
    };
    sent(&s, body.0, body.1)
}

/// Counts a body sent, and makes a replacement due.
fn sent(s: &Shared, response: Response, n: u64) -> Response {
    let total = s.sent.fetch_add(n, Ordering::SeqCst) + n;
    let mut due = s.replace.lock().unwrap();
    if due.as_ref().is_some_and(|(after, _, _)| total >= *after)
        && let Some((_, name, bytes)) = due.take()
    {
        let n = s.generation.fetch_add(1, Ordering::SeqCst);
        s.files.lock().unwrap().insert(
            name.clone(),
            Served {
                bytes: Arc::new(bytes),
                etag: format!("\"{name}-v{n}\""),
            },
        );
    }
    response
}

fn answer(status: StatusCode, headers: &[(&str, String)], body: Vec<u8>) -> Response {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Body::from(body)).unwrap()
}

/// `bytes=a-b` (or `bytes=a-`).
fn parse_range(text: &str) -> Option<(u64, u64)> {
    let (a, b) = text.strip_prefix("bytes=")?.split_once('-')?;
    let start = a.trim().parse().ok()?;
    let end = if b.trim().is_empty() {
        u64::MAX
    } else {
        b.trim().parse().ok()?
    };
    Some((start, end))
}
