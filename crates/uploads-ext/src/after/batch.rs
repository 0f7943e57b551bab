//! Batches: start one from an uploaded File, wait for it, download its output and error files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use uploads_client::{ApiError, Client, types};

use super::create::{Created, create_once};
use super::marker::find_marked;
use super::wait::{WaitPolicy, poll_until};
use super::{AfterError, Ledger, MARKER_KEY, StepRecord};

/// What a batch is started with.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BatchRequest {
    /// The uploaded File of requests.
    pub input_file_id: String,
    /// The endpoint of every request in it (`/v1/chat/completions`, ...).
    pub endpoint: String,
    /// The time frame to process it in (`24h`, the only one the service offers).
    pub completion_window: String,
    /// Metadata to attach (at most 16 pairs; one more is ours, the marker).
    pub metadata: Vec<(String, String)>,
}

impl BatchRequest {
    /// A batch of the File's requests for `endpoint`, within 24 hours.
    pub fn new(input_file_id: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Self {
            input_file_id: input_file_id.into(),
            endpoint: endpoint.into(),
            completion_window: "24h".into(),
            metadata: Vec::new(),
        }
    }

    /// With these metadata pairs.
    pub fn metadata(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.metadata.extend(pairs);
        self
    }

    /// The step's key in a ledger: the batch of this File with these options.
    pub fn step_key(&self, source: &str) -> String {
        format!(
            "batch|{source}|{}|{}",
            self.endpoint, self.completion_window
        )
    }
}

/// The files a finished batch left, as downloaded.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct BatchResults {
    /// The output file (one line per request that ran), if any.
    pub output: Option<PathBuf>,
    /// The error file (one line per request that failed), if any.
    pub errors: Option<PathBuf>,
}

/// True once a batch can change no more: completed, failed, expired or cancelled.
pub fn is_batch_final(b: &types::Batch) -> bool {
    use types::KnownBatchStatus as S;
    matches!(
        b.status.known(),
        Some(S::Completed | S::Failed | S::Expired | S::Cancelled)
    )
}

/// How many requests of a batch failed (0 until it reports counts).
pub fn batch_failed_requests(b: &types::Batch) -> i64 {
    b.request_counts.as_ref().map_or(0, |c| c.failed)
}

/// Batch calls on one client.
#[derive(Debug, Clone, Copy)]
pub struct Batches<'a> {
    client: &'a Client,
}

/// Batches listed per page when a lost create is looked for.
const PAGE: i64 = 100;

impl<'a> Batches<'a> {
    /// Batch calls through `client`.
    pub fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Starts the batch, at most once: with a `ledger`, under `step`'s key (a run stopped after
    /// the create finds the same batch; a lost answer is looked for by listing). Refused before
    /// anything is sent if the metadata cannot be carried.
    pub async fn start(
        &self,
        req: &BatchRequest,
        ledger: Option<(&Ledger, StepRecord)>,
    ) -> Result<types::Batch, AfterError> {
        if req.metadata.len() > 15 {
            return Err(AfterError::Invalid(format!(
                "{} metadata pairs: a batch takes 16, and one is the marker that makes its create safe to retry; give at most 15",
                req.metadata.len()
            )));
        }
        let (ledger, step) = match ledger {
            Some((l, s)) => (Some(l), s),
            None => (
                None,
                StepRecord::new(req.step_key(&req.input_file_id), "batch"),
            ),
        };
        let client = self.client;
        let (created, _) = create_once(
            ledger,
            step,
            "creating the batch",
            |b: &types::Batch| b.id.clone(),
            |marker| {
                let mut metadata: HashMap<String, String> = req.metadata.iter().cloned().collect();
                metadata.insert(MARKER_KEY.into(), marker);
                let body = types::CreateBatchRequest::builder()
                    .input_file_id(req.input_file_id.clone())
                    .endpoint(
                        req.endpoint
                            .parse::<types::CreateBatchRequestEndpoint>()
                            .unwrap_or_else(|e| match e {}),
                    )
                    .completion_window(types::CreateBatchRequestCompletionWindow::X24h)
                    .metadata(Some(types::Metadata(Some(metadata))));
                async move { Ok(client.create_batch().body(body).send().await?.into_inner()) }
            },
            |marker, since| self.find(marker, since),
        )
        .await?;
        match created {
            Created::New(b) | Created::Found(b) => Ok(b),
            Created::Recorded(id) => self.retrieve(&id).await,
        }
    }

    /// The batch whose metadata carries `marker`, among those created since `since`.
    async fn find(&self, marker: String, since: i64) -> Result<Option<types::Batch>, ApiError> {
        let client = self.client;
        find_marked(
            &marker,
            since,
            |after| async move {
                let mut request = client.list_batches().limit(PAGE);
                if let Some(a) = after {
                    request = request.after(a);
                }
                let page = request.send().await?.into_inner();
                Ok((page.data, page.has_more))
            },
            |b| b.metadata.as_ref(),
            |b| b.created_at,
            |b| &b.id,
        )
        .await
    }

