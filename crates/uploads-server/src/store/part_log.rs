//! Each upload's parts as an append-only log, `uploads/<id>.parts.jsonl`: one synced line per
//! stored part, so storing a part costs the same whether it is the first or the ten-thousandth
//! (the upload's record is written only when its status changes).

use std::io;
use std::path::{Path, PathBuf};

use super::{Disk, PartRecord};
use serde::{Deserialize, Serialize};

/// The log of `upload_id` in the data directory `dir`.
pub(crate) fn path(dir: &Path, upload_id: &str) -> PathBuf {
    dir.join("uploads").join(format!("{upload_id}.parts.jsonl"))
}

#[derive(Serialize, Deserialize)]
struct Line {
    id: String,
    size: u64,
    created_at: i64,
}

/// Appends one part and syncs it: when this returns, the part survives a crash. A write that
/// fails (a full disk) is cut back off, so the next part's line does not start mid-line.
pub(crate) async fn append(
    disk: &Disk,
    path: &Path,
    part_id: &str,
    part: &PartRecord,
) -> io::Result<()> {
    let mut line = serde_json::to_vec(&Line {
        id: part_id.to_owned(),
        size: part.size,
        created_at: part.created_at,
    })
    .map_err(io::Error::other)?;
    line.push(b'\n');
    let mut f = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .await?;
    let before = f.metadata().await?.len();
    let written = async {
        disk.write_all(&mut f, &line).await?;
        f.sync_data().await
    };
    match written.await {
        Ok(()) => Ok(()),
        Err(e) => {
            if let Err(cut) = f.set_len(before).await {
                tracing::error!(log = %path.display(), error = %cut, "could not cut off a failed part line");
            }
            Err(e)
        }
    }
}

/// The parts in a log, in order. A line a crash cut short (the last, with no newline) is cut
/// off the file, so the next append starts a line of its own; it was never acknowledged.
pub(crate) async fn read(path: &Path) -> io::Result<Vec<(String, PartRecord)>> {
    let bytes = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    if whole < bytes.len() {
        tracing::warn!(log = %path.display(), "cutting off a part line a crash left unfinished");
        let f = tokio::fs::OpenOptions::new().write(true).open(path).await?;
        f.set_len(whole as u64).await?;
        f.sync_data().await?;
    }
    let mut parts = Vec::new();
    for line in bytes[..whole]
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
    {
        match serde_json::from_slice::<Line>(line) {
            Ok(l) => parts.push((
                l.id,
                PartRecord {
                    size: l.size,
                    created_at: l.created_at,
                },
            )),
            Err(e) => {
                tracing::error!(log = %path.display(), error = %e, "a part line does not load: skipped");
            }
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appended_parts_read_back_and_a_torn_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("u.parts.jsonl");
        let part = |size| PartRecord {
            size,
            created_at: 7,
        };
        let disk = Disk::default();
        append(&disk, &log, "part_a", &part(1)).await.unwrap();
        append(&disk, &log, "part_b", &part(2)).await.unwrap();
        // A crash mid-append.
        let mut torn = std::fs::read(&log).unwrap();
        torn.extend_from_slice(b"{\"id\":\"part_c\",\"si");
        std::fs::write(&log, &torn).unwrap();
        let parts = read(&log).await.unwrap();
        assert_eq!(
            parts,
            [("part_a".into(), part(1)), ("part_b".into(), part(2))]
        );
        append(&disk, &log, "part_d", &part(4)).await.unwrap();
        let parts = read(&log).await.unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].0, "part_d");
        assert!(read(&dir.path().join("none")).await.unwrap().is_empty());
        // Any other error is one: a log that cannot be read is not an upload without parts.
        assert!(read(dir.path()).await.is_err());
    }

    #[tokio::test]
    async fn a_line_the_disk_could_not_take_is_cut_back_off() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("u.parts.jsonl");
        let part = PartRecord {
            size: 1,
            created_at: 7,
        };
        append(&Disk::default(), &log, "part_a", &part)
            .await
            .unwrap();
        let before = std::fs::read(&log).unwrap();
        let e = append(&Disk::new(Some(5)), &log, "part_b", &part)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        assert_eq!(
            std::fs::read(&log).unwrap(),
            before,
            "nothing of part_b is left"
        );
        append(&Disk::default(), &log, "part_c", &part)
            .await
            .unwrap();
        let ids: Vec<String> = read(&log).await.unwrap().into_iter().map(|p| p.0).collect();
        assert_eq!(ids, ["part_a", "part_c"]);
    }
}
