//! What a failed upload prints: what went wrong, and what to do about it (resume, cancel,
//! start over, fix the file), with the exit code it earns.

use uploads_ext::{Disposition, ResumeError, StopCause, UploadError};

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
    // The label once: an error that names the file already is not prefixed with it again.
    let mut message = match label {
        Some(l) if !err.to_string().starts_with(l) => format!("{l}: {err}"),
        _ => err.to_string(),
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
            cause: StopCause::Unreachable { error, .. },
            ..
        } => {
            // rustls says "InvalidContentType" and "corrupt message"; OpenSSL-based stacks say
            // "wrong version number".
            let text = format!("{error:?}");
            let plain_http = text.contains("InvalidContentType")
                || text.contains("corrupt message")
                || text.contains("wrong version number");
            message.push_str(&match proxy_for(base_url) {
                _ if plain_http && base_url.starts_with("https://") => format!(
                    "\n  hint: the server at {base_url} answers in plain HTTP, not TLS: use {}",
                    base_url.replacen("https://", "http://", 1)
                ),
                Some(var) => format!(
                    "\n  hint: requests to {base_url} go through the proxy set in {var}, and it did not connect: check {var} (or NO_PROXY), and the network"
                ),
                None => format!(
                    "\n  hint: nothing answers at {base_url}: check OPENAI_BASE_URL or --base-url, and the network"
                ),
            });
        }
        UploadError::Stopped {
            cause:
                StopCause::Refused {
                    step: uploads_ext::Step::Create,
                    error,
                },
            ..
        } if error.status() == Some(404) && !base_url.trim_end_matches('/').ends_with("/v1") => {
            message.push_str(&format!(
                "\n  hint: the base URL {base_url} has no /v1: the API is under it, like https://api.openai.com/v1"
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

/// The proxy variable requests to `base_url` go through, if one is set (loopback never does).
fn proxy_for(base_url: &str) -> Option<&'static str> {
    let loopback = ["://127.", "://localhost", "://[::1]"]
        .iter()
        .any(|p| base_url.contains(p));
    if loopback {
        return None;
    }
    let names: &[&'static str] = if base_url.starts_with("https://") {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    names
        .iter()
        .copied()
        .find(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
}
