//! `openai-uploads pending`: the resumable uploads recorded in the journals.

use std::path::PathBuf;

use clap::Args;

use uploads_ext::JournalEntry;
use uploads_ext::journal;

use crate::output::{exit, fail, out};

/// List interrupted uploads that can be resumed (by running the same `put` again).
#[derive(Args)]
pub struct PendingArgs {
    /// One JSON document per upload instead of a table.
    #[arg(long)]
    json: bool,
    /// Remove the journals of uploads that have expired (they can no longer be resumed), and
    /// lock files no journal goes with. A journal whose complete was sent is kept: its File
    /// may exist, and `put` finds it.
    #[arg(long)]
    prune: bool,
}

pub fn run(args: PendingArgs, journal_dir: Option<PathBuf>) -> u8 {
    let Some(dir) = journal_dir else {
        return fail(
            exit::USAGE,
            "no journal directory: set --journal-dir, OPENAI_UPLOADS_JOURNAL_DIR, XDG_STATE_HOME or HOME",
        );
    };
    let entries = match uploads_ext::journal::list(&dir) {
        Ok(e) => e,
        Err(e) => return fail(exit::FAILED, format!("reading {}: {e}", dir.display())),
    };
    let now = uploads_client::rules::unix_now();
    if args.prune {
        return prune(&dir, entries, now);
    }
    if args.json {
        for (_, e) in &entries {
            let doc = serde_json::json!({
                "upload_id": e.upload_id,
                "file": e.path,
                "filename": e.filename,
                "purpose": e.purpose,
                "bytes": e.size,
                "parts_done": e.parts.len(),
                "parts": e.total_parts,
                "bytes_done": e.bytes_done(),
                "expires_at": e.expires_at,
                "seconds_left": e.expires_at.saturating_sub(now).max(0),
                "endpoint": e.endpoint,
                "complete_sent": e.complete_sent,
                "expired": is_expired(e, now),
            });
            if let Err(lost) = out(doc) {
                return lost.code;
            }
        }
        return exit::OK;
    }
    if entries.is_empty() {
        eprintln!("no resumable uploads in {}", dir.display());
        return exit::OK;
    }
    if let Err(lost) = out(format!(
        "{:<40} {:>11} {:>10}  FILE",
        "UPLOAD", "PARTS", "LEFT"
    )) {
        return lost.code;
    }
    for (_, e) in &entries {
        let left = e.expires_at.saturating_sub(now);
        let left = if e.complete_sent {
            // It may be done: expiry no longer tells; the same put finds out.
            "completing".to_owned()
        } else if is_expired(e, now) {
            "expired".to_owned()
        } else {
            format!("{}m{:02}s", left / 60, left % 60)
        };
        let row = format!(
            "{:<40} {:>11} {:>10}  {}",
            e.upload_id,
            format!("{}/{}", e.parts.len(), e.total_parts),
            left,
            crate::output::shown(&e.path.display().to_string())
        );
        if let Err(lost) = out(row) {
            return lost.code;
        }
    }
    if entries.iter().any(|(_, e)| is_expired(e, now)) {
        eprintln!(
            "expired uploads cannot be resumed: `openai-uploads pending --prune` removes their journals"
        );
    }
    exit::OK
}

/// Expired, and nothing left to find: complete was never sent.
fn is_expired(e: &JournalEntry, now: i64) -> bool {
    !e.complete_sent && e.expires_at <= now
}

/// Removes the journals of expired uploads, each under its lock (one in use is skipped), and
/// lock files no journal goes with.
fn prune(dir: &std::path::Path, entries: Vec<(PathBuf, JournalEntry)>, now: i64) -> u8 {
    let mut code = exit::OK;
    let mut removed = 0;
    for (path, e) in entries.iter().filter(|(_, e)| is_expired(e, now)) {
        match journal::remove_unused(path) {
            Ok(journal::Removal::InUse) => {
                eprintln!(
                    "kept {}: a put is using it",
                    crate::output::shown(&e.path.display().to_string())
                );
            }
            Ok(_) => {
                removed += 1;
                // The journal is gone either way; a closed stdout only loses the line.
                let _ = out(format!(
                    "removed {} ({}, expired)",
                    e.upload_id,
                    crate::output::shown(&e.path.display().to_string())
                ));
            }
            Err(err) => code = fail(exit::FAILED, format!("removing {}: {err}", path.display())),
        }
    }
    eprintln!("{removed} expired journal(s) removed");
    match journal::remove_orphan_locks(dir) {
        Ok(0) => {}
        Ok(n) => eprintln!("{n} lock file(s) without a journal removed"),
        Err(err) => {
            code = fail(
                exit::FAILED,
                format!("removing lock files in {}: {err}", dir.display()),
            )
        }
    }
    code
}
