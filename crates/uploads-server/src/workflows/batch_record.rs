//! A batch as kept: the object answered and the moves between its statuses, with the shapes
//! of its errors and of the stand-in responses its output file holds.

use serde_json::{Value, json};
use uploads_client::types::{self, KnownBatchStatus};

use super::clock::now;

/// A batch as kept: the object answered, and whether a cancel was asked for.
#[derive(Clone)]
pub(crate) struct BatchRecord {
    pub(crate) batch: types::Batch,
    pub(crate) cancel_requested: bool,
}

impl BatchRecord {
    pub(crate) fn status(&self) -> Option<KnownBatchStatus> {
        self.batch.status.known()
    }
}

pub(crate) fn set_status(rec: &mut BatchRecord, status: KnownBatchStatus) {
    let at = Some(now());
    let b = &mut rec.batch;
    match status {
        KnownBatchStatus::InProgress => b.in_progress_at = at,
        KnownBatchStatus::Finalizing => b.finalizing_at = at,
        KnownBatchStatus::Completed => b.completed_at = at,
        KnownBatchStatus::Failed => b.failed_at = at,
        KnownBatchStatus::Cancelling => b.cancelling_at = at,
        KnownBatchStatus::Cancelled => b.cancelled_at = at,
        KnownBatchStatus::Expired => b.expired_at = at,
        KnownBatchStatus::Validating => {}
    }
    b.status = status.into();
}

pub(crate) fn error(code: &str, message: &str, line: Option<u64>) -> types::BatchError {
    types::BatchError {
        code: Some(code.to_owned()),
        message: Some(message.to_owned()),
        param: None,
        line: line.map(|l| l as i64),
    }
}

pub(crate) fn batch_errors(data: Vec<types::BatchError>) -> types::BatchErrors {
    types::BatchErrors {
        object: Some("list".into()),
        data,
    }
}

/// A response body of the endpoint's shape that says it is a stand-in, the same for the same
/// request every time.
pub(crate) fn stand_in(endpoint: &str, custom_id: &Value, body: &Value) -> Value {
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let text = format!("stand-in response to {}", custom_id.as_str().unwrap_or("?"));
    match endpoint {
        "/v1/chat/completions" => json!({
            "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }),
        "/v1/embeddings" => json!({
            "object": "list", "model": model,
            "data": [{"object": "embedding", "index": 0, "embedding": [0.0, 0.0, 0.0]}],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }),
        "/v1/responses" => json!({
            "object": "response", "model": model, "status": "completed",
            "output": [{"type": "message", "role": "assistant",
                        "content": [{"type": "output_text", "text": text}]}],
        }),
        _ => json!({"object": "stand_in", "model": model, "text": text}),
    }
}
