//! Vector stores: make one (at most once) or use one, attach Files in file batches of at most
//! the spec's 2,000, and wait until every File is processed, naming each that failed.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use uploads_client::{ApiError, Client, types};

use super::create::{Created, create_once};
use super::marker::find_marked;
use super::wait::{WaitPolicy, poll_until};
use super::{AfterError, Ledger, MARKER_KEY, StepRecord};

/// The most Files one file batch takes (the spec's `maxItems`).
pub const MAX_FILES_PER_BATCH: usize = 2000;

/// What each attached File gets: attributes and a chunking strategy (the service's default,
/// `auto`, when `None`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AttachOptions {
    /// Attributes (string, number or boolean values), for filtering searches.
    pub attributes: BTreeMap<String, Value>,
    /// `(max_chunk_size_tokens, chunk_overlap_tokens)` for a static strategy.
    pub static_chunking: Option<(u32, u32)>,
}

/// How one attached File ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileOutcome {
    /// The File.
    pub file_id: String,
    /// `completed`, `failed`, `cancelled` (or `in_progress` if the wait ended first).
    pub status: String,
    /// Why it failed: the service's `last_error` code and message.
    pub error: Option<(String, String)>,
}

/// Vector store calls on one client.
#[derive(Debug, Clone, Copy)]
pub struct VectorStores<'a> {
    client: &'a Client,
}

/// Items per page when listing.
const PAGE: i64 = 100;

impl<'a> VectorStores<'a> {
    /// Vector store calls through `client`.
    pub fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// The vector store `id`, as it is now.
    pub async fn retrieve(&self, id: &str) -> Result<types::VectorStoreObject, AfterError> {
        Ok(self
            .client
            .get_vector_store()
            .vector_store_id(id)
            .send()
            .await
            .map_err(|e| AfterError::api(format!("reading vector store {id}"))(e.into()))?
            .into_inner())
    }

    /// Makes a vector store named `name`, at most once (under `step` in a `ledger`).
    pub async fn create(
        &self,
        name: &str,
        ledger: Option<(&Ledger, StepRecord)>,
    ) -> Result<types::VectorStoreObject, AfterError> {
        let (ledger, step) = match ledger {
            Some((l, s)) => (Some(l), s),
            None => (
                None,
                StepRecord::new(format!("vector_store|new|{name}"), "vector_store"),
            ),
        };
        let client = self.client;
        let (created, _) = create_once(
            ledger,
            step,
            &format!("creating vector store {name:?}"),
            |s: &types::VectorStoreObject| s.id.clone(),
            |marker| {
                let metadata = HashMap::from([(MARKER_KEY.to_owned(), marker)]);
                let body = types::CreateVectorStoreRequest::builder()
                    .name(Some(name.to_owned()))
                    .metadata(Some(types::Metadata(Some(metadata))));
                async move {
                    Ok(client
                        .create_vector_store()
                        .body(body)
                        .send()
                        .await?
                        .into_inner())
                }
            },
            |marker, since| self.find_store(marker, since),
        )
        .await?;
        match created {
            Created::New(s) | Created::Found(s) => Ok(s),
            Created::Recorded(id) => self.retrieve(&id).await,
        }
    }

    async fn find_store(
        &self,
        marker: String,
        since: i64,
    ) -> Result<Option<types::VectorStoreObject>, ApiError> {
        let client = self.client;
        find_marked(
            &marker,
            since,
            |after| async move {
                let mut request = client.list_vector_stores().limit(PAGE);
                if let Some(a) = after {
                    request = request.after(a);
                }
                let page = request.send().await?.into_inner();
                Ok((page.data, page.has_more))
            },
            |s| s.metadata.as_ref(),
            |s| s.created_at,
            |s| &s.id,
        )
        .await
    }

    /// Attaches up to [`MAX_FILES_PER_BATCH`] Files as one file batch, at most once (under
    /// `step` in a `ledger`; a file batch carries no metadata, so a lost create is recognised
    /// by every one of its Files being attached since it was sent). The file batch's id, when
    /// the create was answered.
    pub async fn attach(
        &self,
        store_id: &str,
        file_ids: &[String],
        options: &AttachOptions,
        ledger: Option<(&Ledger, StepRecord)>,
    ) -> Result<Option<String>, AfterError> {
        if file_ids.is_empty() || file_ids.len() > MAX_FILES_PER_BATCH {
            return Err(AfterError::Invalid(format!(
                "a file batch takes 1 to {MAX_FILES_PER_BATCH} Files, not {}",
                file_ids.len()
            )));
        }
        let (ledger, step) = match ledger {
            Some((l, s)) => (Some(l), s),
            None => (
                None,
                StepRecord::new(
                    format!("file_batch|{store_id}|{}", file_ids.join(",")),
                    "file_batch",
                ),
            ),
        };
        let client = self.client;
        let body = attach_body(file_ids, options)?;
        let (created, _) = create_once(
            ledger,
            step,
            &format!("attaching {} Files to {store_id}", file_ids.len()),
            |b: &Option<String>| b.clone().unwrap_or_default(),
            |_marker| {
                let body = body.clone();
                async move {
                    let batch = client
                        .create_vector_store_file_batch()
                        .vector_store_id(store_id)
                        .body(body)
                        .send()
                        .await?
                        .into_inner();
                    Ok(Some(batch.id))
                }
            },
            |_marker, since| async move {
                let attached = self.list_files(store_id, None).await?;
                let recent: HashSet<&str> = attached
                    .iter()
                    .filter(|f| f.created_at >= since - 60)
                    .map(|f| f.id.as_str())
                    .collect();
                Ok(file_ids
                    .iter()
                    .all(|id| recent.contains(id.as_str()))
                    .then_some(None))
            },
        )
        .await?;
        Ok(match created {
            Created::New(id) | Created::Found(id) => id.filter(|s| !s.is_empty()),
            Created::Recorded(id) => Some(id).filter(|s| !s.is_empty()),
        })
    }

