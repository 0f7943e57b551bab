//! Objects in stores, through `object_store`, against real protocol servers started here:
//! S3 on moto's standalone server and Azure Blob Storage on Azurite; GCS has no emulator that
//! runs offline, so its path is tested through `object_store`'s in-memory store (the same
//! ObjectRange code, the same If-Match pinning). Each byte is fetched once, a prefix is listed
//! in order, and an object replaced mid-upload fails the upload and cancels it.

mod common;

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use common::{data, local};
use futures::future::BoxFuture;
use uploads_client::checksum::md5_hex;
use uploads_e2e::services::{self, ACCOUNT};
use uploads_ext::{Prefetch, RangeRead, Source};
use uploads_remote::object_store::path::Path;
use uploads_remote::object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use uploads_remote::{Fetched, ObjectRange, StoreOptions, find};

fn small_blocks() -> Prefetch {
    Prefetch {
        block: 100_000,
        ahead: 3,
    }
}

/// moto's S3, with the options a user gives for a local endpoint.
fn s3_options(moto: &services::Service) -> StoreOptions {
    StoreOptions::new()
        .with("aws_endpoint", format!("http://{}", moto.addr))
        .with("aws_allow_http", "true")
        .with("aws_region", "us-east-1")
        .with("aws_access_key_id", "test")
        .with("aws_secret_access_key", "test")
}

/// Azurite's blob service, as an account with a key at an endpoint.
fn azure_options(azurite: &services::Service) -> StoreOptions {
    StoreOptions::new()
        .with("azure_storage_account_name", ACCOUNT)
        .with(
            "azure_storage_account_key",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        )
        .with("azure_endpoint", format!("http://{}/{ACCOUNT}", azurite.addr))
        .with("allow_http", "true")
}

/// The store the URL's options build, to put the test's objects with.
fn store(url: &str, options: &StoreOptions) -> Arc<dyn ObjectStore> {
    uploads_remote::store_for(url, options).unwrap().0
}

/// Puts `bytes` at `key`: in one request, or as a multipart upload of 5 MiB parts (an S3
/// multipart ETag, `"…-N"`).
async fn put(store: &Arc<dyn ObjectStore>, key: &str, bytes: &[u8], multipart: bool) {
    let path = Path::from(key);
    if multipart {
        let upload = store.put_multipart(&path).await.unwrap();
        let mut w = WriteMultipart::new_with_chunk_size(upload, 5 * 1024 * 1024);
        w.write(bytes);
        w.finish().await.unwrap();
    } else {
        store
            .put(&path, PutPayload::from(bytes.to_vec()))
            .await
            .unwrap();
    }
}

/// Lists `prefix_url`, uploads every object, and checks bytes, md5s and what was fetched.
async fn uploads_a_listed_prefix(prefix_url: &str, options: &StoreOptions, multipart: bool) {
    let s = store(prefix_url, options);
    let a = data(700_001, 10);
    let b = data(if multipart { 11 << 20 } else { 1_200_000 }, 11);
    put(&s, "train/a.txt", &a, false).await;
    put(&s, "train/sub/b.txt", &b, multipart).await;
    put(&s, "other/c.txt", &data(10, 12), false).await;
    let fetched = Fetched::default();
    let found = find(prefix_url, options, &fetched).await.unwrap();
    let names: Vec<&str> = found.iter().map(|f| f.relative.as_str()).collect();
    assert_eq!(
        names,
        ["a.txt", "sub/b.txt"],
        "listed in order, nothing outside"
    );
    assert!(
        found[1].url.ends_with("/train/sub/b.txt"),
        "{}",
        found[1].url
    );
    let server = local().await;
    for (object, bytes) in found.into_iter().zip([&a, &b]) {
        let version = object.reader.version().map(str::to_owned);
        assert!(version.is_some(), "{} has an ETag", object.url);
        let done = server
            .send(Source::ranged(object.reader, small_blocks()), "x.txt")
            .await
            .unwrap();
        assert_eq!(&server.stored(&done.file.id).await, bytes);
        assert_eq!(done.md5.as_deref(), Some(md5_hex(bytes).as_str()));
        let remote = done.identity.remote.unwrap();
        assert_eq!(remote.location, object.url);
        assert_eq!(remote.version, version);
    }
    assert_eq!(fetched.get(), (a.len() + b.len()) as u64, "each byte once");
}

