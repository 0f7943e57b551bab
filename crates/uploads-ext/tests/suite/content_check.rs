//! The content check fused with the upload: a bad file stops and is cancelled, a good one's
//! warnings come back with the File, and a region of a file uploads as its own File.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fake, PART, journal_count, setup, uploader};
use uploads_client::checksum::md5_hex;
use uploads_ext::check::Severity;
use uploads_ext::{Disposition, Purpose, Source, StopCause, UploadError};

/// A batch file of `n` requests; `dup_at` (0-based) reuses the first id.
fn batch(n: usize, dup_at: Option<usize>) -> String {
    (0..n)
        .map(|i| {
            let id = if Some(i) == dup_at { 0 } else { i };
            format!(
                "{{\"custom_id\":\"r{id}\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{{\"model\":\"m\",\"input\":\"some text {i:06}\"}}}}\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn a_bad_batch_file_stops_at_its_first_error_and_is_cancelled() {
    let s = setup();
    let text = batch(2000, Some(3));
    let path = s.dir.path().join("b.jsonl");
    std::fs::write(&path, &text).unwrap();
    let parts = text.len().div_ceil(PART as usize);
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(20),
        ..Fake::new()
    });
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .part_size(PART)
        .concurrency(2)
        .check_content(true)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause: StopCause::ContentRejected { report },
        disposition,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        *disposition,
        Disposition::Cancelled {
            upload_id: "upload_1".into()
        }
    );
    let first = report.first_error.as_ref().unwrap();
    assert_eq!((first.line, first.kind), (4, "duplicate_custom_id"));
    assert_eq!(
        report.summary.records, 2000,
        "the report counts the whole file"
    );
    assert_eq!(fake.count("cancel"), 1);
    assert_eq!(fake.count("complete"), 0);
    let sent = fake.count("part:");
    assert!(
        sent < parts / 2,
        "the parts stop at the first error: {sent} of {parts} sent"
    );
    assert_eq!(journal_count(&s), 0);
    insta::assert_snapshot!(err.to_string(), @r#"the file is not a valid batch file (1 error): line 4: error[duplicate_custom_id]: custom_id "r0" is already used on line 1: each request needs its own; upload upload_1 was cancelled"#);
}

#[tokio::test]
async fn a_bad_file_of_one_part_is_refused_before_its_upload_is_created() {
    let s = setup();
    let text = batch(5, Some(2));
    let path = s.dir.path().join("small.jsonl");
    std::fs::write(&path, &text).unwrap();
    let fake = Arc::new(Fake::new());
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .part_size(PART)
        .check_content(true)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause: StopCause::ContentRejected { report },
        disposition,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*disposition, Disposition::NothingCreated);
    assert_eq!(
        report.first_error.as_ref().unwrap().kind,
        "duplicate_custom_id"
    );
    assert_eq!(fake.count("create"), 0, "no upload created, none to cancel");
    assert_eq!(fake.count("cancel"), 0);
}

#[tokio::test]
async fn a_good_file_completes_with_its_warnings_and_the_check_is_off_unless_asked() {
    let s = setup();
    let text = format!(
        "{}\n{}",
        batch(50, None),
        batch(1, None).replace("r0", "extra")
    );
    let path = s.dir.path().join("b.jsonl");
    std::fs::write(&path, &text).unwrap();
    let fake = Arc::new(Fake::new());
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .part_size(PART)
        .check_content(true)
        .send()
        .await
        .unwrap();
    let report = done.check.expect("the check ran");
    assert!(report.is_ok());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert_eq!(report.findings[0].kind, "blank_line");
    assert_eq!(done.md5.as_deref(), Some(md5_hex(text.as_bytes()).as_str()));
    assert_eq!(fake.completed_bytes(), text.as_bytes());

    // Off by default in the library: a file the check refuses uploads.
    let bad = batch(20, Some(5));
    std::fs::write(&path, &bad).unwrap();
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Batch)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert!(done.check.is_none());
    // A purpose with no check ignores the option.
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .check_content(true)
        .send()
        .await
        .unwrap();
    assert!(done.check.is_none());
}

#[tokio::test]
async fn a_region_of_a_file_uploads_as_its_own_file() {
    let s = setup();
    let text = batch(100, None);
    let path = s.dir.path().join("b.jsonl");
    std::fs::write(&path, &text).unwrap();
    let cut = text.match_indices('\n').nth(39).unwrap().0 as u64 + 1;
    let fake = Arc::new(Fake::new());
    let up = uploader(&fake, &s);
    let mut ids = Vec::new();
    for (offset, len) in [(0, cut), (cut, text.len() as u64 - cut)] {
        let done = up
            .source(Source::file_region(&path, offset, len), Purpose::Batch)
            .filename("b.01.jsonl")
            .part_size(PART)
            .check_content(true)
            .send()
            .await
            .unwrap();
        let region = &text.as_bytes()[offset as usize..(offset + len) as usize];
        assert_eq!(done.md5.as_deref(), Some(md5_hex(region).as_str()));
        assert!(done.check.unwrap().is_ok());
        ids.push(done.upload.id);
    }
    let state = fake.state.lock().unwrap();
    let mut joined = Vec::new();
    for id in &ids {
        let (_, part_ids, _) = state.completed.iter().find(|c| &c.0 == id).unwrap();
        for p in part_ids {
            joined.extend_from_slice(&state.parts[p]);
        }
    }
    assert_eq!(
        joined,
        text.as_bytes(),
        "the pieces are the file, byte for byte"
    );
}
