//! A lost complete's File is found by listing, and the Files list cannot tell two files of
//! one name and size apart: the search never takes a File another upload of the run made (or
//! a manifest recorded), and with several candidates left it names them instead of guessing.
//! Against the local server, with completes whose responses are lost on cue.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::sync::Notify;
use uploads_client::{ApiError, Client, ClientConfig, PartData, types};
use uploads_ext::{
    CreateRequest, Disposition, FilePage, Purpose, RetryPolicy, UploadApi, UploadError, Uploader,
};
use uploads_server::{Server, ServerConfig};

use uploads_client::checksum::md5_hex;

/// The real client, except that the first `lose` completes are carried out and then answered
/// as a lost response, once `hold` completes in all have been carried out: so each lost
/// upload's search runs when every other File of the test already exists.
struct LosingCompletes {
    inner: Client,
    lose: usize,
    hold: usize,
    calls: AtomicUsize,
    done: AtomicUsize,
    carried_out: Notify,
    /// Whether a lost complete was carried out before its answer was lost (else it never
    /// reached the service).
    lost_arrived: bool,
    /// How long the first answer that is not lost is held back after its complete is carried
    /// out (later ones, such as a lost one's retry, are not).
    answer_delay: Duration,
}

impl LosingCompletes {
    fn new(inner: Client, lose: usize, hold: usize) -> Self {
        Self {
            inner,
            lose,
            hold,
            calls: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            carried_out: Notify::new(),
            answer_delay: Duration::ZERO,
            lost_arrived: true,
        }
    }
}

impl UploadApi for LosingCompletes {
    fn endpoint(&self) -> String {
        self.inner.endpoint()
    }
    async fn create(&self, req: CreateRequest) -> Result<types::Upload, ApiError> {
        self.inner.create(req).await
    }
    async fn put_part(
        &self,
        upload_id: &str,
        body: PartData,
    ) -> Result<types::UploadPart, ApiError> {
        self.inner.put_part(upload_id, body).await
    }
    async fn complete(
        &self,
        upload_id: &str,
        part_ids: Vec<String>,
        md5: Option<String>,
    ) -> Result<types::Upload, ApiError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = if n >= self.lose || self.lost_arrived {
            let answer = self.inner.complete(upload_id, part_ids, md5).await;
            self.done.fetch_add(1, Ordering::SeqCst);
            self.carried_out.notify_waiters();
            Some(answer)
        } else {
            None
        };
        if let (true, Some(answer)) = (n >= self.lose, answer) {
            if n == self.lose {
                tokio::time::sleep(self.answer_delay).await;
            }
            return answer;
        }
        let all = async {
            loop {
                let notified = self.carried_out.notified();
                if self.done.load(Ordering::SeqCst) >= self.hold {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), all)
            .await
            .expect("the other completes were carried out");
        Err(common::lost_response().await)
    }
    async fn cancel(&self, upload_id: &str) -> Result<types::Upload, ApiError> {
        self.inner.cancel(upload_id).await
    }
    async fn list_files(
        &self,
        purpose: &Purpose,
        after: Option<&str>,
    ) -> Result<FilePage, ApiError> {
        UploadApi::list_files(&self.inner, purpose, after).await
    }
}

/// Two files of one name and size, different bytes.
fn twins(dir: &std::path::Path) -> [(std::path::PathBuf, Vec<u8>); 2] {
    [b'a', b'b'].map(|c| {
        let sub = dir.join(char::from(c).to_string());
        std::fs::create_dir_all(&sub).unwrap();
        let path = sub.join("x.txt");
        let data = vec![c; 3000];
        std::fs::write(&path, &data).unwrap();
        (path, data)
    })
}

async fn start() -> (Server, Client) {
    let server = Server::start(ServerConfig::default()).await.unwrap();
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()
        .unwrap();
    (server, client)
}

fn fast<A: UploadApi>(up: Uploader<A>) -> Uploader<A> {
    up.min_part_size(1).retry_policy(
        RetryPolicy::with_attempts(2).delays(Duration::from_millis(5), Duration::from_millis(10)),
    )
}