/// A reader that replaces its object in the store after its first read.
struct ReplacedAfterFirstRead {
    inner: ObjectRange,
    store: Arc<dyn ObjectStore>,
    key: String,
    done: AtomicBool,
}

impl RangeRead for ReplacedAfterFirstRead {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn location(&self) -> &str {
        self.inner.location()
    }
    fn version(&self) -> Option<&str> {
        self.inner.version()
    }
    fn read(&self, range: Range<u64>) -> BoxFuture<'_, std::io::Result<Bytes>> {
        Box::pin(async move {
            let out = self.inner.read(range).await;
            if !self.done.swap(true, Ordering::SeqCst) {
                put(
                    &self.store,
                    &self.key,
                    &data(self.len() as usize, 99),
                    false,
                )
                .await;
            }
            out
        })
    }
}

async fn a_replaced_object_fails_and_cancels(url: &str, key: &str, options: &StoreOptions) {
    let s = store(url, options);
    put(&s, key, &data(900_000, 20), false).await;
    let found = find(url, options, &Fetched::default()).await.unwrap();
    assert_eq!(found.len(), 1);
    let inner = ObjectRange::open(s.clone(), Path::from(key), url)
        .await
        .unwrap();
    let reader = ReplacedAfterFirstRead {
        inner,
        store: s.clone(),
        key: key.to_owned(),
        done: AtomicBool::new(false),
    };
    let server = local().await;
    let err = server
        .send(Source::ranged(Arc::new(reader), small_blocks()), "x.txt")
        .await
        .unwrap_err();
    common::assert_stopped_by_a_change(&err, &server);
}

#[tokio::test]
async fn s3_on_moto() {
    let moto = services::moto();
    moto.create_bucket("data");
    let options = s3_options(&moto);
    // One object in one request, one from a multipart upload (its ETag is not an md5).
    uploads_a_listed_prefix("s3://data/train/", &options, true).await;
    a_replaced_object_fails_and_cancels("s3://data/one.txt", "one.txt", &options).await;
    let e = find("s3://data/missing.txt", &options, &Fetched::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no such object"), "{e}");
}

#[tokio::test]
async fn azure_on_azurite() {
    let azurite = services::azurite();
    azurite.create_container("data");
    let options = azure_options(&azurite);
    uploads_a_listed_prefix("az://data/train/", &options, false).await;
    a_replaced_object_fails_and_cancels("az://data/one.txt", "one.txt", &options).await;
}

#[tokio::test]
async fn gcs_path_through_the_in_memory_store() {
    let s: Arc<dyn ObjectStore> = Arc::new(uploads_remote::object_store::memory::InMemory::new());
    let bytes = data(1_234_567, 30);
    put(&s, "train/a.txt", &bytes, false).await;
    let fetched = Fetched::default();
    let reader = ObjectRange::open(
        s.clone(),
        Path::from("train/a.txt"),
        "gs://bucket/train/a.txt",
    )
    .await
    .unwrap()
    .counting(fetched.clone());
    // Pinned to the ETag the store gives, and shown by its URL.
    let head = s.head(&Path::from("train/a.txt")).await.unwrap();
    assert_eq!(reader.version(), head.e_tag.as_deref());
    assert!(reader.version().is_some_and(|v| !v.is_empty()));
    let shown = format!("{reader:?}");
    assert!(
        shown.contains("gs://bucket/train/a.txt") && shown.contains("1234567"),
        "{shown}"
    );
    let server = local().await;
    let done = server
        .send(Source::ranged(Arc::new(reader), small_blocks()), "a.txt")
        .await
        .unwrap();
    assert_eq!(server.stored(&done.file.id).await, bytes);
    assert_eq!(fetched.get(), bytes.len() as u64);

    let inner = ObjectRange::open(
        s.clone(),
        Path::from("train/a.txt"),
        "gs://bucket/train/a.txt",
    )
    .await
    .unwrap();
    let reader = ReplacedAfterFirstRead {
        inner,
        store: s.clone(),
        key: "train/a.txt".into(),
        done: AtomicBool::new(false),
    };
    let err = server
        .send(Source::ranged(Arc::new(reader), small_blocks()), "a.txt")
        .await
        .unwrap_err();
    common::assert_stopped_by_a_change(&err, &server);
}
