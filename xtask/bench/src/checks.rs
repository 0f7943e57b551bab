//! `--suite checks`: the content check against md5 on the same files (it must never be what
//! slows a `put`), its memory on a 1 GiB file, and `put` of a 200 MiB batch file with the
//! check on and off.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;
use uploads_e2e::Serve;
use uploads_ext::check::{CheckOptions, ContentFormat, check_file};

use crate::check_files::{
    batch_line, batch_short_line, count_lines, ensure, ensure_lines, tune_line, tune_short_line,
};
use crate::median;
use crate::upload::wait4;

/// A batch file just under the 200 MiB limit, and a 1 GiB fine-tune file for memory.
const BATCH_BYTES: u64 = 200 * 1024 * 1024 - (1 << 20);
const TUNE_BYTES: u64 = 200 * 1024 * 1024;
const BIG_TUNE_BYTES: u64 = 1 << 30;

#[derive(Debug, Serialize)]
pub(crate) struct ChecksReport {
    /// MB/s of each pass over a cached 200 MiB file (median of the runs).
    passes: Vec<(String, f64)>,
    /// `openai-uploads check` of a 1 GiB fine-tune file: wall s and peak RSS MiB.
    big_check_wall_s: f64,
    big_check_peak_rss_mib: f64,
    /// `put` of the 200 MiB batch file: median wall s with the check, and with --no-check.
    put_check_s: f64,
    put_no_check_s: f64,
    put_runs: Vec<(f64, f64)>,
}

/// One timed pass over a file.
type Pass<'a> = Box<dyn Fn() -> Result<()> + 'a>;

