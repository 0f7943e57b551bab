//! What a failed upload prints: what went wrong, and what to do about it (resume, cancel,
//! start over, fix the file), with the exit code it earns.

use uploads_ext::{Disposition, ResumeError, StopCause, UploadError, ValidationError};

use crate::output::{exit, fail};

/// Prints what went wrong and what to do, and picks the exit code.
pub(super) fn report(
    label: Option<&str>,
    err: &UploadError,
    interrupted: bool,
    base_url: &str,
) -> u8 {
    let code = match err {
        UploadError::Invalid(_) => exit::USAGE,
        _ if interrupted => exit::INTERRUPTED,
        _ => exit::FAILED,
    };
    let mut message = match label {
        Some(l) => format!("{l}: {err}"),
        None => err.to_string(),
    };
    match err {
        UploadError::Stopped {
            cause: StopCause::ContentRejected { report },
            ..
        } => {
            message.push_str(&format!(
                "\n{report}\n  fix the file, or add --no-check to upload it as it is"
            ));
        }
        UploadError::Invalid(ValidationError::UnknownPurpose { purpose })
            if uploads_client::rules::Purpose::closest(purpose).is_none() =>
        {
            message.push_str("\n  hint: add --allow-unknown-purpose to send it anyway");
        }
        UploadError::Stopped {
            cause:
                StopCause::Refused {
                    step: uploads_ext::Step::Complete,
                    error,
                },
            ..
        } if error.body().and_then(|b| b.param.as_deref()) == Some("part_ids") => {
            message.push_str(
                "\n  the service did not take the parts recorded for this upload (a journal from another server or an older run?); the upload was cancelled and its journal removed\n  start over: run the same command again",
            );
        }
        UploadError::Stopped {
            cause: StopCause::Unreachable { .. },
            ..
        } => {
            message.push_str(&format!(
                "\n  hint: nothing answers at {base_url}: check OPENAI_BASE_URL or --base-url, and the network"
            ));
        }
        UploadError::Stopped {
            disposition: Disposition::MaybeCompleted { upload_id, .. },
            ..
        } => {
            message.push_str(&format!(
                "\n  finish: run the same command again: it asks once more and, if {upload_id} completed, finds its File\n  do not upload the file anew before that: a second File would be made"
            ));
        }
        UploadError::Stopped { .. } if err.resumable_upload().is_some() => {
            let id = err.resumable_upload().unwrap_or_default();
            message.push_str(&format!(
                "\n  resume: run the same command again\n  cancel: openai-uploads cancel {id}"
            ));
        }
        UploadError::Resume(
            ResumeError::Expired { .. }
            | ResumeError::FileChanged { .. }
            | ResumeError::OptionsChanged { .. },
        ) => {
            message.push_str("\n  start over: add --restart");
        }
        _ => {}
    }
    fail(code, message)
}
