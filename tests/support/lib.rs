//! Helpers for the end-to-end tests and benchmarks: the CLI binary, a server process, files
//! and checks. The binary comes from the caller (`env!("CARGO_BIN_EXE_openai-uploads")` in a
//! test of uploads-cli, the release build in `cargo xtask bench`): nothing here runs cargo.

pub mod conformance;
pub mod imports;
pub mod ranged;
pub mod services;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `bin` with none of the user's OpenAI settings, and journals in `journals`.
pub fn clean_command(bin: &Path, journals: &Path) -> Command {
    let mut c = Command::new(bin);
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "OPENAI_UPLOADS_LOG",
        "OPENAI_UPLOADS_SHARD",
        "JOB_COMPLETION_INDEX",
    ] {
        c.env_remove(var);
    }
    c.env("OPENAI_UPLOADS_JOURNAL_DIR", journals);
    c
}

/// The CLI (`bin`, from `env!("CARGO_BIN_EXE_openai-uploads")` in a test of uploads-cli)
/// with a clean environment pointed at `url`, journals in `journals`.
pub fn cli(bin: &Path, url: &str, key: &str, journals: &Path) -> Command {
    let mut c = clean_command(bin, journals);
    c.env("OPENAI_API_KEY", key)
        .env("OPENAI_BASE_URL", url)
        .env("OPENAI_UPLOADS_MIN_PART_SIZE", SMALL_PARTS);
    c
}

/// The part-size floor the tests' commands use: their files and servers are scaled down.
pub const SMALL_PARTS: &str = "1KiB";

/// Runs a command to its end: exit code, stdout, stderr.
pub fn output(c: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("running the CLI");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into(),
        String::from_utf8_lossy(&stderr).into(),
    )
}

