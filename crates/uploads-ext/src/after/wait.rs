//! Waiting for something the service does in its own time: polls that back off to a cap, a
//! deadline that always ends the wait, and transient failures of a poll retried within it.

use std::future::Future;
use std::time::Duration;

use uploads_client::ApiError;

use super::AfterError;
use crate::retry::{Verdict, classify};

/// How often to ask, and for how long at most.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// The wait before the second poll; it grows by half each time.
    pub first_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// When to give up: the wait never lasts longer.
    pub timeout: Duration,
}

impl Default for WaitPolicy {
    /// Polls from 1 s, growing to a minute, for at most 24 hours (a batch's completion window).
    fn default() -> Self {
        Self {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl WaitPolicy {
    /// The default intervals with this deadline.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            ..Self::default()
        }
    }

    /// These intervals (first, cap).
    pub fn intervals(mut self, first: Duration, max: Duration) -> Self {
        self.first_interval = first;
        self.max_interval = max.max(first);
        self
    }
}

/// Polls with `poll` until `done` says the value is final (and returns it), showing each value
/// to `seen`. A poll failing with what a retry can fix (a 5xx, a 429, a lost connection) is
/// asked again at the next interval; a final refusal ends the wait at once; the deadline ends
/// it with [`AfterError::Deadline`] naming `what` and the last status (`status_of`).
pub(crate) async fn poll_until<T, F, Fut>(
    policy: &WaitPolicy,
    what: &str,
    mut poll: F,
    done: impl Fn(&T) -> bool,
    status_of: impl Fn(&T) -> String,
    mut seen: impl FnMut(&T),
) -> Result<T, AfterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let start = tokio::time::Instant::now();
    let deadline = start + policy.timeout;
    let mut interval = policy.first_interval;
    let mut last_status = "not yet seen".to_owned();
    loop {
        match tokio::time::timeout_at(deadline, poll()).await {
            Err(_) => break,
            Ok(Ok(value)) => {
                seen(&value);
                if done(&value) {
                    return Ok(value);
                }
                last_status = status_of(&value);
            }
            Ok(Err(e)) => match classify(&e) {
                Verdict::Retry { after, .. } => {
                    tracing::debug!(error = %e, "poll failed; asking again");
                    if let Some(after) = after {
                        interval = interval.max(after);
                    }
                }
                Verdict::NotNow | Verdict::Fatal => {
                    return Err(AfterError::Api {
                        what: format!("asking for {what}"),
                        source: e,
                    });
                }
            },
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            break;
        }
        tokio::time::sleep_until((now + interval).min(deadline)).await;
        interval = (interval + interval / 2).min(policy.max_interval);
    }
    Err(AfterError::Deadline {
        what: what.to_owned(),
        waited: start.elapsed(),
        last_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_at_its_deadline_saying_what_and_the_last_status() {
        let polls = AtomicU32::new(0);
        let policy = WaitPolicy::with_timeout(Duration::from_secs(60))
            .intervals(Duration::from_secs(1), Duration::from_secs(10));
        let err = poll_until(
            &policy,
            "batch batch_1",
            || async {
                polls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ApiError>("in_progress")
            },
            |s| *s == "completed",
            |s| s.to_string(),
            |_| {},
        )
        .await
        .unwrap_err();
        let AfterError::Deadline {
            what,
            waited,
            last_status,
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(
            (what.as_str(), last_status.as_str()),
            ("batch batch_1", "in_progress")
        );
        assert_eq!(*waited, Duration::from_secs(60));
        // 1, 1.5, 2.25, ... capped at 10 s: 0 + 1 + 1.5 + 2.25 + 3.375 + 5.06 + 7.59 = 20.8,
        // then every 10 s to 60: 11 polls, never one a second.
        assert_eq!(polls.load(Ordering::SeqCst), 11);
        assert!(
            err.to_string()
                .contains("gave up waiting for batch batch_1 after 60s (it was in_progress)"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_polled_again_and_a_refusal_ends_the_wait() {
        let polls = AtomicU32::new(0);
        let policy = WaitPolicy::with_timeout(Duration::from_secs(600));
        let value = poll_until(
            &policy,
            "job",
            || async {
                match polls.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(ApiError::Transport(uploads_client::TransportError::new(
                        uploads_client::TransportKind::Connect,
                        "refused",
                    ))),
                    1 => Ok("running"),
                    _ => Ok("succeeded"),
                }
            },
            |s| *s == "succeeded",
            |s| s.to_string(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!((value, polls.load(Ordering::SeqCst)), ("succeeded", 3));

        let refused = poll_until(
            &policy,
            "job ftjob-1",
            || async { Err::<&str, _>(ApiError::InvalidRequest("no such job".into())) },
            |_| true,
            |s| s.to_string(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, AfterError::Api { .. }), "{refused}");
    }
}
