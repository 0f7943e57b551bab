//! `--suite workloads`: a thousand small files in one `put` against a loop of a thousand
//! single-file `put`s, and a 1 GiB stream through `put -` (its peak memory against
//! `--max-memory`, and its md5).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use uploads_e2e::{RandomBytes, Serve};

use crate::upload::wait4;

const FILES: usize = 1000;
const STREAM_BYTES: u64 = 1 << 30;
/// `put`'s default `--max-memory`.
const MAX_MEMORY_MIB: f64 = 256.0;

/// The link each many-files measurement runs on: loopback, and a 20 ms round trip (a
/// fraction of the real API's), where what one `put` saves is waiting rather than CPU.
const PROFILES: [(&str, &[&str]); 2] = [("loopback", &[]), ("20ms", &["--latency", "20ms"])];

#[derive(Debug, Serialize)]
pub(crate) struct ManyFiles {
    profile: String,
    one_put_s: f64,
    one_put_peak_rss_mib: f64,
    loop_s: f64,
    loop_peak_rss_mib: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct WorkloadsReport {
    files: usize,
    files_bytes: u64,
    many: Vec<ManyFiles>,
    stream_bytes: u64,
    stream_s: f64,
    stream_peak_rss_mib: f64,
    stream_max_memory_mib: f64,
    stream_md5_exact: bool,
}

pub(crate) fn run(bin: &Path, dir: &Path) -> Result<WorkloadsReport> {
    let exe = bin.join("openai-uploads");
    let (tree, files, files_bytes) = small_files(&dir.join("files/many"))?;
    let journals = dir.join("journals");
    let put = |url: &str| {
        let mut c = Command::new(&exe);
        c.args(["put", "--quiet", "--purpose", "assistants"])
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", url)
            .env("OPENAI_UPLOADS_JOURNAL_DIR", &journals)
            .stdout(Stdio::null());
        c
    };
    let mut many = Vec::new();
    for (profile, flags) in PROFILES {
        let data = dir.join(format!("data-workloads-{profile}"));
        let _ = std::fs::remove_dir_all(&data);
        let server = Serve::start_in(&exe, &data, flags);
        let t = Instant::now();
        let child = put(&server.url).arg(&tree).spawn()?;
        let (status, usage) = wait4(child.id() as i32)?;
        anyhow::ensure!(status == 0, "the one put failed: {status}");
        let one_put_s = t.elapsed().as_secs_f64();
        let one_put_rss = usage.ru_maxrss as f64 / 1024.0;
        eprintln!(
            "{profile}: {FILES} files in one put: {one_put_s:.2}s, peak RSS {one_put_rss:.1} MiB"
        );

        let t = Instant::now();
        let mut loop_rss: f64 = 0.0;
        for file in &files {
            let child = put(&server.url).arg(file).spawn()?;
            let (status, usage) = wait4(child.id() as i32)?;
            anyhow::ensure!(status == 0, "put {} failed: {status}", file.display());
            loop_rss = loop_rss.max(usage.ru_maxrss as f64 / 1024.0);
        }
        let loop_s = t.elapsed().as_secs_f64();
        eprintln!("{profile}: {FILES} single-file puts: {loop_s:.2}s, peak RSS {loop_rss:.1} MiB");
        many.push(ManyFiles {
            profile: profile.into(),
            one_put_s,
            one_put_peak_rss_mib: one_put_rss,
            loop_s,
            loop_peak_rss_mib: loop_rss,
        });
        drop(server);
        let _ = std::fs::remove_dir_all(&data);
    }

    let data = dir.join("data-workloads");
    let _ = std::fs::remove_dir_all(&data);
    let server = Serve::start_in(&exe, &data, &[]);
    // 1 GiB through a pipe, made as it goes, its md5 taken on the way.
    let t = Instant::now();
    let mut child = put(&server.url)
        .args([
            "-",
            "--size",
            &STREAM_BYTES.to_string(),
            "--filename",
            "stream.txt",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let writer = std::thread::spawn(move || -> std::io::Result<String> {
        use md5::Digest;
        let mut hasher = md5::Md5::new();
        let mut rng = RandomBytes::new(11);
        let mut buf = vec![0u8; 1 << 20];
        for _ in 0..(STREAM_BYTES >> 20) {
            rng.fill(&mut buf);
            hasher.update(&buf);
            stdin.write_all(&buf)?;
        }
        Ok(format!("{:x}", hasher.finalize()))
    });
    let mut stdout = child.stdout.take().context("stdout")?;
    let mut file_id = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut file_id)?;
    let (status, usage) = wait4(child.id() as i32)?;
    let sent_md5 = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
    anyhow::ensure!(status == 0, "put - failed: {status}");
    let stream_s = t.elapsed().as_secs_f64();
    let stream_rss = usage.ru_maxrss as f64 / 1024.0;
    let stored = server.download(file_id.trim());
    let exact = uploads_client::checksum::md5_hex(&stored) == sent_md5;
    eprintln!(
        "1 GiB through put -: {stream_s:.2}s, peak RSS {stream_rss:.1} MiB, md5 exact: {exact}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(WorkloadsReport {
        files: FILES,
        files_bytes,
        many,
        stream_bytes: STREAM_BYTES,
        stream_s,
        stream_peak_rss_mib: stream_rss,
        stream_max_memory_mib: MAX_MEMORY_MIB,
        stream_md5_exact: exact,
    })
}

pub(crate) fn print(r: &WorkloadsReport) {
    println!("| workload | link | wall (s) | peak RSS MiB |");
    println!("| --- | --- | ---: | ---: |");
    for m in &r.many {
        println!(
            "| {} files (1-100 KiB, {} bytes) in one `put` | {} | {:.2} | {:.1} |",
            r.files, r.files_bytes, m.profile, m.one_put_s, m.one_put_peak_rss_mib
        );
        println!(
            "| the same as {} single-file `put`s | {} | {:.2} | {:.1} |",
            r.files, m.profile, m.loop_s, m.loop_peak_rss_mib
        );
    }
    println!(
        "| 1 GiB piped into `put -` (--max-memory {:.0} MiB) | loopback | {:.2} | {:.1} |",
        r.stream_max_memory_mib, r.stream_s, r.stream_peak_rss_mib
    );
    println!();
    for m in &r.many {
        println!(
            "{}: one put is {:.1}x faster than the loop",
            m.profile,
            m.loop_s / m.one_put_s
        );
    }
    println!("stdin md5-exact: {}", r.stream_md5_exact);
}

/// A thousand files of 1 to 100 KiB, made once.
pub(crate) fn small_files(dir: &Path) -> Result<(PathBuf, Vec<PathBuf>, u64)> {
    std::fs::create_dir_all(dir)?;
    let mut rng = RandomBytes::new(5);
    let mut files = Vec::new();
    let mut total = 0;
    for i in 0..FILES {
        let mut b = [0u8; 4];
        rng.fill(&mut b);
        let len = 1024 + (u32::from_le_bytes(b) as usize % (99 * 1024));
        let path = dir.join(format!("doc-{i:04}.txt"));
        if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(len as u64) {
            let mut buf = vec![0u8; len];
            rng.fill(&mut buf);
            std::fs::write(&path, &buf)?;
        }
        total += len as u64;
        files.push(path);
    }
    Ok((dir.to_owned(), files, total))
}
