//! Fine-tuning jobs: start one from uploaded Files (at most once), follow its status and events
//! to the end.

use std::collections::{HashMap, HashSet};

use uploads_client::{ApiError, Client, types};

use super::create::{Created, create_once};
use super::marker::find_marked;
use super::wait::{WaitPolicy, poll_until};
use super::{AfterError, Ledger, MARKER_KEY, StepRecord};
use crate::check::FineTuneMethod;

/// What a job is started with.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FineTuneRequest {
    /// The base model.
    pub model: String,
    /// The uploaded training File.
    pub training_file: String,
    /// The uploaded validation File.
    pub validation_file: Option<String>,
    /// How the job trains; the service's default (supervised) if `None`.
    pub method: Option<FineTuneMethod>,
    /// Up to 64 characters added to the fine-tuned model's name.
    pub suffix: Option<String>,
    /// For reproducible jobs.
    pub seed: Option<i64>,
}

impl FineTuneRequest {
    /// A job fine-tuning `model` on `training_file`.
    pub fn new(model: impl Into<String>, training_file: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            training_file: training_file.into(),
            validation_file: None,
            method: None,
            suffix: None,
            seed: None,
        }
    }

    /// The step's key in a ledger: a job on this training data with these options.
    pub fn step_key(&self, source: &str) -> String {
        format!(
            "fine_tune|{source}|{}|{:?}|{:?}|{:?}|{:?}",
            self.model, self.validation_file, self.method, self.suffix, self.seed
        )
    }
}

/// True once a job can change no more: succeeded, failed or cancelled.
pub fn is_job_final(job: &types::FineTuningJob) -> bool {
    use types::KnownFineTuningJobStatus as S;
    matches!(
        job.status.known(),
        Some(S::Succeeded | S::Failed | S::Cancelled)
    )
}

/// Fine-tuning calls on one client.
#[derive(Debug, Clone, Copy)]
pub struct FineTuning<'a> {
    client: &'a Client,
}

/// Jobs or events per page.
const PAGE: i64 = 100;

impl<'a> FineTuning<'a> {
    /// Fine-tuning calls through `client`.
    pub fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Starts the job, at most once (under `step` in a `ledger`). A suffix over 64 characters
    /// is refused before anything is sent.
    pub async fn start(
        &self,
        req: &FineTuneRequest,
        ledger: Option<(&Ledger, StepRecord)>,
    ) -> Result<types::FineTuningJob, AfterError> {
        let suffix = match &req.suffix {
            None => None,
            Some(s) => Some(
                s.parse::<types::CreateFineTuningJobRequestSuffix>()
                    .map_err(|e| {
                        AfterError::Invalid(format!("--suffix {s:?}: {e} (at most 64 characters)"))
                    })?,
            ),
        };
        let (ledger, step) = match ledger {
            Some((l, s)) => (Some(l), s),
            None => (
                None,
                StepRecord::new(req.step_key(&req.training_file), "fine_tune"),
            ),
        };
        let method = req.method.map(|m| {
            let type_ = match m {
                FineTuneMethod::Supervised => types::FineTuneMethodType::Supervised,
                FineTuneMethod::Preference => types::FineTuneMethodType::Dpo,
                FineTuneMethod::Reinforcement => types::FineTuneMethodType::Reinforcement,
            };
            types::FineTuneMethod {
                type_,
                dpo: None,
                reinforcement: None,
                supervised: None,
            }
        });
        let client = self.client;
        let (created, _) = create_once(
            ledger,
            step,
            "creating the fine-tuning job",
            |j: &types::FineTuningJob| j.id.clone(),
            |marker| {
                let metadata = HashMap::from([(MARKER_KEY.to_owned(), marker)]);
                let body = types::CreateFineTuningJobRequest::builder()
                    .model(req.model.clone())
                    .training_file(req.training_file.clone())
                    .validation_file(req.validation_file.clone())
                    .method(method.clone())
                    .suffix(suffix.clone())
                    .seed(req.seed)
                    .metadata(Some(types::Metadata(Some(metadata))));
                async move {
                    Ok(client
                        .create_fine_tuning_job()
                        .body(body)
                        .send()
                        .await?
                        .into_inner())
                }
            },
            |marker, since| self.find(marker, since),
        )
        .await?;
        match created {
            Created::New(j) | Created::Found(j) => Ok(j),
            Created::Recorded(id) => self.retrieve(&id).await,
        }
    }

