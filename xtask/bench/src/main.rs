//! `cargo xtask bench`: measures `openai-uploads put` against a bare-reqwest baseline and the
//! one-part-at-a-time way, on loopback and on a simulated WAN link, with the server in its own
//! process. Prints a table and writes `target/bench/results.json`.
//!
//! A crate of its own, apart from the spec pipeline: it uses the engine and the test support
//! crate, so a broken generated client never stops `cargo xtask generate` from building.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use uploads_e2e::Serve;

#[derive(clap::Parser)]
#[command(
    name = "bench",
    about = "Measure upload speed, CPU and memory (release build)"
)]
struct BenchArgs {
    /// File sizes, comma-separated (e.g. 1GiB,4GiB).
    #[arg(long, default_value = "1GiB,4GiB", value_delimiter = ',')]
    sizes: Vec<String>,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Link profiles: loopback, wan (40 ms latency, 25 MB/s per connection).
    #[arg(long, default_value = "loopback,wan", value_delimiter = ',')]
    profiles: Vec<String>,
    /// Sizes to skip on the WAN profile's sequential run (c), which takes minutes per GiB.
    #[arg(long, value_delimiter = ',')]
    skip_wan_sequential: Vec<String>,
    /// Bandwidth caps to check `put --bwlimit` against, on loopback with the first size
    /// (e.g. 10MB,100MB).
    #[arg(long, value_delimiter = ',')]
    bwlimit: Vec<String>,
}

/// The engine's md5 of a file against `md5sum`'s, both on the cached file.
#[derive(Debug, Serialize)]
struct Md5Row {
    size: String,
    engine_s: f64,
    md5sum_s: Option<f64>,
}

