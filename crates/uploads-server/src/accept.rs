//! Accepting connections within limits: a cap on open connections (at which a connection that
//! makes no progress gives way to one waiting, [`give_way`](crate::give_way)), a pause (logged
//! once per interval, not per attempt) when file descriptors run out, and the HTTP/1 header
//! timeout, which in hyper also bounds how long an idle keep-alive connection waits for its next
//! request.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::give_way::Connections;

/// How long accepting pauses after the process ran out of file descriptors.
const EXHAUSTED_PAUSE: Duration = Duration::from_millis(100);
/// At most one log line per this interval about failed accepts.
const LOG_INTERVAL: Duration = Duration::from_secs(5);
/// At the cap, how often a waiting connection asks again for an idle one to give way.
const GIVE_WAY_EVERY: Duration = Duration::from_millis(250);

/// A listener that accepts only while fewer than `max` connections are open.
pub(crate) struct Acceptor {
    listener: TcpListener,
    slots: Arc<Semaphore>,
    /// The open connections, for closing an idle one at the cap.
    pub(crate) connections: Arc<Connections>,
    last_log: Option<Instant>,
    failures_since_log: u64,
}

impl Acceptor {
    pub(crate) fn new(listener: TcpListener, max_connections: usize) -> Self {
        Self {
            listener,
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            connections: Arc::new(Connections::new()),
            last_log: None,
            failures_since_log: 0,
        }
    }

    /// The next connection, with the slot it holds until dropped. At the cap the connection
    /// is taken and waits for a slot (one more descriptor), while an idle connection is asked
    /// to give way; an accept that fails (descriptors exhausted, a connection reset before it
    /// was taken) is retried after a pause, never in a busy loop.
    pub(crate) async fn accept(&mut self) -> (TcpStream, SocketAddr, OwnedSemaphorePermit) {
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    let slot = self.slot().await;
                    return (stream, peer, slot);
                }
                Err(e) => {
                    self.failed(&e);
                    if is_exhaustion(&e) {
                        tokio::time::sleep(EXHAUSTED_PAUSE).await;
                    }
                }
            }
        }
    }

    /// A slot: a free one, or the one an idle connection gives up.
    async fn slot(&self) -> OwnedSemaphorePermit {
        loop {
            if let Ok(slot) = self.slots.clone().try_acquire_owned() {
                return slot;
            }
            self.connections.close_idlest();
            tokio::select! {
                slot = self.slots.clone().acquire_owned() => {
                    if let Ok(slot) = slot {
                        return slot;
                    }
                    // The semaphore is never closed; wait like an idle listener if it were.
                    std::future::pending::<()>().await;
                }
                () = tokio::time::sleep(GIVE_WAY_EVERY) => {}
            }
        }
    }

    fn failed(&mut self, e: &io::Error) {
        self.failures_since_log += 1;
        let due = self.last_log.is_none_or(|t| t.elapsed() >= LOG_INTERVAL);
        if due {
            tracing::warn!(error = %e, failures = self.failures_since_log, "accept failed; pausing when out of file descriptors");
            self.last_log = Some(Instant::now());
            self.failures_since_log = 0;
        }
    }
}

/// EMFILE or ENFILE: the process or the system has no file descriptor left.
fn is_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_running_out_of_descriptors_is_exhaustion() {
        for (errno, exhausted) in [(24, true), (23, true), (104, false), (103, false)] {
            let e = io::Error::from_raw_os_error(errno);
            assert_eq!(is_exhaustion(&e), exhausted, "errno {errno}");
        }
        assert!(!is_exhaustion(&io::Error::other("no errno")));
    }

    #[tokio::test]
    async fn failures_are_logged_once_per_interval_and_counted_between() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut acceptor = Acceptor::new(listener, 4);
        let e = io::Error::from_raw_os_error(24);
        // The first failure is logged at once: the count starts over.
        acceptor.failed(&e);
        assert_eq!(acceptor.failures_since_log, 0);
        assert!(acceptor.last_log.is_some());
        // The next ones, within the interval, are only counted.
        acceptor.failed(&e);
        acceptor.failed(&e);
        assert_eq!(acceptor.failures_since_log, 2);
        // Once the interval has passed, the next one is logged with the count.
        acceptor.last_log = Instant::now().checked_sub(LOG_INTERVAL);
        acceptor.failed(&e);
        assert_eq!(acceptor.failures_since_log, 0);
    }
}
