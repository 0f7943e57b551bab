//! The orchestration against a scripted fake: ordering, retries, the failure policy, resume.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::path::Path;

use common::{Fake, PART, Setup, journal_count, make_file, setup, status, uploader};
use uploads_client::checksum::md5_hex;
use uploads_ext::{Disposition, Event, Purpose, StopCause, UploadError};
use uploads_ext::{ResumeError, Step};

#[tokio::test]
async fn parallel_parts_complete_in_file_order_with_the_whole_md5() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.jsonl", 7, 123);
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(5),
        ..Fake::new()
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let done = uploader(&fake, &s)
        .file(&path, Purpose::FineTune)
        .part_size(PART)
        .concurrency(3)
        .progress(move |e| ev.lock().unwrap().push(e.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.completed_bytes(), data);
    let state = fake.state.lock().unwrap();
    let (_, ids, md5) = state.completed[0].clone();
    assert_eq!(ids.len(), 7);
    assert_eq!(md5, Some(md5_hex(&data)));
    assert_eq!(done.md5, Some(md5_hex(&data)));
    assert_eq!((done.parts_sent, done.parts_resumed), (7, 0));
    assert_eq!(done.file.filename, "a.jsonl");
    let (req, _) = state.uploads.values().next().unwrap().clone();
    assert_eq!(
        (req.mime_type.as_str(), req.purpose.as_str(), req.bytes),
        ("text/jsonl", "fine-tune", data.len() as u64)
    );
    assert_eq!(
        fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    let events = events.lock().unwrap();
    let sent: u64 = events
        .iter()
        .map(|e| {
            if let Event::BytesSent { bytes } = e {
                *bytes
            } else {
                0
            }
        })
        .sum();
    assert_eq!(sent, data.len() as u64);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::PartDone { .. }))
            .count(),
        7
    );
    assert!(matches!(
        events.first(),
        Some(Event::Started {
            parts: 7,
            parts_done: 0,
            ..
        })
    ));
    assert!(matches!(events.last(), Some(Event::Completed { .. })));
    assert_eq!(journal_count(&s), 0, "the journal is gone once complete");
}

#[tokio::test]
async fn a_500_then_success_is_retried_from_the_source() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake =
        Arc::new(Fake::new().on_part(|attempt, _| (attempt == 1).then(|| status(500, None, None))));
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .progress(move |e| ev.lock().unwrap().push(e.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.count("part:"), 4);
    assert_eq!(fake.completed_bytes(), data);
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::RetryScheduled { part: Some(0), attempt: 1, reason, .. } if reason == "HTTP 500")));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::PartRestarted {
            index: 0,
            bytes_lost: PART
        }
    )));
}

#[tokio::test]
async fn a_non_retryable_400_cancels_the_upload() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 4, 0);
    let fake =
        Arc::new(Fake::new().on_part(|attempt, _| (attempt == 2).then(|| status(400, None, None))));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause: StopCause::Refused {
            step: Step::Part(1),
            ..
        },
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
    assert_eq!(fake.count("cancel"), 1);
    assert_eq!(fake.count("complete"), 0);
    assert_eq!(fake.count("part:"), 2, "nothing is sent after the refusal");
    assert_eq!(journal_count(&s), 0);
    insta::assert_snapshot!(err.to_string(), @"sending part 2 failed: HTTP 400 invalid_request_error: scripted 400; upload upload_1 was cancelled");
}

