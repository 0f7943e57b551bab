//! Which failures are worth another try, and how long to wait before it.

use std::time::Duration;

use uploads_client::ApiError;

/// Exponential backoff with full jitter, capped; a server's `Retry-After` is honoured.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per step, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` we wait; longer ones are cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// What to do about a failed call.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Worth another try; the server may have said how long to wait.
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    /// No retry will fix it.
    Fatal,
}

/// 408, 409, 429 (unless the quota is exhausted), 5xx, connection errors and timeouts are
/// retried; everything else is final.
pub fn classify(e: &ApiError) -> Verdict {
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
        ApiError::InvalidRequest(_) | ApiError::Decode(_) => Verdict::Fatal,
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failures (1-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let cap = exp.min(self.max_delay);
        // Full jitter, but never less than half the step, so retries do not bunch up at zero.
        let half = cap / 2;
        half + cap.saturating_sub(half).mul_f64(rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uploads_client::ErrorBody;

    fn status(status: u16, code: Option<&str>) -> ApiError {
        ApiError::Status(Box::new(ErrorBody {
            status,
            kind: "x".into(),
            message: "m".into(),
            param: None,
            code: code.map(Into::into),
            request_id: None,
            retry_after: Some(Duration::from_secs(2)),
        }))
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(
                matches!(classify(&status(s, None)), Verdict::Retry { .. }),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert_eq!(classify(&status(s, None)), Verdict::Fatal, "{s}");
        }
        assert_eq!(
            classify(&status(429, Some("insufficient_quota"))),
            Verdict::Fatal
        );
        assert_eq!(
            classify(&status(429, None)),
            Verdict::Retry {
                after: Some(Duration::from_secs(2)),
                reason: "HTTP 429".into()
            }
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_honours_retry_after() {
        let p = RetryPolicy::default();
        for attempt in 1..30 {
            let d = p.delay(attempt, None);
            let step = p
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(p.max_delay);
            assert!(d >= step / 2 && d <= step, "{attempt}: {d:?}");
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7200))),
            p.max_retry_after
        );
    }
}
