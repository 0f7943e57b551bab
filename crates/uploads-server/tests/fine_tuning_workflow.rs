//! Fine-tuning jobs as the server runs them, over raw HTTP: statuses and events in order, the
//! model's name, seed and results File, files that fail the job's method, cancels, paging and
//! unknown ids.

mod common;

use std::time::Duration;

use common::{Api, ids, start_workflows as start};
use serde_json::{Value, json};
use uploads_server::WorkflowConfig;

fn fast() -> WorkflowConfig {
    WorkflowConfig {
        step: Duration::from_millis(90),
        ..WorkflowConfig::default()
    }
}

const CHAT: &str =
    r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
const PREFERENCE: &str = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;

fn ten(line: &str) -> String {
    std::iter::repeat_n(format!("{line}\n"), 10).collect()
}

async fn job(api: &Api, body: Value) -> Value {
    let (status, j) = api.post("/fine_tuning/jobs", &body).await;
    assert_eq!(status, 200, "{j}");
    j
}

fn ended(j: &Value) -> bool {
    matches!(
        j["status"].as_str(),
        Some("succeeded" | "failed" | "cancelled")
    )
}

/// The messages of a job's events, oldest first, read page by page.
async fn events(api: &Api, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = format!("/fine_tuning/jobs/{id}/events?limit=3");
    loop {
        let page = api.ok(&path).await;
        let data = page["data"].as_array().unwrap().clone();
        let last = data.last().map(|e| e["id"].as_str().unwrap().to_owned());
        all.extend(data);
        match (page["has_more"].as_bool(), last) {
            (Some(true), Some(last)) => {
                path = format!("/fine_tuning/jobs/{id}/events?limit=3&after={last}");
            }
            _ => break,
        }
    }
    all.reverse();
    all
}

#[tokio::test]
async fn a_job_goes_through_each_status_to_a_named_model_with_its_events_in_order() {
    let (_s, api) = start(fast()).await;
    let training = api
        .file("train.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let validation = api
        .file("valid.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let created = job(
        &api,
        json!({"model": "gpt-4o-mini-2024-07-18", "training_file": training,
               "validation_file": validation, "suffix": "mine", "seed": 7,
               "metadata": {"run": "a"}}),
    )
    .await;
    assert_eq!(created["object"], "fine_tuning.job");
    assert_eq!(created["status"], "validating_files");
    assert_eq!(created["seed"], 7);
    assert_eq!(created["organization_id"], "org-local");
    assert_eq!(created["training_file"], training.as_str());
    assert_eq!(created["validation_file"], validation.as_str());
    assert_eq!(created["metadata"]["run"], "a");
    let id = created["id"].as_str().unwrap().to_owned();
    let (seen, done) = api.follow(&format!("/fine_tuning/jobs/{id}"), ended).await;
    assert_eq!(seen, ["validating_files", "queued", "running", "succeeded"]);
    let short: String = id.trim_start_matches("ftjob-").chars().take(8).collect();
    assert_eq!(
        done["fine_tuned_model"],
        format!("ft:gpt-4o-mini-2024-07-18:local:mine:{short}")
    );
    assert_eq!(done["trained_tokens"], 3000);
    assert!(done["finished_at"].is_i64() && done["error"].is_null());
    let results = done["result_files"][0].as_str().unwrap();
    assert_eq!(
        api.content(results).await,
        b"step,train_loss\n1,0.5000\n2,0.3333\n3,0.2500\n"
    );
    assert_eq!(
        api.ok(&format!("/files/{results}")).await["purpose"],
        "fine-tune-results"
    );

    let all = events(&api, &id).await;
    let messages: Vec<&str> = all.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            format!("Created fine-tuning job: {id}").as_str(),
            "Files validated, moving job to queued state",
            "Fine-tuning job started",
            "Step 1/3: training loss=0.5000",
            "Step 2/3: training loss=0.3333",
            "Step 3/3: training loss=0.2500",
            format!(
                "New fine-tuned model created: {}",
                done["fine_tuned_model"].as_str().unwrap()
            )
            .as_str(),
            "The job has successfully completed",
        ]
    );
    let stem = id.trim_start_matches("ftjob-");
    assert_eq!(all[0]["id"], format!("ftevent-{stem}-1"));
    assert_eq!(all[7]["id"], format!("ftevent-{stem}-8"));
    assert_eq!(all[0]["object"], "fine_tuning.job.event");
    assert_eq!(all[0]["level"], "info");
    assert_eq!(all[0]["type"], "message");

    // No seed asked: the service picks one (ours: 42); no suffix: an empty one.
    let plain = job(
        &api,
        json!({"model": "gpt-4o-mini-2024-07-18", "training_file": training}),
    )
    .await;
    assert_eq!(plain["seed"], 42);
    let plain_id = plain["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{plain_id}"), ended)
        .await;
    let short: String = plain_id
        .trim_start_matches("ftjob-")
        .chars()
        .take(8)
        .collect();
    assert_eq!(
        done["fine_tuned_model"],
        format!("ft:gpt-4o-mini-2024-07-18:local::{short}")
    );
}