#[tokio::test]
async fn a_failed_cancel_is_reported_and_an_already_cancelled_one_is_not() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 2, 0);
    let refuse = |attempt: usize, _: &[u8]| (attempt == 1).then(|| status(400, None, None));
    let already = uploads_client::ApiError::Status(Box::new(uploads_client::ErrorBody {
        status: 400,
        kind: "invalid_request_error".into(),
        message: "Upload upload_1 is already cancelled.".into(),
        param: None,
        code: None,
        request_id: None,
        retry_after: None,
        should_retry: None,
    }));
    for (cancel_error, cancelled) in [(status(500, None, None), false), (already, true)] {
        let fake = Arc::new(Fake::new().on_part(refuse));
        fake.cancel_errors.lock().unwrap().push_back(cancel_error);
        let err = uploader(&fake, &s)
            .file(&path, Purpose::Assistants)
            .part_size(PART)
            .concurrency(1)
            .send()
            .await
            .unwrap_err();
        let UploadError::Stopped { disposition, .. } = &err else {
            panic!("{err:?}")
        };
        match disposition {
            Disposition::Cancelled { upload_id } => assert!(cancelled, "{err}: {upload_id}"),
            Disposition::CancelFailed { upload_id, error } => {
                assert!(!cancelled, "{err}");
                assert_eq!(upload_id, "upload_1");
                assert!(error.contains("HTTP 500"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fake.count("cancel"), 1);
    }
}

#[tokio::test]
async fn a_panicking_part_task_is_an_internal_error_not_a_resumable_one() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new().on_part(|attempt, _| {
        assert!(
            attempt != 2,
            "the fake's part handler panics on its second call"
        );
        None
    }));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped { cause, disposition } = &err else {
        panic!("{err:?}")
    };
    assert!(matches!(cause, StopCause::Internal { .. }), "{cause:?}");
    assert!(!cause.is_resumable());
    assert_eq!(
        *disposition,
        Disposition::Cancelled {
            upload_id: "upload_1".into()
        }
    );
    assert_eq!(err.resumable_upload(), None);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn an_exhausted_quota_is_not_retried() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 2, 0);
    let fake =
        Arc::new(Fake::new().on_part(|_, _| Some(status(429, Some("insufficient_quota"), None))));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Stopped {
                cause: StopCause::Refused { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count("part:"), 1);
}

#[tokio::test]
async fn a_failing_create_is_retried_up_to_the_policys_attempts_and_no_further() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 2, 3);
    // Two 503s, then the service answers: the third attempt (of 3) creates.
    let fake = Arc::new(Fake::new());
    fake.create_errors
        .lock()
        .unwrap()
        .extend([status(503, None, None), status(503, None, None)]);
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(fake.count("create"), 3);
    assert_eq!(fake.completed_bytes(), data);
    assert_eq!(done.upload.id, "upload_3");

    // Three 503s: the third is the last attempt; nothing was created, nothing to cancel.
    let fake = Arc::new(Fake::new());
    fake.create_errors
        .lock()
        .unwrap()
        .extend((0..4).map(|_| status(503, None, None)));
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
                cause: StopCause::RetriesExhausted {
                    step: Step::Create,
                    attempts: 3,
                    ..
                },
                disposition: Disposition::NothingCreated,
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.calls(), ["create", "create", "create"]);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn exhausted_retries_leave_it_resumable_and_the_rerun_sends_only_missing_parts() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 5, 10);
    // Part 3 (first byte 2) fails with 503 every time.
    let fake =
        Arc::new(Fake::new().on_part(|_, bytes| (bytes[0] == 2).then(|| status(503, None, None))));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause:
            StopCause::RetriesExhausted {
                step: Step::Part(2),
                attempts: 3,
                ..
            },
        disposition,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(
        matches!(
            disposition,
            Disposition::Resumable {
                parts_done: 2,
                parts: 5,
                journal: Some(_),
                ..
            }
        ),
        "{disposition:?}"
    );
    assert_eq!(err.resumable_upload(), Some("upload_1"));
    assert_eq!(fake.count("cancel"), 0);
    assert_eq!(journal_count(&s), 1);

    *fake.on_part.lock().unwrap() = None;
    fake.state.lock().unwrap().calls.clear();
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert_eq!((done.parts_sent, done.parts_resumed), (3, 2));
    assert_eq!(fake.calls(), ["part:2", "part:3", "part:4", "complete"]);
    assert_eq!(fake.completed_bytes(), data);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn a_part_in_flight_when_another_fails_for_now_is_answered_and_journaled() {
    // Part 1 fails its three attempts at once while part 0 is still on its way: part 0's
    // answer is awaited and journaled, so the resume sends parts 1 and 2 only (before, part 0
    // was dropped mid-request: a server that had stored it got it twice, and the fault
    // matrix's full-disk case counted one part too many).
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Fake {
        slow_part: Some((0, Duration::from_millis(300))),
        ..Fake::new().on_part(|_, bytes| (bytes[0] == 1).then(|| status(503, None, None)))
    };
    let fake = Arc::new(fake);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(2)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped {
        cause:
            StopCause::RetriesExhausted {
                step: Step::Part(1),
                ..
            },
        disposition: Disposition::Resumable { parts_done, .. },
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*parts_done, 1, "part 0 answered and journaled");
    assert_eq!(fake.count("part:0"), 1);
    assert_eq!(fake.count("part:2"), 0, "no part starts after the failure");

    *fake.on_part.lock().unwrap() = None;
    fake.state.lock().unwrap().calls.clear();
    uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    let mut calls = fake.calls();
    calls.sort();
    assert_eq!(calls, ["complete", "part:1", "part:2"]);
    assert_eq!(fake.completed_bytes(), data);
}

