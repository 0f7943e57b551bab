//! Every kind of source reads the same ranges and md5.

use super::*;

async fn collect(s: &Source, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut st = s.range(offset, len).await?;
    while let Some(c) = st.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(out)
}

#[tokio::test]
async fn every_kind_reads_the_same_ranges() {
    let data: Vec<u8> = (0..(CHUNK * 2 + 100)).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.bin");
    std::fs::write(&path, &data).unwrap();
    let d2 = data.clone();
    let sources = [
        Source::file(&path),
        Source::bytes(data.clone()),
        Source::reader(data.len() as u64, move || {
            let d = d2.clone();
            async move { Ok(std::io::Cursor::new(d)) }
        }),
    ];
    for s in &sources {
        for (off, len) in [
            (0, data.len()),
            (5, 10),
            (CHUNK - 1, CHUNK + 3),
            (data.len() - 1, 1),
        ] {
            assert_eq!(
                collect(s, off as u64, len as u64).await.unwrap(),
                &data[off..off + len],
                "{s:?}"
            );
        }
        assert_eq!(
            s.md5_hex(data.len() as u64).await.unwrap(),
            uploads_client::checksum::md5_hex(&data)
        );
        let err = collect(s, data.len() as u64 - 10, 20).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{s:?}");
    }
}

#[tokio::test]
async fn a_file_is_read_in_chunks_of_at_most_chunk_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.bin");
    std::fs::write(&path, vec![7u8; CHUNK * 4]).unwrap();
    for s in [Source::file(&path), Source::bytes(vec![7u8; CHUNK * 4])] {
        let sizes: Vec<usize> = s
            .range(0, (CHUNK * 4) as u64)
            .await
            .unwrap()
            .map(|c| c.unwrap().len())
            .collect()
            .await;
        assert_eq!(sizes, vec![256 * 1024; 4], "{s:?}");
    }
}

#[tokio::test]
async fn what_can_be_resumed_and_what_each_source_says_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.bin");
    std::fs::write(&path, b"0123456789").unwrap();
    let stream = Source::stream(std::io::Cursor::new(b"abc".to_vec()), 3);
    let reader = Source::reader(4, || async { Ok(std::io::Cursor::new(b"abcd".to_vec())) });
    let region = Source::file_region(&path, 2, 5);
    assert!(Source::file(&path).is_resumable());
    assert!(reader.is_resumable());
    assert!(Source::bytes(b"x".to_vec()).is_resumable());
    assert!(!stream.is_resumable(), "a stream cannot be read again");
    assert!(!stream.is_replayable());
    assert_eq!(Source::file(&path).file_start(), Some((path.as_path(), 0)));
    assert_eq!(region.file_start(), Some((path.as_path(), 2)));
    assert_eq!(stream.file_start(), None);
    assert!(stream.as_stream().is_some() && reader.as_stream().is_none());
    assert_eq!(
        format!("{:?}", Source::file("/d/a.jsonl")),
        r#"Source::File("/d/a.jsonl")"#
    );
    assert_eq!(
        format!("{:?}", Source::file_region("/d/a.jsonl", 2, 5)),
        r#"Source::File("/d/a.jsonl", 5 bytes at 2)"#
    );
    assert_eq!(
        format!("{:?}", Source::bytes(b"xy".to_vec())),
        "Source::Bytes(2 bytes)"
    );
    assert_eq!(format!("{reader:?}"), "Source::Reader(4 bytes)");
    assert_eq!(format!("{stream:?}"), "Source::Stream(3 bytes)");

    // A region is the file's only if the file holds it all.
    assert_eq!(region.identity().await.unwrap().size, 5);
    assert_eq!(region.identity().await.unwrap().region, Some((2, 5)));
    let past = Source::file_region(&path, 6, 5)
        .identity()
        .await
        .unwrap_err();
    assert_eq!(past.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        past.to_string()
            .contains("10 bytes, too short for 5 bytes at 6"),
        "{past}"
    );
}

/// An object replaced while it was read is no longer itself: its identity is the failure.
#[tokio::test]
async fn an_object_found_replaced_has_no_identity() {
    struct Replaced(bool);
    impl RangeRead for Replaced {
        fn len(&self) -> u64 {
            8
        }
        fn location(&self) -> &str {
            "mem://replaced"
        }
        fn version(&self) -> Option<&str> {
            Some("v1")
        }
        fn read(&self, _: std::ops::Range<u64>) -> BoxFuture<'_, io::Result<Bytes>> {
            let replaced = self.0;
            Box::pin(async move {
                Err(if replaced {
                    SourceChanged("mem://replaced is now v2".into()).into_io()
                } else {
                    io::Error::other("connection reset")
                })
            })
        }
    }
    // A read that failed for another reason leaves the object what it was.
    let s = Source::ranged(Arc::new(Replaced(false)), Prefetch::default());
    assert!(collect(&s, 0, 8).await.is_err());
    assert!(s.identity().await.is_ok());
    let s = Source::ranged(Arc::new(Replaced(true)), Prefetch::default());
    let id = s.identity().await.unwrap();
    assert_eq!(id.remote.unwrap().version.as_deref(), Some("v1"));
    assert_eq!(format!("{s:?}"), "Source::Ranged(mem://replaced, 8 bytes)");
    assert!(collect(&s, 0, 8).await.is_err());
    let e = s.identity().await.unwrap_err();
    assert!(e.to_string().contains("is now v2"), "{e}");
}
