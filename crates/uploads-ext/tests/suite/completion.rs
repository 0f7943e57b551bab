//! Completing against a scripted fake: a lost response recovered from the Files list, an
//! unknown outcome kept for a re-run, a response without a File; never a cancel.

use crate::common;

use std::sync::Arc;

use common::{Fake, PART, journal_count, make_file, setup, status, uploader};
use uploads_ext::{Disposition, Purpose, Step, StopCause, UploadError};

#[tokio::test]
async fn a_completed_upload_without_a_file_says_it_completed() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 2, 0);
    let fake = Arc::new(Fake::new());
    fake.complete_without_file
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped { disposition, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        *disposition,
        Disposition::CompletedWithoutFile {
            upload_id: "upload_1".into()
        }
    );
    assert_eq!(
        fake.count("cancel"),
        0,
        "a completed upload is not cancelled"
    );
    assert!(
        err.to_string()
            .contains("completed, but the response named no File"),
        "{err}"
    );
}

#[tokio::test]
async fn a_lost_complete_response_is_recovered_by_listing_files_and_nothing_is_cancelled() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 7);
    let fake = Arc::new(Fake::new());
    fake.complete_responses_to_lose
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert!(done.recovered);
    assert_eq!(done.file.id, "file-upload_1");
    assert_eq!(
        done.upload.file.as_ref().map(|f| f.id.as_str()),
        Some("file-upload_1")
    );
    assert_eq!(fake.completed_bytes(), data);
    // The retry was answered "not pending"; the File was then found, not cancelled.
    assert_eq!(fake.count("complete"), 2);
    assert!(fake.count("list") >= 1);
    assert_eq!(fake.count("cancel"), 0);
    assert_eq!(journal_count(&s), 0, "a recovered upload is done");
}

#[tokio::test]
async fn an_unknown_complete_outcome_keeps_the_journal_and_the_rerun_finishes() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 2, 0);
    let fake = Arc::new(Fake::new());
    let lost = common::lost_response().await;
    {
        let mut errors = fake.complete_errors.lock().unwrap();
        errors.push_back(lost);
        errors.push_back(status(503, None, None));
        errors.push_back(status(503, None, None));
    }
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped { disposition, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(disposition, Disposition::MaybeCompleted { upload_id, journal: Some(_), candidates } if upload_id == "upload_1" && candidates.is_empty()),
        "{disposition:?}"
    );
    assert!(
        err.to_string()
            .contains("the upload may have completed; the File id is unknown"),
        "{err}"
    );
    assert_eq!(
        fake.count("cancel"),
        0,
        "an unknown outcome is never cancelled"
    );
    // Complete was tried the policy's 3 times, no more.
    assert_eq!(fake.count("complete"), 3);
    assert_eq!(journal_count(&s), 1);
    let journal = uploads_ext::journal::list(&s.journals).unwrap();
    assert!(journal[0].1.complete_sent);

    // The same call again sends no part and asks complete once more.
    let parts_before = fake.count("part:");
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(fake.count("part:"), parts_before);
    assert_eq!(fake.count("create"), 1);
    assert_eq!(done.parts_resumed, 2);
    assert_eq!(fake.completed_bytes(), data);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn a_rerun_after_complete_was_done_finds_the_file_instead_of_starting_over() {
    use std::sync::atomic::Ordering;
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 2, 0);
    let fake = Arc::new(Fake::new());
    // First run: complete is carried out but its response is lost, and the Files list cannot
    // be read, so the outcome stays unknown (as after a crash right after sending complete).
    fake.complete_responses_to_lose.store(1, Ordering::SeqCst);
    fake.list_fails.store(true, Ordering::SeqCst);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Stopped {
                disposition: Disposition::MaybeCompleted { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count("cancel"), 0);

    // The re-run: complete answers that the upload is no longer pending; the File is found.
    fake.list_fails.store(false, Ordering::SeqCst);
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert!(done.recovered);
    assert_eq!(done.file.id, "file-upload_1");
    assert_eq!(fake.count("create"), 1, "no second upload");
    assert_eq!(fake.count("cancel"), 0);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn parts_the_service_does_not_know_cancel_and_the_next_run_starts_over() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    let mut refusal = status(400, None, None);
    if let uploads_client::ApiError::Status(body) = &mut refusal {
        body.param = Some("part_ids".into());
        body.message = "Part 'part_9' does not belong to Upload upload_1.".into();
    }
    fake.complete_errors.lock().unwrap().push_back(refusal);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause: StopCause::Refused {
            step: Step::Complete,
            error,
        },
        disposition,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        error.body().and_then(|b| b.param.as_deref()),
        Some("part_ids")
    );
    let Disposition::Cancelled { upload_id: first } = disposition else {
        panic!("{disposition:?}")
    };
    assert_eq!(journal_count(&s), 0, "no journal left to loop on");
    // The same call again: a fresh upload, completed.
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(done.parts_resumed, 0);
    assert_ne!(&done.upload.id, first, "a fresh upload");
    assert_eq!(fake.count("create"), 2);
    assert_eq!(fake.completed_bytes(), data);
}

#[tokio::test]
async fn the_files_list_is_read_only_as_far_as_it_says_it_goes() {
    let s = setup();
    let fake = Arc::new(Fake::new());
    // One other File of the purpose: a page of one that says there is no more.
    let (other, _) = make_file(s.dir.path(), "other.txt", 1, 0);
    uploader(&fake, &s)
        .file(&other, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    let (path, _) = make_file(s.dir.path(), "a.txt", 2, 0);
    let lost = common::lost_response().await;
    fake.complete_errors.lock().unwrap().extend([
        lost,
        status(503, None, None),
        status(503, None, None),
    ]);
    let lists_before = fake.count("list");
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                disposition: Disposition::MaybeCompleted { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count("list") - lists_before, 1, "{:?}", fake.calls());
}
