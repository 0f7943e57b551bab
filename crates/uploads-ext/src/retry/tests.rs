//! The retry loop on tokio's paused clock: waits, the attempt limit, stops, x-should-retry.
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::time::Instant;
use uploads_client::ErrorBody;

use super::*;

fn should_retry(status_code: u16, should: bool) -> ApiError {
    let mut e = status(status_code, None, None);
    if let ApiError::Status(body) = &mut e {
        body.should_retry = Some(should);
    }
    e
}

#[test]
fn x_should_retry_decides_first() {
    for s in [400, 404, 422] {
        assert!(
            matches!(classify(&should_retry(s, true)), Verdict::Retry { .. }),
            "{s}"
        );
        assert_eq!(classify(&should_retry(s, false)), Verdict::Fatal, "{s}");
    }
    for s in [408, 429, 500, 503] {
        assert_eq!(classify(&should_retry(s, false)), Verdict::NotNow, "{s}");
        assert!(matches!(
            classify(&should_retry(s, true)),
            Verdict::Retry { .. }
        ));
    }
}

fn status(status: u16, code: Option<&str>, retry_after: Option<Duration>) -> ApiError {
    ApiError::Status(Box::new(ErrorBody {
        status,
        kind: "x".into(),
        message: "m".into(),
        param: None,
        code: code.map(Into::into),
        request_id: None,
        retry_after,
        should_retry: None,
    }))
}

#[test]
fn retryable_statuses() {
    let two = Some(Duration::from_secs(2));
    for s in [408, 409, 429, 500, 502, 503, 504] {
        assert!(
            matches!(classify(&status(s, None, two)), Verdict::Retry { .. }),
            "{s}"
        );
    }
    for s in [400, 401, 403, 404, 413, 422] {
        assert_eq!(classify(&status(s, None, two)), Verdict::Fatal, "{s}");
    }
    assert_eq!(
        classify(&status(429, Some("insufficient_quota"), two)),
        Verdict::Fatal
    );
    assert_eq!(
        classify(&status(429, None, two)),
        Verdict::Retry {
            after: two,
            reason: "HTTP 429".into()
        }
    );
}

#[test]
fn backoff_grows_is_capped_and_honours_retry_after() {
    let p = RetryPolicy::default();
    for attempt in 1..30 {
        let step = p
            .base_delay
            .saturating_mul(1 << (attempt - 1).min(20))
            .min(p.max_delay);
        assert_eq!(p.delay(attempt, None, 0.0), step / 2, "{attempt}");
        assert_eq!(p.delay(attempt, None, 1.0), step, "{attempt}");
        let mid = p.delay(attempt, None, 0.5);
        assert!(mid > step / 2 && mid < step, "{attempt}: {mid:?}");
    }
    let seven = Some(Duration::from_secs(7));
    assert_eq!(p.delay(1, seven, 0.3), Duration::from_secs(7));
    assert_eq!(
        p.delay(1, Some(Duration::from_secs(7200)), 0.3),
        p.max_retry_after
    );
}

struct Probe {
    ctx: RetryContext,
    events: Arc<Mutex<Vec<Event>>>,
    stop: CancellationToken,
}

fn probe(max_attempts: u32, seed: u64) -> Probe {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let emit = Emitter::new(Some(Arc::new(move |e: &Event| {
        sink.lock().unwrap().push(e.clone())
    })));
    let stop = CancellationToken::new();
    let policy = RetryPolicy::with_attempts(max_attempts)
        .delays(Duration::from_secs(1), Duration::from_secs(8));
    Probe {
        ctx: RetryContext::new(policy, Some(seed), stop.clone(), emit),
        events,
        stop,
    }
}

