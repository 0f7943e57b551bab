//! Uploads several files at once under one budget of parts in flight, and reports each.
//!
//! `cargo run -p uploads-ext --example upload_many` (a local server, no key needed).

use std::error::Error;

use uploads_client::ClientConfig;
use uploads_ext::{PartBudget, Purpose, Uploader};
use uploads_server::{Server, ServerConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = Server::start(ServerConfig::default()).await?;
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()?;
    let dir = tempfile::tempdir()?;
    // One budget for all its uploads: eight parts in flight across the files.
    let uploader = Uploader::new(client).part_budget(PartBudget::new(8));

    let builders = (1..=4)
        .map(|i| {
            let path = dir.path().join(format!("batch-{i}.jsonl"));
            let line = format!("{{\"custom_id\": \"r{i}\"}}\n");
            std::fs::write(&path, line.repeat(i * 50_000))?;
            Ok(uploader.file(path, Purpose::Batch).part_size(1024 * 1024))
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    // All four files at once; their parts share the eight slots, whatever each file's count.
    for result in uploader.send_all(builders, 4).await {
        match result {
            Ok(done) => println!(
                "{} -> {} ({} parts)",
                done.file.filename, done.file.id, done.parts_sent
            ),
            Err(e) => eprintln!("failed: {e}"),
        }
    }
    server.shutdown().await;
    Ok(())
}
