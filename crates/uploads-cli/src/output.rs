//! What every command prints the same way: errors on stderr, text made safe for a terminal,
//! the exit codes, and where logs go.

/// Exit codes, as documented in `--help`.
pub(crate) mod exit {
    pub(crate) const OK: u8 = 0;
    pub(crate) const FAILED: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const INTERRUPTED: u8 = 130;
    /// stdout was closed by its reader (`| head`): the command stopped as an interrupt stops
    /// it (128 + SIGPIPE, what a shell shows for a program a closed pipe ended).
    pub(crate) const STDOUT_CLOSED: u8 = 141;
}

/// stdout takes no more lines: its reader closed the pipe, or a write failed (a full disk).
/// The command stops as an interrupt stops it, and exits with `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StdoutLost {
    /// [`exit::STDOUT_CLOSED`] for a closed pipe; [`exit::FAILED`] for a write that failed,
    /// which a script must not take for a reader that had seen enough.
    pub(crate) code: u8,
}

/// Writes one line to stdout. A closed pipe is not a panic (as `println!` makes it) but
/// [`StdoutLost`], for the command to stop cleanly; another write error is said on stderr
/// and stops it alike, with exit 1.
pub(crate) fn out(line: impl std::fmt::Display) -> Result<(), StdoutLost> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutLost {
            code: exit::STDOUT_CLOSED,
        }),
        Err(e) => {
            eprintln!("error: writing to stdout: {e}");
            Err(StdoutLost { code: exit::FAILED })
        }
    }
}

/// Prints `error: ...` to stderr and returns the exit code.
pub(crate) fn fail(code: u8, message: impl std::fmt::Display) -> u8 {
    say(&format!("error: {}", shown(&message.to_string())));
    code
}

/// The progress bars on screen, if any: lines printed while they are drawn go above them.
static BARS: std::sync::Mutex<Option<indicatif::MultiProgress>> = std::sync::Mutex::new(None);

/// Progress bars are drawn on `multi` from now on.
pub(crate) fn bars_drawn_on(multi: indicatif::MultiProgress) {
    *BARS.lock().unwrap_or_else(|p| p.into_inner()) = Some(multi);
}

/// A line to stderr that survives the bars' redraw: with bars on screen it is printed with
/// them hidden, then they are drawn again below it.
pub(crate) fn say(line: &str) {
    let bars = BARS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match bars {
        Some(multi) => multi.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// Text for a terminal: control characters (in a filename, say) and the invisible marks that
/// reorder or hide text (U+202E and its kin) escaped, so a name cannot move the cursor,
/// recolour the screen or show itself backwards; line breaks kept.
pub(crate) fn shown(text: &str) -> String {
    escaped(text, |c| c == '\n')
}

/// A name (a path, a model) for one line of a report: as [`shown`], and a line break in it
/// escaped too, so it cannot split or forge report lines.
pub(crate) fn name_shown(text: &str) -> String {
    escaped(text, |_| false)
}

fn escaped(text: &str, keep: impl Fn(char) -> bool) -> String {
    text.chars()
        .map(|c| {
            if (c.is_control() || uploads_ext::check::is_hidden_mark(c)) && !keep(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Logs to stderr, filtered by `OPENAI_UPLOADS_LOG` if it is set and valid, else by `default`.
pub(crate) fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("OPENAI_UPLOADS_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
