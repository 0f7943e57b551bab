//! Every workflow record, and the knobs that move them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use super::batch_record::BatchRecord;
use super::job_record::JobRecord;
use super::vector_store_record::VectorStores;
use crate::config::WorkflowConfig;

/// Every workflow record, and the knobs that move them.
pub(crate) struct Workflows {
    pub(crate) config: WorkflowConfig,
    pub(crate) batches: Mutex<Vec<BatchRecord>>,
    pub(crate) vector_stores: Mutex<VectorStores>,
    pub(crate) jobs: Mutex<Vec<JobRecord>>,
    /// Vector store files still to fail (`fail_vector_store_files`).
    vector_file_failures_left: AtomicU32,
    /// Create responses still to lose (`lose_create_responses`).
    create_losses_left: AtomicU32,
}

impl Workflows {
    pub(crate) fn new(config: WorkflowConfig) -> Self {
        Self {
            vector_file_failures_left: config.fail_vector_store_files.into(),
            create_losses_left: config.lose_create_responses.into(),
            config,
            batches: Mutex::default(),
            vector_stores: Mutex::default(),
            jobs: Mutex::default(),
        }
    }

    /// True if records stay for ever once they reach `status` (the `stick_at` knob).
    pub(crate) fn sticks_at(&self, status: &str) -> bool {
        self.config.stick_at.as_deref() == Some(status)
    }

    /// Waits one status's time.
    pub(crate) async fn step(&self) {
        tokio::time::sleep(self.config.step).await;
    }

    /// True if this create's response is to be lost (the first `lose_create_responses`).
    pub(crate) fn lose_create_response(&self) -> bool {
        take_one(&self.create_losses_left)
    }

    /// True if this vector store file is to fail (the first `fail_vector_store_files`).
    pub(crate) fn fail_vector_store_file(&self) -> bool {
        take_one(&self.vector_file_failures_left)
    }
}

fn take_one(left: &AtomicU32) -> bool {
    left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// Locks a workflow table; a handler that panicked while holding it left whole records, so the
/// table is used as it is.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
