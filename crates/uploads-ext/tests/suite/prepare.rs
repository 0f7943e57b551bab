//! The one prepare step: an upload validated and planned before any request, what a dry run
//! prints and what `send` consumes; the budget of parts in flight; the library writing nothing
//! unasked; a plan with no client at all (`Offline`).

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fake, PART, fast_retries, make_file, setup, uploader};
use uploads_ext::check::ContentFormat;
use uploads_ext::{Offline, PartBudget, Purpose, Source, UploadError, Uploader, ValidationError};

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn prepare_plans_the_upload_and_sends_nothing() {
    let s = setup();
    let fake = Arc::new(Fake::new());
    let path = s.dir.path().join("requests.jsonl");
    // 20 MiB in 45,000 requests (the limit is 50,000), each id its own.
    let text = "x".repeat(400);
    let lines: String = (0..45_000)
        .map(|i| {
            format!(
                "{{\"custom_id\":\"r{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"m\",\"messages\":[{{\"role\":\"user\",\"content\":\"{text}\"}}]}}}}\n"
            )
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let plan = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .concurrency(4)
        .check_content(true)
        .prepare()
        .await
        .unwrap();
    // ~20 MiB over 4 in flight: two parts per slot wants 2.5 MiB parts, the floor is 8 MiB.
    assert!(size > 16 * MIB && size <= 24 * MIB, "{size}");
    assert_eq!(plan.size(), size);
    assert_eq!(plan.part_size(), 8 * MIB);
    assert_eq!(plan.part_count(), 3);
    assert_eq!(plan.parts_in_flight(), 3, "fewer parts than the budget");
    assert_eq!(plan.filename(), "requests.jsonl");
    assert_eq!(plan.mime_type(), "text/jsonl");
    assert_eq!(plan.purpose(), &Purpose::Batch);
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
    assert_eq!(plan.content_format(), Some(ContentFormat::Batch));
    assert_eq!(plan.identity().size, size);
    assert!(fake.calls().is_empty(), "nothing was sent");
    // The content check alone, as the upload would run it.
    let report = plan.check_contents().await.unwrap().unwrap();
    assert!(report.is_ok(), "{report}");

    // No check asked for, or a purpose without one: no format.
    let unchecked = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .prepare()
        .await
        .unwrap();
    assert_eq!(unchecked.content_format(), None);
    assert!(unchecked.check_contents().await.unwrap().is_none());
    let other = uploader(&fake, &s)
        .file(&path, Purpose::UserData)
        .check_content(true)
        .prepare()
        .await
        .unwrap();
    assert_eq!(other.content_format(), None);

    // And the plan is what is sent: three parts, as planned.
    let done = plan.send().await.unwrap();
    assert_eq!(done.parts_sent, 3);
    assert_eq!(fake.count("create"), 1);
}

#[tokio::test]
async fn the_plan_says_the_warnings_a_send_would_give() {
    let s = setup();
    let fake = Arc::new(Fake::new());
    let (path, _) = make_file(s.dir.path(), "notes.log", 2, 0);
    let plan = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.warnings().len(), 1, "{:?}", plan.warnings());
    assert!(
        plan.warnings()[0].contains("sending it anyway"),
        "{:?}",
        plan.warnings()
    );
    assert!(fake.calls().is_empty());
}

#[tokio::test]
async fn the_estimate_takes_the_bandwidth_cap() {
    let s = setup();
    let fake = Arc::new(Fake::new());
    let path = s.dir.path().join("big.bin");
    // Sparse: a GiB that costs nothing.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(1024 * MIB)
        .unwrap();
    let build = || uploader(&fake, &s).file(&path, Purpose::UserData);
    let plan = build().prepare().await.unwrap();
    let at = plan.estimate(50_000_000);
    assert_eq!(at.rate, 50_000_000);
    assert!((at.duration.as_secs_f64() - 21.47).abs() < 0.01, "{at:?}");
    assert!(at.fits);
    // The case: 1 GiB at --bwlimit 100KB takes about 3 hours, not 21 s.
    let capped = build()
        .bandwidth_limit(Some(100_000))
        .prepare()
        .await
        .unwrap();
    assert_eq!(capped.bandwidth_limit(), Some(100_000));
    let at = capped.estimate(50_000_000);
    assert_eq!(at.rate, 100_000);
    assert_eq!(at.duration.as_secs(), 10_737);
    assert!(!at.fits);
    // A cap above the assumed rate changes nothing.
    assert_eq!(capped.estimate(1_000).rate, 1_000);
    // The edge is 54 minutes (a tenth of the hour spare).
    let k = (1024 * MIB) / 3240;
    assert!(plan.estimate(k + 1).fits);
    assert!(!plan.estimate(k).fits);
    // Exactly 54 minutes is past the edge.
    let exact = s.dir.path().join("exact.bin");
    std::fs::File::create(&exact)
        .unwrap()
        .set_len(3240 * 1_000_000)
        .unwrap();
    let plan = uploader(&fake, &s)
        .file(&exact, Purpose::UserData)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.estimate(1_000_000).duration.as_secs(), 3240);
    assert!(!plan.estimate(1_000_000).fits);
    assert!(plan.estimate(1_000_001).fits);
}

