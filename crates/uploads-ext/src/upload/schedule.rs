//! Scheduling: a part task is spawned only when a slot is free, so memory and tasks stay
//! O(parts in flight) whatever the part count; each finished part goes into the journal.

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::part::PartTask;
use super::run::Run;
use crate::api::UploadApi;
use crate::error::StopCause;
use crate::journal::{DonePart, JournalEntry};
use crate::progress::Event;

impl<A: UploadApi> Run<A> {
    /// Sends the missing parts, recording each in the journal as it finishes. On the first
    /// failure no part starts or retries, and that failure is returned: one the upload can
    /// resume from lets the parts in flight run to their answers (each stored part is then
    /// journaled, not sent again by the resume); any other stops them at once.
    pub(super) async fn send_parts(&self, entry: &mut JournalEntry) -> Result<(), StopCause> {
        let upload_id: Arc<str> = entry.upload_id.as_str().into();
        let mut todo = self
            .parts
            .iter()
            .filter(|p| !entry.parts.contains_key(&p.index))
            .copied()
            .collect::<Vec<_>>()
            .into_iter()
            .peekable();
        let mut tasks = JoinSet::new();
        let mut first_failure: Option<StopCause> = None;
        let settle = self.ctx.retry.settle();
        loop {
            let want_slot = todo.peek().is_some() && !settle.is_cancelled();
            tokio::select! {
                // Finished parts first: their slots are what the next part waits for.
                biased;
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    let result = joined.unwrap_or_else(|e| {
                        Err(StopCause::Internal { what: format!("sending a part: the task failed ({e})") })
                    });
                    match result.and_then(|(index, done)| self.record(entry, index, done)) {
                        Ok(()) => {}
                        Err(cause) => {
                            // The first real cause wins; the others are mostly "interrupted" by it.
                            if cause.is_resumable() {
                                settle.cancel();
                            } else {
                                self.ctx.stop.cancel();
                            }
                            if first_failure.as_ref().is_none_or(|f| matches!(f, StopCause::Interrupted)) {
                                first_failure = Some(cause);
                            }
                        }
                    }
                }
                permit = self.part_slot(), if want_slot => {
                    let Ok(permit) = permit else {
                        first_failure.get_or_insert(StopCause::Internal { what: "waiting for a part slot: the semaphore closed".into() });
                        self.ctx.stop.cancel();
                        continue;
                    };
                    let Some(spec) = todo.next() else { continue };
                    let task = PartTask::new(self.ctx.clone(), upload_id.clone(), spec);
                    let span = tracing::debug_span!("part", index = spec.index, offset = spec.offset, len = spec.len);
                    tasks.spawn(async move {
                        let out = task.run().await;
                        drop(permit);
                        out
                    }.instrument(span));
                }
                _ = settle.cancelled(), if want_slot => {}
                else => break,
            }
        }
        if settle.is_cancelled() && first_failure.is_none() && todo.peek().is_some() {
            first_failure = Some(StopCause::Interrupted);
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// A free part slot: one of this upload's own cap first (if it has one), then one of the
    /// budget. Dropped unfinished (another branch won), it frees what it took.
    async fn part_slot(&self) -> Result<PartSlot, tokio::sync::AcquireError> {
        let own = match &self.own_cap {
            Some(cap) => Some(cap.clone().acquire_owned().await?),
            None => None,
        };
        Ok(PartSlot {
            _own: own,
            _budget: self.budget.acquire().await?,
        })
    }

    /// A stored part: announced, then written to the journal before it counts.
    fn record(
        &self,
        entry: &mut JournalEntry,
        index: usize,
        done: DonePart,
    ) -> Result<(), StopCause> {
        self.ctx.emit.emit(Event::PartDone {
            index,
            part_id: done.id.clone(),
            len: done.len,
        });
        entry.parts.insert(index, done);
        if entry.parts.len() == self.parts.len() {
            // The last part: complete writes the journal next (with complete_sent), one
            // write instead of two, which is most of a small file's journal cost. A stop in
            // between resends this one part on a resume.
            return Ok(());
        }
        self.save_journal(entry)
    }
}

/// The slots one part holds while it is sent.
struct PartSlot {
    _own: Option<OwnedSemaphorePermit>,
    _budget: OwnedSemaphorePermit,
}
