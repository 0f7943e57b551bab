//! Helpers for the end-to-end tests: the CLI binary, a server process, files and checks.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `openai-uploads` binary, built once per test run (a no-op when already fresh).
pub fn cli_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "uploads-cli",
                "--bin",
                "openai-uploads",
            ])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "building openai-uploads failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
        target.join("debug/openai-uploads")
    })
}

/// `bin` with none of the user's OpenAI settings, and journals in `journals`.
pub fn clean_command(bin: &Path, journals: &Path) -> Command {
    let mut c = Command::new(bin);
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "OPENAI_UPLOADS_LOG",
    ] {
        c.env_remove(var);
    }
    c.env("OPENAI_UPLOADS_JOURNAL_DIR", journals);
    c
}

/// The CLI with a clean environment pointed at `url`, journals in `journals`.
pub fn cli(url: &str, key: &str, journals: &Path) -> Command {
    let mut c = clean_command(cli_path(), journals);
    c.env("OPENAI_API_KEY", key).env("OPENAI_BASE_URL", url);
    c
}

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
    pub url: String,
    pub addr: String,
    pub data_dir: PathBuf,
    args: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Serve {
    pub fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut s = Self {
            child: None,
            url: format!("http://{addr}/v1"),
            addr,
            data_dir: dir.path().join("data"),
            args: args.iter().map(|a| a.to_string()).collect(),
            _dir: dir,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let mut child = Command::new(cli_path())
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
        assert_eq!(line.trim(), self.url, "the server printed its URL");
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

    pub fn stats(&self) -> serde_json::Value {
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "GET /_admin/stats HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap()
    }

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

pub fn md5_hex(d: &[u8]) -> String {
    use md5::Digest;
    format!("{:x}", md5::Md5::digest(d))
}

/// A file of `len` pseudo-random bytes (different for each `seed`).
pub fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(path, &data).unwrap();
    data
}

/// Sends a signal (`libc::SIGINT`, `libc::SIGKILL`) to a child process.
pub fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid has no memory effects.
    let r = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(
        r,
        0,
        "kill({sig}) failed: {}",
        std::io::Error::last_os_error()
    );
}

/// The resumable uploads in a journal directory (`pending --json`).
pub fn pending(url: &str, journals: &Path) -> Vec<serde_json::Value> {
    let (code, stdout, stderr) = output(cli(url, "sk-local", journals).args(["pending", "--json"]));
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
