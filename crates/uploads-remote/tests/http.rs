//! HTTP(S) sources against a ranged-GET server of the tests' own: a presigned URL's query is
//! sent on every read and shown in no message, each byte is fetched once, every read after the
//! first carries If-Match, and a file replaced mid-upload fails the upload and cancels it.

mod common;

use common::{data, local};
use uploads_client::checksum::md5_hex;
use uploads_e2e::ranged::RangedServer;
use uploads_ext::{Prefetch, Source};
use uploads_remote::{Fetched, StoreOptions, find};

const TOKEN: &str = "X-Amz-Expires=300&X-Amz-Signature=s3cr3t";

fn small_blocks() -> Prefetch {
    Prefetch {
        block: 100_000,
        ahead: 3,
    }
}

#[tokio::test]
async fn a_presigned_url_uploads_each_byte_fetched_once_with_its_query_on_every_read() {
    let files = RangedServer::with_token(TOKEN);
    let bytes = data(1_300_007, 1);
    files.put("data.txt", bytes.clone());
    let url = format!("{}?{TOKEN}", files.url("data.txt"));
    let fetched = Fetched::default();
    let mut found = find(&url, &StoreOptions::new(), &fetched).await.unwrap();
    assert_eq!(found.len(), 1);
    let object = found.remove(0);
    assert_eq!(object.relative, "data.txt");
    assert!(!object.url.contains("s3cr3t"), "{}", object.url);
    let server = local().await;
    let done = server
        .send(Source::ranged(object.reader, small_blocks()), "data.txt")
        .await
        .unwrap();
    assert_eq!(server.stored(&done.file.id).await, bytes);
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&bytes).as_str()));
    // Once each: the blocks, plus the one byte the opening GET asked for.
    assert_eq!(fetched.get(), bytes.len() as u64);
    assert_eq!(files.sent(), bytes.len() as u64 + 1);
    let pins = files.if_matches();
    assert_eq!(
        pins.len(),
        1 + 14,
        "the opening GET and 14 blocks of 100,000"
    );
    assert_eq!(pins[0], None);
    assert!(
        pins[1..]
            .iter()
            .all(|p| p.as_deref() == Some("\"data.txt-v0\"")),
        "{pins:?}"
    );
    let identity = done.identity.remote.unwrap();
    assert_eq!(identity.version.as_deref(), Some("\"data.txt-v0\""));
    assert!(!identity.location.contains("s3cr3t"));
}

#[tokio::test]
async fn a_file_replaced_mid_upload_fails_and_its_upload_is_cancelled() {
    let files = RangedServer::start();
    let bytes = data(1_000_000, 2);
    files.put("data2.txt", bytes.clone());
    files.replace_after(300_000, "data2.txt", data(1_000_000, 3));
    let fetched = Fetched::default();
    let object = find(&files.url("data2.txt"), &StoreOptions::new(), &fetched)
        .await
        .unwrap()
        .remove(0);
    let server = local().await;
    let err = server
        .send(Source::ranged(object.reader, small_blocks()), "data2.txt")
        .await
        .unwrap_err();
    common::assert_stopped_by_a_change(&err, &server);
    assert!(fetched.get() < bytes.len() as u64, "the pass stopped early");
}

#[tokio::test]
async fn a_server_without_ranges_is_refused_before_anything_is_created() {
    let files = RangedServer::ignoring_ranges();
    files.put("whole.bin", data(1000, 4));
    let e = find(
        &files.url("whole.bin"),
        &StoreOptions::new(),
        &Fetched::default(),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("does not answer ranged reads"),
        "{e}"
    );
}

#[tokio::test]
async fn a_refused_or_missing_url_says_so_and_never_shows_the_query() {
    let files = RangedServer::with_token(TOKEN);
    files.put("a.bin", data(10, 5));
    let wrong = format!("{}?X-Amz-Signature=expired-s3cr3t", files.url("a.bin"));
    let e = find(&wrong, &StoreOptions::new(), &Fetched::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 403") && e.contains("presigned"), "{e}");
    assert!(!e.contains("s3cr3t"), "{e}");
    let missing = format!("{}?{TOKEN}", files.url("nope.bin"));
    let e = find(&missing, &StoreOptions::new(), &Fetched::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no such object"), "{e}");
    assert!(!e.contains("s3cr3t"), "{e}");
}