/// `openai-uploads serve` in its own process, on a fixed port so it can be restarted.
pub struct Serve {
    child: Option<Child>,
    bin: PathBuf,
    /// The base URL, `http://127.0.0.1:PORT/v1`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Where it keeps its data.
    pub data_dir: PathBuf,
    args: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Serve {
    /// `bin serve ARGS` with its data in a temporary directory.
    pub fn start(bin: &Path, args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut s = Self::start_in(bin, &data_dir, args);
        s._dir = Some(dir);
        s
    }

    /// `bin serve ARGS` with its data in `data_dir` (kept). The server binds port 0 and prints
    /// the port it got, so no other process can take the port between choosing and binding.
    pub fn start_in(bin: &Path, data_dir: &Path, args: &[&str]) -> Self {
        let mut s = Self {
            child: None,
            bin: bin.to_owned(),
            url: String::new(),
            addr: "127.0.0.1:0".into(),
            data_dir: data_dir.to_owned(),
            args: args.iter().map(|a| a.to_string()).collect(),
            _dir: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut child = Command::new(&self.bin)
            .args(["serve", "--addr", &self.addr, "--data-dir"])
            .arg(&self.data_dir)
            .args(&self.args)
            .env_remove("OPENAI_UPLOADS_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim();
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix("/v1"))
            .unwrap_or_else(|| panic!("the server printed its URL, not {url:?}"));
        if self.url.is_empty() {
            // First start: keep the port it got, so a restart comes back on it.
            self.addr = addr.to_owned();
            self.url = url.to_owned();
        }
        assert_eq!(url, self.url, "the server came back on its address");
        self.child = Some(child);
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A new process on the same address and data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// A new process on the same address and data directory, with other arguments.
    pub fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self.restart();
    }

    /// The key the server was started with (`--api-key`), if any.
    fn api_key(&self) -> Option<&str> {
        let at = self.args.iter().position(|a| a == "--api-key")?;
        self.args.get(at + 1).map(String::as_str)
    }

    /// The server's counters (`/_admin/stats`; they need the key when one is set).
    pub fn stats(&self) -> serde_json::Value {
        let (status, body) =
            raw_request(&self.addr, "GET", "/_admin/stats", self.api_key()).unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Deletes a File (a benchmark does, so its runs do not fill the disk).
    pub fn delete_file(&self, file_id: &str) -> std::io::Result<()> {
        let path = format!("/v1/files/{file_id}");
        let key = self.api_key().unwrap_or("sk-local");
        let (status, body) = raw_request(&self.addr, "DELETE", &path, Some(key))?;
        if status != 200 {
            return Err(std::io::Error::other(format!(
                "delete {file_id}: {status} {body}"
            )));
        }
        Ok(())
    }

    /// `GET /v1{path}` as JSON (a list of batches, a vector store, ...).
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let key = self.api_key().unwrap_or("sk-local");
        let (status, body) =
            raw_request(&self.addr, "GET", &format!("/v1{path}"), Some(key)).unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// One counter.
    pub fn stat(&self, name: &str) -> u64 {
        self.stats()[name].as_u64().unwrap()
    }

    /// Waits until `stat` reaches `at_least`.
    pub fn wait_for(&self, name: &str, at_least: u64) {
        let t = Instant::now();
        while self.stat(name) < at_least {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "{name} never reached {at_least}: {}",
                self.stats()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until no part request is in flight or arriving: a killed client's last parts may
    /// still be read from socket buffers (slowly, under a bandwidth cap) after it died.
    pub fn settle(&self) {
        let t = Instant::now();
        let mut last = self.stats();
        loop {
            std::thread::sleep(Duration::from_millis(400));
            let now = self.stats();
            if now["part_requests"] == last["part_requests"] && now["parts_in_flight"] == 0 {
                return;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "the server never settled: {now}"
            );
            last = now;
        }
    }

    /// The stored content of a File.
    pub fn download(&self, file_id: &str) -> Vec<u8> {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let client = uploads_client::ClientConfig::default()
                .api_key("sk-local")
                .base_url(&self.url)
                .build()
                .unwrap();
            let resp = client
                .download_file()
                .file_id(file_id)
                .send()
                .await
                .unwrap()
                .into_inner();
            use futures::TryStreamExt;
            resp.into_inner()
                .try_fold(Vec::new(), |mut acc, b| async move {
                    acc.extend_from_slice(&b);
                    Ok(acc)
                })
                .await
                .unwrap()
        })
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

pub use uploads_client::checksum::md5_hex;

/// One HTTP/1.0 request over a bare socket (no client library, so it works whatever state
/// the server is in): the status and the body.
pub fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    let auth = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    write!(s, "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {resp:?}")))?;
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

/// Pseudo-random bytes (xorshift64, different for each seed): fast enough for GiB-sized
/// benchmark files, and incompressible.
pub struct RandomBytes(u64);

impl RandomBytes {
    /// A generator; the same seed gives the same bytes.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Fills `buf`.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let x = &mut self.0;
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
    }
}

/// Writes `len` pseudo-random bytes to `path` a block at a time (memory stays flat).
pub fn write_random_file(path: &Path, len: u64, seed: u64) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let (mut rng, mut block) = (RandomBytes::new(seed), vec![0u8; 1 << 20]);
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        rng.fill(&mut block[..n]);
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.flush()
}

/// A file of `len` pseudo-random bytes (different for each `seed`), and its bytes.
pub fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    RandomBytes::new(seed).fill(&mut data);
    std::fs::write(path, &data).unwrap();
    data
}

/// Sends a signal (`libc::SIGINT`, `libc::SIGKILL`) to a child process.
pub fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    #[allow(unsafe_code)]
    let r = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(
        r,
        0,
        "kill({sig}) failed: {}",
        std::io::Error::last_os_error()
    );
}

/// The resumable uploads in a journal directory (`pending --json`).
pub fn pending(bin: &Path, url: &str, journals: &Path) -> Vec<serde_json::Value> {
    let (code, stdout, stderr) =
        output(cli(bin, url, "sk-local", journals).args(["pending", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The records of a `--manifest` file (lines that do not parse are passed over, as `put`
/// passes them over).
pub fn manifest_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