    /// The batch as it is now.
    pub async fn retrieve(&self, id: &str) -> Result<types::Batch, AfterError> {
        Ok(self
            .client
            .retrieve_batch()
            .batch_id(id)
            .send()
            .await
            .map_err(|e| AfterError::api(format!("reading batch {id}"))(e.into()))?
            .into_inner())
    }

    /// Asks the service to cancel the batch; it goes through `cancelling` first.
    pub async fn cancel(&self, id: &str) -> Result<types::Batch, AfterError> {
        Ok(self
            .client
            .cancel_batch()
            .batch_id(id)
            .send()
            .await
            .map_err(|e| AfterError::api(format!("cancelling batch {id}"))(e.into()))?
            .into_inner())
    }

    /// Waits for the batch to end, showing each poll to `seen`.
    pub async fn wait(
        &self,
        id: &str,
        policy: &WaitPolicy,
        seen: impl FnMut(&types::Batch),
    ) -> Result<types::Batch, AfterError> {
        let client = self.client;
        poll_until(
            policy,
            &format!("batch {id}"),
            || async move {
                Ok(client
                    .retrieve_batch()
                    .batch_id(id)
                    .send()
                    .await?
                    .into_inner())
            },
            is_batch_final,
            |b| b.status.to_string(),
            seen,
        )
        .await
    }

    /// Downloads a finished batch's output and error files into `dir` as
    /// `<batch id>_output.jsonl` and `<batch id>_errors.jsonl`, streamed to disk.
    pub async fn download_results(
        &self,
        batch: &types::Batch,
        dir: &Path,
    ) -> Result<BatchResults, AfterError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(AfterError::io(format!("creating {}", dir.display())))?;
        let mut results = BatchResults::default();
        for (file_id, name, slot) in [
            (&batch.output_file_id, "output", &mut results.output),
            (&batch.error_file_id, "errors", &mut results.errors),
        ] {
            let Some(file_id) = file_id else { continue };
            let path = dir.join(format!("{}_{name}.jsonl", batch.id));
            download(self.client, file_id, &path).await?;
            *slot = Some(path);
        }
        Ok(results)
    }
}

/// Streams a File's content to `path` (through a temporary file renamed into place, so a cut
/// download never looks whole).
pub(crate) async fn download(
    client: &Client,
    file_id: &str,
    path: &Path,
) -> Result<(), AfterError> {
    let what = || format!("downloading {file_id} to {}", path.display());
    let resp = client
        .download_file()
        .file_id(file_id)
        .send()
        .await
        .map_err(|e| AfterError::api(what())(e.into()))?;
    let tmp = path.with_extension("jsonl.part");
    let mut out = tokio::fs::File::create(&tmp)
        .await
        .map_err(AfterError::io(what()))?;
    let mut body = resp.into_inner();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AfterError::api(what())(ApiError::Transport(e.into())))?;
        out.write_all(&chunk)
            .await
            .map_err(AfterError::io(what()))?;
    }
    out.flush().await.map_err(AfterError::io(what()))?;
    out.sync_all().await.map_err(AfterError::io(what()))?;
    drop(out);
    tokio::fs::rename(&tmp, path)
        .await
        .map_err(AfterError::io(what()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(status: &str, failed: Option<i64>) -> types::Batch {
        let mut b = serde_json::json!({
            "id": "batch_1", "object": "batch", "endpoint": "/v1/embeddings",
            "input_file_id": "file-1", "completion_window": "24h", "status": status,
            "created_at": 1,
        });
        if let Some(failed) = failed {
            b["request_counts"] =
                serde_json::json!({"total": 5, "completed": 5 - failed, "failed": failed});
        }
        serde_json::from_value(b).unwrap()
    }

    #[test]
    fn a_batch_is_final_once_it_can_change_no_more_and_its_failures_are_counted() {
        for (status, last) in [
            ("validating", false),
            ("in_progress", false),
            ("finalizing", false),
            ("cancelling", false),
            ("completed", true),
            ("failed", true),
            ("expired", true),
            ("cancelled", true),
            ("a_status_from_the_future", false),
        ] {
            assert_eq!(is_batch_final(&batch(status, None)), last, "{status}");
        }
        assert_eq!(batch_failed_requests(&batch("completed", Some(2))), 2);
        assert_eq!(batch_failed_requests(&batch("validating", None)), 0);
    }

    #[test]
    fn a_step_key_names_the_source_and_every_option_that_makes_another_batch() {
        let req = BatchRequest::new("file-1", "/v1/embeddings");
        assert_eq!(req.step_key("a.jsonl"), "batch|a.jsonl|/v1/embeddings|24h");
        let mut other = req.clone();
        other.completion_window = "48h".into();
        assert_ne!(other.step_key("a.jsonl"), req.step_key("a.jsonl"));
        assert_ne!(
            BatchRequest::new("file-1", "/v1/chat/completions").step_key("a.jsonl"),
            req.step_key("a.jsonl")
        );
    }
}
