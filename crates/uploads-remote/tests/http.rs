//! HTTP(S) sources against a ranged-GET server of the tests' own: a presigned URL's query is
//! sent on every read and shown in no message, each byte is fetched once, every read after the
//! first carries If-Match, and a file replaced mid-upload fails the upload and cancels it.

mod common;

use common::{data, local};
use uploads_client::checksum::md5_hex;
use uploads_e2e::ranged::RangedServer;
use uploads_ext::{Disposition, Prefetch, Purpose, Source, UploadError};
use uploads_remote::{Fetched, StoreOptions, find};

const TOKEN: &str = "X-Amz-Expires=300&X-Amz-Signature=s3cr3t";

/// The one object `url` names, opened (its reads counted into `fetched`).
async fn open_one(url: &str, fetched: &Fetched) -> uploads_remote::Found {
    let mut found = find(url, &StoreOptions::new(), fetched).await.unwrap();
    assert_eq!(found.len(), 1, "{url}");
    found.remove(0)
}

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
    let object = open_one(&files.url("data2.txt"), &fetched).await;
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

/// Uploads `url` as `big.txt` with a journal, stopping (as Ctrl-C does) once `stop_after`
/// parts are stored, if given.
async fn put_with_journal(
    server: &common::Local,
    url: &str,
    journals: &std::path::Path,
    stop_after: Option<usize>,
    fetched: &Fetched,
) -> Result<uploads_ext::Completed, UploadError> {
    let object = find(url, &StoreOptions::new(), fetched)
        .await
        .map_err(|e| UploadError::Stopped {
            cause: uploads_ext::StopCause::Internal {
                what: e.to_string(),
            },
            disposition: Disposition::NothingCreated,
        })?
        .remove(0);
    let token = tokio_util::sync::CancellationToken::new();
    let (stop, stored) = (token.clone(), std::sync::atomic::AtomicUsize::new(0));
    server
        .uploader()
        .journal_dir(Some(journals.to_owned()))
        .cancel_token(token)
        .source(
            Source::ranged(object.reader, small_blocks()),
            Purpose::Assistants,
        )
        .filename("big.txt")
        .part_size(common::PART)
        .concurrency(2)
        .progress(move |e| {
            if let uploads_ext::Event::PartDone { .. } = e
                && stop_after.is_some_and(|n| {
                    stored.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= n
                })
            {
                stop.cancel();
            }
        })
        .send()
        .await
}

#[tokio::test]
async fn an_interrupted_object_resumes_from_its_journal_with_an_md5_of_every_byte() {
    let files = RangedServer::start();
    let bytes = data(1_000_003, 7);
    files.put("big.txt", bytes.clone());
    let server = local().await;
    let journals = tempfile::tempdir().unwrap();
    let url = files.url("big.txt");
    let err = put_with_journal(&server, &url, journals.path(), Some(5), &Fetched::default())
        .await
        .unwrap_err();
    let Some(upload_id) = err.resumable_upload().map(str::to_owned) else {
        panic!("kept to resume: {err:?}");
    };
    assert_eq!(server.left_pending(), 1);
    let sent_before = server.server.stats().parts_stored;
    assert!(sent_before >= 5, "{sent_before}");

    let fetched = Fetched::default();
    let done = put_with_journal(&server, &url, journals.path(), None, &fetched)
        .await
        .unwrap();
    assert_eq!(done.upload.id, upload_id, "the same upload, resumed");
    assert!(done.parts_resumed >= 5, "{}", done.parts_resumed);
    assert_eq!(done.parts_resumed + done.parts_sent, 16);
    assert_eq!(server.stored(&done.file.id).await, bytes);
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&bytes).as_str()));
    // This run read every byte once: the stored parts for the md5, the rest for their parts.
    assert_eq!(fetched.get(), bytes.len() as u64);
    assert_eq!(
        server.server.stats().parts_stored,
        sent_before + done.parts_sent as u64,
        "no stored part sent again"
    );
    assert_eq!(std::fs::read_dir(journals.path()).unwrap().count(), 0);

    // Every part stored, complete never sent: the resumed pass reads them all for the md5.
    let err = put_with_journal(
        &server,
        &url,
        journals.path(),
        Some(16),
        &Fetched::default(),
    )
    .await
    .unwrap_err();
    assert!(err.resumable_upload().is_some(), "{err:?}");
    let fetched = Fetched::default();
    let done = put_with_journal(&server, &url, journals.path(), None, &fetched)
        .await
        .unwrap();
    assert_eq!((done.parts_resumed, done.parts_sent), (16, 0));
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&bytes).as_str()));
    assert_eq!(server.stored(&done.file.id).await, bytes);
    assert_eq!(fetched.get(), bytes.len() as u64);
}

