//! `--suite objects`: `put` from object storage against the way it is done without us
//! (download the object, then `put` the file): 1 GiB in one object from moto's S3 server and
//! from the tests' ranged-GET HTTP server, and 1,000 small objects under an S3 prefix. Each
//! store is reached through a counting proxy: wall time, the CLI's peak RSS, and the bytes the
//! store sent (≈ 1.0× the objects for a read-once upload).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;
use uploads_e2e::ranged::RangedServer;
use uploads_e2e::{Serve, services};
use uploads_remote::StoreOptions;
use uploads_remote::object_store::path::Path as Key;
use uploads_remote::object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

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

/// How a case downloads its bytes into a folder first.
type Download = Box<dyn Fn(&Path) -> Result<()>>;

/// One source measured: what `put` is given, and how the same bytes are downloaded first.
struct Case {
    what: String,
    urls: Vec<String>,
    bytes: u64,
    download: Download,
}

pub(crate) fn run(bin: &Path, dir: &Path, big: &Path, sources: &[String]) -> Result<ObjectsReport> {
    let exe = bin.join("openai-uploads");
    let rt = tokio::runtime::Runtime::new()?;
    let big_bytes = std::fs::read(big)?;
    let data = dir.join("data-objects");
    let _ = std::fs::remove_dir_all(&data);
    let server = Serve::start_in(&exe, &data, &[]);
    let mut rows = Vec::new();
    for source in sources {
        let (proxy, cases, _keep): (Proxy, Vec<Case>, Box<dyn std::any::Any>) = match source
            .as_str()
        {
            "s3" => {
                let moto = services::moto();
                moto.create_bucket(BUCKET);
                let proxy = Proxy::start(moto.addr)?;
                let options = StoreOptions::new()
                    .with("aws_endpoint", format!("http://{}", proxy.addr))
                    .with("aws_allow_http", "true")
                    .with("aws_region", "us-east-1")
                    .with("aws_access_key_id", "test")
                    .with("aws_secret_access_key", "test");
                let (store, _) = uploads_remote::store_for(&format!("s3://{BUCKET}/"), &options)?;
                eprintln!("putting 1 GiB and 1,000 small objects into moto");
                let (_, small, small_bytes) =
                    crate::workloads::small_files(&dir.join("files/many"))?;
                rt.block_on(async {
                    put(&store, "big/data.txt", &big_bytes).await?;
                    for (i, f) in small.iter().enumerate() {
                        put(&store, &format!("many/doc-{i:04}.txt"), &std::fs::read(f)?).await?;
                    }
                    anyhow::Ok(())
                })?;
                let s3_download = |keys: Vec<String>| -> Download {
                    let store = store.clone();
                    let handle = rt.handle().clone();
                    Box::new(move |to: &Path| {
                        handle.block_on(async {
                            for key in &keys {
                                download(&store, key, &to.join(key.replace('/', "_"))).await?;
                            }
                            anyhow::Ok(())
                        })
                    })
                };
                let cases = vec![
                    Case {
                        what: "1 GiB object, S3 (moto)".into(),
                        urls: vec![format!("s3://{BUCKET}/big/data.txt")],
                        bytes: big_bytes.len() as u64,
                        download: s3_download(vec!["big/data.txt".into()]),
                    },
                    Case {
                        what: format!("{} objects of 1-100 KiB, S3 prefix (moto)", small.len()),
                        urls: vec![format!("s3://{BUCKET}/many/")],
                        bytes: small_bytes,
                        download: s3_download(
                            (0..small.len())
                                .map(|i| format!("many/doc-{i:04}.txt"))
                                .collect(),
                        ),
                    },
                ];
                (proxy, cases, Box::new(moto))
            }
            "http" => {
                let files = RangedServer::start();
                files.put("data.txt", big_bytes.clone());
                let upstream: SocketAddr = files
                    .url("")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()?;
                let proxy = Proxy::start(upstream)?;
                let url = format!("http://{}/data.txt", proxy.addr);
                let get = url.clone();
                let cases = vec![Case {
                    what: "1 GiB file, HTTP ranged GETs (the tests' server)".into(),
                    urls: vec![url],
                    bytes: big_bytes.len() as u64,
                    download: Box::new(move |to: &Path| plain_get(&get, &to.join("data.txt"))),
                }];
                (proxy, cases, Box::new(files))
            }
            other => anyhow::bail!("unknown source {other}: use s3 or http"),
        };
        for case in cases {
            rows.push(measure(&exe, dir, &server.url, &proxy, &case)?);
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(ObjectsReport { rows })
}

fn measure(exe: &Path, dir: &Path, url: &str, proxy: &Proxy, case: &Case) -> Result<Measured> {
    let put = |args: &[String]| {
        let mut c = Command::new(exe);
        c.args(["put", "--quiet", "--purpose", "assistants"])
            .args(args)
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", url)
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
        let peak = watch_peak_rss(child.id());
        let (status, _) = wait4(child.id() as i32)?;
        anyhow::ensure!(status == 0, "put failed: {status}");
        let peak_kib = peak.join().unwrap_or(0);
        Ok((t.elapsed().as_secs_f64(), peak_kib as f64 / 1024.0))
    };
    let what = &case.what;
    proxy.reset();
    let (direct_s, direct_rss) = timed(put(&case.urls))?;
    let direct_fetched = proxy.sent();
    eprintln!(
        "{what}: put: {direct_s:.2}s, peak RSS {direct_rss:.1} MiB, {direct_fetched} bytes from the store"
    );
    let staged = dir.join("files/staged");
    let _ = std::fs::remove_dir_all(&staged);
    std::fs::create_dir_all(&staged)?;
    proxy.reset();
    let t = Instant::now();
    (case.download)(&staged)?;
    let download_s = t.elapsed().as_secs_f64();
    let staged_fetched = proxy.sent();
    let (then_put_s, then_rss) = timed(put(&[staged.to_string_lossy().into_owned()]))?;
    eprintln!(
        "{what}: download {download_s:.2}s then put {then_put_s:.2}s, peak RSS {then_rss:.1} MiB"
    );
    let _ = std::fs::remove_dir_all(&staged);
    Ok(Measured {
        what: what.clone(),
        objects: case.urls.len(),
        bytes: case.bytes,
        direct_s,
        direct_peak_rss_mib: direct_rss,
        direct_fetched,
        download_s,
        then_put_s,
        then_put_peak_rss_mib: then_rss,
        staged_fetched,
    })
}

/// The child's peak RSS (VmHWM, KiB), sampled every 20 ms until it exits. Not wait4's
/// `ru_maxrss`: Linux carries the parent's high-water mark into a child across exec, and this
/// bench holds the gigabyte it serves.
fn watch_peak_rss(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        loop {
            let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                return peak;
            };
            if status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains("zombie"))
            {
                return peak;
            }
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            if let Some(kib) = hwm {
                peak = kib;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    })
}

