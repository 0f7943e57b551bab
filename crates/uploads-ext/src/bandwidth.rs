//! A bandwidth cap shared by every part of every upload that holds it, like rclone's
//! `--bwlimit`: each chunk reserves its share of time on one schedule before it goes out.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Bytes per second, across all the parts and files that share it.
#[derive(Debug)]
pub struct BandwidthLimit {
    bytes_per_sec: f64,
    /// When the bytes reserved so far will have gone out at the rate.
    next_free: Mutex<Option<Instant>>,
}

impl BandwidthLimit {
    /// A cap of `bytes_per_sec` (at least 1).
    pub fn new(bytes_per_sec: u64) -> Self {
        Self {
            bytes_per_sec: bytes_per_sec.max(1) as f64,
            next_free: Mutex::new(None),
        }
    }

    /// The cap.
    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec as u64
    }

    /// Waits until `bytes` more may go out. Reservations queue: a chunk goes when the bytes
    /// before it have had their time, so the total rate holds however many parts share it.
    pub(crate) async fn acquire(&self, bytes: u64) {
        let start = {
            // A poisoned lock only means a panic elsewhere; the schedule is still valid.
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            // Idle time is not saved up: no burst after a pause.
            let start = next.filter(|t| *t > now).unwrap_or(now);
            *next = Some(start + Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec));
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn the_cap_is_what_was_given_and_at_least_one() {
        assert_eq!(BandwidthLimit::new(5_000).bytes_per_sec(), 5_000);
        assert_eq!(BandwidthLimit::new(0).bytes_per_sec(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn parts_sharing_a_cap_go_out_at_its_rate_together() {
        let limit = Arc::new(BandwidthLimit::new(10_000_000));
        let t = Instant::now();
        let parts: Vec<_> = (0..4)
            .map(|_| {
                let limit = limit.clone();
                tokio::spawn(async move {
                    for _ in 0..10 {
                        limit.acquire(250_000).await;
                    }
                })
            })
            .collect();
        for p in parts {
            p.await.unwrap();
        }
        // 10 MB in all at 10 MB/s: the last chunk may start at 0.975 s.
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(970) && took <= Duration::from_millis(1000),
            "{took:?}"
        );
        // After a pause, no saved-up burst: the next chunk waits its own time only.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let t = Instant::now();
        limit.acquire(1_000_000).await;
        limit.acquire(1_000_000).await;
        assert_eq!(t.elapsed(), Duration::from_millis(100));
    }
}
