//! A scriptable in-memory implementation of the protocol, to test the orchestration exactly.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use uploads_client::rules::Purpose;
use uploads_client::{ApiError, ErrorBody, PartData, TransportError, TransportKind, types};

use uploads_ext::{CreateRequest, FilePage, RetryPolicy, UploadApi, Uploader};

/// What the fake does with a part request: store it, or fail with this error.
pub type PartScript = Box<dyn Fn(usize, &[u8]) -> Option<ApiError> + Send + Sync>;

#[derive(Default)]
pub struct State {
    pub uploads: HashMap<String, (CreateRequest, String)>,
    pub parts: HashMap<String, Vec<u8>>,
    /// Every call, in order: "create", "part:<first byte>", "complete", "cancel".
    pub calls: Vec<String>,
    pub completed: Vec<(String, Vec<String>, Option<String>)>,
    /// Files made by complete, oldest first.
    pub files: Vec<types::OpenAiFile>,
    pub next: u64,
}

pub struct Fake {
    pub state: Mutex<State>,
    /// Called with (attempt number across all part calls, bytes): `Some(error)` fails the call.
    pub on_part: Mutex<Option<PartScript>>,
    pub complete_errors: Mutex<VecDeque<ApiError>>,
    /// Errors the next creates answer, one each, before creates succeed again.
    pub create_errors: Mutex<VecDeque<ApiError>>,
    /// Errors the next cancels answer, one each (the upload stays as it was).
    pub cancel_errors: Mutex<VecDeque<ApiError>>,
    /// Uploads created and not yet completed or cancelled, now and at most.
    pub open_uploads: std::sync::atomic::AtomicUsize,
    pub max_open_uploads: std::sync::atomic::AtomicUsize,
    /// Listing Files answers 503.
    pub list_fails: std::sync::atomic::AtomicBool,
    /// The first this-many completes are carried out, but answer a lost-response error.
    pub complete_responses_to_lose: std::sync::atomic::AtomicU32,
    /// Complete answers a completed Upload with no `file` (a malformed response).
    pub complete_without_file: std::sync::atomic::AtomicBool,
    pub part_delay: Duration,
    /// The part whose first byte is this takes this much longer to answer.
    pub slow_part: Option<(u8, Duration)>,
    pub in_flight: std::sync::atomic::AtomicUsize,
    pub max_in_flight: std::sync::atomic::AtomicUsize,
}

impl Fake {
    pub fn new() -> Self {
        Self {
            state: Mutex::default(),
            on_part: Mutex::new(None),
            complete_errors: Mutex::default(),
            create_errors: Mutex::default(),
            cancel_errors: Mutex::default(),
            complete_without_file: Default::default(),
            complete_responses_to_lose: Default::default(),
            list_fails: Default::default(),
            open_uploads: Default::default(),
            max_open_uploads: Default::default(),
            part_delay: Duration::ZERO,
            slow_part: None,
            in_flight: Default::default(),
            max_in_flight: Default::default(),
        }
    }

    pub fn on_part(
        self,
        f: impl Fn(usize, &[u8]) -> Option<ApiError> + Send + Sync + 'static,
    ) -> Self {
        *self.on_part.lock().unwrap() = Some(Box::new(f));
        self
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.starts_with(prefix))
            .count()
    }

    /// The completed file's bytes: the stored parts joined in the completed order.
    pub fn completed_bytes(&self) -> Vec<u8> {
        let s = self.state.lock().unwrap();
        let (_, ids, _) = s.completed.last().expect("completed");
        ids.iter().flat_map(|id| s.parts[id].clone()).collect()
    }
}

/// A transport error after the request went out (a connection that broke before the answer:
/// what a lost response looks like to the client), made without a socket.
pub async fn lost_response() -> ApiError {
    let err = ApiError::Transport(TransportError::new(
        TransportKind::Body,
        "connection closed before message completed",
    ));
    assert!(!err.is_unreachable(), "{err:?}");
    err
}

pub fn status(status: u16, code: Option<&str>, retry_after: Option<Duration>) -> ApiError {
    ApiError::Status(Box::new(ErrorBody {
        status,
        kind: if status >= 500 {
            "server_error".into()
        } else {
            "invalid_request_error".into()
        },
        message: format!("scripted {status}"),
        param: None,
        code: code.map(Into::into),
        request_id: None,
        retry_after,
        should_retry: None,
    }))
}

fn upload(
    id: &str,
    req: &CreateRequest,
    status: &str,
    file: Option<types::OpenAiFile>,
) -> types::Upload {
    types::Upload {
        id: id.into(),
        object: Some(types::UploadObject::Upload),
        bytes: req.bytes as i64,
        created_at: 0,
        expires_at: i64::MAX / 2,
        filename: req.filename.clone(),
        purpose: req.purpose.to_string(),
        status: status.parse().unwrap(),
        file,
    }
}

impl UploadApi for Fake {
    fn endpoint(&self) -> String {
        "fake://".into()
    }

    async fn create(&self, req: CreateRequest) -> Result<types::Upload, ApiError> {
        let mut s = self.state.lock().unwrap();
        s.next += 1;
        let id = format!("upload_{}", s.next);
        s.calls.push("create".into());
        if let Some(e) = self.create_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        let open = self
            .open_uploads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        self.max_open_uploads
            .fetch_max(open, std::sync::atomic::Ordering::SeqCst);
        s.uploads
            .insert(id.clone(), (req.clone(), "pending".into()));
        Ok(upload(&id, &req, "pending", None))
    }

