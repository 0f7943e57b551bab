//! `put` in a real terminal: the binary runs in a pseudo-terminal of 120x30 with bars drawn,
//! and a terminal emulator reads what is left on screen and in the scrollback.

use std::io::Read;
use std::path::Path;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use uploads_e2e::Serve;

const BIN: &str = env!("CARGO_BIN_EXE_openai-uploads");

/// What a command left in a terminal.
struct Terminal {
    code: u32,
    /// Every line the terminal shows or scrolled past, as an emulator renders them.
    lines: Vec<String>,
    /// The last screen.
    last: Vec<String>,
    /// Everything written, redrawn bars included, without its escape sequences.
    raw: String,
}

/// `text` without its CSI escape sequences (colours, cursor moves, line clears).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                chars.by_ref().find(|c| ('@'..='~').contains(c));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `args` in a 120x30 terminal.
fn in_terminal(args: &[&str], env: &[(&str, &str)]) -> Terminal {
    let (rows, cols) = (30, 120);
    let pty = native_pty_system()
        .openpty(PtySize {
            rows,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(args);
    for var in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_UPLOADS_LOG"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut raw = Vec::new();
    let read = std::thread::spawn(move || {
        let _ = reader.read_to_end(&mut raw);
        raw
    });
    let status = child.wait().unwrap();
    drop(pty.master);
    let raw = read.join().unwrap();
    let mut screen = vt100::Parser::new(rows, cols, 100_000);
    screen.process(&raw);
    // Everything scrolled past, then the screen.
    let mut lines = Vec::new();
    let total = {
        screen.screen_mut().set_scrollback(usize::MAX);
        screen.screen().scrollback()
    };
    for offset in (1..=total).rev() {
        screen.screen_mut().set_scrollback(offset);
        lines.push(screen.screen().rows(0, cols).next().unwrap_or_default());
    }
    screen.screen_mut().set_scrollback(0);
    let last: Vec<String> = screen.screen().rows(0, cols).collect();
    lines.extend(last.iter().cloned());
    Terminal {
        code: status.exit_code(),
        lines,
        last,
        raw: plain(&String::from_utf8_lossy(&raw)),
    }
}

#[test]
fn every_failure_reason_stays_on_screen_and_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for i in 0..200 {
        let name = if i % 3 == 0 {
            format!("f{i:02}.log")
        } else {
            format!("f{i:02}.txt")
        };
        std::fs::write(corpus.join(name), vec![b'x'; 2000 + i]).unwrap();
    }
    let failing = (0..200).filter(|i| i % 3 == 0).count();
    // 200 files, a third refused at create; a round trip of 30 ms: bars are redrawn while the failures are printed.
    let server = Serve::start(Path::new(BIN), &["--latency", "30ms"]);
    let journals = dir.path().join("j");
    let Terminal {
        code, lines, last, ..
    } = in_terminal(
        &[
            "put",
            "-p",
            "assistants",
            "-j",
            "4",
            corpus.to_str().unwrap(),
        ],
        &[
            ("OPENAI_API_KEY", "sk-local"),
            ("OPENAI_BASE_URL", &server.url),
            ("OPENAI_UPLOADS_JOURNAL_DIR", journals.to_str().unwrap()),
        ],
    );
    assert_eq!(code, 1);
    let text = lines.join("\n");
    let errors = lines
        .iter()
        .filter(|l| l.starts_with("error: ") && l.contains(".log") && l.contains("HTTP 400"))
        .count();
    assert_eq!(errors, failing, "every reason is still on screen:\n{text}");
    let summary = lines
        .iter()
        .filter(|l| l.starts_with("failed: ") && l.contains(".log: "))
        .count();
    assert_eq!(
        summary, failing,
        "the summary names each with its reason:\n{text}"
    );
    assert!(
        text.contains(&format!(
            "{} of 200 uploaded, {failing} failed",
            200 - failing
        )),
        "{text}"
    );
    // Every bar drawn fits its row: label, bar, bytes, rate and ETA on one line, unwrapped.
    for bar in lines
        .iter()
        .filter(|l| l.contains(" [") && l.contains("] "))
    {
        assert!(
            bar.contains(" ETA ")
                || bar.contains(" waiting for a part slot ")
                || bar.starts_with("total ["),
            "a bar wrapped: {bar:?}"
        );
        // A file waiting for its first part slot shows no rate or ETA.
        assert!(!bar.contains(" 0 B/s ETA 0s"), "{bar:?}");
    }
    // A total line was drawn: files done of all, bytes, rate and ETA.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("total [") && l.contains("files ") && l.contains(" ETA ")),
        "no total line:\n{text}"
    );
    // It counts the files ended and the failures among them, and is cleared at the last.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("total [") && l.contains(" failed")),
        "no total line counted a failure:\n{text}"
    );
    let most_ended = lines
        .iter()
        .filter(|l| l.starts_with("total ["))
        .filter_map(|l| {
            l.split("files ")
                .nth(1)?
                .split('/')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .max();
    assert!(
        most_ended.is_some_and(|n| n > 100),
        "the total line counts files as they end ({most_ended:?}):\n{text}"
    );
    let screen = last.join("\n");
    assert!(
        !screen.contains("completing") && !screen.contains("[="),
        "no stale bar:\n{screen}"
    );
    assert!(!screen.contains("total ["), "a stale total line:\n{screen}");
}

#[test]
fn retries_update_the_bar_on_a_terminal_instead_of_printing_a_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.jsonl");
    uploads_e2e::random_file(&path, 30 * 64 * 1024, 7);
    let server = Serve::start(
        Path::new(BIN),
        &[
            "--max-part-size",
            "64KiB",
            "--fail-rate",
            "0.3",
            "--fault-seed",
            "3",
            "--retry-after",
            "10ms",
        ],
    );
    let journals = dir.path().join("j");
    let Terminal {
        code, lines, raw, ..
    } = in_terminal(
        &[
            "put",
            "--no-check",
            "-p",
            "batch",
            "--part-size",
            "64KiB",
            path.to_str().unwrap(),
        ],
        &[
            ("OPENAI_API_KEY", "sk-local"),
            ("OPENAI_BASE_URL", &server.url),
            ("OPENAI_UPLOADS_JOURNAL_DIR", journals.to_str().unwrap()),
            ("OPENAI_UPLOADS_MIN_PART_SIZE", uploads_e2e::SMALL_PARTS),
        ],
    );
    let text = lines.join("\n");
    assert_eq!(code, 0, "{text}");
    assert!(server.stat("faults_injected") > 0);
    assert!(
        !text.contains("retrying in"),
        "no line per retry on a terminal:\n{text}"
    );
    // Its bar was drawn while it sent.
    assert!(
        raw.contains("data.jsonl [") && raw.contains(" ETA "),
        "no bar drawn: {raw:?}"
    );
    // The file's last line (wrapped or not) carries the count.
    let done = text.find("uploaded as file-").expect("uploaded");
    assert!(
        text[done..].contains("retries "),
        "the count is on the file's line:\n{text}"
    );
}
