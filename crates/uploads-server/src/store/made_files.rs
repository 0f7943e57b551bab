//! Files the server makes itself (a batch's output and error files, a job's results): written
//! as one part, then recorded as a completed upload with its File, as if a client had sent it.

use std::io;

use tokio::io::AsyncWriteExt;
use uploads_client::rules::Purpose;
use uploads_client::types::KnownUploadStatus;

use super::{FileRecord, Store, UploadRecord, new_id};

impl Store {
    /// Stores `content` as a new File named `filename` with `purpose` (`batch_output`, ...).
    /// Every write is checked and synced before the File exists; on failure nothing is left.
    pub(crate) async fn make_file(
        &self,
        filename: &str,
        purpose: Purpose,
        content: &[u8],
        now: i64,
    ) -> io::Result<FileRecord> {
        let part_id = new_id("part_");
        let tmp = self.dir.join("tmp").join(&part_id);
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            self.disk.write_all(&mut f, content).await?;
            f.flush().await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, self.part_path(&part_id)).await
        };
        if let Err(e) = written.await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        let upload = UploadRecord {
            id: new_id("upload_"),
            filename: filename.to_owned(),
            purpose: purpose.clone(),
            mime_type: "application/jsonl".into(),
            bytes: content.len() as u64,
            created_at: now,
            expires_at: now,
            status: KnownUploadStatus::Pending,
            file_expires_after: None,
            parts: Default::default(),
            file_id: None,
        };
        let file = FileRecord {
            id: new_id("file-"),
            upload_id: upload.id.clone(),
            filename: filename.to_owned(),
            purpose,
            bytes: content.len() as u64,
            created_at: now,
            expires_at: None,
            parts: vec![part_id.clone()],
        };
        let stored = async {
            self.insert_upload(upload).await?;
            match self
                .complete_upload(file.clone(), |_| Ok::<_, io::Error>(()))
                .await
            {
                Some(done) => done.map(|_| ()),
                None => Err(io::Error::other("the made file's upload vanished")),
            }
        };
        if let Err(e) = stored.await {
            let _ = tokio::fs::remove_file(self.part_path(&part_id)).await;
            return Err(e);
        }
        Ok(file)
    }
}
