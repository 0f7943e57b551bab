//! A fine-tuning job as kept: the object answered, its events, and the suffix of its model.

use uploads_client::types::{self, KnownFineTuningJobStatus};

use super::clock::now;

/// A job as kept: the object answered, its events (oldest first), whether a cancel was asked.
pub(crate) struct JobRecord {
    pub(crate) job: types::FineTuningJob,
    pub(crate) events: Vec<types::FineTuningJobEvent>,
    /// The `suffix` asked for, part of the fine-tuned model's name.
    pub(crate) suffix: Option<String>,
    pub(crate) cancel_requested: bool,
}

impl JobRecord {
    pub(crate) fn new(job: types::FineTuningJob, suffix: Option<String>) -> Self {
        let mut rec = Self {
            job,
            events: Vec::new(),
            suffix,
            cancel_requested: false,
        };
        rec.event(
            types::FineTuningJobEventLevel::Info,
            format!("Created fine-tuning job: {}", rec.job.id),
        );
        rec
    }

    pub(crate) fn event(&mut self, level: types::FineTuningJobEventLevel, message: String) {
        let n = self.events.len() + 1;
        self.events.push(types::FineTuningJobEvent {
            id: format!("ftevent-{}-{n}", self.job.id.trim_start_matches("ftjob-")),
            object: types::FineTuningJobEventObject::FineTuningJobEvent,
            created_at: now(),
            level,
            message,
            data: None,
            type_: Some(types::FineTuningJobEventType::Message),
        });
    }

    pub(crate) fn status(&self) -> Option<KnownFineTuningJobStatus> {
        self.job.status.known()
    }
}
