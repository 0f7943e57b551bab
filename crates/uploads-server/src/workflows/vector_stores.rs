//! Vector stores and their file batches. A file batch attaches Files `in_progress`; one step
//! later each ends `completed`, or `failed` with a `last_error` the way the service fails it:
//! a File that does not exist or is empty (`invalid_file`), an extension file search does not
//! take (`unsupported_file`), or the fault knob (`server_error`). The batch then ends
//! `completed` (or `cancelled`), its `file_counts` counting its files.

use std::sync::Arc;

use uploads_client::types::{self, KnownFileBatchStatus, KnownVectorStoreFileStatus};

use super::clock::now;
use super::table::lock;
use super::vector_store_record::{Attach, FileBatchRecord, chunking};
use crate::state::AppState;

/// The extensions file search takes (OpenAI's file search guide, "Supported files").
const SUPPORTED: &[&str] = &[
    "c", "cpp", "cs", "css", "doc", "docx", "go", "html", "java", "js", "json", "md", "pdf", "php",
    "pptx", "py", "rb", "sh", "tex", "ts", "txt",
];

/// Creates a file batch on `store_id`: its files `in_progress` (a File attached again is
/// replaced), and the task that processes them. `None` if there is no such vector store.
pub(crate) fn create_batch(
    state: &Arc<AppState>,
    store_id: &str,
    files: Vec<Attach>,
) -> Option<types::VectorStoreFileBatchObject> {
    let id = crate::store::new_id("vsfb_");
    let created_at = now();
    let mut stores = lock(&state.workflows.vector_stores);
    let store = stores.get_mut(store_id)?;
    let mut file_ids = Vec::with_capacity(files.len());
    for attach in files {
        store.files.retain(|f| f.id != attach.file_id);
        store.files.push(types::VectorStoreFileObject {
            id: attach.file_id.clone(),
            object: types::VectorStoreFileObjectObject::VectorStoreFile,
            created_at,
            vector_store_id: store_id.to_owned(),
            status: Some(KnownVectorStoreFileStatus::InProgress.into()),
            usage_bytes: Some(0),
            last_error: None,
            attributes: attach.attributes,
            chunking_strategy: Some(chunking(attach.chunking_strategy)),
        });
        file_ids.push(attach.file_id);
    }
    let rec = FileBatchRecord {
        batch: types::VectorStoreFileBatchObject {
            id: id.clone(),
            object: "vector_store.files_batch".into(),
            created_at,
            vector_store_id: store_id.to_owned(),
            status: KnownFileBatchStatus::InProgress.into(),
            file_counts: types::VectorStoreFileBatchObjectFileCounts {
                cancelled: 0,
                completed: 0,
                failed: 0,
                in_progress: 0,
                total: 0,
            },
        },
        file_ids,
        cancel_requested: false,
    };
    let answer = store.answer_batch(&rec);
    store.batches.push(rec);
    tokio::spawn(run(state.clone(), store_id.to_owned(), id));
    Some(answer)
}

/// Asks a file batch to stop; its files not yet done end `cancelled`.
pub(crate) fn request_cancel(
    state: &AppState,
    store_id: &str,
    batch_id: &str,
) -> Option<types::VectorStoreFileBatchObject> {
    let mut stores = lock(&state.workflows.vector_stores);
    let store = stores.get_mut(store_id)?;
    let rec = store.batches.iter_mut().find(|b| b.batch.id == batch_id)?;
    if rec.batch.status.known() == Some(KnownFileBatchStatus::InProgress) {
        rec.cancel_requested = true;
    }
    let rec = store.batch(batch_id)?;
    Some(store.answer_batch(rec))
}

/// What becomes of one File: `None` completes it, or the error it fails with.
async fn outcome(
    state: &AppState,
    file_id: &str,
) -> (Option<types::VectorStoreFileObjectLastError>, i64) {
    let fail = |code: &str, message: String| {
        Some(types::VectorStoreFileObjectLastError {
            code: code.to_owned(),
            message,
        })
    };
    let Some(file) = state.store.file(file_id).await else {
        return (
            fail("invalid_file", format!("No such File object: {file_id}")),
            0,
        );
    };
    let ext = file
        .filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !SUPPORTED.contains(&ext.as_str()) {
        let message = format!(
            "Files with extensions [.{ext}] are not supported for retrieval. See https://platform.openai.com/docs/assistants/tools/file-search#supported-files"
        );
        return (fail("unsupported_file", message), 0);
    }
    if file.bytes == 0 {
        return (fail("invalid_file", "The file is empty.".into()), 0);
    }
    if state.workflows.fail_vector_store_file() {
        return (
            fail(
                "server_error",
                "The file could not be processed (injected fault).".into(),
            ),
            0,
        );
    }
    (None, file.bytes as i64)
}

/// Processes a file batch: one step, then each file's outcome, then the batch's end.
async fn run(state: Arc<AppState>, store_id: String, batch_id: String) {
    let w = &state.workflows;
    w.step().await;
    if w.sticks_at("in_progress") {
        return;
    }
    let (file_ids, cancelled) = {
        let stores = lock(&w.vector_stores);
        let Some(rec) = stores.get(&store_id).and_then(|s| s.batch(&batch_id)) else {
            return;
        };
        (rec.file_ids.clone(), rec.cancel_requested)
    };
    let mut outcomes = Vec::with_capacity(file_ids.len());
    if !cancelled {
        for id in &file_ids {
            outcomes.push(outcome(&state, id).await);
        }
    }
    let mut stores = lock(&w.vector_stores);
    let Some(store) = stores.get_mut(&store_id) else {
        return;
    };
    for (i, id) in file_ids.iter().enumerate() {
        let Some(file) = store.files.iter_mut().find(|f| &f.id == id) else {
            continue;
        };
        if file.status.as_ref().and_then(|s| s.known())
            != Some(KnownVectorStoreFileStatus::InProgress)
        {
            continue;
        }
        let status = match outcomes.get(i) {
            None => KnownVectorStoreFileStatus::Cancelled,
            Some((Some(error), _)) => {
                file.last_error = Some(error.clone());
                KnownVectorStoreFileStatus::Failed
            }
            Some((None, bytes)) => {
                file.usage_bytes = Some(*bytes);
                KnownVectorStoreFileStatus::Completed
            }
        };
        file.status = Some(status.into());
    }
    if let Some(rec) = store.batches.iter_mut().find(|b| b.batch.id == batch_id) {
        rec.batch.status = if cancelled {
            KnownFileBatchStatus::Cancelled
        } else {
            KnownFileBatchStatus::Completed
        }
        .into();
    }
}
