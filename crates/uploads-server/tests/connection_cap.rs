//! At the connection cap, stalled clients cannot lock others out: a connection that moves no
//! byte gives way to one waiting, while connections that make progress, and requests our own
//! handler is working on, keep theirs.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{http, post_json, post_part};
use serde_json::json;
use uploads_server::{ConnectionLimits, Faults, Server, ServerConfig};

const KEY: &str = "sk-local";
const CAP: usize = 4;

fn capped(faults: Faults) -> ServerConfig {
    ServerConfig {
        connections: ConnectionLimits {
            max_connections: CAP,
            // Far past the test: only giving way can free a slot in time.
            body_stall_timeout: Duration::from_secs(60),
            ..Default::default()
        },
        faults,
        ..ServerConfig::default()
    }
}

/// `GET /files`, given `limit` to be answered.
async fn list_files_within(
    s: &Server,
    limit: Duration,
) -> Result<reqwest::Result<reqwest::Response>, tokio::time::error::Elapsed> {
    let request = http()
        .get(format!("{}/files", s.base_url()))
        .bearer_auth(KEY)
        .send();
    tokio::time::timeout(limit, request).await
}

/// A JSON POST whose body says 100 bytes and sends 9, then nothing.
fn stalled_post(addr: std::net::SocketAddr) -> TcpStream {
    let mut c = TcpStream::connect(addr).unwrap();
    write!(
        c,
        "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"filenam"
    )
    .unwrap();
    c
}

#[test]
fn stalled_requests_at_the_cap_give_way_to_a_new_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt
        .block_on(Server::start(capped(Faults::default())))
        .unwrap();
    let stalled: Vec<TcpStream> = (0..CAP).map(|_| stalled_post(s.addr())).collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let listed = rt.block_on(list_files_within(&s, Duration::from_secs(10)));
    let status = listed
        .expect("a normal request waited behind stalled ones")
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The stalled connection that gave way was closed, not answered.
    let closed = stalled
        .into_iter()
        .filter_map(|mut c| {
            c.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut b = [0u8; 64];
            match c.read(&mut b) {
                Ok(0) => Some(()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(()),
                _ => None,
            }
        })
        .count();
    assert!(closed >= 1);
    rt.block_on(s.shutdown());
}

#[test]
fn connections_that_make_progress_and_handlers_at_work_keep_their_slots() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Every part request's answer waits 2.5 s in our handler after the part is stored.
    let faults = Faults {
        delay_rate: 1.0,
        delay: Duration::from_millis(2500),
        ..Faults::default()
    };
    let s = rt.block_on(Server::start(capped(faults))).unwrap();
    let (base, h) = (s.base_url(), http());
    let upload = rt.block_on(async {
        let body = json!({"filename": "a.txt", "purpose": "assistants", "bytes": 2, "mime_type": "text/plain"});
        post_json(&h, &base, "/uploads", KEY, &body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    // Two parts in our handler (idle on the wire for 2.5 s), two clients trickling a body a
    // byte every 300 ms: all four slots taken, none of them stalled.
    let parts: Vec<_> = (0..2)
        .map(|_| {
            let (h, base, upload) = (h.clone(), base.clone(), upload.clone());
            rt.spawn(async move { post_part(&h, &base, KEY, &upload, b"x").await })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let body = b"{\"filename\": \"x\"}";
    let tricklers: Vec<_> = (0..2)
        .map(|_| {
            let addr = s.addr();
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                write!(
                    c,
                    "POST /v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .unwrap();
                for b in body {
                    std::thread::sleep(Duration::from_millis(300));
                    if c.write_all(&[*b]).is_err() {
                        return String::new();
                    }
                }
                c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut answer = [0u8; 64];
                let n = c.read(&mut answer).unwrap_or(0);
                String::from_utf8_lossy(&answer[..n]).into_owned()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // A fifth request waits for a slot; none of the four may give theirs up.
    let fifth = rt.block_on(h.get(format!("{base}/files")).bearer_auth(KEY).send());
    assert_eq!(fifth.unwrap().status(), 200);
    for p in parts {
        let part = rt.block_on(p).unwrap();
        assert_eq!(part["object"], "upload.part", "{part}");
    }
    for t in tricklers {
        let answer = t.join().unwrap();
        // Answered (the body lacks purpose and bytes: a 400 in the envelope), not closed.
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    }
    rt.block_on(s.shutdown());
}

/// One keep-alive request on `c`, its answer read whole; the connection stays open.
fn request_and_keep(c: &mut TcpStream) {
    write!(
        c,
        "GET /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\r\n"
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        let n = c.read(&mut b).unwrap();
        assert!(n > 0, "closed before the answer");
        got.extend_from_slice(&b[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if body.len() >= len {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return;
            }
        }
    }
}

#[test]
fn keep_alive_connections_idle_after_their_request_give_way_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt
        .block_on(Server::start(capped(Faults::default())))
        .unwrap();
    // Every slot held by a connection whose request was answered and that now waits, idle.
    let idle: Vec<TcpStream> = (0..CAP)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr()).unwrap();
            request_and_keep(&mut c);
            c
        })
        .collect();
    let started = Instant::now();
    let listed = rt.block_on(list_files_within(&s, Duration::from_secs(10)));
    assert_eq!(
        listed
            .expect("a request waited behind idle keep-alive connections")
            .unwrap()
            .status(),
        200
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
    rt.block_on(s.shutdown());
}
