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
