//! The `upload_file` example runs as a test, so the documented way to use the engine works.

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/upload_file.rs"]
mod upload_file;

#[tokio::test]
async fn the_upload_file_example_uploads_the_file() {
    let (file_id, md5) = upload_file::run().await.unwrap();
    assert!(file_id.starts_with("file-"), "{file_id}");
    let line = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";
    let expected = line.repeat(3 * 1024 * 1024 / line.len());
    assert_eq!(md5, uploads_client::checksum::md5_hex(expected.as_bytes()));
}
