//! `--dry-run`: everything up to the first request (selection, validation, the part plan,
//! the content check), then the plan: what would be uploaded, in how many parts, and how long
//! it would take at `--assume-rate` next to the hour each upload lives. Nothing is sent: no
//! client is even built, so no key is needed.

use std::io::{Read, Seek, SeekFrom};

use uploads_client::rules::{MAX_PART_BYTES, UPLOAD_TTL_SECS};
use uploads_ext::check::{CheckOptions, ContentCheck, check_reader};
use uploads_ext::units::human_bytes;
use uploads_ext::{Identity, Uploader, auto_part_size};

use super::pieces::Job;
use super::{PutArgs, builder, label, report};
use crate::{exit, shown};

pub async fn run(args: &PutArgs, jobs: Vec<Job>, check: bool) -> u8 {
    // A client that is never used: built with a stand-in key, it only lets the pre-flight
    // checks run as they do before a real upload.
    let config = uploads_client::ClientConfig::from_env()
        .api_key("sk-dry-run")
        .allow_insecure_http(true);
    let client = match config.build() {
        Ok(c) => c,
        Err(e) => return crate::fail(exit::USAGE, e),
    };
    let uploader = Uploader::new(client).journal_dir(None);
    let several = jobs.len() > 1;
    let mut code = exit::OK;
    let mut total = 0u64;
    println!(
        "{:>12} {:>10} {:>6} {:>9} {:>10}  {:<10} FILE",
        "BYTES", "PART", "PARTS", "IN FLIGHT", "TIME", "EXPIRY"
    );
    for job in &jobs {
        let b = builder(&uploader, args, job, check);
        if let Err(e) = b.check().await {
            code = code.max(report(label(several, job), &e.into(), false, ""));
            continue;
        }
        let Ok(id) = job.source.identity().await else {
            continue;
        };
        let part = args
            .part_size
            .unwrap_or_else(|| auto_part_size(id.size, args.concurrency, MAX_PART_BYTES));
        let parts = id.size.div_ceil(part.max(1));
        let secs = id.size as f64 / args.assume_rate.max(1) as f64;
        let expiry = if secs < UPLOAD_TTL_SECS as f64 * 0.9 {
            "fits 1h"
        } else {
            code = code.max(exit::FAILED);
            "OVER 1h"
        };
        total += id.size;
        println!(
            "{:>12} {:>10} {:>6} {:>9} {:>9.0}s  {:<10} {}",
            id.size,
            human_bytes(part),
            parts,
            (parts as usize).min(args.concurrency),
            secs,
            expiry,
            shown(&job.label)
        );
        if let Some(purpose) = ContentCheck::for_purpose(&args.purpose).filter(|_| check) {
            code = code.max(check_job(job, &id, purpose).await);
        }
    }
    let secs = total as f64 / args.assume_rate.max(1) as f64;
    eprintln!(
        "dry run: {} upload(s), {} ({total} bytes), about {secs:.0}s at {}/s; nothing was sent",
        jobs.len(),
        human_bytes(total),
        human_bytes(args.assume_rate)
    );
    if code == exit::FAILED {
        eprintln!(
            "an upload that needs more than about 54 minutes at this rate may expire (an Upload lives 1 hour): raise -j, or split the file"
        );
    }
    code
}

/// The content check of one file (or piece), as the upload would run it.
async fn check_job(job: &Job, id: &Identity, purpose: ContentCheck) -> u8 {
    let path = job.path.clone();
    let (offset, len) = job.region.unwrap_or((0, id.size));
    let report = tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        file.seek(SeekFrom::Start(offset))?;
        check_reader(file.take(len), purpose, CheckOptions::default())
    })
    .await;
    match report {
        Ok(Ok(r)) => {
            eprintln!("{}", shown(&crate::check::heading(&job.path, &r)));
            eprintln!("{}", shown(&r.to_string()));
            if r.is_ok() { exit::OK } else { exit::FAILED }
        }
        Ok(Err(e)) => crate::fail(exit::FAILED, format!("{}: {e}", job.label)),
        Err(e) => crate::fail(exit::FAILED, e),
    }
}