pub(crate) fn print(r: &ObjectsReport) {
    println!(
        "| source | `put URL` (s) | its peak RSS MiB | fetched / size | download (s) + `put` file (s) | that `put`'s peak RSS MiB |"
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

async fn put(store: &Arc<dyn ObjectStore>, key: &str, bytes: &[u8]) -> Result<()> {
    let path = Key::from(key);
    if bytes.len() > 16 << 20 {
        let mut w =
            WriteMultipart::new_with_chunk_size(store.put_multipart(&path).await?, 16 << 20);
        w.write(bytes);
        w.finish().await?;
    } else {
        store.put(&path, PutPayload::from(bytes.to_vec())).await?;
    }
    Ok(())
}

/// A signed GET streamed to a file, as `aws s3 cp` does it.
async fn download(store: &Arc<dyn ObjectStore>, key: &str, to: &Path) -> Result<()> {
    let mut stream = store.get(&Key::from(key)).await?.into_stream();
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(to)?);
    while let Some(chunk) = stream.next().await {
        f.write_all(&chunk?)?;
    }
    f.flush()?;
    Ok(())
}

/// A plain GET streamed to a file, as `curl -o` does it.
fn plain_get(url: &str, to: &Path) -> Result<()> {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').context("a URL with a path")?;
    let mut s = TcpStream::connect(host)?;
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
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
    let mut f = std::io::BufWriter::new(std::fs::File::create(to)?);
    std::io::copy(&mut r, &mut f)?;
    f.flush()?;
    Ok(())
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
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
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
