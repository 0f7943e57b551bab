//! What `put` uploads for each FILE: the file itself, or with `--split` the pieces of a batch
//! file over the limits, each a byte range of the file (no copies).

use std::path::Path;

use uploads_client::rules::{MAX_BATCH_FILE_BYTES, MAX_BATCH_REQUESTS};
use uploads_ext::Source;
use uploads_ext::split::split_batch;

use super::job::Job;

/// The uploads for `path`. `batch_limits`: the file is a batch file being checked, so one
/// over 200 MiB is refused now unless `split` cuts it. `name` is `--filename`, if given.
pub async fn jobs_for(
    path: &Path,
    split: bool,
    batch_limits: bool,
    name: Option<&str>,
) -> Result<Vec<Job>, String> {
    let label = crate::output::name_shown(&path.display().to_string());
    let whole = || {
        vec![Job {
            label: label.clone(),
            source: Source::file(path),
            filename: None,
            path: path.to_owned(),
            order: 0,
        }]
    };
    if !split {
        if batch_limits
            && let Ok(meta) = std::fs::metadata(path)
            && meta.is_file()
            && meta.len() > MAX_BATCH_FILE_BYTES
        {
            return Err(format!(
                "{label}: {} bytes, more than the {MAX_BATCH_FILE_BYTES} bytes (200 MiB) a batch file may hold: add --split to upload it in pieces within the limits",
                meta.len()
            ));
        }
        return Ok(whole());
    }
    let owned = path.to_owned();
    let pieces = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&owned)?;
        split_batch(
            std::io::BufReader::new(file),
            MAX_BATCH_REQUESTS,
            MAX_BATCH_FILE_BYTES,
        )
    })
    .await
    .map_err(|e| format!("{label}: {e}"))?
    .map_err(|e| format!("{label}: cannot split it: {e}"))?;
    if pieces.len() <= 1 {
        return Ok(whole());
    }
    let base = name.map(Path::new).unwrap_or(path);
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "batch".into());
    let width = pieces.len().to_string().len().max(2);
    Ok(pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let filename = format!("{stem}.{:0width$}.jsonl", i + 1);
            Job {
                label: format!(
                    "{label} piece {}/{} ({filename}: {} requests, bytes {}..{})",
                    i + 1,
                    pieces.len(),
                    p.requests,
                    p.offset,
                    p.offset + p.len
                ),
                source: Source::file_region(path, p.offset, p.len),
                filename: Some(filename),
                path: path.to_owned(),
                order: 0,
            }
        })
        .collect())
}