/// `put --bwlimit` against its cap.
#[derive(Debug, Serialize)]
struct BwlimitRow {
    limit: String,
    limit_mb_per_s: f64,
    achieved_mb_per_s: f64,
    /// What the CLI's own summary line said, in MB/s.
    reported_mb_per_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
enum Variant {
    /// `openai-uploads put` with defaults.
    Put,
    /// Plain reqwest, same parts and concurrency, no md5/journal/progress.
    Baseline,
    /// `openai-uploads put --concurrency 1`.
    Sequential,
    /// `openai-uploads put --no-md5`: the engine without the md5 passes (client and server).
    PutNoMd5,
    /// `openai-uploads put --part-size 64MiB`: the fixed part size before the automatic plan.
    PutPart64,
}

#[derive(Clone, Debug, Serialize)]
struct Sample {
    wall_s: f64,
    cpu_s: f64,
    max_rss_mib: f64,
}

#[derive(Debug, Serialize)]
struct Row {
    profile: String,
    size: String,
    bytes: u64,
    variant: Variant,
    runs: Vec<Sample>,
    median_wall_s: f64,
    mb_per_s: f64,
    cpu_s_per_gib: f64,
    peak_rss_mib: f64,
}

/// The baseline sends parts of the size `put` uses by default...
const PART_SIZE: u64 = uploads_ext::DEFAULT_PART_SIZE;
/// ... and as many at once.
const CONCURRENCY: usize = uploads_ext::DEFAULT_CONCURRENCY;

fn main() -> Result<()> {
    let args = <BenchArgs as clap::Parser>::parse();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    run(&root, args)
}

fn run(root: &Path, args: BenchArgs) -> Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "uploads-cli",
            "-p",
            "bench-baseline",
        ])
        .status()?;
    anyhow::ensure!(status.success(), "release build failed");
    let bin = root.join("target/release");
    let dir = root.join("target/bench");
    std::fs::create_dir_all(dir.join("files"))?;

    let mut rows = Vec::new();
    for profile in &args.profiles {
        let flags: &[&str] = match profile.as_str() {
            "loopback" => &[],
            "wan" => &["--latency", "40ms", "--bandwidth", "25MB"],
            other => bail!("unknown profile {other}: use loopback or wan"),
        };
        let data_dir = dir.join(format!("data-{profile}"));
        let _ = std::fs::remove_dir_all(&data_dir);
        let server = Serve::start_in(&bin.join("openai-uploads"), &data_dir, flags);
        for size_text in &args.sizes {
            let bytes = parse_size(size_text)?;
            let file = ensure_file(&dir.join("files"), bytes)?;
            let mut variants = vec![
                Variant::Put,
                Variant::PutNoMd5,
                Variant::PutPart64,
                Variant::Baseline,
                Variant::Sequential,
            ];
            if profile == "wan" && args.skip_wan_sequential.contains(size_text) {
                variants.retain(|v| *v != Variant::Sequential);
            }
            let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); variants.len()];
            for run in 0..args.runs {
                for (i, variant) in variants.iter().enumerate() {
                    let (sample, file_id) = measure(&bin, *variant, &server.url, &file, &dir)?;
                    eprintln!(
                        "{profile} {size_text} {variant:?} run {}: {:.2}s, cpu {:.2}s, rss {:.1} MiB",
                        run + 1,
                        sample.wall_s,
                        sample.cpu_s,
                        sample.max_rss_mib
                    );
                    server.delete_file(&file_id)?;
                    samples[i].push(sample);
                }
            }
            for (variant, runs) in variants.into_iter().zip(samples) {
                let wall = median(runs.iter().map(|s| s.wall_s).collect());
                let cpu = median(runs.iter().map(|s| s.cpu_s).collect());
                let rss = runs.iter().map(|s| s.max_rss_mib).fold(0.0, f64::max);
                let gib = bytes as f64 / (1u64 << 30) as f64;
                rows.push(Row {
                    profile: profile.clone(),
                    size: size_text.clone(),
                    bytes,
                    variant,
                    runs,
                    median_wall_s: wall,
                    mb_per_s: bytes as f64 / 1e6 / wall,
                    cpu_s_per_gib: cpu / gib,
                    peak_rss_mib: rss,
                });
            }
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    let copies: Vec<(String, f64)> = args
        .sizes
        .iter()
        .map(|size| -> Result<(String, f64)> {
            let file = ensure_file(&dir.join("files"), parse_size(size)?)?;
            Ok((
                size.clone(),
                file_copy_mb_per_s(&file, &dir.join("copy.bin"))?,
            ))
        })
        .collect::<Result<_>>()?;
    let md5 = args
        .sizes
        .iter()
        .map(|size| md5_row(&ensure_file(&dir.join("files"), parse_size(size)?)?, size))
        .collect::<Result<Vec<_>>>()?;
    let bwlimit = match args.sizes.first() {
        Some(size) if !args.bwlimit.is_empty() => {
            let file = ensure_file(&dir.join("files"), parse_size(size)?)?;
            bwlimit_rows(&bin, &dir, &file, &args.bwlimit)?
        }
        _ => Vec::new(),
    };
    print_table(&rows);
    for (size, mbps) in &copies {
        println!("plain local file copy of {size} (std::fs::copy, synced): {mbps:.0} MB/s");
    }
    for m in &md5 {
        match m.md5sum_s {
            Some(sum) => println!(
                "md5 alone, {}: engine {:.2} s, md5sum {:.2} s, engine/md5sum = {:.2}",
                m.size,
                m.engine_s,
                sum,
                m.engine_s / sum
            ),
            None => println!(
                "md5 alone, {}: engine {:.2} s (no md5sum here)",
                m.size, m.engine_s
            ),
        }
    }
    for b in &bwlimit {
        println!(
            "put --bwlimit {}: {:.1} MB/s achieved ({:.1}% of the cap), the CLI reported {}",
            b.limit,
            b.achieved_mb_per_s,
            100.0 * b.achieved_mb_per_s / b.limit_mb_per_s,
            b.reported_mb_per_s
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.1} MB/s"))
        );
    }
    let out = dir.join("results.json");
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    std::fs::write(
        &out,
        serde_json::to_string_pretty(
            &serde_json::json!({"machine": machine, "rows": rows, "md5": md5, "bwlimit": bwlimit}),
        )?,
    )?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!(
        "| profile | size | variant | wall (s, median) | MB/s | client CPU s/GiB | client peak RSS MiB |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: |");
    for r in rows {
        let name = match r.variant {
            Variant::Put => "(a) put, defaults",
            Variant::Baseline => "(b) bare reqwest",
            Variant::Sequential => "(c) put --concurrency 1",
            Variant::PutNoMd5 => "(a') put --no-md5",
            Variant::PutPart64 => "(a64) put --part-size 64MiB",
        };
        println!(
            "| {} | {} | {name} | {:.2} | {:.0} | {:.2} | {:.1} |",
            r.profile, r.size, r.median_wall_s, r.mb_per_s, r.cpu_s_per_gib, r.peak_rss_mib
        );
    }
    println!();
    for r in rows.iter().filter(|r| r.variant == Variant::Put) {
        let find = |v: Variant| {
            rows.iter()
                .find(|o| o.profile == r.profile && o.size == r.size && o.variant == v)
        };
        let ab = find(Variant::Baseline).map(|b| format!("{:.2}", r.mb_per_s / b.mb_per_s));
        let ac = find(Variant::Sequential).map(|c| format!("{:.2}", r.mb_per_s / c.mb_per_s));
        let a2b = find(Variant::PutNoMd5)
            .zip(find(Variant::Baseline))
            .map(|(a2, b)| format!("{:.2}", a2.mb_per_s / b.mb_per_s));
        let a_a64 = find(Variant::PutPart64).map(|f| format!("{:.2}", r.mb_per_s / f.mb_per_s));
        println!(
            "{} {}: a/b = {}, a/c = {}, a'/b = {}, a/a64 = {}",
            r.profile,
            r.size,
            ab.as_deref().unwrap_or("-"),
            ac.as_deref().unwrap_or("-"),
            a2b.as_deref().unwrap_or("-"),
            a_a64.as_deref().unwrap_or("-")
        );
    }
    for r in rows.iter().filter(|r| r.variant == Variant::Put) {
        if let Some(no_md5) = rows
            .iter()
            .find(|o| o.profile == r.profile && o.size == r.size && o.variant == Variant::PutNoMd5)
        {
            println!(
                "{} {}: md5 costs the client {:.2} CPU s/GiB ((a) - (a'))",
                r.profile,
                r.size,
                r.cpu_s_per_gib - no_md5.cpu_s_per_gib
            );
        }
    }
}

