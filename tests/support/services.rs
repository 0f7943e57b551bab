//! The protocol servers the object-storage tests run against, started here as processes on
//! loopback: moto's standalone server (S3) and Azurite (Azure Blob Storage). `.ci/run`
//! installs both; a test that cannot find or start one fails with what to install, never
//! skips.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed when dropped.
pub struct Service {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program named by `env` if set, else where `.ci/services.sh` installs it, else `name`
/// on PATH.
fn program(env: &str, name: &str, installed: &str, install: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.ci/services")
        .join(installed);
    if local.is_file() {
        return local;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not installed: run `bash .ci/services.sh` ({install}), or set {env} to it"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn wait_until_listening(child: &mut Child, addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited at start-up: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on {addr} within 60 s");
}

/// moto's standalone S3 server (`pip install 'moto[server]'`).
pub fn moto() -> Service {
    let bin = program(
        "MOTO_SERVER",
        "moto_server",
        "venv/bin/moto_server",
        "pip install 'moto[server]'",
    );
    let port = free_port();
    let mut child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until_listening(&mut child, addr, "moto_server");
    Service {
        child,
        addr,
        _dir: None,
    }
}

impl Service {
    /// Creates an S3 bucket on moto (it takes unsigned requests).
    pub fn create_bucket(&self, bucket: &str) {
        let (status, _) = request(self.addr, "PUT", &format!("/{bucket}"), &[], &[]);
        assert_eq!(status, 200, "creating bucket {bucket}");
    }

    /// Creates a container on Azurite, signed with the emulator's well-known account key.
    pub fn create_container(&self, container: &str) {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let version = "2021-08-06";
        let canonical_headers = format!("x-ms-date:{date}\nx-ms-version:{version}\n");
        let resource = format!("/{ACCOUNT}/{ACCOUNT}/{container}\nrestype:container");
        // Shared Key: the verb, eleven standard headers (all empty here but a zero length,
        // which is written empty too), then the canonical headers and resource.
        let to_sign = format!("PUT\n\n\n\n\n\n\n\n\n\n\n\n{canonical_headers}{resource}");
        let signature = sign(&to_sign);
        let (status, body) = request(
            self.addr,
            "PUT",
            &format!("/{ACCOUNT}/{container}?restype=container"),
            &[
                ("x-ms-date", date.as_str()),
                ("x-ms-version", version),
                ("Authorization", &format!("SharedKey {ACCOUNT}:{signature}")),
            ],
            &[],
        );
        assert_eq!(status, 201, "creating container {container}: {body}");
    }
}

/// The emulator's account and its well-known key (public: Azurite's documentation).
pub const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn sign(text: &str) -> String {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(KEY)
        .expect("the emulator key is base64");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, text.as_bytes()))
}

/// Azurite's blob service (`npm install azurite@3.35.0`), its data in a temporary folder.
pub fn azurite() -> Service {
    let bin = program(
        "AZURITE_BLOB",
        "azurite-blob",
        "node_modules/.bin/azurite-blob",
        "npm install azurite@3.35.0",
    );
    let port = free_port();
    let dir = tempfile::tempdir().expect("a folder for Azurite");
    let mut child = Command::new(&bin)
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--location",
        ])
        .arg(dir.path())
        .args(["--silent", "--disableTelemetry", "--skipApiVersionCheck"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until_listening(&mut child, addr, "azurite-blob");
    Service {
        child,
        addr,
        _dir: Some(dir),
    }
}

/// One HTTP/1.1 request with an empty body; the status and body text.
fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connecting to the service");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}
