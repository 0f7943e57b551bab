//! End to end against the local server with fault injection: the upload completes and the
//! stored bytes are the source's, every time.

use std::time::Duration;

use futures::TryStreamExt;
use uploads_client::{ClientConfig, rules::Limits};
use uploads_ext::{Purpose, RetryPolicy, Uploader};
use uploads_server::{Faults, Server, ServerConfig};

use uploads_client::checksum::md5_hex;

#[tokio::test]
async fn uploads_complete_under_503s_429s_and_resets() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..(3 * 1024 * 1024 + 123u32))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let path = dir.path().join("train.jsonl");
    std::fs::write(&path, &data).unwrap();
    let limits = Limits {
        max_part_bytes: 64 * 1024,
        max_upload_bytes: 16 * 1024 * 1024,
    };
    for seed in [1, 2, 3] {
        let faults = Faults {
            seed,
            error_rate: 0.10,
            error_status: 503,
            rate_limit_rate: 0.05,
            retry_after: Duration::from_millis(20),
            reset_rate: 0.05,
            ..Faults::default()
        };
        let server = Server::start(ServerConfig {
            limits,
            faults,
            ..ServerConfig::default()
        })
        .await
        .unwrap();
        let client = ClientConfig::default()
            .api_key("sk-local")
            .base_url(server.base_url())
            .build()
            .unwrap();
        let done = Uploader::new(client.clone())
            .min_part_size(1)
            .journal_dir(Some(dir.path().join("journals")))
            .limits(limits)
            .retry_policy(
                RetryPolicy::default().delays(Duration::from_millis(5), Duration::from_millis(50)),
            )
            .file(&path, Purpose::FineTune)
            .part_size(64 * 1024)
            .concurrency(8)
            .send()
            .await
            .unwrap();
        let stats = server.stats();
        assert!(
            stats.faults_injected > 0,
            "seed {seed}: faults were injected: {stats:?}"
        );
        assert_eq!(stats.parts_stored, 49, "seed {seed}");
        let stream = client
            .download_file()
            .file_id(&done.file.id)
            .send()
            .await
            .unwrap()
            .into_inner()
            .into_inner();
        let stored: Vec<u8> = stream
            .try_fold(Vec::new(), |mut acc, b| async move {
                acc.extend_from_slice(&b);
                Ok(acc)
            })
            .await
            .unwrap();
        assert_eq!(md5_hex(&stored), md5_hex(&data), "seed {seed}");
        assert_eq!(done.md5.as_deref(), Some(md5_hex(&data).as_str()));
        server.shutdown().await;
    }
}

#[tokio::test]
async fn a_complete_whose_response_is_lost_is_recovered_from_the_files_list() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let path = dir.path().join("corpus.txt");
    std::fs::write(&path, &data).unwrap();
    let server = Server::start(ServerConfig {
        faults: Faults {
            lose_complete_responses: 1,
            ..Faults::default()
        },
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let done = Uploader::new(client)
        .min_part_size(1)
        .journal_dir(Some(dir.path().join("journals")))
        .retry_policy(
            RetryPolicy::default().delays(Duration::from_millis(5), Duration::from_millis(20)),
        )
        .file(&path, Purpose::Assistants)
        .part_size(64 * 1024)
        .send()
        .await
        .unwrap();
    assert!(done.recovered);
    let stats = server.stats();
    assert_eq!(stats.uploads_completed, 1);
    assert_eq!(stats.uploads_cancelled, 0);
    assert_eq!(done.file.bytes, data.len() as i64);
    assert_eq!(done.md5.as_deref(), Some(md5_hex(&data).as_str()));
    server.shutdown().await;
}
