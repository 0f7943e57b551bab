//! Which failures are worth another try, how long to wait, and the one retry loop every step
//! (create, each part, complete) runs through.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

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
            let reason = if err.kind() == uploads_client::TransportKind::Timeout {
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

/// Everything a retry loop needs: the policy, the jitter's random source, the tokens that stop
/// the whole upload, and where to report scheduled retries. One per upload, shared by its parts.
#[derive(Clone)]
pub(crate) struct RetryContext {
    policy: RetryPolicy,
    rng: Arc<Mutex<StdRng>>,
    /// Stops at once: an attempt in flight is dropped.
    stop: CancellationToken,
    /// Stops retrying (another part failed for good): an attempt in flight runs to its
    /// answer, so that a part the service stored is known and never sent again.
    settle: CancellationToken,
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
            settle: stop.child_token(),
            stop,
            emit,
        }
    }

    /// The token that settles the retries (fired by `stop` too).
    pub(crate) fn settle(&self) -> &CancellationToken {
        &self.settle
    }

    fn jitter(&self) -> f64 {
        // A poisoned lock only means another thread panicked mid-draw; the RNG is still usable.
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        rng.random::<f64>()
    }

    /// Calls `op` until it succeeds, fails for good, the attempts run out, or the upload is
    /// stopped (also while waiting). Settling, it makes no new attempt.
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
            // Each attempt's requests are logged inside this span (the client's `request` event).
            let span = tracing::info_span!("attempt", step = ?step.to_string(), attempt);
            let result = tokio::select! {
                r = op().instrument(span) => r,
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
                Verdict::Retry { .. } if self.settle.is_cancelled() => {
                    return Err(StopCause::Interrupted);
                }
                Verdict::Retry { after, reason } => (after, reason),
            };
            let mut wait = self.policy.delay(attempt, after, self.jitter());
            if step == Step::Create && error.is_unreachable() {
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
                _ = self.settle.cancelled() => return Err(StopCause::Interrupted),
            }
        }
    }
}

#[cfg(test)]
mod tests;