#[tokio::test]
async fn a_file_that_fails_the_jobs_method_fails_the_job_naming_the_file_and_the_error() {
    let (_s, api) = start(fast()).await;
    let chat = api
        .file("chat.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let pref = api
        .file("pref.jsonl", "fine-tune", ten(PREFERENCE).as_bytes())
        .await;
    // Preference data for a supervised job: the training file fails it.
    let bad = job(&api, json!({"model": "m", "training_file": pref})).await;
    let bad_id = bad["id"].as_str().unwrap();
    let (seen, done) = api
        .follow(&format!("/fine_tuning/jobs/{bad_id}"), ended)
        .await;
    assert_eq!(seen, ["validating_files", "failed"]);
    assert_eq!(done["error"]["code"], "invalid_training_file");
    assert_eq!(done["error"]["param"], "training_file");
    let message = done["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "The job failed due to an invalid training file ({pref})."
        )),
        "{message}"
    );
    assert!(done["finished_at"].is_i64());
    let last = events(&api, bad_id).await.pop().unwrap();
    assert_eq!(last["level"], "error");
    assert_eq!(last["message"], message);

    // The same data with the preference method (dpo): it trains.
    let dpo = job(
        &api,
        json!({"model": "m", "training_file": pref,
               "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}}}),
    )
    .await;
    let dpo_id = dpo["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{dpo_id}"), ended)
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");

    // A good training file with a bad validation file: the validation file is named.
    let v = job(
        &api,
        json!({"model": "m", "training_file": chat, "validation_file": pref}),
    )
    .await;
    let v_id = v["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{v_id}"), ended)
        .await;
    assert_eq!(done["error"]["code"], "invalid_validation_file");
    assert_eq!(done["error"]["param"], "validation_file");
    assert!(
        done["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid validation file"),
        "{done}"
    );

    // Files that do not exist are refused at create, each by its name.
    for (body, param) in [
        (
            json!({"model": "m", "training_file": "file-nope"}),
            "training_file",
        ),
        (
            json!({"model": "m", "training_file": chat, "validation_file": "file-nope"}),
            "validation_file",
        ),
    ] {
        let (status, e) = api.post("/fine_tuning/jobs", &body).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error"]["param"], param);
        assert_eq!(e["error"]["message"], format!("invalid {param}: file-nope"));
    }
}

