//! The Files a run has accounted for, so that the search for a lost complete's File never
//! reports a File another upload made (two files of one name and size are not told apart by
//! the Files list).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Files claimed by the uploads sharing this (all of an [`Uploader`](crate::Uploader)'s), and
/// the completes they have in flight.
#[derive(Clone, Default)]
pub(crate) struct Claims(Arc<Shared>);

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    settled: tokio::sync::Notify,
}

#[derive(Default)]
struct State {
    files: HashSet<String>,
    completing: usize,
}

impl Claims {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it cannot leave the set half-changed: recover the guard.
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Files accounted for elsewhere (recorded in a manifest): never a candidate.
    pub(crate) fn add(&self, ids: impl IntoIterator<Item = String>) {
        self.state().files.extend(ids);
    }

    /// Claims `id` for one upload; false if another already had it.
    pub(crate) fn claim(&self, id: &str) -> bool {
        self.state().files.insert(id.to_owned())
    }

    /// True if `id` is claimed.
    pub(crate) fn is_claimed(&self, id: &str) -> bool {
        self.state().files.contains(id)
    }

    /// A complete in flight until the guard is dropped: a search that finds more than one
    /// candidate waits for these to claim theirs.
    pub(crate) fn completing(&self) -> Completing {
        self.state().completing += 1;
        Completing(self.clone())
    }

    /// Whether a complete of this run is in flight now.
    pub(crate) fn any_completing(&self) -> bool {
        self.state().completing > 0
    }

    /// Waits until no complete is in flight, or `at_most`; true if none is.
    pub(crate) async fn settle(&self, at_most: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.0.settled.notified();
                if self.state().completing == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(at_most, wait).await.is_ok()
    }
}

/// One complete in flight (see [`Claims::completing`]).
pub(crate) struct Completing(Claims);

impl Drop for Completing {
    fn drop(&mut self) {
        self.0.state().completing -= 1;
        self.0.0.settled.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_claimed_once_and_searches_wait_for_completes_in_flight() {
        let claims = Claims::default();
        claims.add(["file-a".to_owned()]);
        assert!(claims.is_claimed("file-a"));
        assert!(!claims.claim("file-a"));
        assert!(claims.claim("file-b"));
        assert!(!claims.is_claimed("file-c"));
        assert!(
            claims.settle(Duration::from_millis(1)).await,
            "none in flight"
        );
        let guard = claims.completing();
        assert!(
            !claims.settle(Duration::from_millis(20)).await,
            "one in flight"
        );
        let other = claims.clone();
        let waiter = tokio::spawn(async move { other.settle(Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(guard);
        assert!(waiter.await.unwrap(), "woken when it settled");
    }
}
