//! Progress events: a callback the engine calls as bytes go out and parts finish.
//!
//! Calls are synchronous and must be cheap (an atomic add, a channel send); the engine calls
//! the callback once per chunk of at most [`CHUNK`](crate::source::CHUNK) bytes.

use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The upload is created (or found in a journal); `bytes_done` were sent by an earlier run.
    Started {
        upload_id: String,
        filename: String,
        bytes: u64,
        parts: usize,
        parts_done: usize,
        bytes_done: u64,
    },
    /// Bytes of a part handed to the connection, while it streams.
    BytesSent {
        bytes: u64,
    },
    /// A part attempt failed after `bytes_lost` of it had been sent; they will be sent again.
    PartRestarted {
        index: usize,
        bytes_lost: u64,
    },
    /// A part is stored by the server.
    PartDone {
        index: usize,
        part_id: String,
        len: u64,
    },
    /// A failed step will be tried again after `wait`.
    RetryScheduled {
        part: Option<usize>,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// All parts are stored; completing.
    Completing,
    Completed {
        file_id: String,
    },
}

/// The callback type.
pub type Progress = Arc<dyn Fn(&Event) + Send + Sync>;
