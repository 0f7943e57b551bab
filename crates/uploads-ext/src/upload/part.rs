//! One part's worker: stream the part from its source, through the shared retry loop, and
//! stop for good if the source changed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;

use super::run::{RunContext, unchanged};
use uploads_client::PartData;

use crate::api::UploadApi;
use crate::error::{Step, StopCause};
use crate::journal::DonePart;
use crate::plan::PartSpec;
use crate::progress::Event;
use crate::retry::Failure;

/// One part of one upload.
pub(super) struct PartTask<A: UploadApi> {
    ctx: Arc<RunContext<A>>,
    upload_id: Arc<str>,
    spec: PartSpec,
    /// Bytes of the current attempt handed to the connection so far.
    sent: Arc<AtomicU64>,
}

impl<A: UploadApi> PartTask<A> {
    pub(super) fn new(ctx: Arc<RunContext<A>>, upload_id: Arc<str>, spec: PartSpec) -> Self {
        Self {
            ctx,
            upload_id,
            spec,
            sent: Arc::default(),
        }
    }

    /// Sends the part, retrying as the policy says; its index and the stored part's id.
    pub(super) async fn run(self) -> Result<(usize, DonePart), StopCause> {
        let result = self
            .ctx
            .retry
            .run(Step::Part(self.spec.index), || self.attempt())
            .await;
        match result {
            Ok(id) => {
                // Stored: a stream's copy of the bytes can go before the slot is given back.
                self.ctx.source.release(self.spec.offset, self.spec.len);
                Ok((
                    self.spec.index,
                    DonePart {
                        id,
                        len: self.spec.len,
                    },
                ))
            }
            Err(cause) => {
                self.restarted();
                Err(cause)
            }
        }
    }

    /// One attempt: the part re-read from its source, counted as it streams. A failed attempt
    /// checks the source: a changed file is final, whatever the error was.
    async fn attempt(&self) -> Result<String, Failure> {
        self.sent.store(0, Ordering::Relaxed);
        let stream = match self.ctx.source.range(self.spec.offset, self.spec.len).await {
            Ok(s) => s,
            Err(error) => return Err(Failure::Stop(self.source_failed(error).await)),
        };
        let (sent, emit) = (self.sent.clone(), self.ctx.emit.clone());
        // Under a bandwidth cap each chunk waits its turn before it goes out (and is counted);
        // without one the stream is left as it is.
        let paced = match self.ctx.bandwidth.clone() {
            Some(limit) => stream
                .then(move |chunk| {
                    let limit = limit.clone();
                    async move {
                        if let Ok(bytes) = &chunk {
                            limit.acquire(bytes.len() as u64).await;
                        }
                        chunk
                    }
                })
                .boxed(),
            None => stream,
        };
        let counted = paced.inspect(move |chunk| {
            if let Ok(bytes) = chunk {
                let n = bytes.len() as u64;
                sent.fetch_add(n, Ordering::Relaxed);
                emit.emit(Event::BytesSent { bytes: n });
            }
        });
        let body = PartData::streamed(counted, self.spec.len);
        match self.ctx.api.put_part(&self.upload_id, body).await {
            Ok(part) => Ok(part.id),
            Err(error) => {
                self.restarted();
                self.check_source().await.map_err(Failure::Stop)?;
                Err(Failure::Api(error))
            }
        }
    }

    /// The source could not be opened or read: changed (final), or an I/O error (resumable).
    async fn source_failed(&self, error: std::io::Error) -> StopCause {
        self.restarted();
        match self.check_source().await {
            Err(changed) => changed,
            Ok(()) => StopCause::Io {
                what: format!("reading part {}", self.spec.index + 1),
                error,
            },
        }
    }

    /// Reports the bytes of a failed attempt as lost, once.
    fn restarted(&self) {
        let lost = self.sent.swap(0, Ordering::Relaxed);
        if lost > 0 {
            self.ctx.emit.emit(Event::PartRestarted {
                index: self.spec.index,
                bytes_lost: lost,
            });
        }
    }

    async fn check_source(&self) -> Result<(), StopCause> {
        match self.ctx.source.identity().await {
            Ok(now) => unchanged(&self.ctx.identity, &now),
            Err(e) => Err(StopCause::FileChanged {
                path: self.ctx.identity.path.clone().unwrap_or_default(),
                detail: format!("it can no longer be read: {e}"),
            }),
        }
    }
}
