//! Part files: stored whole or not at all, whatever ends the request.
use super::*;

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
    let store = Store::open(dir.path()).await.unwrap();
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
