//! Vector stores as kept: each with its files and file batches, and the counts answered.

use serde_json::{Value, json};
use uploads_client::types::{self, KnownVectorStoreFileStatus};

/// Every vector store, oldest first.
#[derive(Default)]
pub(crate) struct VectorStores {
    pub(crate) stores: Vec<StoreRecord>,
}

/// A vector store with its files (oldest first) and file batches.
pub(crate) struct StoreRecord {
    pub(crate) store: types::VectorStoreObject,
    pub(crate) files: Vec<types::VectorStoreFileObject>,
    pub(crate) batches: Vec<FileBatchRecord>,
}

/// A file batch and the Files it attaches, in the order given.
pub(crate) struct FileBatchRecord {
    pub(crate) batch: types::VectorStoreFileBatchObject,
    pub(crate) file_ids: Vec<String>,
    pub(crate) cancel_requested: bool,
}

impl VectorStores {
    pub(crate) fn get(&self, id: &str) -> Option<&StoreRecord> {
        self.stores.iter().find(|s| s.store.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut StoreRecord> {
        self.stores.iter_mut().find(|s| s.store.id == id)
    }
}

impl StoreRecord {
    /// The vector store as answered: its `file_counts` counted now.
    pub(crate) fn answer(&self) -> types::VectorStoreObject {
        let c = counts(self.files.iter());
        let mut store = self.store.clone();
        store.file_counts = Some(types::VectorStoreObjectFileCounts {
            cancelled: c[0],
            completed: c[1],
            failed: c[2],
            in_progress: c[3],
            total: c.iter().sum(),
        });
        store.usage_bytes = Some(self.files.iter().filter_map(|f| f.usage_bytes).sum());
        store
    }

    pub(crate) fn batch(&self, id: &str) -> Option<&FileBatchRecord> {
        self.batches.iter().find(|b| b.batch.id == id)
    }

    /// A file batch as answered: its `file_counts` over its own files.
    pub(crate) fn answer_batch(&self, rec: &FileBatchRecord) -> types::VectorStoreFileBatchObject {
        let c = counts(self.batch_files(rec));
        let mut batch = rec.batch.clone();
        batch.file_counts = types::VectorStoreFileBatchObjectFileCounts {
            cancelled: c[0],
            completed: c[1],
            failed: c[2],
            in_progress: c[3],
            total: c.iter().sum(),
        };
        batch
    }

    /// The files of a file batch, as attached now.
    pub(crate) fn batch_files<'a>(
        &'a self,
        rec: &'a FileBatchRecord,
    ) -> impl Iterator<Item = &'a types::VectorStoreFileObject> {
        rec.file_ids
            .iter()
            .filter_map(|id| self.files.iter().find(|f| &f.id == id))
    }
}

/// Files by status: cancelled, completed, failed, in progress.
pub(crate) fn counts<'a>(
    files: impl Iterator<Item = &'a types::VectorStoreFileObject>,
) -> [i64; 4] {
    let mut c = [0; 4];
    for f in files {
        match f.status.as_ref().and_then(|s| s.known()) {
            Some(KnownVectorStoreFileStatus::Cancelled) => c[0] += 1,
            Some(KnownVectorStoreFileStatus::Completed) => c[1] += 1,
            Some(KnownVectorStoreFileStatus::Failed) => c[2] += 1,
            _ => c[3] += 1,
        }
    }
    c
}

/// What a file batch asks for: each File with its attributes and chunking strategy.
pub(crate) struct Attach {
    pub(crate) file_id: String,
    pub(crate) attributes: Option<types::VectorStoreFileAttributes>,
    pub(crate) chunking_strategy: Option<Value>,
}

/// The chunking strategy a file is answered with: `auto` (or none) is the service's default,
/// 800 tokens with 400 of overlap; `static` as given.
pub(crate) fn chunking(asked: Option<Value>) -> types::VectorStoreFileObjectChunkingStrategy {
    let static_ = match asked {
        Some(v) if v["type"] == "static" => v,
        _ => {
            json!({"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}})
        }
    };
    serde_json::from_value(static_).unwrap_or(
        types::VectorStoreFileObjectChunkingStrategy::OtherChunkingStrategyResponseParam(
            types::OtherChunkingStrategyResponseParam {
                type_: types::OtherChunkingStrategyResponseParamType::Other,
            },
        ),
    )
}
