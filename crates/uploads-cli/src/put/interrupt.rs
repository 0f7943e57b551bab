//! Ctrl-C during an upload: the first stops cleanly (what can be resumed stays resumable),
//! the second exits at once.

use tokio_util::sync::CancellationToken;

use crate::output::exit;

/// First Ctrl-C: fire `token`, so every upload stops cleanly, saying what becomes of them:
/// with a journal they stay resumable; without one (`--local`, stdin, no journal directory)
/// nothing could resume them, so they are cancelled. Second: exit at once.
pub(super) fn spawn_handler(token: CancellationToken, journaled: bool) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\n{}", first_interrupt_line(journaled));
        token.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(exit::INTERRUPTED as i32);
        }
    });
}

fn first_interrupt_line(journaled: bool) -> &'static str {
    if journaled {
        "interrupted: stopping; what was sent stays resumable (Ctrl-C again to exit now)"
    } else {
        "interrupted: stopping; with no journal nothing can resume it, so it is cancelled (Ctrl-C again to exit now)"
    }
}

#[cfg(test)]
mod tests {
    use super::first_interrupt_line;

    #[test]
    fn resumable_is_said_only_with_a_journal() {
        assert!(first_interrupt_line(true).contains("stays resumable"));
        assert!(!first_interrupt_line(false).contains("resumable"));
        assert!(first_interrupt_line(false).contains("cancelled"));
    }
}
