//! The local Uploads server (limits scaled down so a megabyte is many parts) and the engine
//! set up to upload one source to it, for the tests of each kind of remote source.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use futures::StreamExt;
use uploads_client::rules::Limits;
use uploads_client::{Client, ClientConfig};
use uploads_ext::{Completed, Disposition, Purpose, RetryPolicy, Source, UploadError, Uploader};
use uploads_server::{Server, ServerConfig};

pub const PART: u64 = 64 * 1024;

pub struct Local {
    pub server: Server,
    pub client: Client,
}

pub async fn local() -> Local {
    let limits = Limits {
        max_part_bytes: PART,
        max_upload_bytes: 64 * 1024 * 1024,
    };
    let server = Server::start(ServerConfig {
        limits,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()
        .unwrap();
    Local { server, client }
}

impl Local {
    /// The engine against this server, limits scaled down, retries quick.
    pub fn uploader(&self) -> Uploader<Client> {
        Uploader::new(self.client.clone())
            .min_part_size(1)
            .limits(Limits {
                max_part_bytes: PART,
                max_upload_bytes: 64 * 1024 * 1024,
            })
            .retry_policy(
                RetryPolicy::default().delays(Duration::from_millis(5), Duration::from_millis(50)),
            )
    }

    /// Uploads `source` as `name` in 64 KiB parts, four in flight.
    pub async fn send(&self, source: Source, name: &str) -> Result<Completed, UploadError> {
        self.uploader()
            .source(source, Purpose::Assistants)
            .filename(name)
            .part_size(PART)
            .concurrency(4)
            .send()
            .await
    }

    /// The stored File's bytes.
    pub async fn stored(&self, file_id: &str) -> Vec<u8> {
        let mut stream = self
            .client
            .download_file()
            .file_id(file_id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .into_inner();
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        out
    }

    /// Uploads created and not completed or cancelled: a failure leaves none behind.
    pub fn left_pending(&self) -> u64 {
        let s = self.server.stats();
        s.uploads_created - s.uploads_completed - s.uploads_cancelled
    }
}

/// Bytes that differ at every offset of a part, so a misplaced range shows.
pub fn data(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2654435761) >> 13) as u8)
        .collect()
}

/// The upload failed because its object changed mid-read, and nothing was left pending.
pub fn assert_stopped_by_a_change(err: &UploadError, server: &Local) {
    assert!(
        err.to_string().contains("changed since the upload started"),
        "{err}"
    );
    assert!(
        matches!(
            err,
            UploadError::Stopped {
                disposition: Disposition::Cancelled { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.left_pending(), 0, "no pending upload left behind");
}