#[tokio::test]
async fn a_plan_needs_no_client_and_offline_sends_nothing() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 10);
    let up = Uploader::new(Offline)
        .min_part_size(1)
        .retry_policy(fast_retries(2));
    let plan = up
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.part_count(), 3);
    let err = plan.send().await.unwrap_err();
    assert!(err.to_string().contains("offline"), "{err}");
    assert!(
        matches!(
            err,
            UploadError::Stopped {
                disposition: uploads_ext::Disposition::NothingCreated,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_streams_memory_limit_bounds_its_parts_in_flight() {
    let s = setup();
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(10),
        ..Fake::new()
    });
    let data: Vec<u8> = (0..10 * PART).map(|i| (i % 251) as u8).collect();
    let stream =
        |data: &[u8]| Source::stream(std::io::Cursor::new(data.to_vec()), data.len() as u64);
    let plan = uploader(&fake, &s)
        .source(stream(&data), Purpose::Assistants)
        .filename("piped.bin")
        .part_size(PART)
        .max_memory(3 * PART + 10)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.parts_in_flight(), 3);
    let done = plan.send().await.unwrap();
    assert_eq!(done.parts_sent, 10);
    assert_eq!(
        fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    assert_eq!(fake.completed_bytes(), data);

    // Less than one part: refused before any request.
    let err = uploader(&fake, &s)
        .source(stream(&data), Purpose::Assistants)
        .filename("piped.bin")
        .part_size(PART)
        .max_memory(PART - 1)
        .prepare()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ValidationError::MemoryBelowPart {
                memory: 999,
                part_size: 1000
            }
        ),
        "{err:?}"
    );
    insta::assert_snapshot!(err.to_string(), @"the memory limit of 999 B holds less than one part of 1000 B: raise it, or lower the part size");

    // A file is read again for a retry and holds no parts: the limit does not apply.
    let (path, _) = make_file(s.dir.path(), "f.bin", 10, 0);
    let plan = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .max_memory(1)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.parts_in_flight(), 10);
}

#[tokio::test]
async fn a_shared_budget_is_its_size_and_a_zero_budget_is_refused() {
    let s = setup();
    let fake = Arc::new(Fake::new());
    let (path, _) = make_file(s.dir.path(), "f.bin", 10, 0);
    let budget = PartBudget::new(4);
    let up = uploader(&fake, &s).part_budget(budget.clone());
    let plan = up
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .prepare()
        .await
        .unwrap();
    assert_eq!(plan.parts_in_flight(), 4);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .concurrency(0)
        .prepare()
        .await
        .unwrap_err();
    assert!(matches!(err, ValidationError::Concurrency), "{err:?}");
    assert_eq!(budget.parts(), 4);
}

#[tokio::test]
async fn the_library_writes_no_journal_unless_told_where() {
    let s = setup();
    // Every part fails in a way a resume could fix; with no journal nothing could resume it,
    // so it is cancelled rather than left pending for nobody.
    let fake = Arc::new(Fake::new().on_part(|_, _| Some(common::status(503, None, None))));
    let (path, _) = make_file(s.dir.path(), "f.bin", 2, 0);
    let err = Uploader::new(fake.clone())
        .min_part_size(1)
        .retry_policy(fast_retries(1))
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    match err {
        UploadError::Stopped {
            disposition: uploads_ext::Disposition::Cancelled { .. },
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.count("cancel"), 1);
    // Nothing was written next to the file or anywhere under the test's folder.
    let written: Vec<_> = walk(s.dir.path())
        .into_iter()
        .filter(|p| p != &path)
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
