//! The protocol steps of an upload, as a small trait the orchestration runs against.
//!
//! The trait speaks in transport-free terms ([`PartData`], [`CreateRequest`], the generated
//! types and [`ApiError`], whose transport failures are [`TransportKind`]s, not an HTTP
//! library's errors): `uploads_client::Client` implements it in [`client`]; tests use
//! in-memory fakes that need no socket.
//!
//! [`TransportKind`]: uploads_client::TransportKind

mod client;
mod offline;
mod protocol;

pub use offline::Offline;
pub use protocol::{CreateRequest, FilePage, UploadApi};
