//! Ctrl-C during an upload: the first stops cleanly (what can be resumed stays resumable),
//! the second exits at once.

use tokio_util::sync::CancellationToken;

use crate::output::exit;

/// First Ctrl-C: fire `token`, so every upload stops cleanly. Second: exit at once.
pub(super) fn spawn_handler(token: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\ninterrupted: stopping; the upload stays resumable (Ctrl-C again to exit now)");
        token.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(exit::INTERRUPTED as i32);
        }
    });
}
