//! Part files: stored whole or not at all, whatever ends the request.
use super::*;
use bytes::Bytes;
use futures::{Stream, StreamExt};

fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, io::Error>> {
    futures::stream::iter(
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p)))
            .collect::<Vec<_>>(),
    )
}

const STALL: std::time::Duration = std::time::Duration::from_secs(10);

fn tmp_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp")).unwrap().count()
}

#[tokio::test]
async fn a_part_is_stored_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Disk::default()).await.unwrap();
    let size = store
        .write_part("part_a", chunks(&[b"abc", b"de"]), 5, STALL)
        .await
        .unwrap();
    assert_eq!(size, 5);
    assert_eq!(
        std::fs::read(dir.path().join("parts/part_a")).unwrap(),
        b"abcde"
    );
    assert_eq!(
        store.md5_of_parts(&["part_a".into()]).await.unwrap(),
        uploads_client::checksum::md5_hex(b"abcde")
    );

    let over = store
        .write_part("part_b", chunks(&[b"abc", b"def"]), 5, STALL)
        .await;
    assert!(matches!(over, Err(PartWriteError::TooLarge { max: 5 })));
    let empty = store.write_part("part_c", chunks(&[]), 5, STALL).await;
    assert!(matches!(empty, Err(PartWriteError::Empty)));
    let failing = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"ab")),
        Err(io::Error::other("client went away")),
    ]);
    assert!(matches!(
        store.write_part("part_d", failing, 5, STALL).await,
        Err(PartWriteError::Body(_))
    ));
    // A request dropped halfway through its body leaves nothing behind either.
    let pending = futures::stream::iter(vec![Ok::<_, io::Error>(Bytes::from_static(b"ab"))])
        .chain(futures::stream::pending());
    let write = store.write_part("part_e", pending, 5, STALL);
    let _ = tokio::time::timeout(std::time::Duration::from_millis(50), write).await;
    // A body that stops: refused once it has stalled for the timeout.
    let stalled = futures::stream::iter(vec![Ok::<_, io::Error>(Bytes::from_static(b"ab"))])
        .chain(futures::stream::pending());
    let short = std::time::Duration::from_millis(20);
    assert!(matches!(
        store.write_part("part_f", stalled, 5, short).await,
        Err(PartWriteError::Stalled { .. })
    ));
    assert_eq!(tmp_count(dir.path()), 0, "no temporary part left");
    for p in ["part_b", "part_c", "part_d", "part_e", "part_f"] {
        assert!(!dir.path().join("parts").join(p).exists(), "{p}");
    }
    store.discard_parts(&["part_a".to_string()]).await;
    assert!(!dir.path().join("parts/part_a").exists());
}

#[tokio::test]
async fn the_sweep_removes_the_parts_of_expired_and_cancelled_uploads_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Disk::default()).await.unwrap();
    let upload = |id: &str, expires_at: i64, status| UploadRecord {
        id: id.into(),
        filename: "f".into(),
        purpose: "batch".into(),
        mime_type: "text/jsonl".into(),
        bytes: 3,
        created_at: 0,
        expires_at,
        status,
        file_expires_after: None,
        parts: Default::default(),
        file_id: None,
    };
    for (id, expires, status, part) in [
        ("upload_old", 100, KnownUploadStatus::Pending, "part_old"),
        (
            "upload_live",
            10_000,
            KnownUploadStatus::Pending,
            "part_live",
        ),
        (
            "upload_gone",
            10_000,
            KnownUploadStatus::Cancelled,
            "part_gone",
        ),
    ] {
        store
            .write_part(part, chunks(&[b"abc"]), 5, STALL)
            .await
            .unwrap();
        store
            .insert_upload(upload(id, expires, KnownUploadStatus::Pending))
            .await
            .unwrap();
        let part_rec = PartRecord {
            size: 3,
            created_at: 0,
        };
        store
            .add_part(id, part, part_rec, |_, _| Ok::<_, io::Error>(()))
            .await
            .unwrap()
            .unwrap();
        if status == KnownUploadStatus::Cancelled {
            store
                .update_upload(id, |rec| {
                    rec.status = status;
                    Ok::<_, io::Error>(())
                })
                .await
                .unwrap()
                .unwrap();
        }
    }
    // An expired upload that never got a part: its new status is written all the same.
    store
        .insert_upload(upload("upload_bare", 100, KnownUploadStatus::Pending))
        .await
        .unwrap();
    assert_eq!(store.sweep_expired(1000).await.unwrap(), 2);
    let bare = std::fs::read_to_string(dir.path().join("uploads/upload_bare.json")).unwrap();
    assert!(bare.contains("\"expired\""), "{bare}");
    let parts = dir.path().join("parts");
    assert!(!parts.join("part_old").exists());
    assert!(!parts.join("part_gone").exists());
    assert!(parts.join("part_live").exists());
    assert_eq!(
        store.sweep_expired(1000).await.unwrap(),
        0,
        "nothing left to sweep"
    );
    // What the sweep wrote is what a restart loads.
    drop(store);
    let store = Store::open(dir.path(), Disk::default()).await.unwrap();
    let index = store.index.lock().await;
    let old = &index.uploads["upload_old"];
    assert_eq!(old.status, KnownUploadStatus::Expired);
    assert!(old.parts.is_empty());
    assert_eq!(
        index.uploads["upload_live"].parts.len(),
        1,
        "read back from its part log"
    );
    assert!(
        index.uploads["upload_old"].parts.is_empty(),
        "its log is gone"
    );
}