#[tokio::test]
async fn a_cancel_ends_a_job_at_once_and_once_and_jobs_are_listed_newest_first() {
    let (_s, api) = start(WorkflowConfig {
        stick_at: Some("queued".into()),
        ..fast()
    })
    .await;
    let training = api
        .file("train.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let mut made = Vec::new();
    for _ in 0..3 {
        let j = job(&api, json!({"model": "m", "training_file": training})).await;
        made.push(j["id"].as_str().unwrap().to_owned());
    }
    let id = made[0].clone();
    api.follow(&format!("/fine_tuning/jobs/{id}"), |j| {
        j["status"] == "queued"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        api.ok(&format!("/fine_tuning/jobs/{id}")).await["status"],
        "queued"
    );
    let (status, cancelled) = api
        .post(&format!("/fine_tuning/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["finished_at"].is_i64());
    let (_, again) = api
        .post(&format!("/fine_tuning/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(again["status"], "cancelled");
    let messages: Vec<String> = events(&api, &id)
        .await
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        messages
            .iter()
            .filter(|m| *m == "Fine-tuning job cancelled")
            .count(),
        1,
        "{messages:?}"
    );

    let first = api.ok("/fine_tuning/jobs?limit=2").await;
    assert_eq!(first["object"], "list");
    assert_eq!(ids(&first, "id"), [made[2].clone(), made[1].clone()]);
    assert_eq!(first["has_more"], true);
    let next = api
        .ok(&format!("/fine_tuning/jobs?limit=2&after={}", made[1]))
        .await;
    assert_eq!(ids(&next, "id"), [made[0].as_str()]);
    assert_eq!(next["has_more"], false);

    for (method, path) in [
        ("GET", "/fine_tuning/jobs/ftjob-nope"),
        ("POST", "/fine_tuning/jobs/ftjob-nope/cancel"),
        ("GET", "/fine_tuning/jobs/ftjob-nope/events"),
    ] {
        let (status, body) = match method {
            "GET" => api.get(path).await,
            _ => api.post(path, &json!({})).await,
        };
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["param"], "fine_tuning_job_id");
        assert_eq!(
            body["error"]["message"],
            "Could not find fine tune: ftjob-nope"
        );
    }
    let (status, _) = api
        .get(&format!("/fine_tuning/jobs/{id}/events?limit=101"))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_succeeded_job_is_not_cancelled_and_a_stuck_one_stays_where_it_stuck() {
    let (_s, api) = start(fast()).await;
    let training = api
        .file("train.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let id = job(&api, json!({"model": "m", "training_file": training})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.follow(&format!("/fine_tuning/jobs/{id}"), ended).await;
    let (_, answer) = api
        .post(&format!("/fine_tuning/jobs/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(answer["status"], "succeeded");

    for stuck in ["validating_files", "running"] {
        let (_s, api) = start(WorkflowConfig {
            stick_at: Some(stuck.into()),
            ..fast()
        })
        .await;
        let training = api
            .file("train.jsonl", "fine-tune", ten(CHAT).as_bytes())
            .await;
        let id = job(&api, json!({"model": "m", "training_file": training})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            api.ok(&format!("/fine_tuning/jobs/{id}")).await["status"],
            stuck
        );
    }
}

#[tokio::test]
async fn each_method_checks_its_own_shape_and_a_short_validation_file_is_taken() {
    let (_s, api) = start(fast()).await;
    // Prompts without a reply: reinforcement data, not supervised data.
    let prompts = api
        .file(
            "prompts.jsonl",
            "fine-tune",
            ten(r#"{"messages":[{"role":"user","content":"2+2?"}]}"#).as_bytes(),
        )
        .await;
    let grader = json!({"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                        "reference": "4", "operation": "eq"});
    let rl = job(
        &api,
        json!({"model": "o4-mini", "training_file": prompts,
               "method": {"type": "reinforcement", "reinforcement": {"grader": grader}}}),
    )
    .await;
    let rl_id = rl["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{rl_id}"), ended)
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let sft = job(&api, json!({"model": "m", "training_file": prompts})).await;
    let sft_id = sft["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{sft_id}"), ended)
        .await;
    assert_eq!(done["error"]["code"], "invalid_training_file", "{done}");

    // Ten examples are the training file's minimum, not the validation file's.
    let training = api
        .file("train.jsonl", "fine-tune", ten(CHAT).as_bytes())
        .await;
    let one = api
        .file("one.jsonl", "fine-tune", format!("{CHAT}\n").as_bytes())
        .await;
    let id = job(
        &api,
        json!({"model": "m", "training_file": training, "validation_file": one}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, done) = api.follow(&format!("/fine_tuning/jobs/{id}"), ended).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let short = job(&api, json!({"model": "m", "training_file": one})).await;
    let short_id = short["id"].as_str().unwrap();
    let (_, done) = api
        .follow(&format!("/fine_tuning/jobs/{short_id}"), ended)
        .await;
    assert_eq!(done["status"], "failed", "{done}");
}
