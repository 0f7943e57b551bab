//! Uploads one file and prints the File's id and md5.
//!
//! It runs against a local server started in-process, so it needs no key and sends nothing
//! to OpenAI: `cargo run -p uploads-ext --example upload_file`. Against OpenAI, build the
//! client with `ClientConfig::from_env()` instead.

use std::error::Error;

use uploads_client::ClientConfig;
use uploads_ext::{Purpose, Uploader};
use uploads_server::{Server, ServerConfig};

/// Uploads a 3 MiB file in 1 MiB parts; the File's id and md5.
pub async fn run() -> Result<(String, String), Box<dyn Error>> {
    let server = Server::start(ServerConfig::default()).await?;
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()?;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("train.jsonl");
    let line = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";
    std::fs::write(&path, line.repeat(3 * 1024 * 1024 / line.len()))?;

    let done = Uploader::new(client)
        .file(&path, Purpose::FineTune)
        .part_size(1024 * 1024)
        .send()
        .await?;
    server.shutdown().await;
    Ok((done.file.id, done.md5.unwrap_or_default()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (file_id, md5) = run().await?;
    println!("uploaded as {file_id}, md5 {md5}");
    Ok(())
}