/// Runs one upload as a child process and reads its wall time and resource use from `wait4`.
fn measure(
    bin: &Path,
    variant: Variant,
    url: &str,
    file: &Path,
    dir: &Path,
) -> Result<(Sample, String)> {
    let journals = dir.join("journals");
    let mut cmd = match variant {
        Variant::Baseline => {
            let mut c = Command::new(bin.join("bench-baseline"));
            c.arg(url)
                .arg(file)
                .arg(PART_SIZE.to_string())
                .arg(CONCURRENCY.to_string());
            c
        }
        Variant::Put | Variant::Sequential | Variant::PutNoMd5 | Variant::PutPart64 => {
            let mut c = Command::new(bin.join("openai-uploads"));
            c.args(["put", "--purpose", "user_data", "--quiet"])
                .arg(file);
            match variant {
                Variant::Sequential => {
                    c.args(["--concurrency", "1"]);
                }
                Variant::PutNoMd5 => {
                    c.arg("--no-md5");
                }
                Variant::PutPart64 => {
                    c.args(["--part-size", "64MiB"]);
                }
                _ => {}
            }
            c.env("OPENAI_API_KEY", "sk-local")
                .env("OPENAI_BASE_URL", url)
                .env("OPENAI_UPLOADS_JOURNAL_DIR", &journals);
            c
        }
    };
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .context("stdout")?
        .read_to_string(&mut stdout)?;
    let (status, usage) = wait4(child.id() as i32)?;
    let wall = start.elapsed().as_secs_f64();
    anyhow::ensure!(status == 0, "{variant:?} exited with status {status}");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let sample = Sample {
        wall_s: wall,
        cpu_s: secs(usage.ru_utime) + secs(usage.ru_stime),
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    };
    Ok((sample, stdout.trim().to_owned()))
}