#[tokio::test]
async fn the_callers_cancellation_leaves_the_upload_resumable() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 6, 0);
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(20),
        ..Fake::new()
    });
    let token = tokio_util::sync::CancellationToken::new();
    let t = token.clone();
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(2)
        .cancel_token(token)
        .progress(move |e| {
            if matches!(e, Event::PartDone { .. }) {
                t.cancel();
            }
        })
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                cause: StopCause::Interrupted,
                disposition: Disposition::Resumable { .. }
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count("cancel"), 0);
    assert_eq!(journal_count(&s), 1);
}

#[tokio::test]
async fn a_file_changed_during_the_upload_is_refused_and_cancelled() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let p = path.clone();
    let fake = Arc::new(Fake::new().on_part(move |attempt, _| {
        if attempt == 1 {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .append(true)
                .open(&p)
                .unwrap()
                .write_all(b"more")
                .unwrap();
        }
        None
    }));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                cause: StopCause::FileChanged { .. },
                disposition: Disposition::Cancelled { .. }
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count("complete"), 0);
    assert_eq!(fake.count("cancel"), 1);
}

#[tokio::test]
async fn a_file_deleted_during_the_upload_is_cancelled_not_called_resumable() {
    // Deleted while its parts go (the CLI's path through the check before complete is in
    // the workloads tests).
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let p = path.clone();
    let fake = Arc::new(Fake::new().on_part(move |attempt, _| {
        if attempt == 1 {
            std::fs::remove_file(&p).unwrap();
        }
        None
    }));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    let UploadError::Stopped { disposition, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(disposition, Disposition::Cancelled { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("resume"), "{err}");
    assert_eq!(fake.count("complete"), 0);
    assert_eq!(fake.count("cancel"), 1);
    assert_eq!(journal_count(&s), 0);
}

#[tokio::test]
async fn a_file_deleted_or_rewritten_at_its_size_before_complete_is_named_so() {
    // One part: the file goes (or changes) while it is sent, and the check before complete
    // is what finds it.
    for deleted in [true, false] {
        let s = setup();
        let (path, data) = make_file(s.dir.path(), "a.txt", 1, 0);
        let p = path.clone();
        let fake = Arc::new(Fake::new().on_part(move |_, _| {
            if deleted {
                std::fs::remove_file(&p).unwrap();
            } else {
                // The same size, other bytes, a later modification time.
                let f = std::fs::File::create(&p).unwrap();
                std::io::Write::write_all(&mut &f, &vec![b'z'; data.len()]).unwrap();
                f.set_modified(std::time::SystemTime::now() + Duration::from_secs(10))
                    .unwrap();
            }
            None
        }));
        let err = uploader(&fake, &s)
            .file(&path, Purpose::Assistants)
            .send()
            .await
            .unwrap_err();
        let shown = err.to_string();
        if deleted {
            assert!(
                shown.contains("deleted or moved during the upload"),
                "{shown}"
            );
        } else {
            assert!(
                matches!(
                    &err,
                    UploadError::Stopped {
                        cause: StopCause::FileChanged { .. },
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        assert_eq!(fake.count("complete"), 0, "{shown}");
        assert_eq!(fake.count("cancel"), 1, "{shown}");
    }
}

/// Leaves a journal behind: part 2 always fails.
async fn interrupted(s: &Setup, fake: &Arc<Fake>, path: &Path) {
    *fake.on_part.lock().unwrap() = Some(Box::new(|_, b: &[u8]| {
        (b[0] == 1).then(|| status(503, None, None))
    }));
    let err = uploader(fake, s)
        .file(path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(err.resumable_upload().is_some());
    *fake.on_part.lock().unwrap() = None;
}

#[tokio::test]
async fn a_resume_without_a_part_size_keeps_the_interrupted_uploads_plan() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    interrupted(&s, &fake, &path).await;
    let sent_before = fake.count("part:");
    // No part size given: the automatic one (8 MiB for this file) would be one part; the
    // journal's 1000-byte plan is kept, so only the missing parts go.
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .send()
        .await
        .unwrap();
    assert_eq!(done.parts_resumed + done.parts_sent, 3);
    assert_eq!(fake.count("part:") - sent_before, done.parts_sent);
    assert_eq!(fake.completed_bytes(), data);
}

#[tokio::test]
async fn resume_refuses_a_changed_file_changed_options_and_an_expired_upload() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    interrupted(&s, &fake, &path).await;

    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART * 2)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, UploadError::Resume(ResumeError::OptionsChanged { .. })),
        "{err:?}"
    );
    insta::assert_snapshot!(err.to_string(), @"the options differ from the interrupted upload upload_1 (part size was 1000, now 2000): use the same options to resume, or start over with restart");

    let journal = std::fs::read_dir(&s.journals)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    entry["expires_at"] = 1.into();
    std::fs::write(&journal, serde_json::to_vec(&entry).unwrap()).unwrap();
    // An expired upload cannot be resumed: the run starts over, and says why.
    let creates = fake.count("create");
    let warnings = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = warnings.clone();
    uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .progress(move |e| {
            if let uploads_ext::Event::Warning { message } = e {
                seen.lock().unwrap().push(message.clone());
            }
        })
        .send()
        .await
        .unwrap();
    assert_eq!(fake.count("create"), creates + 1, "a new upload");
    let said = warnings.lock().unwrap().join("\n");
    assert!(
        said.contains("upload_1 of this file expired at 1970-01-01 00:00:01 UTC: starting over"),
        "{said}"
    );
    interrupted(&s, &fake, &path).await;
    let creates = fake.count("create");

    std::fs::write(&path, b"different contents").unwrap();
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, UploadError::Resume(ResumeError::FileChanged { .. })),
        "{err:?}"
    );
    assert_eq!(
        fake.count("create"),
        creates,
        "no refused resume sends anything"
    );

    // restart cancels the interrupted upload and starts over.
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .restart(true)
        .send()
        .await
        .unwrap();
    assert_ne!(done.upload.id, "upload_1");
    assert_eq!(fake.count("cancel"), 1);
    assert_eq!(fake.completed_bytes(), b"different contents");
}

