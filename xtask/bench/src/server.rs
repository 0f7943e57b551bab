//! `--suite server`: the local server storing 10,000 parts of one upload, the rate in windows
//! of 1,000 parts (it must not fall as the upload grows), and how long an unrelated request
//! waits meanwhile (p50, p99).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use uploads_client::{ClientConfig, PartData, types};
use uploads_e2e::Serve;

const PARTS: usize = 10_000;
const PART_BYTES: usize = 1024;
const IN_FLIGHT: usize = 8;

#[derive(Debug, Serialize)]
pub(crate) struct ServerReport {
    parts: usize,
    /// Parts per second in each window of 1,000.
    windows_parts_per_s: Vec<f64>,
    total_s: f64,
    unrelated_p50_ms: f64,
    unrelated_p99_ms: f64,
    unrelated_requests: usize,
}

pub(crate) fn run(bin: &Path, dir: &Path) -> Result<ServerReport> {
    let data = dir.join("data-server");
    let _ = std::fs::remove_dir_all(&data);
    let server = Serve::start_in(&bin.join("openai-uploads"), &data, &[]);
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(measure(&server.url))?;
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(report)
}

async fn measure(url: &str) -> Result<ServerReport> {
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(url)
        .build()?;
    let upload = client
        .create_upload()
        .body(
            types::CreateUploadRequest::builder()
                .filename("many-parts.txt")
                .purpose(types::KnownUploadPurpose::Assistants)
                .bytes((PARTS * PART_BYTES) as i64)
                .mime_type("text/plain"),
        )
        .send()
        .await
        .context("create")?
        .into_inner();

    // Unrelated requests, every 5 ms, while the parts go in.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let (client, done) = (client.clone(), done.clone());
        tokio::spawn(async move {
            let mut waits = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let _ = client.list_files().send().await;
                waits.push(t.elapsed().as_secs_f64() * 1000.0);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            waits
        })
    };

    let start = Instant::now();
    let mut windows = Vec::new();
    let mut window_start = Instant::now();
    let body = bytes::Bytes::from(vec![b'x'; PART_BYTES]);
    let mut sent = 0;
    let mut tasks = tokio::task::JoinSet::new();
    while sent < PARTS || !tasks.is_empty() {
        while sent < PARTS && tasks.len() < IN_FLIGHT {
            let (client, id, body) = (client.clone(), upload.id.clone(), body.clone());
            tasks.spawn(async move {
                client
                    .add_upload_part()
                    .upload_id(id)
                    .data(PartData::bytes(body))
                    .send()
                    .await
            });
            sent += 1;
        }
        if let Some(r) = tasks.join_next().await {
            r?.map_err(|e| anyhow::anyhow!("part: {e}"))?;
            let stored = sent - tasks.len();
            if stored % 1000 == 0 && stored > 0 {
                let rate = 1000.0 / window_start.elapsed().as_secs_f64();
                eprintln!("parts {stored}: {rate:.0} parts/s");
                windows.push(rate);
                window_start = Instant::now();
            }
        }
    }
    let total_s = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut waits = probe.await?;
    waits.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        waits
            .get(((waits.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(ServerReport {
        parts: PARTS,
        windows_parts_per_s: windows,
        total_s,
        unrelated_p50_ms: pct(0.5),
        unrelated_p99_ms: pct(0.99),
        unrelated_requests: waits.len(),
    })
}

pub(crate) fn print(r: &ServerReport) {
    let rates: Vec<String> = r
        .windows_parts_per_s
        .iter()
        .map(|x| format!("{x:.0}"))
        .collect();
    println!(
        "{} parts of one upload in {:.1}s; parts/s per 1,000: {}",
        r.parts,
        r.total_s,
        rates.join(", ")
    );
    println!(
        "unrelated GET /files meanwhile ({} requests): p50 {:.2} ms, p99 {:.2} ms",
        r.unrelated_requests, r.unrelated_p50_ms, r.unrelated_p99_ms
    );
}
