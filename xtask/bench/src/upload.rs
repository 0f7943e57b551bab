//! One upload as a child process: the variants measured, and their wall time, CPU and peak
//! memory from `wait4`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub(crate) enum Variant {
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
pub(crate) struct Sample {
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) max_rss_mib: f64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) profile: String,
    pub(crate) size: String,
    pub(crate) bytes: u64,
    pub(crate) variant: Variant,
    pub(crate) runs: Vec<Sample>,
    pub(crate) median_wall_s: f64,
    pub(crate) mb_per_s: f64,
    pub(crate) cpu_s_per_gib: f64,
    pub(crate) peak_rss_mib: f64,
}

/// The baseline sends parts of the size `put` uses by default...
pub(crate) const PART_SIZE: u64 = uploads_client::rules::MAX_PART_BYTES;
/// ... and as many at once.
pub(crate) const CONCURRENCY: usize = uploads_ext::DEFAULT_CONCURRENCY;

/// Runs one upload as a child process and reads its wall time and resource use from `wait4`.
pub(crate) fn measure(
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
pub(crate) fn wait4(pid: i32) -> Result<(i32, libc::rusage)> {
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
