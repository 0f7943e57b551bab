//! What crosses back to Python as JSON: progress events, the completed Upload (the server's
//! object, nested File included) and a failure with what a caller acts on.

use serde_json::{Value, json};
use uploads_ext::{Completed, Event, StopCause, UploadError};

/// A progress event, as the Python side hands it to a `progress` callable.
pub(crate) fn event(e: &Event) -> Value {
    match e {
        Event::Started {
            upload_id,
            filename,
            bytes,
            parts,
            parts_done,
            bytes_done,
        } => json!({"type": "started", "upload_id": upload_id, "filename": filename,
            "bytes": bytes, "parts": parts, "parts_done": parts_done, "bytes_done": bytes_done}),
        Event::BytesSent { bytes } => json!({"type": "bytes_sent", "bytes": bytes}),
        Event::PartRestarted { index, bytes_lost } => {
            json!({"type": "part_restarted", "index": index, "bytes_lost": bytes_lost})
        }
        Event::PartDone {
            index,
            part_id,
            len,
        } => json!({"type": "part_done", "index": index, "part_id": part_id, "bytes": len}),
        Event::RetryScheduled {
            part,
            attempt,
            wait,
            reason,
        } => json!({"type": "retry", "part": part, "attempt": attempt,
            "wait": wait.as_secs_f64(), "reason": reason}),
        Event::Warning { message } => json!({"type": "warning", "message": message}),
        Event::Completing => json!({"type": "completing"}),
        Event::Completed { file_id } => json!({"type": "completed", "file_id": file_id}),
        other => json!({"type": "other", "text": format!("{other:?}")}),
    }
}

/// The completed Upload as the server sent it (its File nested), and what the engine knows
/// besides.
pub(crate) fn completed(done: &Completed) -> Value {
    let mut upload = serde_json::to_value(&done.upload).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut upload {
        map.insert(
            "file".into(),
            serde_json::to_value(&done.file).unwrap_or(Value::Null),
        );
    }
    json!({
        "upload": upload,
        "md5": done.md5,
        "parts_sent": done.parts_sent,
        "parts_resumed": done.parts_resumed,
        "recovered": done.recovered,
        "check": done.check,
    })
}

/// A failure: its message, the HTTP status and request id of the service's answer if one
/// caused it, the upload left (and whether a resume can finish it), the check's report.
pub(crate) fn failed(e: &UploadError) -> Value {
    let (status, request_id, report, kind) = match e {
        UploadError::Invalid(_) => (None, None, None, "invalid"),
        UploadError::Resume(_) => (None, None, None, "resume"),
        UploadError::Stopped { cause, .. } => {
            let api = cause.api_error();
            let report = match cause {
                StopCause::ContentRejected { report } => serde_json::to_value(report).ok(),
                _ => None,
            };
            (
                api.and_then(|a| a.status()),
                api.and_then(|a| a.body())
                    .and_then(|b| b.request_id.clone()),
                report,
                match cause {
                    StopCause::Interrupted => "interrupted",
                    StopCause::ContentRejected { .. } => "content_rejected",
                    _ => "stopped",
                },
            )
        }
        _ => (None, None, None, "other"),
    };
    let upload_id = match e {
        UploadError::Stopped { disposition, .. } => disposition.upload_id().map(str::to_owned),
        _ => None,
    };
    json!({
        "message": e.to_string(),
        "kind": kind,
        "status": status,
        "request_id": request_id,
        "upload_id": upload_id,
        "resumable": e.resumable_upload().is_some(),
        "report": report,
    })
}
