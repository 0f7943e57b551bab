//! Progress for people: a bar per file on a terminal, a line per file otherwise, or nothing.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use uploads_ext::Event;

use uploads_ext::human_bytes;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bars,
    Lines,
    Quiet,
}

impl Mode {
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bars
        } else {
            Self::Lines
        }
    }
}

pub struct Ui {
    mode: Mode,
    multi: MultiProgress,
    /// The total line of a multi-file run on a terminal: files done of total, bytes, rate,
    /// ETA; kept below the files' bars.
    total: Option<ProgressBar>,
}

impl Ui {
    pub fn new(mode: Mode) -> Self {
        let target = if mode == Mode::Bars {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        if mode == Mode::Bars {
            crate::output::bars_drawn_on(multi.clone());
        }
        Self {
            mode,
            multi,
            total: None,
        }
    }

    /// Shows a total line for `files` uploads of `bytes` in all, on a terminal and when there
    /// is more than one.
    pub fn total(&mut self, files: usize, bytes: u64) {
        if self.mode != Mode::Bars || files < 2 {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(bytes));
        bar.set_style(style(TOTAL_WAITING));
        bar.set_prefix("total");
        bar.set_message(format!("files 0/{files}"));
        self.total = Some(bar);
    }

    /// Updates the total line's count of files ended, and ends it with the last.
    pub fn files_ended(&self, done: usize, failed: usize, files: usize) {
        if let Some(bar) = &self.total {
            let failed = if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            };
            bar.set_message(format!("files {done}/{files}{failed}"));
            if done == files {
                bar.finish_and_clear();
            }
        }
    }

    /// Prints a line above the bars (or plainly), unless quiet.
    #[cfg_attr(not(feature = "local-server"), allow(dead_code))]
    pub fn say(&self, line: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Bars => {
                let _ = self.multi.println(line);
            }
            Mode::Lines => eprintln!("{line}"),
        }
    }

    /// A file's progress. Its bar is shown only while it uploads: with many files, the screen
    /// holds the ones in flight, and each finished one leaves a line.
    pub fn file(&self, label: &str) -> FileProgress {
        let bar = ProgressBar::hidden();
        // Until its first byte goes out a file waits for a part slot: no rate or ETA yet.
        bar.set_style(style(WAITING));
        // The bar fits the terminal: a long label keeps its end (the file's name), and the
        // bar itself takes what width is left.
        bar.set_prefix(short_label(label, 32));
        FileProgress(Arc::new(Inner {
            bar,
            total: self.total.clone(),
            multi: self.multi.clone(),
            shown: std::sync::Once::new(),
            mode: self.mode,
            label: label.to_owned(),
            parts: AtomicUsize::new(0),
            parts_done: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
            resumed_bytes: AtomicU64::new(0),
            first_byte: std::sync::OnceLock::new(),
        }))
    }
}

struct Inner {
    bar: ProgressBar,
    /// The run's total line, if shown.
    total: Option<ProgressBar>,
    multi: MultiProgress,
    /// Set once the bar joins the screen, at the upload's start.
    shown: std::sync::Once,
    mode: Mode,
    label: String,
    parts: AtomicUsize,
    parts_done: AtomicUsize,
    retries: AtomicUsize,
    resumed_bytes: AtomicU64,
    /// When the first byte went out: a file may wait for a slot behind others.
    first_byte: std::sync::OnceLock<Instant>,
}

/// One file's progress; cheap to clone into the engine's callback.
#[derive(Clone)]
pub struct FileProgress(Arc<Inner>);

