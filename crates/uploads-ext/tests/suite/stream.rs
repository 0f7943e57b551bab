//! A source read once from a stream (stdin): parts in parallel from memory, the md5 as the
//! bytes pass, and every stop a cancel, since nothing can be read again.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fake, PART, journal_count, setup, status, uploader};
use uploads_client::checksum::md5_hex;
use uploads_ext::{Disposition, Purpose, Source, StopCause, UploadError};

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn a_stream_uploads_in_parallel_parts_with_its_md5_and_retries_from_memory() {
    let s = setup();
    let bytes = data(PART as usize * 9 + 17);
    // The first attempt at part 4 fails: the retry is sent from the held bytes.
    let failed = std::sync::atomic::AtomicBool::new(false);
    let fake = Arc::new(
        Fake {
            part_delay: Duration::from_millis(5),
            ..Fake::new()
        }
        .on_part(move |_, body| {
            (body[0] == bytes_at(3) && !failed.swap(true, std::sync::atomic::Ordering::SeqCst))
                .then(|| status(500, None, None))
        }),
    );
    let (reader, mut writer) = tokio::io::duplex(4096);
    let feed = bytes.clone();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        writer.write_all(&feed).await.unwrap();
    });
    let done = uploader(&fake, &s)
        .source(
            Source::stream(reader, bytes.len() as u64),
            Purpose::Assistants,
        )
        .filename("stdin.txt")
        .part_size(PART)
        .concurrency(3)
        .send()
        .await
        .unwrap();
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&bytes).as_str()));
    assert_eq!(fake.completed_bytes(), bytes);
    assert_eq!(fake.count("part:"), 11, "10 parts and one retry");
    assert!(fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    assert_eq!(journal_count(&s), 0, "a stream has no journal");
}

/// What a stream holds in memory is the parts in flight: each is let go once stored, and the
/// md5 and the check ride on the parts' reads instead of reading it all again.
#[tokio::test]
async fn a_stream_holds_only_the_parts_in_flight() {
    let s = setup();
    let bytes = data(PART as usize * 20);
    let source = Source::stream(std::io::Cursor::new(bytes.clone()), bytes.len() as u64);
    let watched = source.clone();
    let most = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = most.clone();
    let fake = Arc::new(
        Fake {
            part_delay: Duration::from_millis(2),
            ..Fake::new()
        }
        .on_part(move |_, _| {
            seen.fetch_max(watched.held_bytes(), std::sync::atomic::Ordering::SeqCst);
            None
        }),
    );
    let done = uploader(&fake, &s)
        .source(source.clone(), Purpose::Assistants)
        .filename("stdin.txt")
        .part_size(PART)
        .concurrency(2)
        .send()
        .await
        .unwrap();
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&bytes).as_str()));
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(most >= PART, "a part in flight is held: {most}");
    assert!(
        most <= 2 * PART,
        "held {most} bytes, more than 2 parts of {PART}"
    );
    assert_eq!(source.held_bytes(), 0, "all let go at the end");
}

fn bytes_at(part: u64) -> u8 {
    ((part * PART) * 31 % 251) as u8
}

#[tokio::test]
async fn a_short_or_long_stream_is_cancelled() {
    for (given, declared, what) in [
        (
            5000,
            9000,
            "the stream ended after 5000 bytes, short of the 9000",
        ),
        (9000, 5000, "longer than"),
    ] {
        let s = setup();
        let fake = Arc::new(Fake::new());
        let bytes = data(given);
        let err = uploader(&fake, &s)
            .source(
                Source::stream(std::io::Cursor::new(bytes), declared as u64),
                Purpose::Assistants,
            )
            .filename("stdin.txt")
            .part_size(PART)
            .concurrency(2)
            .send()
            .await
            .unwrap_err();
        let UploadError::Stopped { cause, disposition } = &err else {
            panic!("{err:?}")
        };
        assert!(matches!(cause, StopCause::Io { .. }), "{cause:?}");
        assert!(err.to_string().contains(what), "{err}");
        assert!(
            matches!(disposition, Disposition::Cancelled { .. }),
            "not resumable, so cancelled: {disposition:?}"
        );
        assert_eq!(fake.count("complete"), 0);
        assert_eq!(fake.count("cancel"), 1);
    }
}

#[tokio::test]
async fn an_interrupted_stream_upload_is_cancelled_not_left_pending() {
    let s = setup();
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(30),
        ..Fake::new()
    });
    let token = tokio_util::sync::CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(40)).await;
        t.cancel();
    });
    let bytes = data(PART as usize * 20);
    let err = uploader(&fake, &s)
        .source(
            Source::stream(std::io::Cursor::new(bytes.clone()), bytes.len() as u64),
            Purpose::Assistants,
        )
        .filename("stdin.txt")
        .part_size(PART)
        .concurrency(2)
        .cancel_token(token)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped { cause, disposition } = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(cause, StopCause::Interrupted), "{cause:?}");
    assert!(
        matches!(disposition, Disposition::Cancelled { .. }),
        "{disposition:?}"
    );
}

/// The check of a stream rides on the parts' reads, so it must be in place before the first
/// part reads: a stream that is ready at once (here, bytes in memory on a one-thread
/// runtime) was read whole by the parts before the spawned pass armed the check, and went up
/// unchecked (the CLI's `put - --then batch` then found no endpoint, under load).
#[tokio::test]
async fn a_stream_read_at_once_is_still_checked() {
    let s = setup();
    let send = |text: &'static str| {
        let fake = Arc::new(Fake::new());
        let sent = uploader(&fake, &s)
            .source(
                Source::stream(std::io::Cursor::new(text.as_bytes()), text.len() as u64),
                Purpose::Batch,
            )
            .filename("requests.jsonl")
            .check_content(true)
            .send();
        async move { (sent.await, fake) }
    };
    let good = concat!(
        r#"{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}"#,
        "\n"
    );
    let done = send(good).await.0.unwrap();
    let report = done
        .check
        .clone()
        .unwrap_or_else(|| panic!("the stream was checked: {done:?}"));
    assert_eq!(
        report.summary.by_kind.keys().collect::<Vec<_>>(),
        ["/v1/chat/completions"]
    );
    // A bad line is refused, not uploaded.
    let (sent, fake) = send("{\"method\":\"POST\"}\n").await;
    let err = sent.unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Stopped {
                cause: StopCause::ContentRejected { .. },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(fake.count("complete"), 0);
}
