//! `bench-baseline BASE_URL FILE PART_SIZE CONCURRENCY`: uploads FILE with plain reqwest, the
//! same protocol and part streaming as the engine but nothing else (no md5, journal, retries or
//! progress). `cargo xtask bench` compares `openai-uploads put` with it.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, path, part_size, concurrency] = args.as_slice() else {
        return Err("usage: bench-baseline BASE_URL FILE PART_SIZE CONCURRENCY".into());
    };
    let (part_size, concurrency): (u64, usize) = (part_size.parse()?, concurrency.parse()?);
    let len = tokio::fs::metadata(path).await?.len();
    // reqwest is built without a TLS provider (see the workspace manifest).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let key = "sk-local";

    let upload: Value = http
        .post(format!("{base}/uploads"))
        .bearer_auth(key)
        .json(&json!({"filename": "bench.bin", "purpose": "user_data", "bytes": len, "mime_type": "application/octet-stream"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = upload["id"].as_str().ok_or("no upload id")?.to_owned();

    let path = Arc::new(path.clone());
    let parts = (0..len.div_ceil(part_size)).map(|i| {
        let (http, base, id, path) = (http.clone(), base.clone(), id.clone(), path.clone());
        async move {
            let offset = i * part_size;
            let n = part_size.min(len - offset);
            let mut file = tokio::fs::File::open(path.as_str()).await?;
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            let stream = tokio_util::io::ReaderStream::with_capacity(file.take(n), 256 * 1024);
            let part =
                reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), n)
                    .file_name("data")
                    .mime_str("application/octet-stream")?;
            let resp: Value = http
                .post(format!("{base}/uploads/{id}/parts"))
                .bearer_auth(key)
                .multipart(reqwest::multipart::Form::new().part("data", part))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok::<_, Error>((i, resp["id"].as_str().unwrap_or_default().to_owned()))
        }
    });
    let mut done: Vec<(u64, String)> = futures::stream::iter(parts)
        .buffer_unordered(concurrency)
        .try_collect()
        .await?;
    done.sort();
    let part_ids: Vec<String> = done.into_iter().map(|(_, id)| id).collect();
    let completed: Value = http
        .post(format!("{base}/uploads/{id}/complete"))
        .bearer_auth(key)
        .json(&json!({"part_ids": part_ids}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("{}", completed["file"]["id"].as_str().unwrap_or_default());
    Ok(())
}
