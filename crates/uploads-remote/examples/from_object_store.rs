//! Uploads an object from an `object_store` store a program already has: each byte fetched
//! once by ranged reads in parallel, memory bounded, nothing written to local disk.
//!
//! `cargo run -p uploads-remote --example from_object_store` (an in-memory store and a local
//! Uploads server, so no key and no cloud account are needed; with a real store, build it as
//! usual, e.g. `AmazonS3Builder::from_env().with_bucket_name("data").build()?`).

use std::error::Error;
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use uploads_client::ClientConfig;
use uploads_ext::{Prefetch, Purpose, Source, Uploader};
use uploads_remote::{Fetched, ObjectRange};
use uploads_server::{Server, ServerConfig};

/// Uploads the example object; the File id, the md5 sent, and the bytes fetched.
pub async fn run() -> Result<(String, String, u64), Box<dyn Error>> {
    // The store the program has, holding a 12 MiB training file.
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let line = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n";
    let text = line.repeat(12 * 1024 * 1024 / line.len());
    let path = Path::from("datasets/train.jsonl");
    store
        .put(&path, PutPayload::from(text.into_bytes()))
        .await?;

    let server = Server::start(ServerConfig::default()).await?;
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()?;

    // One HEAD: the size and the ETag every ranged read will be pinned to.
    let fetched = Fetched::default();
    let object = ObjectRange::open(store, path, "memory:///datasets/train.jsonl")
        .await?
        .counting(fetched.clone());
    let done = Uploader::new(client)
        .source(
            Source::ranged(Arc::new(object), Prefetch::default()),
            Purpose::FineTune,
        )
        .filename("train.jsonl")
        .send()
        .await?;
    Ok((done.file.id, done.md5.unwrap_or_default(), fetched.get()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let (file_id, md5, fetched) = run().await?;
    println!("{file_id} (md5 {md5}; {fetched} bytes fetched from the store)");
    Ok(())
}
