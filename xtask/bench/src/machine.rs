//! What the machine does on its own, to read the upload figures against: md5 alone, a
//! bandwidth cap, a plain copy.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;
use uploads_e2e::Serve;

use crate::parse_size;

/// The engine's md5 of a file against `md5sum`'s, both on the cached file.
#[derive(Debug, Serialize)]
pub(crate) struct Md5Row {
    pub(crate) size: String,
    pub(crate) engine_s: f64,
    pub(crate) md5sum_s: Option<f64>,
}

/// `put --bwlimit` against its cap.
#[derive(Debug, Serialize)]
pub(crate) struct BwlimitRow {
    pub(crate) limit: String,
    pub(crate) limit_mb_per_s: f64,
    pub(crate) achieved_mb_per_s: f64,
    /// What the CLI's own summary line said, in MB/s.
    pub(crate) reported_mb_per_s: Option<f64>,
}

/// Hashes the cached file in-process as the engine does, then with `md5sum`.
pub(crate) fn md5_row(file: &Path, size: &str) -> Result<Md5Row> {
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
pub(crate) fn bwlimit_rows(
    bin: &Path,
    dir: &Path,
    file: &Path,
    rates: &[String],
) -> Result<Vec<BwlimitRow>> {
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
pub(crate) fn file_copy_mb_per_s(file: &Path, to: &Path) -> Result<f64> {
    let t = Instant::now();
    let n = std::fs::copy(file, to)?;
    std::fs::File::open(to)?.sync_all()?;
    let secs = t.elapsed().as_secs_f64();
    std::fs::remove_file(to)?;
    Ok(n as f64 / 1e6 / secs)
}
