//! `--suite objects`: `put s3://…` against the way it is done without us (download the object,
//! then `put` the file), for 1 GiB in one object and for 1,000 small objects under a prefix,
//! from moto's S3 server through a counting proxy: wall time, the CLI's peak RSS, and the
//! bytes the store sent (≈ 1.0× the objects for a read-once upload).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use uploads_e2e::Serve;
use uploads_e2e::services;

use crate::upload::wait4;

const BUCKET: &str = "bench";

#[derive(Debug, Serialize)]
pub(crate) struct Measured {
    what: String,
    objects: usize,
    bytes: u64,
    direct_s: f64,
    direct_peak_rss_mib: f64,
    direct_fetched: u64,
    download_s: f64,
    then_put_s: f64,
    then_put_peak_rss_mib: f64,
    staged_fetched: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct ObjectsReport {
    rows: Vec<Measured>,
}

pub(crate) fn run(bin: &Path, dir: &Path, big: &Path) -> Result<ObjectsReport> {
    let exe = bin.join("openai-uploads");
    let moto = services::moto();
    moto.create_bucket(BUCKET);
    let proxy = Proxy::start(moto.addr)?;
    let big_len = std::fs::metadata(big)?.len();
    eprintln!("putting {} into moto", big.display());
    put_object(moto.addr, "big/data.txt", &std::fs::read(big)?)?;
    let (_, small, small_bytes) = crate::workloads::small_files(&dir.join("files/many"))?;
    for (i, f) in small.iter().enumerate() {
        put_object(
            moto.addr,
            &format!("many/doc-{i:04}.txt"),
            &std::fs::read(f)?,
        )?;
    }
    let data = dir.join("data-objects");
    let _ = std::fs::remove_dir_all(&data);
    let server = Serve::start_in(&exe, &data, &[]);
    let put = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.args(["put", "--quiet", "--purpose", "assistants"])
            .args(args)
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.url)
            .env("OPENAI_UPLOADS_JOURNAL_DIR", dir.join("journals"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", format!("http://{}", proxy.addr))
            .env("AWS_ALLOW_HTTP", "true")
            .stdout(Stdio::null());
        c
    };
    let timed = |mut c: Command| -> Result<(f64, f64)> {
        let t = Instant::now();
        let child = c.spawn()?;
        let (status, usage) = wait4(child.id() as i32)?;
        anyhow::ensure!(status == 0, "put failed: {status}");
        Ok((t.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0))
    };
    let mut rows = Vec::new();
    for (what, url, keys, bytes) in [
        (
            "1 GiB object".to_owned(),
            format!("s3://{BUCKET}/big/data.txt"),
            vec!["big/data.txt".to_owned()],
            big_len,
        ),
        (
            format!("{} objects (1-100 KiB)", small.len()),
            format!("s3://{BUCKET}/many/"),
            (0..small.len())
                .map(|i| format!("many/doc-{i:04}.txt"))
                .collect(),
            small_bytes,
        ),
    ] {
        proxy.reset();
        let (direct_s, direct_rss) = timed(put(&[&url]))?;
        let direct_fetched = proxy.sent();
        eprintln!(
            "{what}: put {url}: {direct_s:.2}s, peak RSS {direct_rss:.1} MiB, {direct_fetched} bytes from the store"
        );

        let staged = dir.join("files/staged");
        let _ = std::fs::remove_dir_all(&staged);
        std::fs::create_dir_all(&staged)?;
        proxy.reset();
        let t = Instant::now();
        for key in &keys {
            let out = staged.join(key.replace('/', "_"));
            get_object(proxy.addr, key, &out)?;
        }
        let download_s = t.elapsed().as_secs_f64();
        let staged_fetched = proxy.sent();
        let arg = staged.to_string_lossy().into_owned();
        let (then_put_s, then_rss) = timed(put(&[&arg]))?;
        eprintln!(
            "{what}: download {download_s:.2}s then put {then_put_s:.2}s, peak RSS {then_rss:.1} MiB"
        );
        let _ = std::fs::remove_dir_all(&staged);
        rows.push(Measured {
            what,
            objects: keys.len(),
            bytes,
            direct_s,
            direct_peak_rss_mib: direct_rss,
            direct_fetched,
            download_s,
            then_put_s,
            then_put_peak_rss_mib: then_rss,
            staged_fetched,
        });
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(ObjectsReport { rows })
}

pub(crate) fn print(r: &ObjectsReport) {
    println!(
        "| source | `put s3://…` (s) | its peak RSS MiB | fetched / size | download (s) + `put` file (s) | that `put`'s peak RSS MiB |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for m in &r.rows {
        println!(
            "| {} | {:.2} | {:.1} | {:.3}x | {:.2} + {:.2} = {:.2} | {:.1} |",
            m.what,
            m.direct_s,
            m.direct_peak_rss_mib,
            m.direct_fetched as f64 / m.bytes as f64,
            m.download_s,
            m.then_put_s,
            m.download_s + m.then_put_s,
            m.then_put_peak_rss_mib
        );
    }
}

/// A TCP proxy that counts the bytes the upstream sends back: what a run fetched from the
/// store, headers included.
struct Proxy {
    addr: SocketAddr,
    sent: Arc<AtomicU64>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let counter = counter.clone();
                let (c2, s2) = (client.try_clone(), server.try_clone());
                let (Ok(c2), Ok(s2)) = (c2, s2) else { continue };
                std::thread::spawn(move || copy(client, server, None));
                std::thread::spawn(move || copy(s2, c2, Some(counter)));
            }
        });
        Ok(Self { addr, sent })
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    fn reset(&self) {
        self.sent.store(0, Ordering::SeqCst);
    }
}

fn copy(mut from: TcpStream, mut to: TcpStream, count: Option<Arc<AtomicU64>>) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
                if let Some(c) = &count {
                    c.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// An unsigned PUT (moto takes them).
fn put_object(addr: SocketAddr, key: &str, body: &[u8]) -> Result<()> {
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "PUT /{BUCKET}/{key} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    anyhow::ensure!(
        &head[9..12] == b"200",
        "PUT {key}: {}",
        String::from_utf8_lossy(&head)
    );
    Ok(())
}

/// An unsigned GET into `out`, as a plain download would do it.
fn get_object(addr: SocketAddr, key: &str, out: &PathBuf) -> Result<()> {
    let mut s = TcpStream::connect(addr)?;
    write!(
        s,
        "GET /{BUCKET}/{key} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, s);
    let mut line = String::new();
    loop {
        line.clear();
        std::io::BufRead::read_line(&mut r, &mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).context("staging file")?);
    std::io::copy(&mut r, &mut f)?;
    f.flush()?;
    Ok(())
}