impl FileProgress {
    pub fn on_event(&self, event: &Event) {
        let i = &self.0;
        match event {
            Event::Started {
                upload_id,
                bytes,
                parts,
                parts_done,
                bytes_done,
                ..
            } => {
                if i.mode == Mode::Bars {
                    i.shown.call_once(|| match &i.total {
                        // Above the total line, which stays last.
                        Some(total) => {
                            i.multi.insert_before(total, i.bar.clone());
                        }
                        None => {
                            i.multi.add(i.bar.clone());
                        }
                    });
                }
                i.bar.set_length(*bytes);
                i.bar.set_position(*bytes_done);
                i.parts.store(*parts, Ordering::Relaxed);
                i.parts_done.store(*parts_done, Ordering::Relaxed);
                i.resumed_bytes.store(*bytes_done, Ordering::Relaxed);
                i.bar.reset_eta();
                if *parts_done > 0 && i.mode != Mode::Quiet {
                    let line = format!(
                        "{}: resuming {upload_id}: {parts_done} of {parts} parts already sent",
                        i.label
                    );
                    if i.mode == Mode::Bars {
                        i.bar.println(line)
                    } else {
                        eprintln!("{line}")
                    }
                }
            }
            Event::BytesSent { bytes } => {
                if i.first_byte.get().is_none() {
                    i.first_byte.get_or_init(Instant::now);
                    i.bar.set_style(style(SENDING));
                }
                i.bar.inc(*bytes);
                if let Some(total) = &i.total {
                    if total.position() == 0 {
                        total.set_style(style(TOTAL_SENDING));
                    }
                    total.inc(*bytes);
                }
            }
            Event::PartRestarted { bytes_lost, .. } => {
                i.bar
                    .set_position(i.bar.position().saturating_sub(*bytes_lost));
                if let Some(total) = &i.total {
                    total.set_position(total.position().saturating_sub(*bytes_lost));
                }
            }
            Event::PartDone { .. } => {
                i.parts_done.fetch_add(1, Ordering::Relaxed);
            }
            Event::RetryScheduled {
                part,
                attempt,
                wait,
                reason,
            } => {
                i.retries.fetch_add(1, Ordering::Relaxed);
                // Every retry says why and for how long, so a slow start is never silent.
                let what = part.map_or_else(|| "request".to_owned(), |p| format!("part {}", p + 1));
                let line = format!(
                    "{}: {what} failed ({reason}), attempt {attempt}; retrying in {:.1}s",
                    i.label,
                    wait.as_secs_f64()
                );
                // On a terminal the bar counts retries; a log gets one line each.
                if i.mode == Mode::Lines {
                    crate::output::say(&line);
                }
            }
            Event::Completing => i.bar.set_message("completing"),
            Event::Warning { message } => {
                let line = format!("warning: {}: {}", i.label, crate::output::shown(message));
                match i.mode {
                    Mode::Bars | Mode::Lines => crate::output::say(&line),
                    Mode::Quiet => {}
                }
            }
            // Completed, and events newer than this CLI: nothing to show.
            _ => {}
        }
        // Only events that change the counts rewrite the message: bytes arrive per chunk.
        if matches!(
            event,
            Event::Started { .. } | Event::PartDone { .. } | Event::RetryScheduled { .. }
        ) {
            i.bar.set_message(self.parts_message());
        }
    }

    fn parts_message(&self) -> String {
        let i = &self.0;
        let mut msg = format!(
            "parts {}/{}",
            i.parts_done.load(Ordering::Relaxed),
            i.parts.load(Ordering::Relaxed)
        );
        let retries = i.retries.load(Ordering::Relaxed);
        if retries > 0 {
            msg.push_str(&format!(", retries {retries}"));
        }
        msg
    }

    /// Removes the bar of an upload that never started (refused before any request).
    pub fn discard(&self) {
        self.0.bar.finish_and_clear();
    }

    /// Ends the bar with the outcome, or prints the one line for this file.
    pub fn finish(&self, outcome: &str) {
        let i = &self.0;
        let secs = i
            .first_byte
            .get()
            .map_or(0.0, |t| t.elapsed().as_secs_f64())
            .max(1e-6);
        let sent = i
            .bar
            .position()
            .saturating_sub(i.resumed_bytes.load(Ordering::Relaxed));
        let line = format!(
            "{}: {outcome} ({} in {:.1}s, {}/s, {})",
            i.label,
            human_bytes(i.bar.length().unwrap_or(0)),
            secs,
            human_bytes((sent as f64 / secs) as u64),
            self.parts_message()
        );
        match i.mode {
            Mode::Bars => {
                i.bar.finish_and_clear();
                i.multi.remove(&i.bar);
                let _ = i.multi.println(line);
            }
            Mode::Lines => eprintln!("{line}"),
            Mode::Quiet => {}
        }
    }
}

