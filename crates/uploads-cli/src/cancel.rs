//! `openai-uploads cancel UPLOAD_ID`.

use clap::Args;
use uploads_client::ApiError;

use crate::connect::{Globals, client_from_env};
use crate::output::{exit, fail, out};

/// Cancel a pending upload (and forget its resume journal).
#[derive(Args)]
pub struct CancelArgs {
    /// The upload to cancel, e.g. upload_abc123.
    upload_id: String,
    /// API base URL (default: OPENAI_BASE_URL, else https://api.openai.com/v1).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

pub async fn run(args: CancelArgs, globals: Globals) -> u8 {
    // An upload a journal knows goes to the endpoint it was made against (a local server,
    // say), unless --base-url says otherwise.
    let journal_endpoint = globals
        .journal_dir
        .as_deref()
        .and_then(|dir| uploads_ext::journal::list(dir).ok())
        .and_then(|entries| {
            entries
                .into_iter()
                .find(|(_, e)| e.upload_id == args.upload_id)
                .map(|(_, e)| e.endpoint)
        });
    let base_url = args.base_url.clone().or_else(|| {
        let endpoint = journal_endpoint.clone()?;
        eprintln!(
            "{}: at {endpoint}, where its journal says it was made",
            args.upload_id
        );
        Some(endpoint)
    });
    let client = match client_from_env(base_url.as_deref(), &globals) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = client
        .cancel_upload()
        .upload_id(&args.upload_id)
        .send()
        .await;
    let status = match result.map_err(ApiError::from) {
        Ok(u) => u.into_inner().status.to_string(),
        // Cancelled already: what was asked for holds.
        Err(e) if e.is_already_cancelled() => "cancelled".to_owned(),
        Err(e) => {
            return fail(exit::FAILED, format!("cancelling {}: {e}", args.upload_id));
        }
    };
    if let Some(dir) = globals.journal_dir
        && let Ok(entries) = uploads_ext::journal::list(&dir)
    {
        for (path, entry) in entries {
            if entry.upload_id == args.upload_id {
                // Its journal and lock file both go; one a running put holds stays.
                let _ = uploads_ext::journal::remove_unused(&path);
            }
        }
    }
    if let Err(lost) = out(format!("{} {status}", args.upload_id)) {
        return lost.code;
    }
    exit::OK
}