    async fn put_part(
        &self,
        upload_id: &str,
        body: PartData,
    ) -> Result<types::UploadPart, ApiError> {
        // `collect` fails if the stream's length differs from the declared one.
        let bytes = body
            .collect()
            .await
            .map_err(|e| ApiError::InvalidRequest(format!("reading the part: {e}")))?;
        use std::sync::atomic::Ordering;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.part_delay).await;
        if let Some((first, delay)) = self.slow_part
            && bytes.first() == Some(&first)
        {
            tokio::time::sleep(delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let attempt = {
            let mut s = self.state.lock().unwrap();
            s.calls
                .push(format!("part:{}", bytes.first().copied().unwrap_or(0)));
            s.calls.iter().filter(|c| c.starts_with("part:")).count()
        };
        if let Some(f) = self.on_part.lock().unwrap().as_ref()
            && let Some(e) = f(attempt, &bytes)
        {
            return Err(e);
        }
        let mut s = self.state.lock().unwrap();
        assert_eq!(
            s.uploads[upload_id].1, "pending",
            "parts only go to pending uploads"
        );
        s.next += 1;
        let id = format!("part_{}", s.next);
        s.parts.insert(id.clone(), bytes);
        Ok(types::UploadPart {
            id,
            object: types::UploadPartObject::UploadPart,
            created_at: 0,
            upload_id: upload_id.into(),
        })
    }

    async fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> Result<types::Upload, ApiError> {
        let lose = self
            .complete_responses_to_lose
            .fetch_update(
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
                |n| n.checked_sub(1),
            )
            .is_ok();
        let lost = if lose {
            Some(lost_response().await)
        } else {
            None
        };
        let mut s = self.state.lock().unwrap();
        s.calls.push("complete".into());
        if let Some(e) = self.complete_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        if s.uploads[upload_id].1 != "pending" {
            return Err(status(400, None, None));
        }
        s.completed.push((upload_id.into(), part_ids, md5));
        self.open_uploads
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let (req, _) = s.uploads[upload_id].clone();
        s.uploads.get_mut(upload_id).unwrap().1 = "completed".into();
        let file = types::OpenAiFile {
            id: format!("file-{upload_id}"),
            object: types::OpenAiFileObject::File,
            bytes: req.bytes as i64,
            created_at: 0,
            expires_at: None,
            filename: req.filename.clone(),
            purpose: req.purpose.as_str().parse().unwrap(),
            status: None,
            status_details: None,
        };
        let without_file = self
            .complete_without_file
            .load(std::sync::atomic::Ordering::SeqCst);
        if !without_file {
            s.files.push(file.clone());
        }
        if let Some(lost) = lost {
            return Err(lost);
        }
        let file = (!self
            .complete_without_file
            .load(std::sync::atomic::Ordering::SeqCst))
        .then_some(file);
        Ok(upload(upload_id, &req, "completed", file))
    }

    async fn list_files(
        &self,
        purpose: &Purpose,
        after: Option<&str>,
    ) -> Result<FilePage, ApiError> {
        let mut s = self.state.lock().unwrap();
        s.calls.push("list".into());
        if self.list_fails.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(status(503, None, None));
        }
        let newest_first: Vec<_> = s
            .files
            .iter()
            .rev()
            .filter(|f| f.purpose.to_string() == purpose.as_str())
            .cloned()
            .collect();
        let start = after.map_or(0, |a| {
            newest_first
                .iter()
                .position(|f| f.id == a)
                .map_or(newest_first.len(), |i| i + 1)
        });
        // Pages of one, so paging is exercised.
        let page: Vec<_> = newest_first[start..].iter().take(1).cloned().collect();
        Ok(FilePage::new(page, newest_first.len() > start + 1))
    }

    async fn cancel(&self, upload_id: &str) -> Result<types::Upload, ApiError> {
        let mut s = self.state.lock().unwrap();
        s.calls.push("cancel".into());
        if let Some(e) = self.cancel_errors.lock().unwrap().pop_front() {
            return Err(e);
        }
        let (req, _) = s.uploads[upload_id].clone();
        s.uploads.get_mut(upload_id).unwrap().1 = "cancelled".into();
        Ok(upload(upload_id, &req, "cancelled", None))
    }
}

// --- Files, journals and an uploader for the tests --------------------------------------

pub const PART: u64 = 1000;

/// A file of `parts` parts of `PART` bytes (the last `tail` bytes shorter), part i starting with
/// byte i so the fake's call log names the part.
pub fn make_file(dir: &Path, name: &str, parts: u64, tail: u64) -> (PathBuf, Vec<u8>) {
    let len = parts * PART - tail;
    let data: Vec<u8> = (0..len)
        .map(|k| {
            if k % PART == 0 {
                (k / PART) as u8
            } else {
                (k * 7 % 251) as u8 + 1
            }
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::with_attempts(max_attempts)
        .delays(Duration::from_millis(1), Duration::from_millis(5))
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub journals: PathBuf,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let journals = dir.path().join("journals");
    Setup { dir, journals }
}

pub fn uploader(fake: &Arc<Fake>, s: &Setup) -> Uploader<Arc<Fake>> {
    Uploader::new(fake.clone())
        .min_part_size(1)
        .journal_dir(Some(s.journals.clone()))
        .retry_policy(fast_retries(3))
}

/// Journals in the journal dir (their lock files aside).
pub fn journal_count(s: &Setup) -> usize {
    std::fs::read_dir(&s.journals)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
        })
        .unwrap_or(0)
}
