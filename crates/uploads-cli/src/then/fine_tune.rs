//! `--then fine-tune`: start a job on the uploaded training File (its validation file uploaded
//! too when it is a local path), and with --wait follow its status and events to the end.

use std::sync::Arc;

use uploads_client::types;
use uploads_ext::after::{FineTuneRequest, FineTuning};
use uploads_ext::check::CheckOptions;
use uploads_ext::{Purpose, StopCause, UploadError, Uploader};

use super::context::{Context, StepEnd, Uploaded, unless_stopped, wait_failed};
use crate::output::{exit, fail};

/// Start the job of one uploaded training File, and with --wait follow it to the end.
pub(super) async fn run(cx: Arc<Context>, file: Uploaded) -> StepEnd {
    let end = |line: Option<String>, code: u8| StepEnd {
        order: file.order,
        line,
        code,
    };
    let step = cx.record_file(&file.source_key, &file.file_id);
    let a = &cx.args;
    let mut req = FineTuneRequest::new(a.model.clone().unwrap_or_default(), &file.file_id);
    req.method = cx.method;
    req.suffix = a.suffix.clone();
    req.seed = a.seed;
    if step.id.is_none()
        && let Some(validation) = &a.validation_file
    {
        match validation_file(&cx, validation).await {
            Ok(id) => req.validation_file = Some(id),
            Err(code) => return end(None, code),
        }
    }
    let jobs = FineTuning::new(&cx.client);
    let started = unless_stopped(
        &cx.stop,
        jobs.start(&req, cx.ledger.as_ref().map(|l| (l, step.clone()))),
    )
    .await;
    let job = match started {
        None => return end(None, exit::INTERRUPTED),
        Some(Err(e)) => return end(None, fail(exit::FAILED, format!("{}: {e}", file.label))),
        Some(Ok(j)) => j,
    };
    cx.say(&format!(
        "{}: fine-tuning job {} {}",
        file.label, job.id, job.status
    ));
    if !a.wait {
        return end(Some(line(&cx, &file, &job)), exit::OK);
    }
    let label = file.label.clone();
    let waited = unless_stopped(
        &cx.stop,
        jobs.wait(
            &job.id,
            &cx.wait_policy(),
            |_| {},
            |e| cx.say(&format!("{label}: {} [{}] {}", job.id, level(e), e.message)),
        ),
    )
    .await;
    let job = match waited {
        None => {
            cx.say(&format!(
                "stopped waiting for fine-tuning job {}; it goes on at OpenAI: run the same command again to wait on it",
                job.id
            ));
            return end(None, exit::INTERRUPTED);
        }
        Some(Err(e)) => return end(None, wait_failed(&cx, &format!("job {}", job.id), &e)),
        Some(Ok(j)) => j,
    };
    if let Some(step) = cx.ledger.as_ref().and_then(|l| l.last(&step.key)) {
        cx.close(step, &job.status.to_string());
    }
    let code = match job.status.to_string().as_str() {
        "succeeded" => {
            cx.say(&format!(
                "{}: {} succeeded: {}",
                file.label,
                job.id,
                job.fine_tuned_model.as_deref().unwrap_or("(no model name)")
            ));
            exit::OK
        }
        status => {
            let why = job
                .error
                .as_ref()
                .and_then(|e| e.message.clone())
                .unwrap_or_default();
            fail(
                exit::FAILED,
                format!(
                    "{}: fine-tuning job {} ended {status}: {why}",
                    file.label, job.id
                ),
            )
        }
    };
    end(Some(line(&cx, &file, &job)), code)
}

fn level(e: &types::FineTuningJobEvent) -> &'static str {
    match e.level {
        types::FineTuningJobEventLevel::Info => "info",
        types::FineTuningJobEventLevel::Warn => "warn",
        types::FineTuningJobEventLevel::Error => "error",
    }
}

/// The job's id, or with --json the job.
fn line(cx: &Context, file: &Uploaded, job: &types::FineTuningJob) -> String {
    if cx.json {
        serde_json::json!({"path": file.label, "file_id": file.file_id, "fine_tuning_job": job})
            .to_string()
    } else {
        job.id.clone()
    }
}

/// A File id as given, or a local file uploaded (and checked as validation data) now.
async fn validation_file(cx: &Context, given: &str) -> Result<String, u8> {
    if given.starts_with("file-") && !std::path::Path::new(given).exists() {
        return Ok(given.to_owned());
    }
    let options = CheckOptions {
        method: cx.method,
        validation: true,
        ..CheckOptions::default()
    };
    match Uploader::new(cx.client.clone())
        .file(given, Purpose::FineTune)
        .check_content(cx.check)
        .check_options(options)
        .send()
        .await
    {
        Ok(done) => {
            cx.say(&format!(
                "{given}: validation data uploaded as {}",
                done.file.id
            ));
            if let Some(check) = done.check.as_ref().filter(|_| !cx.quiet) {
                crate::check::print_warnings(given, check);
            }
            Ok(done.file.id)
        }
        Err(e) => {
            let mut message = format!("--validation-file {given}: {e}");
            if let UploadError::Stopped {
                cause: StopCause::ContentRejected { report },
                ..
            } = &e
            {
                message.push_str(&format!(
                    "\n{report}\n  no job started: fix the file, or add --no-check to upload it as it is"
                ));
            }
            Err(fail(exit::FAILED, message))
        }
    }
}
