//! The `from_object_store` example runs as a test: the documented way to upload from a store
//! a program already has works, and reads each byte once.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/from_object_store.rs"]
mod from_object_store;

#[tokio::test]
async fn the_example_uploads_the_object_fetching_each_byte_once() {
    let (file_id, md5, fetched) = from_object_store::run().await.unwrap();
    assert!(file_id.starts_with("file-"), "{file_id}");
    let line = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"hello\"}]}\n";
    let text = line.repeat(12 * 1024 * 1024 / line.len());
    assert_eq!(md5, uploads_client::checksum::md5_hex(text.as_bytes()));
    assert_eq!(fetched, text.len() as u64);
}