pub(crate) fn run(bin: &Path, dir: &Path, runs: usize) -> Result<ChecksReport> {
    let files = dir.join("files");
    let batch = ensure(&files.join("check-batch.jsonl"), BATCH_BYTES, batch_line)?;
    let tune = ensure(&files.join("check-tune.jsonl"), TUNE_BYTES, tune_line)?;
    let big = ensure(
        &files.join("check-tune-1g.jsonl"),
        BIG_TUNE_BYTES,
        tune_line,
    )?;
    // Short lines: the shape of classification sets (~114 B an example) and of short
    // requests (~170 B; 200 MiB of them is over the 50,000-request limit, checked with the
    // file's limits off).
    let tune_short = ensure(
        &files.join("check-tune-short.jsonl"),
        TUNE_BYTES,
        tune_short_line,
    )?;
    let batch_short = ensure(
        &files.join("check-batch-short.jsonl"),
        BATCH_BYTES,
        batch_short_line,
    )?;
    // A batch file of short requests within the limits: 50,000 of them, ~8 MB.
    let batch_valid = ensure_lines(
        &files.join("check-batch-short-50k.jsonl"),
        50_000,
        batch_short_line,
    )?;
    let no_limits = CheckOptions {
        file_limits: false,
        ..CheckOptions::default()
    };

    let no_schema = CheckOptions {
        body_schema: false,
        ..CheckOptions::default()
    };
    let passes: Vec<(&str, Pass<'_>)> = vec![
        (
            "md5, batch file",
            Box::new(|| {
                uploads_client::checksum::md5_files_hex([&batch], None)?;
                Ok(())
            }),
        ),
        (
            "check batch (bodies against the spec)",
            Box::new(|| {
                ok(check_file(
                    &batch,
                    ContentFormat::Batch,
                    CheckOptions::default(),
                )?)
            }),
        ),
        (
            "check batch (no body schema)",
            Box::new(|| ok(check_file(&batch, ContentFormat::Batch, no_schema)?)),
        ),
        (
            "md5, fine-tune file",
            Box::new(|| {
                uploads_client::checksum::md5_files_hex([&tune], None)?;
                Ok(())
            }),
        ),
        (
            "check fine-tune",
            Box::new(|| {
                ok(check_file(
                    &tune,
                    ContentFormat::FineTune,
                    CheckOptions::default(),
                )?)
            }),
        ),
    ];
    let short_passes: Vec<(&str, Pass<'_>)> = vec![
        (
            "md5, batch file of short lines",
            Box::new(|| {
                uploads_client::checksum::md5_files_hex([&batch_short], None)?;
                Ok(())
            }),
        ),
        (
            "check batch of short lines (limits off)",
            Box::new(|| ok(check_file(&batch_short, ContentFormat::Batch, no_limits)?)),
        ),
        (
            "md5, batch file of 50,000 short requests",
            Box::new(|| {
                uploads_client::checksum::md5_files_hex([&batch_valid], None)?;
                Ok(())
            }),
        ),
        (
            "check batch of 50,000 short requests",
            Box::new(|| {
                ok(check_file(
                    &batch_valid,
                    ContentFormat::Batch,
                    CheckOptions::default(),
                )?)
            }),
        ),
        (
            "md5, fine-tune file of short lines",
            Box::new(|| {
                uploads_client::checksum::md5_files_hex([&tune_short], None)?;
                Ok(())
            }),
        ),
        (
            "check fine-tune of short lines",
            Box::new(|| {
                ok(check_file(
                    &tune_short,
                    ContentFormat::FineTune,
                    CheckOptions::default(),
                )?)
            }),
        ),
    ];
    let mut rates = Vec::new();
    for (name, pass) in passes.iter().chain(&short_passes) {
        let file = match (name.contains("batch"), name.contains("short")) {
            _ if name.contains("50,000") => &batch_valid,
            (true, false) => &batch,
            (true, true) => &batch_short,
            (false, false) => &tune,
            (false, true) => &tune_short,
        };
        std::io::copy(&mut std::fs::File::open(file)?, &mut std::io::sink())?;
        let mut times = Vec::new();
        // A small file's passes are short: more of them for a steady median.
        let passes_of = if name.contains("50,000") {
            runs * 10
        } else {
            runs
        };
        for _ in 0..passes_of {
            let t = Instant::now();
            pass()?;
            times.push(t.elapsed().as_secs_f64());
        }
        let bytes = std::fs::metadata(file)?.len() as f64;
        let secs = median_of(&times);
        let rate = bytes / 1e6 / secs;
        let lines = if name.starts_with("check") {
            count_lines(file)? as f64
        } else {
            0.0
        };
        let per_line = if lines > 0.0 {
            format!(", {:.0} ns a line", secs * 1e9 / lines)
        } else {
            String::new()
        };
        eprintln!("{name}: {rate:.0} MB/s{per_line}");
        rates.push((format!("{name}{per_line}"), rate));
    }

    let t = Instant::now();
    let child = Command::new(bin.join("openai-uploads"))
        .args(["check", "--purpose", "fine-tune"])
        .arg(&big)
        .stderr(Stdio::null())
        .spawn()?;
    let (status, usage) = wait4(child.id() as i32)?;
    anyhow::ensure!(status == 0, "check of the 1 GiB file failed: {status}");
    let big_wall = t.elapsed().as_secs_f64();
    let big_rss = usage.ru_maxrss as f64 / 1024.0;
    eprintln!("check 1 GiB fine-tune: {big_wall:.2}s, peak RSS {big_rss:.1} MiB");

    let data = dir.join("data-checks");
    let _ = std::fs::remove_dir_all(&data);
    let server = Serve::start_in(&bin.join("openai-uploads"), &data, &[]);
    let mut put_runs = Vec::new();
    for run in 0..runs {
        let mut pair = [0.0; 2];
        for (i, extra) in [&[][..], &["--no-check"][..]].iter().enumerate() {
            let t = Instant::now();
            let out = Command::new(bin.join("openai-uploads"))
                .args(["put", "--quiet", "--purpose", "batch"])
                .args(*extra)
                .arg(&batch)
                .env("OPENAI_API_KEY", "sk-local")
                .env("OPENAI_BASE_URL", &server.url)
                .env("OPENAI_UPLOADS_JOURNAL_DIR", dir.join("journals"))
                .output()?;
            pair[i] = t.elapsed().as_secs_f64();
            anyhow::ensure!(
                out.status.success(),
                "put failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            server.delete_file(String::from_utf8_lossy(&out.stdout).trim())?;
        }
        eprintln!(
            "put 200 MiB batch run {}: check {:.2}s, --no-check {:.2}s",
            run + 1,
            pair[0],
            pair[1]
        );
        put_runs.push((pair[0], pair[1]));
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(ChecksReport {
        passes: rates,
        big_check_wall_s: big_wall,
        big_check_peak_rss_mib: big_rss,
        put_check_s: median(put_runs.iter().map(|r| r.0).collect()),
        put_no_check_s: median(put_runs.iter().map(|r| r.1).collect()),
        put_runs,
    })
}

pub(crate) fn print(r: &ChecksReport) {
    println!("| pass over a cached 200 MiB file | MB/s |");
    println!("| --- | ---: |");
    for (name, rate) in &r.passes {
        println!("| {name} | {rate:.0} |");
    }
    println!();
    println!(
        "check of a 1 GiB fine-tune file: {:.2} s, peak RSS {:.1} MiB",
        r.big_check_wall_s, r.big_check_peak_rss_mib
    );
    println!(
        "put of a 200 MiB batch file (median of {}): check {:.2} s, --no-check {:.2} s",
        r.put_runs.len(),
        r.put_check_s,
        r.put_no_check_s
    );
}

fn ok(report: uploads_ext::check::Report) -> Result<()> {
    anyhow::ensure!(
        report.is_ok(),
        "a generated file failed its check:\n{report}"
    );
    Ok(())
}

/// The median of times, not consuming them.
fn median_of(times: &[f64]) -> f64 {
    median(times.to_vec())
}