#[allow(unsafe_code)]
fn wait4(pid: i32) -> Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(
        r == pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    Ok((
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        usage,
    ))
}

/// Hashes the cached file in-process as the engine does, then with `md5sum`.
fn md5_row(file: &Path, size: &str) -> Result<Md5Row> {
    // Warm the page cache so both read from memory.
    std::io::copy(&mut std::fs::File::open(file)?, &mut std::io::sink())?;
    let t = Instant::now();
    let engine = uploads_client::checksum::md5_files_hex([file], None)?;
    let engine_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let md5sum_s = match Command::new("md5sum").arg(file).output() {
        Ok(out) if out.status.success() => {
            let secs = t.elapsed().as_secs_f64();
            let theirs = String::from_utf8_lossy(&out.stdout);
            anyhow::ensure!(
                theirs.starts_with(&engine),
                "md5 differs: {engine} vs {theirs}"
            );
            Some(secs)
        }
        _ => None,
    };
    Ok(Md5Row {
        size: size.to_owned(),
        engine_s,
        md5sum_s,
    })
}

/// `put --bwlimit RATE --no-md5` of `file` on loopback, for each rate.
fn bwlimit_rows(bin: &Path, dir: &Path, file: &Path, rates: &[String]) -> Result<Vec<BwlimitRow>> {
    let data_dir = dir.join("data-bwlimit");
    let _ = std::fs::remove_dir_all(&data_dir);
    let server = Serve::start_in(&bin.join("openai-uploads"), &data_dir, &[]);
    let bytes = std::fs::metadata(file)?.len() as f64;
    let mut rows = Vec::new();
    for rate in rates {
        let limit = parse_size(rate)? as f64;
        let t = Instant::now();
        let out = Command::new(bin.join("openai-uploads"))
            .args([
                "put",
                "--purpose",
                "user_data",
                "--no-md5",
                "--bwlimit",
                rate,
            ])
            .arg(file)
            .env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.url)
            .env("OPENAI_UPLOADS_JOURNAL_DIR", dir.join("journals"))
            .output()?;
        let secs = t.elapsed().as_secs_f64();
        anyhow::ensure!(out.status.success(), "put --bwlimit {rate} failed");
        server.delete_file(String::from_utf8_lossy(&out.stdout).trim())?;
        // The summary line ends "(200.0 MiB in 21.0s, 9.5 MiB/s, parts ...)".
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reported = stderr
            .split(", ")
            .find_map(|p| p.strip_suffix(" MiB/s"))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|mib| mib * 1_048_576.0 / 1e6);
        rows.push(BwlimitRow {
            limit: rate.clone(),
            limit_mb_per_s: limit / 1e6,
            achieved_mb_per_s: bytes / 1e6 / secs,
            reported_mb_per_s: reported,
        });
    }
    Ok(rows)
}

/// The speed of a plain copy of `file` on this machine's disk, synced like the server's parts.
fn file_copy_mb_per_s(file: &Path, to: &Path) -> Result<f64> {
    let t = Instant::now();
    let n = std::fs::copy(file, to)?;
    std::fs::File::open(to)?.sync_all()?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::remove_file(to)?;
    Ok(n as f64 / 1e6 / secs)
}

/// A file of `bytes` pseudo-random bytes, made once and reused.
fn ensure_file(dir: &Path, bytes: u64) -> Result<PathBuf> {
    let path = dir.join(format!("bench-{bytes}.bin"));
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(bytes) {
        eprintln!("generating {} ({bytes} bytes)", path.display());
        uploads_e2e::write_random_file(&path, bytes, 1)?;
    }
    Ok(path)
}

/// A size as the CLI takes it (`1GiB`).
fn parse_size(text: &str) -> Result<u64> {
    uploads_ext::units::parse_size(text).map_err(anyhow::Error::msg)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
