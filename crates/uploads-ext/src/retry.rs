//! Which failures are worth another try, how long to wait, and the one retry loop every step
//! (create, each part, complete) runs through.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;
use uploads_client::ApiError;

use crate::error::{Step, StopCause};
use crate::progress::{Emitter, Event};

/// Exponential backoff with jitter, capped; a server's `Retry-After` is honoured.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts per step, the first included.
    pub max_attempts: u32,
    /// The wait after the first failure, before jitter; it doubles with each failure.
    pub base_delay: Duration,
    /// The longest wait between attempts, before jitter.
    pub max_delay: Duration,
    /// The longest `Retry-After` we wait; longer ones are cut to this.
    pub max_retry_after: Duration,
    /// Before anything is uploaded, how long a service that cannot be reached at all
    /// (connection refused, DNS or TLS failure) is waited for: a wrong base URL should fail in
    /// seconds, not minutes. Once parts are on the server, every step keeps the full patience.
    pub unreachable_patience: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            unreachable_patience: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts with the default delays.
    pub fn with_attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// The same policy with other delays (base and cap).
    pub fn delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failures (1-based). `jitter` in
    /// `[0, 1)` places it between half the backoff step and the whole step, so retries from
    /// many parts do not bunch up.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let cap = exp.min(self.max_delay);
        let half = cap / 2;
        half + cap.saturating_sub(half).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// What to do about a failed call.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Worth another try; the server may have said how long to wait.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// A failure retries could fix, but the service asked us not to retry it now
    /// (`x-should-retry: false`): stop, and leave the upload resumable.
    NotNow,
    /// No retry will fix it.
    Fatal,
}

/// The service's `x-should-retry` decides first, as in OpenAI's SDKs: `true` retries whatever
/// the status. Then 408, 409, 429 (unless the quota is exhausted), 5xx, connection errors and
/// timeouts are retried, and everything else is final; one of those with `x-should-retry:
/// false` stops without a retry, but is not final.
pub(crate) fn classify(e: &ApiError) -> Verdict {
    let verdict = by_status(e);
    match e.body().and_then(|b| b.should_retry) {
        Some(true) if verdict == Verdict::Fatal => Verdict::Retry {
            after: e.body().and_then(|b| b.retry_after),
            reason: format!("HTTP {} (x-should-retry: true)", e.status().unwrap_or(0)),
        },
        Some(false) if matches!(verdict, Verdict::Retry { .. }) => Verdict::NotNow,
        _ => verdict,
    }
}

fn by_status(e: &ApiError) -> Verdict {
    match e {
        ApiError::Transport(err) => {
            let reason = if err.is_timeout() {
                "timeout"
            } else {
                "connection error"
            };
            Verdict::Retry {
                after: None,
                reason: reason.into(),
            }
        }
        ApiError::Status(body) => {
            let retryable = match body.status {
                408 | 409 | 500..=599 => true,
                429 => {
                    body.code.as_deref() != Some("insufficient_quota")
                        && body.kind != "insufficient_quota"
                }
                _ => false,
            };
            if retryable {
                Verdict::Retry {
                    after: body.retry_after,
                    reason: format!("HTTP {}", body.status),
                }
            } else {
                Verdict::Fatal
            }
        }
        _ => Verdict::Fatal,
    }
}

/// True if the service could not be reached at all: the connection was refused or failed
/// (which covers DNS and TLS failures), so no request went out.
fn is_unreachable(e: &ApiError) -> bool {
    matches!(e, ApiError::Transport(t) if t.is_connect())
}

/// How one attempt failed: with an API error the policy judges, or with a stop that is final
/// whatever the policy (a part's source changed, say).
#[derive(Debug)]
pub(crate) enum Failure {
    Api(ApiError),
    Stop(StopCause),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

/// Everything a retry loop needs: the policy, the jitter's random source, the token that stops
/// the whole upload, and where to report scheduled retries. One per upload, shared by its parts.
#[derive(Clone)]
pub(crate) struct RetryContext {
    policy: RetryPolicy,
    rng: Arc<Mutex<StdRng>>,
    stop: CancellationToken,
    emit: Emitter,
}

impl RetryContext {
    /// `seed` fixes the jitter (tests); `None` draws it from the OS.
    pub(crate) fn new(
        policy: RetryPolicy,
        seed: Option<u64>,
        stop: CancellationToken,
        emit: Emitter,
    ) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            policy,
            rng: Arc::new(Mutex::new(rng)),
            stop,
            emit,
        }
    }

    fn jitter(&self) -> f64 {
        // A poisoned lock only means another thread panicked mid-draw; the RNG is still usable.
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.random::<f64>()
    }

    /// Calls `op` until it succeeds, fails for good, the attempts run out, or the upload is
    /// stopped (also while waiting).
    pub(crate) async fn run<T, F, Fut>(&self, step: Step, mut op: F) -> Result<T, StopCause>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut attempt = 0;
        // Time spent waiting on a service that could not be reached at all, while creating.
        let mut unreachable_for = Duration::ZERO;
        loop {
            attempt += 1;
            let result = tokio::select! {
                r = op() => r,
                _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
            };
            let error = match result {
                Ok(v) => return Ok(v),
                Err(Failure::Stop(cause)) => return Err(cause),
                Err(Failure::Api(e)) => e,
            };
            let (after, reason) = match classify(&error) {
                Verdict::Fatal => return Err(StopCause::Refused { step, error }),
                Verdict::NotNow => return Err(StopCause::NotRetried { step, error }),
                Verdict::Retry { .. } if attempt >= self.policy.max_attempts => {
                    return Err(StopCause::RetriesExhausted {
                        step,
                        attempts: attempt,
                        error,
                    });
                }
                Verdict::Retry { after, reason } => (after, reason),
            };
            let mut wait = self.policy.delay(attempt, after, self.jitter());
            if step == Step::Create && is_unreachable(&error) {
                let left = self
                    .policy
                    .unreachable_patience
                    .saturating_sub(unreachable_for);
                if left.is_zero() {
                    return Err(StopCause::Unreachable {
                        attempts: attempt,
                        error,
                    });
                }
                wait = wait.min(left);
                unreachable_for += wait;
            }
            tracing::warn!(%step, attempt, ?wait, %reason, "retrying");
            self.emit.emit(Event::RetryScheduled {
                part: step.part(),
                attempt,
                wait,
                reason,
            });
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.stop.cancelled() => return Err(StopCause::Interrupted),
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
