//! What every handler and the accept loop share: configuration, the store, counters, faults.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::ServerConfig;
use crate::faults::FaultPlan;
use crate::store::Store;
use crate::workflows::Workflows;

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    pub(crate) store: Store,
    pub(crate) stats: Counters,
    pub(crate) faults: FaultPlan,
    pub(crate) workflows: Workflows,
}

/// Counters a test or benchmark can read (also served at `GET /_admin/stats`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// Part requests received, faults included.
    pub part_requests: u64,
    /// Parts stored: what a resumed upload really sent.
    pub parts_stored: u64,
    /// Bytes of the parts stored.
    pub part_bytes_stored: u64,
    /// Uploads created.
    pub uploads_created: u64,
    /// Uploads completed.
    pub uploads_completed: u64,
    /// Uploads cancelled.
    pub uploads_cancelled: u64,
    /// Part requests answered with an injected fault.
    pub faults_injected: u64,
    /// Part requests being handled now.
    pub parts_in_flight: u64,
    /// Most part requests being handled at once: shows a client's concurrency.
    pub max_parts_in_flight: u64,
}

/// The live counters behind [`Stats`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) part_requests: AtomicU64,
    pub(crate) parts_stored: AtomicU64,
    pub(crate) part_bytes_stored: AtomicU64,
    pub(crate) uploads_created: AtomicU64,
    pub(crate) uploads_completed: AtomicU64,
    pub(crate) uploads_cancelled: AtomicU64,
    pub(crate) faults_injected: AtomicU64,
    pub(crate) parts_in_flight: AtomicU64,
    pub(crate) max_parts_in_flight: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            part_requests: get(&self.part_requests),
            parts_stored: get(&self.parts_stored),
            part_bytes_stored: get(&self.part_bytes_stored),
            uploads_created: get(&self.uploads_created),
            uploads_completed: get(&self.uploads_completed),
            uploads_cancelled: get(&self.uploads_cancelled),
            faults_injected: get(&self.faults_injected),
            parts_in_flight: get(&self.parts_in_flight),
            max_parts_in_flight: get(&self.max_parts_in_flight),
        }
    }

    /// Adds one to a counter.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