fn waits(events: &Mutex<Vec<Event>>) -> Vec<Duration> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::RetryScheduled { wait, .. } => Some(*wait),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn retries_until_success_sleeping_the_scheduled_waits() {
    let p = probe(5, 7);
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let out = p
        .ctx
        .run(Step::Part(2), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err(Failure::Api(status(503, None, None))),
                _ => Ok("stored"),
            }
        })
        .await
        .unwrap();
    assert_eq!(out, "stored");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let waits = waits(&p.events);
    assert_eq!(waits.len(), 3);
    // The paused clock advances by exactly the waits (rounded up to the timer's 1 ms tick).
    let slept = waits.iter().sum::<Duration>();
    assert!(
        start.elapsed() >= slept && start.elapsed() <= slept + Duration::from_millis(3),
        "{:?} vs {slept:?}",
        start.elapsed()
    );
    for (i, w) in waits.iter().enumerate() {
        let step = Duration::from_secs(1 << i);
        assert!(*w >= step / 2 && *w <= step, "attempt {}: {w:?}", i + 1);
    }
    assert!(matches!(
        p.events.lock().unwrap()[0],
        Event::RetryScheduled {
            part: Some(2),
            attempt: 1,
            ..
        }
    ));
    // The same seed gives the same waits: the jitter is the only randomness.
    let again = probe(5, 7);
    let n = AtomicU32::new(0);
    let _ = again
        .ctx
        .run(Step::Create, || async {
            match n.fetch_add(1, Ordering::SeqCst) {
                0..=2 => Err::<(), _>(Failure::Api(status(503, None, None))),
                _ => Ok(()),
            }
        })
        .await;
    assert_eq!(super::tests::waits(&again.events), waits);
    // Jittered: each wait lies between half its backoff step and the step, and not every one
    // is the whole step.
    let steps = [1, 2, 4].map(Duration::from_secs);
    assert_eq!(waits.len(), steps.len(), "{waits:?}");
    for (w, s) in waits.iter().zip(steps) {
        assert!(*w >= s / 2 && *w <= s, "{w:?} for a step of {s:?}");
    }
    assert!(waits.iter().zip(steps).any(|(w, s)| *w < s), "{waits:?}");
    assert!(
        waits.iter().zip(steps).any(|(w, s)| *w > s / 2),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_exactly_max_attempts() {
    let p = probe(3, 1);
    let calls = AtomicU32::new(0);
    let err = p
        .ctx
        .run(Step::Complete, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::Api(status(500, None, None)))
        })
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert!(
        matches!(
            err,
            StopCause::RetriesExhausted {
                step: Step::Complete,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(waits(&p.events).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_fatal_error_or_a_stop_ends_at_once() {
    let p = probe(5, 1);
    let calls = AtomicU32::new(0);
    let err = p
        .ctx
        .run(Step::Create, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::Api(status(400, None, None)))
        })
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StopCause::Refused {
            step: Step::Create,
            ..
        }
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let err = p
        .ctx
        .run(Step::Part(0), || async {
            Err::<(), _>(Failure::Stop(StopCause::Internal {
                what: "probe".into(),
            }))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StopCause::Internal { .. }));
    assert!(waits(&p.events).is_empty());
}

#[tokio::test(start_paused = true)]
async fn honours_retry_after_and_stops_while_waiting() {
    let p = probe(5, 1);
    let stop = p.stop.clone();
    let start = Instant::now();
    let calls = AtomicU32::new(0);
    let run = p.ctx.run(Step::Part(0), || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(Failure::Api(status(
            429,
            None,
            Some(Duration::from_secs(60)),
        )))
    });
    let cancel = async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        stop.cancel();
    };
    let (err, ()) = tokio::join!(run, cancel);
    assert!(matches!(err.unwrap_err(), StopCause::Interrupted));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert_eq!(waits(&p.events), vec![Duration::from_secs(60)]);
}

fn transport(kind: uploads_client::TransportKind) -> ApiError {
    ApiError::Transport(uploads_client::TransportError::new(kind, "probe"))
}

