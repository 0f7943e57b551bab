//! Progress events: a callback the engine calls as bytes go out and parts finish.
//!
//! Calls are synchronous and must be cheap (an atomic add, a channel send); the engine calls
//! the callback once per chunk of at most [`CHUNK`](crate::CHUNK) bytes.

use std::sync::Arc;
use std::time::Duration;

/// Something that happened to an upload.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The upload is created (or found in a journal); `bytes_done` were sent by an earlier run.
    Started {
        /// The Upload's id.
        upload_id: String,
        /// The name the File will get.
        filename: String,
        /// The file's size.
        bytes: u64,
        /// Parts in the plan.
        parts: usize,
        /// Parts an earlier run had already sent.
        parts_done: usize,
        /// Bytes an earlier run had already sent.
        bytes_done: u64,
    },
    /// Bytes of a part handed to the connection, while it streams.
    BytesSent {
        /// How many.
        bytes: u64,
    },
    /// A part attempt failed after `bytes_lost` of it had been sent; they will be sent again.
    PartRestarted {
        /// The part's index in file order.
        index: usize,
        /// Bytes of the failed attempt that count no more.
        bytes_lost: u64,
    },
    /// A part is stored by the server.
    PartDone {
        /// The part's index in file order.
        index: usize,
        /// The id the server gave it.
        part_id: String,
        /// Its length in bytes.
        len: u64,
    },
    /// A failed step will be tried again after `wait`.
    RetryScheduled {
        /// The part retried, or `None` for create and complete.
        part: Option<usize>,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// How long until the next one.
        wait: Duration,
        /// Why, e.g. `HTTP 503` or `timeout`.
        reason: String,
    },
    /// Something our tables of the service do not expect (a MIME type or extension the
    /// purpose is not known to take): the request goes out all the same.
    Warning {
        /// What, and what the purpose is known to take.
        message: String,
    },
    /// All parts are stored; completing.
    Completing,
    /// The File exists.
    Completed {
        /// Its id.
        file_id: String,
    },
}

/// The callback type.
pub type Progress = Arc<dyn Fn(&Event) + Send + Sync>;

/// Calls the callback, if there is one.
#[derive(Clone, Default)]
pub(crate) struct Emitter(Option<Progress>);

impl Emitter {
    pub(crate) fn new(progress: Option<Progress>) -> Self {
        Self(progress)
    }

    pub(crate) fn emit(&self, event: Event) {
        if let Some(p) = &self.0 {
            p(&event);
        }
    }
}
