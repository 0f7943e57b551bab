//! Fault injection: which part requests fail and how, and a per-connection bandwidth cap.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::Faults;

/// What happens to one part request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PartFault {
    None,
    /// The connection is dropped halfway through the body.
    Reset,
    /// 429 with `Retry-After`.
    RateLimit,
    /// The configured 5xx.
    ServerError,
    /// Handled normally, answered late.
    Delay,
}

/// Draws a fault for each part request from a generator seeded once, so runs repeat.
pub(crate) struct FaultPlan {
    faults: Faults,
    /// The shared uplink, if `link_bandwidth` caps one.
    link: Option<Arc<Link>>,
    rng: Mutex<StdRng>,
    /// Complete responses still to lose.
    complete_losses_left: std::sync::atomic::AtomicU32,
}

impl FaultPlan {
    pub(crate) fn new(faults: Faults) -> Self {
        let rng = Mutex::new(StdRng::seed_from_u64(faults.seed));
        let complete_losses_left = faults.lose_complete_responses.into();
        Self {
            link: faults
                .link_bandwidth
                .filter(|r| *r > 0)
                .map(|r| Arc::new(Link::new(r))),
            faults,
            rng,
            complete_losses_left,
        }
    }

    /// True if this complete's response is to be lost (the first `lose_complete_responses`).
    pub(crate) fn lose_complete_response(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.complete_losses_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// The shared uplink, for each new connection.
    pub(crate) fn link(&self) -> Option<Arc<Link>> {
        self.link.clone()
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    pub(crate) fn draw(&self) -> PartFault {
        let f = &self.faults;
        let x: f64 = self.rng.lock().map(|mut r| r.random()).unwrap_or(1.0);
        let mut edge = 0.0;
        for (rate, fault) in [
            (f.reset_rate, PartFault::Reset),
            (f.rate_limit_rate, PartFault::RateLimit),
            (f.error_rate, PartFault::ServerError),
            (f.delay_rate, PartFault::Delay),
        ] {
            edge += rate;
            if x < edge {
                return fault;
            }
        }
        PartFault::None
    }
}

/// A stream whose reads are capped at `rate` bytes per second, like one TCP stream on a slow
/// link. Writes (responses, downloads) are not capped.
pub(crate) struct Throttled<S> {
    inner: S,
    rate: Option<u64>,
    /// The uplink every connection shares, if capped.
    link: Option<Arc<Link>>,
    next_read: Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    scratch: Vec<u8>,
}

/// A link shared by all connections: bytes read anywhere take their time on one schedule, so
/// past some number of connections more parallelism stops helping, as on a real uplink.
pub(crate) struct Link {
    rate: u64,
    next_free: Mutex<Instant>,
}

impl Link {
    pub(crate) fn new(rate: u64) -> Self {
        Self {
            rate: rate.max(1),
            next_free: Mutex::new(Instant::now()),
        }
    }

    /// Reserves the time `n` bytes take on the link; when the reservation ends.
    fn reserve(&self, n: usize) -> Instant {
        let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
        let start = (*next).max(Instant::now());
        *next = start + Duration::from_secs_f64(n as f64 / self.rate as f64);
        *next
    }
}

impl<S> Throttled<S> {
    pub(crate) fn new(inner: S, rate: Option<u64>, link: Option<Arc<Link>>) -> Self {
        Self {
            inner,
            rate: rate.filter(|r| *r > 0),
            link,
            next_read: Instant::now(),
            sleep: None,
            scratch: Vec::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Throttled<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let rate = match (this.rate, &this.link) {
            (None, None) => return Pin::new(&mut this.inner).poll_read(cx, buf),
            (Some(own), Some(link)) => own.min(link.rate),
            (Some(own), None) => own,
            (None, Some(link)) => link.rate,
        };
        if Instant::now() < this.next_read {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(this.next_read)));
            ready!(sleep.as_mut().poll(cx));
        }
        this.sleep = None;
        // Read at most a tenth of a second's worth at a time, so the pace is smooth.
        let chunk = ((rate / 10).max(1024) as usize).min(buf.remaining());
        this.scratch.resize(chunk, 0);
        let mut limited = ReadBuf::new(&mut this.scratch);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut limited))?;
        let n = limited.filled().len();
        buf.put_slice(limited.filled());
        let now = Instant::now();
        if let Some(own) = this.rate {
            let start = this.next_read.max(now);
            this.next_read = start + Duration::from_secs_f64(n as f64 / own as f64);
        }
        if let Some(link) = &this.link {
            this.next_read = this.next_read.max(link.reserve(n));
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Throttled<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_shared_link_schedules_every_connections_bytes_on_one_clock() {
        let link = Link::new(1_000_000);
        let t = Instant::now();
        // Two connections reading 500 KB each: the second waits for the first's time.
        assert_eq!(link.reserve(500_000) - t, Duration::from_millis(500));
        assert_eq!(link.reserve(500_000) - t, Duration::from_secs(1));
        // Idle time is not banked.
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            link.reserve(100_000) - Instant::now(),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_faults_at_about_the_given_rates() {
        let faults = Faults {
            seed: 7,
            error_rate: 0.1,
            rate_limit_rate: 0.05,
            reset_rate: 0.05,
            ..Faults::default()
        };
        let a: Vec<_> = (0..2000)
            .map({
                let p = FaultPlan::new(faults.clone());
                move |_| p.draw()
            })
            .collect();
        let b: Vec<_> = (0..2000)
            .map({
                let p = FaultPlan::new(faults.clone());
                move |_| p.draw()
            })
            .collect();
        assert_eq!(a, b);
        let count = |f| a.iter().filter(|x| **x == f).count();
        assert!(
            (150..250).contains(&count(PartFault::ServerError)),
            "{}",
            count(PartFault::ServerError)
        );
        assert!((60..140).contains(&count(PartFault::RateLimit)));
        assert!((60..140).contains(&count(PartFault::Reset)));
        assert_eq!(count(PartFault::Delay), 0);
    }

    #[test]
    fn exactly_the_first_n_complete_responses_are_lost() {
        let plan = FaultPlan::new(Faults {
            lose_complete_responses: 2,
            ..Faults::default()
        });
        let lost: Vec<_> = (0..4).map(|_| plan.lose_complete_response()).collect();
        assert_eq!(lost, [true, true, false, false]);
    }
}
