//! Shows progress as an upload runs: bytes sent, parts stored, retries.
//!
//! `cargo run -p uploads-ext --example progress` (a local server that fails one part request in
//! five with a 503, so retries show too; no key needed).

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use uploads_client::ClientConfig;
use uploads_ext::{Event, Purpose, RetryPolicy, Uploader};
use uploads_server::{Faults, Server, ServerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = Server::start(ServerConfig {
        faults: Faults {
            error_rate: 0.2,
            seed: 7,
            ..Faults::default()
        },
        ..ServerConfig::default()
    })
    .await?;
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()?;
    let data: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();

    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let done = Uploader::new(client)
        .retry_policy(RetryPolicy::default().delays(
            std::time::Duration::from_millis(50),
            std::time::Duration::from_millis(500),
        ))
        .bytes("data.bin", data, Purpose::UserData)
        .part_size(1024 * 1024)
        .concurrency(4)
        .progress(move |event| match event {
            // Called per 256 KiB chunk: keep it cheap.
            Event::BytesSent { bytes } => {
                counter.fetch_add(*bytes, Ordering::Relaxed);
            }
            Event::PartDone { index, len, .. } => {
                eprintln!("part {} stored ({len} bytes)", index + 1)
            }
            Event::RetryScheduled {
                part, wait, reason, ..
            } => eprintln!("part {part:?}: {reason}, retrying in {wait:?}"),
            Event::Completed { file_id } => eprintln!("done: {file_id}"),
            _ => {}
        })
        .send()
        .await?;
    println!(
        "{}: {} bytes on the wire for a {}-byte file",
        done.file.id,
        sent.load(Ordering::Relaxed),
        done.file.bytes
    );
    server.shutdown().await;
    Ok(())
}