    async fn find(
        &self,
        marker: String,
        since: i64,
    ) -> Result<Option<types::FineTuningJob>, ApiError> {
        let client = self.client;
        find_marked(
            &marker,
            since,
            |after| async move {
                let mut request = client.list_paginated_fine_tuning_jobs().limit(PAGE);
                if let Some(a) = after {
                    request = request.after(a);
                }
                let page = request.send().await?.into_inner();
                Ok((page.data, page.has_more))
            },
            |j| j.metadata.as_ref(),
            |j| j.created_at,
            |j| &j.id,
        )
        .await
    }

    /// The job as it is now.
    pub async fn retrieve(&self, id: &str) -> Result<types::FineTuningJob, AfterError> {
        Ok(self
            .client
            .retrieve_fine_tuning_job()
            .fine_tuning_job_id(id)
            .send()
            .await
            .map_err(|e| AfterError::api(format!("reading job {id}"))(e.into()))?
            .into_inner())
    }

    /// Asks the service to cancel the job.
    pub async fn cancel(&self, id: &str) -> Result<types::FineTuningJob, AfterError> {
        Ok(self
            .client
            .cancel_fine_tuning_job()
            .fine_tuning_job_id(id)
            .send()
            .await
            .map_err(|e| AfterError::api(format!("cancelling job {id}"))(e.into()))?
            .into_inner())
    }

    /// Waits for the job to end, giving `event` each new event once, oldest first, and
    /// `seen` each poll of the job.
    pub async fn wait(
        &self,
        id: &str,
        policy: &WaitPolicy,
        mut seen: impl FnMut(&types::FineTuningJob),
        mut event: impl FnMut(&types::FineTuningJobEvent),
    ) -> Result<types::FineTuningJob, AfterError> {
        let client = self.client;
        let shown = std::sync::Mutex::new(HashSet::<String>::new());
        let shown = &shown;
        let (job, events) = poll_until(
            policy,
            &format!("fine-tuning job {id}"),
            || async move {
                let job = client
                    .retrieve_fine_tuning_job()
                    .fine_tuning_job_id(id)
                    .send()
                    .await?
                    .into_inner();
                let events = client
                    .list_fine_tuning_events()
                    .fine_tuning_job_id(id)
                    .limit(PAGE)
                    .send()
                    .await?
                    .into_inner();
                Ok((job, events.data))
            },
            |(job, _)| is_job_final(job),
            |(job, _)| job.status.to_string(),
            |(job, events)| {
                let mut shown = shown
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for e in events.iter().rev() {
                    if shown.insert(e.id.clone()) {
                        event(e);
                    }
                }
                seen(job);
            },
        )
        .await?;
        drop(events);
        Ok(job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_final_once_it_can_change_no_more_and_its_key_names_every_option() {
        for (status, last) in [
            ("validating_files", false),
            ("queued", false),
            ("running", false),
            ("succeeded", true),
            ("failed", true),
            ("cancelled", true),
            ("paused", false),
        ] {
            let job: types::FineTuningJob = serde_json::from_value(serde_json::json!({
                "object": "fine_tuning.job", "id": "ftjob-1", "model": "m", "created_at": 1,
                "fine_tuned_model": null, "organization_id": "org", "result_files": [],
                "status": status, "validation_file": null, "training_file": "file-1",
            }))
            .unwrap();
            assert_eq!(is_job_final(&job), last, "{status}");
        }
        let req = FineTuneRequest::new("gpt-4o-mini", "file-1");
        let key = req.step_key("train.jsonl");
        assert!(
            key.starts_with("fine_tune|train.jsonl|gpt-4o-mini|"),
            "{key}"
        );
        let mut seeded = req.clone();
        seeded.seed = Some(7);
        let mut other_method = req.clone();
        other_method.method = Some(FineTuneMethod::Preference);
        assert_ne!(seeded.step_key("train.jsonl"), key);
        assert_ne!(other_method.step_key("train.jsonl"), key);
    }
}
