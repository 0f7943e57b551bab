//! The work after an upload, end to end: the library's steps (`uploads_ext::after`) against
//! the local server, where batches, vector store file batches and fine-tuning jobs move
//! through their statuses on a fast clock; our own checks refuse what the service refuses;
//! a lost create answer is found, never doubled; every wait has a deadline.

use std::time::Duration;

use uploads_client::{Client, ClientConfig, types};
use uploads_ext::after::{
    AfterError, AttachOptions, BatchRequest, Batches, FineTuneRequest, FineTuning, Ledger,
    StepRecord, VectorStores, WaitPolicy,
};
use uploads_ext::{Purpose, Uploader};
use uploads_server::{Server, ServerConfig, WorkflowConfig};

async fn start(workflows: WorkflowConfig) -> (Server, Client) {
    let server = Server::start(ServerConfig {
        workflows,
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let client = ClientConfig::default()
        .api_key("sk-local")
        .base_url(server.base_url())
        .build()
        .unwrap();
    (server, client)
}

fn fast() -> WorkflowConfig {
    WorkflowConfig {
        step: Duration::from_millis(40),
        ..WorkflowConfig::default()
    }
}

fn quick_wait() -> WaitPolicy {
    WaitPolicy::with_timeout(Duration::from_secs(20))
        .intervals(Duration::from_millis(20), Duration::from_millis(100))
}

/// Uploads `content` as `name` and returns its File id.
async fn upload(
    client: &Client,
    dir: &std::path::Path,
    name: &str,
    content: &[u8],
    purpose: Purpose,
) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    Uploader::new(client.clone())
        .file(&path, purpose)
        .send()
        .await
        .unwrap()
        .file
        .id
}

fn chat_requests(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| {
            format!(
                "{{\"custom_id\":\"req-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi {i}\"}}]}}}}\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}

async fn download(client: &Client, file_id: &str) -> String {
    let mut body = client
        .download_file()
        .file_id(file_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    use futures::StreamExt;
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_batch_runs_to_completed_with_one_output_line_per_request_and_its_failures_in_the_error_file()
 {
    let (_server, client) = start(WorkflowConfig {
        fail_batch_requests_every: 4,
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file_id = upload(
        &client,
        dir.path(),
        "requests.jsonl",
        &chat_requests(10),
        Purpose::Batch,
    )
    .await;
    let batches = Batches::new(&client);
    let batch = batches
        .start(
            &BatchRequest::new(&file_id, "/v1/chat/completions")
                .metadata([("team".into(), "search".into())]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(batch.status.to_string(), "validating");
    let mut statuses = Vec::new();
    let done = batches
        .wait(&batch.id, &quick_wait(), |b| {
            let s = b.status.to_string();
            if statuses.last() != Some(&s) {
                statuses.push(s);
            }
        })
        .await
        .unwrap();
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("completed"),
        "{statuses:?}"
    );
    assert!(statuses.iter().any(|s| s == "in_progress"), "{statuses:?}");
    let counts = done.request_counts.clone().unwrap();
    assert_eq!((counts.total, counts.completed, counts.failed), (10, 8, 2));
    let metadata = done.metadata.clone().unwrap().0.unwrap();
    assert_eq!(metadata.get("team").map(String::as_str), Some("search"));

    let results = batches
        .download_results(&done, &dir.path().join("results"))
        .await
        .unwrap();
    let output = std::fs::read_to_string(results.output.unwrap()).unwrap();
    let ids: Vec<String> = output
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["custom_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "req-0", "req-1", "req-2", "req-4", "req-5", "req-6", "req-8", "req-9"
        ]
    );
    let first: serde_json::Value = serde_json::from_str(output.lines().next().unwrap()).unwrap();
    assert_eq!(first["response"]["status_code"], 200);
    assert_eq!(
        first["response"]["body"]["choices"][0]["message"]["content"],
        "stand-in response to req-0"
    );
    let errors = std::fs::read_to_string(results.errors.unwrap()).unwrap();
    let failed: Vec<serde_json::Value> = errors
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        failed
            .iter()
            .map(|e| e["custom_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["req-3", "req-7"]
    );
    assert_eq!(failed[0]["error"]["code"], "server_error");
    // The output File is a File like any other: purpose batch_output, the bytes downloaded.
    assert_eq!(
        download(&client, done.output_file_id.as_ref().unwrap()).await,
        output
    );
}

#[tokio::test]
async fn a_batch_whose_file_fails_our_check_ends_failed_with_the_line_and_reason() {
    let (_server, client) = start(fast()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut content = chat_requests(3);
    // A duplicate custom_id on line 4: the service refuses the batch.
    content.extend_from_slice(&chat_requests(1));
    let file_id = upload(&client, dir.path(), "dup.jsonl", &content, Purpose::Batch).await;
    let batches = Batches::new(&client);
    let batch = batches
        .start(&BatchRequest::new(&file_id, "/v1/chat/completions"), None)
        .await
        .unwrap();
    let done = batches
        .wait(&batch.id, &quick_wait(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status.to_string(), "failed");
    let errors = done.errors.unwrap().data;
    assert_eq!(
        errors[0].code.as_deref(),
        Some("duplicate_custom_id"),
        "{errors:?}"
    );
    assert_eq!(errors[0].line, Some(4));
    assert!(done.output_file_id.is_none());

    // A batch for another endpoint than its requests' fails too.
    let batch = batches
        .start(&BatchRequest::new(&file_id, "/v1/embeddings"), None)
        .await
        .unwrap();
    let done = batches
        .wait(&batch.id, &quick_wait(), |_| {})
        .await
        .unwrap();
    let codes: Vec<_> = done
        .errors
        .unwrap()
        .data
        .into_iter()
        .filter_map(|e| e.code)
        .collect();
    assert!(
        codes.contains(&"mismatched_endpoint".to_owned()),
        "{codes:?}"
    );
}

#[tokio::test]
async fn a_lost_batch_create_is_found_by_its_marker_and_never_doubled() {
    let (_server, client) = start(WorkflowConfig {
        lose_create_responses: 1,
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file_id = upload(
        &client,
        dir.path(),
        "r.jsonl",
        &chat_requests(2),
        Purpose::Batch,
    )
    .await;
    let ledger = Ledger::in_journal_dir(dir.path()).unwrap();
    let step = StepRecord::new("batch|r.jsonl", "batch");
    let batch = Batches::new(&client)
        .start(
            &BatchRequest::new(&file_id, "/v1/chat/completions"),
            Some((&ledger, step)),
        )
        .await
        .unwrap();
    let listed = client.list_batches().send().await.unwrap().into_inner();
    assert_eq!(
        listed.data.len(),
        1,
        "one batch, though its first answer was lost"
    );
    assert_eq!(listed.data[0].id, batch.id);
    assert_eq!(
        ledger.open_step("batch|r.jsonl").unwrap().id.as_deref(),
        Some(batch.id.as_str())
    );

    // The same step again (a re-run) sends nothing and returns the same batch.
    let again = Batches::new(&client)
        .start(
            &BatchRequest::new(&file_id, "/v1/chat/completions"),
            Some((&ledger, StepRecord::new("batch|r.jsonl", "batch"))),
        )
        .await
        .unwrap();
    assert_eq!(again.id, batch.id);
    assert_eq!(
        client
            .list_batches()
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
            .len(),
        1
    );
}

#[tokio::test]
async fn a_stuck_batch_ends_the_wait_at_its_deadline_saying_where_it_stuck() {
    let (_server, client) = start(WorkflowConfig {
        stick_at: Some("in_progress".into()),
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file_id = upload(
        &client,
        dir.path(),
        "r.jsonl",
        &chat_requests(2),
        Purpose::Batch,
    )
    .await;
    let batches = Batches::new(&client);
    let batch = batches
        .start(&BatchRequest::new(&file_id, "/v1/chat/completions"), None)
        .await
        .unwrap();
    let policy = WaitPolicy::with_timeout(Duration::from_millis(400))
        .intervals(Duration::from_millis(20), Duration::from_millis(50));
    let err = batches.wait(&batch.id, &policy, |_| {}).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("gave up waiting for batch {}", batch.id)),
        "{text}"
    );
    assert!(text.contains("(it was in_progress)"), "{text}");
    // Cancelled, it goes through cancelling to cancelled.
    let cancelling = batches.cancel(&batch.id).await.unwrap();
    assert_eq!(cancelling.status.to_string(), "cancelling");
}

#[tokio::test]
async fn two_thousand_and_one_files_go_into_one_vector_store_in_two_file_batches_and_failures_are_named()
 {
    let (server, client) = start(WorkflowConfig {
        fail_vector_store_files: 1,
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Files made through the Uploads API: 2,000 documents and one of an extension file search
    // does not take.
    let mut ids = Vec::new();
    for i in 0..1999 {
        ids.push(
            upload(
                &client,
                dir.path(),
                &format!("doc{i}.md"),
                format!("# doc {i}\n").as_bytes(),
                Purpose::Assistants,
            )
            .await,
        );
    }
    // The Uploads API refuses that extension for assistants; as user_data it is a File, and
    // the vector store then fails it.
    ids.push(
        upload(
            &client,
            dir.path(),
            "image.xyz",
            b"not searchable",
            Purpose::UserData,
        )
        .await,
    );
    ids.push(
        upload(
            &client,
            dir.path(),
            "notes.txt",
            b"last",
            Purpose::Assistants,
        )
        .await,
    );
    assert_eq!(ids.len(), 2001);
    let stores = VectorStores::new(&client);
    let store = stores.create("docs", None).await.unwrap();
    let options = AttachOptions::default();
    let first = stores
        .attach(&store.id, &ids[..2000], &options, None)
        .await
        .unwrap();
    let second = stores
        .attach(&store.id, &ids[2000..], &options, None)
        .await
        .unwrap();
    assert!(first.is_some() && second.is_some());
    // More than 2,000 in one is refused before anything is sent (not by the server).
    let refused = stores
        .attach(&store.id, &ids, &options, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, AfterError::Invalid(_)), "{refused}");

    let mut last_seen = (0, 0, 0);
    let outcomes = stores
        .wait_files(&store.id, &ids, &quick_wait(), |done, failed, busy| {
            last_seen = (done, failed, busy)
        })
        .await
        .unwrap();
    assert_eq!(last_seen, (1999, 2, 0), "the counts shown at the last poll");
    let failed: Vec<_> = outcomes.iter().filter(|o| o.status == "failed").collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed
            .iter()
            .any(|o| o.file_id == ids[1999] && o.error.as_ref().unwrap().0 == "unsupported_file")
    );
    assert!(
        failed
            .iter()
            .any(|o| o.error.as_ref().unwrap().0 == "server_error")
    );
    assert_eq!(
        outcomes.iter().filter(|o| o.status == "completed").count(),
        1999
    );
    let store = stores.retrieve(&store.id).await.unwrap();
    let counts = store.file_counts.unwrap();
    assert_eq!(
        (counts.total, counts.completed, counts.failed),
        (2001, 1999, 2)
    );
    drop(server);
}

#[tokio::test]
async fn a_fine_tuning_job_follows_its_events_to_succeeded_and_a_bad_file_fails_it() {
    let (_server, client) = start(fast()).await;
    let dir = tempfile::tempdir().unwrap();
    let example =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    let good: String = std::iter::repeat_n(format!("{example}\n"), 10).collect();
    let training = upload(
        &client,
        dir.path(),
        "train.jsonl",
        good.as_bytes(),
        Purpose::FineTune,
    )
    .await;
    let jobs = FineTuning::new(&client);
    let mut req = FineTuneRequest::new("gpt-4o-mini-2024-07-18", &training);
    req.suffix = Some("local".into());
    let job = jobs.start(&req, None).await.unwrap();
    let mut events = Vec::new();
    let done = jobs
        .wait(
            &job.id,
            &quick_wait(),
            |_| {},
            |e| events.push(e.message.clone()),
        )
        .await
        .unwrap();
    assert_eq!(done.status.to_string(), "succeeded");
    assert!(
        done.fine_tuned_model
            .as_deref()
            .unwrap()
            .starts_with("ft:gpt-4o-mini-2024-07-18:")
    );
    assert_eq!(
        events.first().map(String::as_str),
        Some(format!("Created fine-tuning job: {}", job.id).as_str())
    );
    assert_eq!(
        events.last().map(String::as_str),
        Some("The job has successfully completed")
    );
    assert_eq!(
        events.len(),
        events
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        "each event once"
    );
    assert_eq!(done.result_files.len(), 1);

    // A file of preference examples for a supervised job: our check fails it, naming why.
    let pref = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;
    let bad: String = std::iter::repeat_n(format!("{pref}\n"), 10).collect();
    let training = upload(
        &client,
        dir.path(),
        "pref.jsonl",
        bad.as_bytes(),
        Purpose::FineTune,
    )
    .await;
    let mut req = FineTuneRequest::new("gpt-4o-mini-2024-07-18", &training);
    req.method = Some(uploads_ext::check::FineTuneMethod::Supervised);
    let job = jobs.start(&req, None).await.unwrap();
    let done = jobs
        .wait(&job.id, &quick_wait(), |_| {}, |_| {})
        .await
        .unwrap();
    assert_eq!(done.status.to_string(), "failed");
    let error = done.error.unwrap();
    assert_eq!(error.code.as_deref(), Some("invalid_training_file"));
    assert!(error.message.unwrap().contains("line 1"));
    let _: Option<types::FineTuningJobError> = None;
}

#[tokio::test]
async fn a_lost_job_create_and_a_lost_vector_store_create_are_found_and_never_doubled() {
    let (_server, client) = start(WorkflowConfig {
        lose_create_responses: 2,
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_journal_dir(dir.path()).unwrap();
    // The vector store's answer is lost (the first create), then the job's (the second).
    let store = VectorStores::new(&client)
        .create(
            "docs",
            Some((
                &ledger,
                StepRecord::new("vector_store|new|docs", "vector_store"),
            )),
        )
        .await
        .unwrap();
    let stores = client
        .list_vector_stores()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stores.data.len(),
        1,
        "one store, though its answer was lost"
    );
    assert_eq!(stores.data[0].id, store.id);

    let example =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    let good: String = std::iter::repeat_n(format!("{example}\n"), 10).collect();
    let training = upload(
        &client,
        dir.path(),
        "train.jsonl",
        good.as_bytes(),
        Purpose::FineTune,
    )
    .await;
    let req = FineTuneRequest::new("gpt-4o-mini-2024-07-18", &training);
    let job = FineTuning::new(&client)
        .start(
            &req,
            Some((
                &ledger,
                StepRecord::new("fine_tune|train.jsonl", "fine_tune"),
            )),
        )
        .await
        .unwrap();
    let jobs = client
        .list_paginated_fine_tuning_jobs()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(jobs.data.len(), 1, "one job, though its answer was lost");
    assert_eq!(jobs.data[0].id, job.id);
    assert_eq!(
        ledger
            .open_step("fine_tune|train.jsonl")
            .unwrap()
            .id
            .as_deref(),
        Some(job.id.as_str())
    );
}

#[tokio::test]
async fn a_lost_file_batch_create_is_recognised_by_its_files_and_a_recorded_one_is_not_sent_again()
{
    let (_server, client) = start(WorkflowConfig {
        lose_create_responses: 2,
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::in_journal_dir(dir.path()).unwrap();
    let stores = VectorStores::new(&client);
    // The first lost answer: the store's (found by its marker).
    let store = stores.create("docs", None).await.unwrap();
    let a = upload(&client, dir.path(), "a.md", b"# a\n", Purpose::Assistants).await;
    let b = upload(&client, dir.path(), "b.md", b"# b\n", Purpose::Assistants).await;
    let options = AttachOptions::default();
    // The second: the file batch's. It was carried out: every File is attached since it was
    // sent, so it is not sent again (its id is not known: a file batch has no metadata).
    let step = StepRecord::new("file_batch|a", "file_batch");
    let lost = stores
        .attach(
            &store.id,
            std::slice::from_ref(&a),
            &options,
            Some((&ledger, step)),
        )
        .await
        .unwrap();
    assert_eq!(lost, None);
    // An answered one is recorded: the same step again returns its id and sends nothing.
    let step = StepRecord::new("file_batch|b", "file_batch");
    let sent = stores
        .attach(
            &store.id,
            std::slice::from_ref(&b),
            &options,
            Some((&ledger, step)),
        )
        .await
        .unwrap();
    assert!(
        sent.as_deref().is_some_and(|id| id.starts_with("vsfb_")),
        "{sent:?}"
    );
    let step = StepRecord::new("file_batch|b", "file_batch");
    let again = stores
        .attach(
            &store.id,
            std::slice::from_ref(&b),
            &options,
            Some((&ledger, step)),
        )
        .await
        .unwrap();
    assert_eq!(again, sent);
    let outcomes = stores
        .wait_files(&store.id, &[a, b], &quick_wait(), |_, _, _| {})
        .await
        .unwrap();
    assert!(
        outcomes.iter().all(|o| o.status == "completed"),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_wait_on_vector_store_files_stuck_in_progress_ends_at_its_deadline_saying_how_many() {
    let (_server, client) = start(WorkflowConfig {
        stick_at: Some("in_progress".into()),
        ..fast()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let a = upload(&client, dir.path(), "a.md", b"# a\n", Purpose::Assistants).await;
    let stores = VectorStores::new(&client);
    let store = stores.create("docs", None).await.unwrap();
    stores
        .attach(
            &store.id,
            std::slice::from_ref(&a),
            &AttachOptions::default(),
            None,
        )
        .await
        .unwrap();
    let policy = WaitPolicy::with_timeout(Duration::from_millis(300))
        .intervals(Duration::from_millis(20), Duration::from_millis(50));
    let mut seen = Vec::new();
    let err = stores
        .wait_files(&store.id, &[a], &policy, |done, failed, busy| {
            seen.push((done, failed, busy))
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("(it was 1 of 1 Files still in progress)"),
        "{err}"
    );
    assert_eq!(seen.last(), Some(&(0, 0, 1)));
}