#[tokio::test]
async fn uploads_in_one_batch_share_one_concurrency_budget() {
    let s = setup();
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(10),
        ..Fake::new()
    });
    // All four files at once; the uploader's one budget of 3 bounds their parts together.
    let up = uploader(&fake, &s).part_budget(uploads_ext::PartBudget::new(3));
    let files: Vec<_> = (0..4)
        .map(|i| make_file(s.dir.path(), &format!("f{i}.txt"), 4, i))
        .collect();
    let builders: Vec<_> = files
        .iter()
        .map(|(p, _)| up.file(p, Purpose::Assistants).part_size(PART))
        .collect();
    let results = up.send_all(builders, 4).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.count("complete"), 4);
    assert_eq!(
        fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

#[tokio::test]
async fn concurrency_is_one_uploads_own_budget() {
    let s = setup();
    let fake = Arc::new(Fake {
        part_delay: Duration::from_millis(20),
        ..Fake::new()
    });
    let up = uploader(&fake, &s);
    // Two uploads, each with a budget of 2 of its own, both at once: 4 parts in flight.
    let builders: Vec<_> = (0..2)
        .map(|i| {
            let (p, _) = make_file(s.dir.path(), &format!("own{i}.txt"), 6, i);
            up.file(p, Purpose::Assistants)
                .part_size(PART)
                .concurrency(2)
        })
        .collect();
    let results = up.send_all(builders, 2).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(
        fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        4
    );
}

#[tokio::test]
async fn many_files_are_taken_a_few_at_a_time() {
    let s = setup();
    let mut builders = Vec::new();
    let fake = Arc::new(Fake::new());
    let up = uploader(&fake, &s);
    for i in 0..20 {
        let (path, _) = make_file(s.dir.path(), &format!("f{i}.txt"), 1, 500);
        builders.push(up.file(&path, Purpose::Assistants).part_size(PART));
    }
    let results = up.send_all(builders, 3).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.count("create"), 20);
    // Creates, journals and md5 readers of at most 3 files at a time, not all 20 at once.
    assert_eq!(
        fake.max_open_uploads
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let s = setup();
    let d = s.dir.path();
    let fake = Arc::new(Fake::new());
    let up = uploader(&fake, &s);
    std::fs::write(d.join("empty.txt"), b"").unwrap();
    std::fs::write(d.join("ok.jsonl"), b"{}\n").unwrap();
    std::fs::write(d.join("data.weird"), b"x").unwrap();
    let huge = std::fs::File::create(d.join("huge.jsonl")).unwrap();
    huge.set_len(8 * 1024 * 1024 * 1024 + 1).unwrap();
    let mut lines = Vec::new();
    let cases: Vec<(&str, uploads_ext::UploadBuilder<Arc<Fake>>)> = vec![
        ("missing", up.file(d.join("nope.jsonl"), Purpose::Batch)),
        ("directory", up.file(d, Purpose::Batch)),
        ("empty", up.file(d.join("empty.txt"), Purpose::Assistants)),
        ("over 8 GiB", up.file(d.join("huge.jsonl"), Purpose::Batch)),
        (
            "part size 0",
            up.file(d.join("ok.jsonl"), Purpose::Batch).part_size(0),
        ),
        (
            "part size over 64 MiB",
            up.file(d.join("ok.jsonl"), Purpose::Batch)
                .part_size(64 * 1024 * 1024 + 1),
        ),
        (
            "unknown purpose",
            up.file(d.join("ok.jsonl"), Purpose::from("fine_tune_v9")),
        ),
        (
            "expires_after",
            up.file(d.join("ok.jsonl"), Purpose::Batch)
                .expires_after(60),
        ),
        (
            "concurrency 0",
            up.file(d.join("ok.jsonl"), Purpose::Batch).concurrency(0),
        ),
    ];
    for (label, builder) in cases {
        let err = builder.send().await.unwrap_err();
        assert!(matches!(err, UploadError::Invalid(_)), "{label}: {err:?}");
        lines.push(format!(
            "{label}: {}",
            err.to_string().replace(&d.display().to_string(), "<dir>")
        ));
    }
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    insta::assert_snapshot!(lines.join("\n"));
    // A newer purpose, allowed explicitly, goes through.
    up.file(d.join("data.weird"), Purpose::from("brand_new"))
        .allow_unknown_purpose(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn types_our_tables_do_not_expect_are_warnings_and_the_request_goes_out() {
    let s = setup();
    let d = s.dir.path();
    std::fs::write(d.join("ok.jsonl"), b"{}\n").unwrap();
    std::fs::write(d.join("input.txt"), b"{}\n").unwrap();
    std::fs::write(d.join("data.weird"), b"x").unwrap();
    let fake = Arc::new(Fake::new());
    let up = uploader(&fake, &s);
    let cases = [
        (
            "mime for purpose",
            up.file(d.join("ok.jsonl"), Purpose::Batch)
                .mime_type("image/png"),
            "image/png",
        ),
        (
            "extension for purpose",
            up.file(d.join("ok.jsonl"), Purpose::Vision),
            "text/jsonl",
        ),
        // OpenAI's own example: a .txt batch file sent as "txt".
        (
            "txt batch",
            up.file(d.join("input.txt"), Purpose::Batch)
                .mime_type("txt"),
            "txt",
        ),
        (
            "no mime",
            up.file(d.join("data.weird"), Purpose::FineTune),
            "application/octet-stream",
        ),
    ];
    let mut lines = Vec::new();
    for (label, builder, sent_mime) in cases {
        let prepared = builder.prepare().await.unwrap();
        let warnings = prepared.warnings().to_vec();
        assert_eq!(warnings.len(), 1, "{label}");
        assert_eq!(prepared.mime_type(), sent_mime, "{label}");
        lines.push(format!("{label}: {}", warnings[0]));
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        prepared
            .progress(move |e| sink.lock().unwrap().push(e.clone()))
            .send()
            .await
            .unwrap();
        assert!(
            events
                .lock()
                .unwrap()
                .iter()
                .any(|e| matches!(e, Event::Warning { message } if *message == warnings[0])),
            "{label}"
        );
        let state = fake.state.lock().unwrap();
        let created = state
            .uploads
            .values()
            .map(|(req, _)| req.mime_type.clone())
            .collect::<Vec<_>>();
        assert!(
            created.contains(&sent_mime.to_owned()),
            "{label}: {created:?}"
        );
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn a_part_that_fails_after_the_file_changed_stops_at_once_without_retrying() {
    // The per-part source check: a failed part whose file changed is final, not retried.
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let p = path.clone();
    let fake = Arc::new(Fake::new().on_part(move |attempt, _| {
        if attempt == 1 {
            std::fs::write(&p, b"now something else entirely").unwrap();
            return Some(status(503, None, None));
        }
        None
    }));
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UploadError::Stopped {
                cause: StopCause::FileChanged { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        fake.count("part:"),
        1,
        "no retry of a part whose file changed"
    );
}

#[tokio::test]
async fn a_resume_notices_a_new_modification_time_even_at_the_same_size() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    interrupted(&s, &fake, &path).await;
    // Same bytes, same size, a later modification time.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), data);
    let err = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, UploadError::Resume(ResumeError::FileChanged { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_resume_too_close_to_expiry_is_refused_with_the_margin() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    interrupted(&s, &fake, &path).await;
    // 30 s left: under the 60 s margin, the upload could not finish in time.
    let journal = std::fs::read_dir(&s.journals)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    entry["expires_at"] = (uploads_client::rules::unix_now() + 30).into();
    std::fs::write(&journal, serde_json::to_vec(&entry).unwrap()).unwrap();
    let creates = fake.count("create");
    uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fake.count("create"),
        creates + 1,
        "started over, not resumed"
    );
    // With 10 minutes left it resumes.
    interrupted(&s, &fake, &path).await;
    let journal = std::fs::read_dir(&s.journals)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    entry["expires_at"] = (uploads_client::rules::unix_now() + 600).into();
    std::fs::write(&journal, serde_json::to_vec(&entry).unwrap()).unwrap();
    let creates = fake.count("create");
    uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(fake.count("create"), creates, "resumed");
}

#[tokio::test]
async fn the_size_limit_is_inclusive() {
    let s = setup();
    let d = s.dir.path();
    let fake = Arc::new(Fake::new());
    let limits = uploads_ext::Limits {
        max_part_bytes: 1000,
        max_upload_bytes: 5000,
    };
    let up = uploader(&fake, &s).limits(limits);
    std::fs::write(d.join("at.txt"), vec![1u8; 5000]).unwrap();
    std::fs::write(d.join("over.txt"), vec![1u8; 5001]).unwrap();
    assert!(
        up.file(d.join("at.txt"), Purpose::Assistants)
            .prepare()
            .await
            .is_ok()
    );
    assert!(matches!(
        up.file(d.join("over.txt"), Purpose::Assistants)
            .prepare()
            .await,
        Err(uploads_ext::ValidationError::TooLarge { .. })
    ));
    // Parts: exactly the limit is fine, one byte more is not.
    assert!(
        up.file(d.join("at.txt"), Purpose::Assistants)
            .part_size(1000)
            .prepare()
            .await
            .is_ok()
    );
    assert!(matches!(
        up.file(d.join("at.txt"), Purpose::Assistants)
            .part_size(1001)
            .prepare()
            .await,
        Err(uploads_ext::ValidationError::PartSize { .. })
    ));
}

#[tokio::test]
async fn a_journal_made_against_another_endpoint_is_not_resumed() {
    let s = setup();
    let (path, data) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    interrupted(&s, &fake, &path).await;
    let journal = std::fs::read_dir(&s.journals)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    entry["endpoint"] = "https://elsewhere.example/v1".into();
    std::fs::write(&journal, serde_json::to_vec(&entry).unwrap()).unwrap();
    let done = uploader(&fake, &s)
        .file(&path, Purpose::Assistants)
        .part_size(PART)
        .send()
        .await
        .unwrap();
    assert_eq!(
        fake.count("create"),
        2,
        "a new upload, not the other endpoint's"
    );
    assert_eq!(done.parts_resumed, 0);
    assert_eq!(fake.completed_bytes(), data);
}

#[tokio::test]
async fn a_part_size_under_the_floor_is_refused_before_any_request() {
    let s = setup();
    let (path, _) = make_file(s.dir.path(), "a.txt", 3, 0);
    let fake = Arc::new(Fake::new());
    // The floor is 1 MiB unless lowered (the tests' uploader lowers it to 1 byte).
    let up = uploads_ext::Uploader::new(fake.clone()).journal_dir(None);
    let err = up
        .file(&path, Purpose::Assistants)
        .part_size(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            UploadError::Invalid(uploads_ext::ValidationError::PartSize {
                size: 1,
                min: uploads_ext::MIN_PART_BYTES,
                ..
            })
        ),
        "{err:?}"
    );
    insta::assert_snapshot!(err.to_string(), @"part size 1 is out of range: it must be between 1048576 bytes (1.0 MiB) and 67108864 bytes (64.0 MiB)");
    assert!(fake.calls().is_empty(), "nothing was sent");
    let ok = up
        .file(&path, Purpose::Assistants)
        .part_size(uploads_ext::MIN_PART_BYTES)
        .prepare()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}
