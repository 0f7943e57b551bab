//! The parts in flight that uploads share: one budget, handed to every upload that draws on it.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

/// A budget of parts in flight. Every upload given the same budget (a clone) draws its part
/// slots from it, so a thousand files sent together never have more than [`parts`](Self::parts)
/// requests open. An upload given none gets a budget of its own of
/// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY) parts.
#[derive(Clone)]
pub struct PartBudget {
    slots: Arc<Semaphore>,
    parts: usize,
}

impl PartBudget {
    /// A budget of `parts` parts in flight at once (0 is refused when an upload is prepared).
    pub fn new(parts: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(parts)),
            parts,
        }
    }

    /// Parts in flight at once, at most.
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Waits for a free slot; dropping the permit frees it.
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.slots.clone().acquire_owned().await
    }
}

impl Default for PartBudget {
    fn default() -> Self {
        Self::new(crate::DEFAULT_CONCURRENCY)
    }
}

impl fmt::Debug for PartBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartBudget")
            .field("parts", &self.parts)
            .field("free", &self.slots.available_permits())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::PartBudget;

    #[tokio::test]
    async fn clones_share_the_slots() {
        let budget = PartBudget::new(2);
        let other = budget.clone();
        let a = budget.acquire().await.unwrap();
        let _b = other.acquire().await.unwrap();
        assert_eq!(budget.slots.available_permits(), 0);
        assert_eq!(other.parts(), 2);
        drop(a);
        assert_eq!(other.slots.available_permits(), 1);
        assert_eq!(format!("{budget:?}"), "PartBudget { parts: 2, free: 1 }");
        assert_eq!(PartBudget::default().parts(), crate::DEFAULT_CONCURRENCY);
    }
}