    /// Every File attached to the store (with `filter`, those of that status), all pages.
    pub async fn list_files(
        &self,
        store_id: &str,
        filter: Option<types::ListVectorStoreFilesFilter>,
    ) -> Result<Vec<types::VectorStoreFileObject>, ApiError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut request = self
                .client
                .list_vector_store_files()
                .vector_store_id(store_id)
                .limit(PAGE);
            if let Some(f) = filter {
                request = request.filter(f);
            }
            if let Some(a) = &after {
                request = request.after(a.clone());
            }
            let page = request.send().await?.into_inner();
            after = page.data.last().map(|f| f.id.clone());
            let more = page.has_more && !page.data.is_empty();
            all.extend(page.data);
            if !more {
                return Ok(all);
            }
        }
    }

    /// Waits until none of `file_ids` is still being processed, showing the counts (completed,
    /// failed, in progress) at each poll; then how each ended, in the order given.
    pub async fn wait_files(
        &self,
        store_id: &str,
        file_ids: &[String],
        policy: &WaitPolicy,
        mut seen: impl FnMut(usize, usize, usize),
    ) -> Result<Vec<FileOutcome>, AfterError> {
        let wanted: HashSet<&str> = file_ids.iter().map(String::as_str).collect();
        let outcomes = poll_until(
            policy,
            &format!("{} Files in vector store {store_id}", file_ids.len()),
            || async {
                let files = self.list_files(store_id, None).await?;
                Ok(files
                    .into_iter()
                    .filter(|f| wanted.contains(f.id.as_str()))
                    .map(|f| (f.id.clone(), f))
                    .collect::<HashMap<_, _>>())
            },
            |by_id| {
                by_id.len() == wanted.len() && by_id.values().all(|f| status(f) != "in_progress")
            },
            |by_id| {
                let busy = by_id
                    .values()
                    .filter(|f| status(f) == "in_progress")
                    .count();
                format!("{busy} of {} Files still in progress", wanted.len())
            },
            |by_id| {
                let count = |s: &str| by_id.values().filter(|f| status(f) == s).count();
                seen(
                    count("completed"),
                    count("failed"),
                    wanted.len() - count("completed") - count("failed"),
                );
            },
        )
        .await?;
        Ok(file_ids
            .iter()
            .map(|id| match outcomes.get(id) {
                Some(f) => FileOutcome {
                    file_id: id.clone(),
                    status: status(f),
                    error: f
                        .last_error
                        .as_ref()
                        .map(|e| (e.code.clone(), e.message.clone())),
                },
                None => FileOutcome {
                    file_id: id.clone(),
                    status: "missing".into(),
                    error: Some((
                        "not_attached".into(),
                        "the File is not in the vector store".into(),
                    )),
                },
            })
            .collect())
    }
}

fn status(f: &types::VectorStoreFileObject) -> String {
    f.status
        .as_ref()
        .map_or_else(|| "in_progress".to_owned(), |s| s.to_string())
}

/// The file batch request: the ids, with the attributes and chunking strategy of every File.
fn attach_body(
    file_ids: &[String],
    options: &AttachOptions,
) -> Result<types::CreateVectorStoreFileBatchRequest, AfterError> {
    let mut body = serde_json::json!({ "file_ids": file_ids });
    if !options.attributes.is_empty() {
        body["attributes"] = serde_json::to_value(&options.attributes).unwrap_or_default();
    }
    if let Some((max, overlap)) = options.static_chunking {
        body["chunking_strategy"] = serde_json::json!({
            "type": "static",
            "static": {"max_chunk_size_tokens": max, "chunk_overlap_tokens": overlap},
        });
    }
    serde_json::from_value(body).map_err(|e| {
        AfterError::Invalid(format!(
            "the attach options do not make a valid request: {e}"
        ))
    })
}