#[test]
fn transport_failures_retry_and_say_which() {
    use uploads_client::TransportKind;
    let reason = |kind| match classify(&transport(kind)) {
        Verdict::Retry { after, reason } => {
            assert_eq!(after, None);
            reason
        }
        other => panic!("{kind:?}: {other:?}"),
    };
    assert_eq!(reason(TransportKind::Timeout), "timeout");
    assert_eq!(reason(TransportKind::Connect), "connection error");
    assert_eq!(reason(TransportKind::Body), "connection error");
    // `x-should-retry: true` on what is retried anyway keeps the status's own reason.
    assert_eq!(
        classify(&should_retry(503, true)),
        Verdict::Retry {
            after: None,
            reason: "HTTP 503".into()
        }
    );
    assert_eq!(
        classify(&should_retry(404, true)),
        Verdict::Retry {
            after: None,
            reason: "HTTP 404 (x-should-retry: true)".into()
        }
    );
}

/// A service that cannot be reached at all is waited for only as long as the patience while
/// creating; a part's connection errors retry to the attempt limit instead.
#[tokio::test(start_paused = true)]
async fn an_unreachable_service_is_waited_for_only_as_long_as_the_patience() {
    use uploads_client::TransportKind;
    let mut p = probe(50, 3);
    p.ctx.policy.unreachable_patience = Duration::from_secs(20);
    let start = Instant::now();
    let err = p
        .ctx
        .run(Step::Create, || async {
            Err::<(), _>(Failure::Api(transport(TransportKind::Connect)))
        })
        .await
        .unwrap_err();
    let StopCause::Unreachable { attempts, .. } = err else {
        panic!("{err:?}")
    };
    let waited: Duration = waits(&p.events).iter().sum();
    assert_eq!(waited, Duration::from_secs(20), "exactly the patience");
    // (The timer rounds each sleep up to the millisecond.)
    let elapsed = start.elapsed();
    assert!(elapsed >= waited && elapsed - waited < Duration::from_millis(50));
    assert_eq!(attempts as usize, waits(&p.events).len() + 1);

    // A part's connection errors are not bounded by the patience.
    let mut p = probe(4, 3);
    p.ctx.policy.unreachable_patience = Duration::from_millis(100);
    let err = p
        .ctx
        .run(Step::Part(2), || async {
            Err::<(), _>(Failure::Api(transport(TransportKind::Connect)))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StopCause::RetriesExhausted { attempts: 4, .. }),
        "{err:?}"
    );
    // Nor is creating when the service answered (a timeout is not "unreachable").
    let mut p = probe(4, 3);
    p.ctx.policy.unreachable_patience = Duration::from_millis(100);
    let err = p
        .ctx
        .run(Step::Create, || async {
            Err::<(), _>(Failure::Api(transport(TransportKind::Timeout)))
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StopCause::RetriesExhausted { attempts: 4, .. }),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn settling_lets_the_attempt_in_flight_answer_and_makes_no_new_one() {
    let p = probe(5, 1);
    let settle = p.ctx.settle().clone();
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    let run = p.ctx.run(Step::Part(0), || async {
        calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok::<_, Failure>(7)
    });
    let fire = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        settle.cancel();
    };
    let (answer, ()) = tokio::join!(run, fire);
    assert_eq!(answer.unwrap(), 7, "the attempt in flight answered");
    assert_eq!(start.elapsed(), Duration::from_secs(5));

    // Settled: a failure that would be retried is not.
    let err = p
        .ctx
        .run(Step::Part(1), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Failure::Api(status(503, None, None)))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StopCause::Interrupted), "{err:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(waits(&p.events).is_empty());

    // A stop drops the attempt in flight.
    let p = probe(5, 1);
    let stop = p.stop.clone();
    let start = Instant::now();
    let run = p.ctx.run(Step::Part(0), || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok::<_, Failure>(7)
    });
    let fire = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.cancel();
    };
    let (answer, ()) = tokio::join!(run, fire);
    assert!(matches!(answer, Err(StopCause::Interrupted)));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(p.ctx.settle().is_cancelled(), "a stop settles too");
}