#[tokio::test]
async fn an_object_replaced_between_runs_is_not_resumed_and_one_replaced_mid_run_is_cancelled() {
    let files = RangedServer::start();
    files.put("big.txt", data(1_000_003, 8));
    let server = local().await;
    let journals = tempfile::tempdir().unwrap();
    let url = files.url("big.txt");
    let err = put_with_journal(&server, &url, journals.path(), Some(3), &Fetched::default())
        .await
        .unwrap_err();
    assert!(err.resumable_upload().is_some(), "{err:?}");
    files.put("big.txt", data(1_000_003, 9));
    let err = put_with_journal(&server, &url, journals.path(), None, &Fetched::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Resume(uploads_ext::ResumeError::FileChanged { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("the object was replaced"), "{err}");

    // With a journal, a replacement found mid-run cancels all the same: it cannot resume.
    let other = "other.txt";
    files.put(other, data(1_000_000, 10));
    files.replace_after(files.sent() + 300_000, other, data(1_000_000, 11));
    let pending_before = server.left_pending();
    let err = put_with_journal(
        &server,
        &files.url(other),
        journals.path(),
        None,
        &Fetched::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                disposition: Disposition::Cancelled { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.left_pending(), pending_before);
}

#[tokio::test]
async fn the_store_side_retries_its_own_failures_and_says_when_it_gives_up() {
    let files = RangedServer::start();
    let bytes = data(300_000, 12);
    files.put("a.txt", bytes.clone());
    let server = local().await;
    // Two 503s on the ranged reads: tried again, and the upload never sees them.
    let object = open_one(&files.url("a.txt"), &Fetched::default()).await;
    files.fail_next(2, 503);
    let done = server
        .send(Source::ranged(object.reader, small_blocks()), "a.txt")
        .await
        .unwrap();
    assert_eq!(server.stored(&done.file.id).await, bytes);
    // Failing on every attempt: the store side gives up after five and says which side.
    let object = open_one(&files.url("a.txt"), &Fetched::default()).await;
    files.fail_next(1000, 503);
    let err = server
        .send(Source::ranged(object.reader, small_blocks()), "a.txt")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "a.txt: reading bytes 0..100000: HTTP 503 Service Unavailable (after 5 attempts)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_source_shows_its_url_without_the_signature_in_debug_output() {
    let files = RangedServer::with_token(TOKEN);
    files.put("a.txt", data(10, 13));
    let url = format!("{}?{TOKEN}", files.url("a.txt"));
    let found = open_one(&url, &Fetched::default()).await;
    let shown = format!("{found:?}");
    assert!(
        shown.contains(&files.url("a.txt")) && shown.contains("bytes: 10"),
        "{shown}"
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
    let reader = uploads_remote::HttpRange::open(reqwest::Client::new(), url)
        .await
        .unwrap();
    let shown = format!("{reader:?}");
    assert!(
        shown.contains("a.txt") && shown.contains("len: 10"),
        "{shown}"
    );
    assert!(!shown.contains("s3cr3t"), "{shown}");
}

#[tokio::test]
async fn a_ranged_answer_that_is_short_or_not_the_range_asked_for_is_an_error() {
    use uploads_e2e::ranged::Wrong;
    let files = RangedServer::start();
    files.put("a.txt", data(300_000, 14));
    let server = local().await;
    for (wrong, says) in [
        (Wrong::Short, "got 99999 of 100000 bytes"),
        (Wrong::Shifted, "the server sent bytes"),
    ] {
        let object = open_one(&files.url("a.txt"), &Fetched::default()).await;
        files.answer_next_wrongly(wrong);
        let err = server
            .send(Source::ranged(object.reader, small_blocks()), "a.txt")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{wrong:?}: {err}");
    }
}