/// A file's bar while it sends, and while it waits for its first part slot.
const SENDING: &str = "{prefix:.bold} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}";
const WAITING: &str =
    "{prefix:.bold} [{wide_bar:.cyan/blue}] {bytes}/{total_bytes} waiting for a part slot {msg}";

/// The total line, before and once bytes flow.
const TOTAL_WAITING: &str = "{prefix:.bold} [{wide_bar:.green/blue}] {bytes}/{total_bytes} {msg}";
const TOTAL_SENDING: &str = "{prefix:.bold} [{wide_bar:.green/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}";

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// `label` in at most `width` characters: its end kept, the start elided with `…`.
fn short_label(label: &str, width: usize) -> String {
    let n = label.chars().count();
    if n <= width {
        return label.to_owned();
    }
    let tail: String = label.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(parts: usize, bytes: u64) -> Event {
        Event::Started {
            upload_id: "upload_1".into(),
            filename: "a.jsonl".into(),
            bytes,
            parts,
            parts_done: 0,
            bytes_done: 0,
        }
    }

    #[test]
    fn a_total_line_is_drawn_on_a_terminal_for_two_files_or_more_and_counts_them_as_they_end() {
        let mut lines = Ui::new(Mode::Lines);
        lines.total(5, 100);
        assert!(lines.total.is_none(), "no terminal, no bars");
        let mut one = Ui::new(Mode::Bars);
        one.total(1, 100);
        assert!(one.total.is_none(), "one file's bar is its total");
        let mut two = Ui::new(Mode::Bars);
        two.total(2, 100);
        let total = two.total.clone().expect("a total line for two files");
        assert_eq!(total.message(), "files 0/2");
        two.files_ended(1, 0, 2);
        assert_eq!(total.message(), "files 1/2");
        assert!(!total.is_finished());
        two.files_ended(2, 1, 2);
        assert_eq!(total.message(), "files 2/2, 1 failed");
        assert!(total.is_finished(), "cleared with the last file");
    }

    #[test]
    fn a_bar_counts_parts_done_takes_back_the_bytes_of_a_restarted_part_and_says_completing() {
        let mut ui = Ui::new(Mode::Bars);
        ui.total(2, 600);
        let total = ui.total.clone().unwrap();
        let file = ui.file("a.jsonl");
        file.on_event(&started(3, 300));
        assert_eq!(file.0.bar.message(), "parts 0/3");
        file.on_event(&Event::BytesSent { bytes: 150 });
        file.on_event(&Event::PartDone {
            index: 0,
            part_id: "part_1".into(),
            len: 100,
        });
        assert_eq!(file.0.bar.message(), "parts 1/3");
        assert_eq!((file.0.bar.position(), total.position()), (150, 150));
        // The second part's first 50 bytes went out, then its connection was reset.
        file.on_event(&Event::PartRestarted {
            index: 1,
            bytes_lost: 50,
        });
        assert_eq!((file.0.bar.position(), total.position()), (100, 100));
        file.on_event(&Event::Completing);
        assert_eq!(file.0.bar.message(), "completing");
    }

    #[test]
    fn a_long_label_keeps_its_end() {
        assert_eq!(super::short_label("a.txt", 32), "a.txt");
        let long = "/very/long/path/to/some/deep/folder/of/files/report-2026.pdf";
        let short = super::short_label(long, 32);
        assert_eq!(short.chars().count(), 32);
        assert!(
            short.starts_with('…') && short.ends_with("report-2026.pdf"),
            "{short}"
        );
    }
}