async fn download(client: &Client, file_id: &str) -> Vec<u8> {
    let stream = client
        .download_file()
        .file_id(file_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_inner();
    stream
        .try_fold(Vec::new(), |mut acc, b| async move {
            acc.extend_from_slice(&b);
            Ok(acc)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_lost_complete_never_reports_the_file_another_upload_of_the_run_made() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_data), (b, b_data)] = twins(dir.path());
    let (server, client) = start().await;
    // The first complete's answer is lost once both Files exist: the other's is the newest
    // File of that name and size.
    let api = LosingCompletes::new(client.clone(), 1, 2);
    let up = fast(Uploader::new(api));
    let (x, y) = tokio::join!(
        up.file(&a, Purpose::Assistants).part_size(1000).send(),
        up.file(&b, Purpose::Assistants).part_size(1000).send(),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_ne!(x.file.id, y.file.id, "each upload its own File");
    assert!(x.recovered || y.recovered, "one answer was lost");
    assert_eq!(
        md5_hex(&download(&client, &x.file.id).await),
        md5_hex(&a_data)
    );
    assert_eq!(
        md5_hex(&download(&client, &y.file.id).await),
        md5_hex(&b_data)
    );
    assert_eq!(server.stats().uploads_cancelled, 0);
}

#[tokio::test]
async fn a_search_waits_for_the_completes_in_flight_to_claim_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_data), (b, b_data)] = twins(dir.path());
    let (_server, client) = start().await;
    // The first answer is lost once both Files exist; the second arrives only later, so the
    // search first finds two Files of that name and size, one of them not yet claimed.
    let api = LosingCompletes {
        answer_delay: Duration::from_millis(500),
        ..LosingCompletes::new(client.clone(), 1, 2)
    };
    let up = fast(Uploader::new(api));
    let (x, y) = tokio::join!(
        up.file(&a, Purpose::Assistants).part_size(1000).send(),
        up.file(&b, Purpose::Assistants).part_size(1000).send(),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(
        x.recovered != y.recovered,
        "one answer was lost, one came late"
    );
    for (done, data) in [(&x, &a_data), (&y, &b_data)] {
        assert_eq!(
            md5_hex(&download(&client, &done.file.id).await),
            md5_hex(data)
        );
    }
}

#[tokio::test]
async fn a_lost_complete_never_takes_the_file_of_a_complete_still_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, _), (b, b_data)] = twins(dir.path());
    let (server, client) = start().await;
    // a's complete never reaches the service; b's is carried out and its answer comes late:
    // when a's search lists, the one File of that name and size is b's, not yet claimed.
    let api = LosingCompletes {
        lost_arrived: false,
        answer_delay: Duration::from_millis(500),
        ..LosingCompletes::new(client.clone(), 1, 1)
    };
    let up = Uploader::new(api)
        .min_part_size(1)
        .retry_policy(RetryPolicy::with_attempts(1));
    let (x, y) = tokio::join!(
        up.file(&a, Purpose::Assistants).part_size(1000).send(),
        async {
            // b's complete is sent second.
            tokio::time::sleep(Duration::from_millis(100)).await;
            up.file(&b, Purpose::Assistants)
                .part_size(1000)
                .send()
                .await
        },
    );
    let y = y.unwrap();
    assert_eq!(
        md5_hex(&download(&client, &y.file.id).await),
        md5_hex(&b_data)
    );
    match x {
        Ok(x) => panic!("a was given {} (b's is {})", x.file.id, y.file.id),
        Err(e) => assert!(!e.to_string().contains(&y.file.id), "{e}"),
    }
    assert_eq!(server.stats().uploads_completed, 1);
}

#[tokio::test]
async fn a_file_a_manifest_recorded_is_never_a_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, a_data), (b, _)] = twins(dir.path());
    let (_server, client) = start().await;
    // An earlier run uploaded b: its File is recorded.
    let earlier = fast(Uploader::new(client.clone()))
        .file(&b, Purpose::Assistants)
        .send()
        .await
        .unwrap();
    // This run uploads a, whose answer is lost; b's File (same name and size, and within the
    // same second or not) is never taken for it.
    let api = LosingCompletes::new(client.clone(), 1, 1);
    let done = fast(Uploader::new(api))
        .claimed_files([earlier.file.id.clone()])
        .file(&a, Purpose::Assistants)
        .send()
        .await
        .unwrap();
    assert!(done.recovered);
    assert_ne!(done.file.id, earlier.file.id);
    assert_eq!(
        md5_hex(&download(&client, &done.file.id).await),
        md5_hex(&a_data)
    );
}

#[tokio::test]
async fn several_candidates_are_named_not_guessed_between() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, _), (b, _)] = twins(dir.path());
    let (server, client) = start().await;
    // Two separate runs (no shared claims), both answers lost once both Files exist: neither
    // can tell which File is its own.
    let api = Arc::new(LosingCompletes::new(client.clone(), 2, 2));
    let (x, y) = tokio::join!(
        fast(Uploader::new(api.clone()))
            .file(&a, Purpose::Assistants)
            .send(),
        fast(Uploader::new(api.clone()))
            .file(&b, Purpose::Assistants)
            .send(),
    );
    for result in [x, y] {
        let err = result.unwrap_err();
        let UploadError::Stopped { disposition, .. } = &err else {
            panic!("{err:?}")
        };
        let Disposition::MaybeCompleted { candidates, .. } = disposition else {
            panic!("{disposition:?}")
        };
        assert_eq!(candidates.len(), 2, "{err}");
        for id in candidates {
            assert!(err.to_string().contains(id.as_str()), "{err}");
        }
        assert!(
            err.to_string()
                .contains("may have completed as one of the Files"),
            "{err}"
        );
    }
    assert_eq!(server.stats().uploads_cancelled, 0);
    assert_eq!(server.stats().uploads_completed, 2);
}
