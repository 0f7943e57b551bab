//! `cargo xtask bench`: measures `openai-uploads put` against a bare-reqwest baseline and the
//! one-part-at-a-time way, on loopback and on a simulated WAN link, with the server in its own
//! process. Prints a table and writes `target/bench/results.json`.
//!
//! A crate of its own, apart from the spec pipeline: it uses the engine and the test support
//! crate, so a broken generated client never stops `cargo xtask generate` from building.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};
use uploads_e2e::Serve;

use upload::{Row, Sample, Variant};

mod check_files;
mod checks;
mod machine;
mod objects;
mod report;
mod server;
mod upload;
mod workloads;

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
    /// What to measure: `uploads` (the tables above), `checks` (the batch and fine-tune
    /// content check against md5, its memory, and `put` with and without it), or `workloads`
    /// (1,000 small files in one put against 1,000 puts; 1 GiB through `put -`), or
    /// `server` (10,000 parts of one upload: the rate per 1,000, unrelated requests' latency),
    /// or `objects` (1 GiB and 1,000 small objects from moto's S3, 1 GiB over HTTP: `put URL`
    /// against download-then-put, and the bytes fetched).
    #[arg(long, default_value = "uploads")]
    suite: String,
    /// For `--suite objects`: the stores to read from, `s3` (moto) and `http` (the tests'
    /// ranged-GET server).
    #[arg(long, default_value = "s3,http", value_delimiter = ',')]
    sources: Vec<String>,
}

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
    if args.suite == "checks" {
        let report = checks::run(&bin, &dir, args.runs)?;
        checks::print(&report);
        let out = dir.join("checks.json");
        std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", out.display());
        return Ok(());
    }
    if args.suite == "server" {
        let report = server::run(&bin, &dir)?;
        server::print(&report);
        let out = dir.join("server.json");
        std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", out.display());
        return Ok(());
    }
    if args.suite == "objects" {
        let big = ensure_file(&dir.join("files"), 1 << 30)?;
        let report = objects::run(&bin, &dir, &big, &args.sources)?;
        objects::print(&report);
        let out = dir.join("objects.json");
        std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", out.display());
        return Ok(());
    }
    if args.suite == "workloads" {
        let report = workloads::run(&bin, &dir)?;
        workloads::print(&report);
        let out = dir.join("workloads.json");
        std::fs::write(&out, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", out.display());
        return Ok(());
    }
    anyhow::ensure!(
        args.suite == "uploads",
        "unknown suite {}: use uploads, checks, workloads, server or objects",
        args.suite
    );

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
                    let (sample, file_id) =
                        upload::measure(&bin, *variant, &server.url, &file, &dir)?;
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
                machine::file_copy_mb_per_s(&file, &dir.join("copy.bin"))?,
            ))
        })
        .collect::<Result<_>>()?;
    let md5 = args
        .sizes
        .iter()
        .map(|size| machine::md5_row(&ensure_file(&dir.join("files"), parse_size(size)?)?, size))
        .collect::<Result<Vec<_>>>()?;
    let bwlimit = match args.sizes.first() {
        Some(size) if !args.bwlimit.is_empty() => {
            let file = ensure_file(&dir.join("files"), parse_size(size)?)?;
            machine::bwlimit_rows(&bin, &dir, &file, &args.bwlimit)?
        }
        _ => Vec::new(),
    };
    report::print_table(&rows);
    report::print_measures(&copies, &md5, &bwlimit);
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

/// A file of `bytes` pseudo-random bytes, made once and reused.
fn ensure_file(dir: &Path, bytes: u64) -> Result<PathBuf> {
    let path = dir.join(format!("bench-{bytes}.bin"));
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(bytes) {
        eprintln!("generating {} ({bytes} bytes)", path.display());
        uploads_e2e::write_random_file(&path, bytes, 1)?;
    }
    Ok(path)
}

/// The CLI's own parser of sizes and durations, compiled in here so that the bench's sizes
/// are written as the CLI's options are (`1GiB`).
#[path = "../../../crates/uploads-cli/src/units.rs"]
#[allow(dead_code)]
mod units;

/// A size as the CLI takes it (`1GiB`).
fn parse_size(text: &str) -> Result<u64> {
    units::parse_size(text).map_err(anyhow::Error::msg)
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
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
