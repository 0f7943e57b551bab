//! Checks of batch and fine-tune files before they cost a failed batch run or job.
//!
//! A [`Checker`] reads a file in order, chunk by chunk as it comes (it rides on the upload's
//! md5 pass), splits it into lines and checks each with the rules of its purpose
//! ([`ContentFormat`]); memory stays bounded by the longest line (at most 200 MiB for batch,
//! 256 MiB for fine-tuning: longer is an error, passed over unheld) and, for batch files, the
//! `custom_id`s seen. How the service's input format is modelled, line by line:
//! - a UTF-8 byte-order mark before the first line: a warning (JSON forbids it; whether the
//!   service skips it is unknown), and the line is checked without it;
//! - CRLF line ends: accepted (JSON treats the carriage return as whitespace), counted;
//! - blank lines: a warning each (JSONL has none; the service's handling is unknown), skipped;
//! - no newline after the last line: accepted.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod batch;
mod cursor;
mod finetune;
pub(crate) mod json;
mod majority;
mod report;
mod rules;
mod whole_file;

use std::io::{self, Read};
use std::path::Path;

pub use report::{Finding, Report, SHOWN_FINDINGS, Severity, Summary, is_hidden_mark};

use report::Findings;
use rules::{At, LineRules};
pub use rules::{CheckOptions, FineTuneMethod};
use whole_file::{NOT_TEXT, WholeFile, not_json_lines};

pub use uploads_client::rules::ContentFormat;

/// Checks one file, fed in order in chunks of any size.
pub struct Checker {
    purpose: ContentFormat,
    rules: Box<dyn LineRules>,
    /// The start of a line whose end has not come yet.
    carry: Vec<u8>,
    /// Bytes of the file consumed by complete lines.
    consumed: u64,
    findings: Findings,
    summary: Summary,
    whole_file: WholeFile,
    /// Bytes of a line found too long (or not text) that are passed over, not held, to its
    /// end; `None` when no such line is under way.
    skipping: Option<u64>,
    /// The longest line read ([`line_cap`]).
    line_cap: usize,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("format", &self.purpose)
            .field("consumed", &self.consumed)
            .field("carried", &self.carry.len())
            .finish_non_exhaustive()
    }
}

impl Checker {
    /// A checker with every rule of the purpose.
    pub fn new(purpose: ContentFormat) -> Self {
        Self::with_options(purpose, CheckOptions::default())
    }

    /// A checker with some rules left out.
    pub fn with_options(purpose: ContentFormat, options: CheckOptions) -> Self {
        let rules: Box<dyn LineRules> = match purpose {
            ContentFormat::Batch => Box::new(batch::BatchRules::new(options)),
            ContentFormat::FineTune => Box::new(finetune::FineTuneRules::new(options)),
        };
        Self {
            purpose,
            rules,
            carry: Vec::new(),
            consumed: 0,
            findings: Findings::default(),
            summary: Summary::default(),
            whole_file: WholeFile::Unknown,
            skipping: None,
            line_cap: line_cap(purpose),
        }
    }

    /// Reads the next bytes of the file.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        self.summary.bytes += bytes.len() as u64;
        match self.whole_file {
            WholeFile::Refused => return,
            WholeFile::Unknown => {
                let at_start = self.consumed == 0 && self.carry.is_empty();
                match whole_file::in_first_bytes(at_start, bytes) {
                    Err((kind, message)) => return self.refuse(kind, message),
                    Ok(true) => self.whole_file = WholeFile::Lines,
                    Ok(false) => {}
                }
            }
            WholeFile::Lines => {}
        }
        while let Some(i) = memchr::memchr(b'\n', bytes) {
            if let Some(skipped) = self.skipping.take() {
                self.skipped_line(skipped + i as u64, true);
            } else if self.carry.len() + i > self.line_cap {
                let len = (self.carry.len() + i) as u64;
                self.too_long(len);
                self.skipping = None;
                self.skipped_line(len, true);
            } else if self.carry.is_empty() {
                self.line(&bytes[..i], true);
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&bytes[..i]);
                self.line(&line, true);
                line.clear();
                self.carry = line;
            }
            bytes = &bytes[i + 1..];
        }
        self.carry_over(bytes);
    }

    /// The start of a line whose end has not come: held, unless the line is already too long
    /// for any request or example, or holds bytes no JSON line holds (a binary file, say):
    /// then it is reported and passed over to its end, so memory stays bounded.
    fn carry_over(&mut self, bytes: &[u8]) {
        if let Some(skipped) = &mut self.skipping {
            *skipped += bytes.len() as u64;
            return;
        }
        let len = self.carry.len() + bytes.len();
        if len > self.line_cap {
            self.too_long(len as u64);
        } else if len > HELD_UNCHECKED {
            // A long line so far: anything in it JSON never holds raw ends it now.
            let control = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\r');
            // The held bytes are looked through once, as the line passes the mark; then
            // each chunk as it comes.
            let held = if self.carry.len() > HELD_UNCHECKED {
                None
            } else {
                self.carry.iter().position(control)
            };
            let at = held.or_else(|| bytes.iter().position(control).map(|i| self.carry.len() + i));
            if at.is_some() && self.whole_file == WholeFile::Unknown {
                // Before the first line end: the file is not text at all.
                return self.refuse(NOT_TEXT.0, NOT_TEXT.1);
            }
            if let Some(at) = at {
                let byte = if at < self.carry.len() {
                    self.carry[at]
                } else {
                    bytes[at - self.carry.len()]
                };
                self.findings.error(
                    self.summary.lines + 1,
                    "invalid_json",
                    format!(
                        "byte {} of the line is a raw control character (0x{byte:02x}), which JSON never holds: is this a binary file?",
                        at + 1
                    ),
                );
                self.skip(len as u64);
            } else {
                self.carry.extend_from_slice(bytes);
            }
        } else {
            self.carry.extend_from_slice(bytes);
        }
    }

    /// Reports the line under way as longer than any the service takes, and passes over it.
    fn too_long(&mut self, len: u64) {
        if self.whole_file != WholeFile::Refused {
            let cap = self.line_cap;
            let why = match self.purpose {
                ContentFormat::Batch => "the most a whole batch file may hold",
                ContentFormat::FineTune => {
                    "beyond any example: ten 10 MB images as base64 and a model's whole context of text"
                }
            };
            self.findings.error(
                self.summary.lines + 1,
                "line_too_long",
                format!(
                    "the line is longer than {cap} bytes ({why}): no {} can be; it is not read further (is this a JSONL file?)",
                    match self.purpose {
                        ContentFormat::Batch => "request",
                        ContentFormat::FineTune => "example",
                    }
                ),
            );
        }
        self.skip(len);
    }

    /// Passes over the line under way: `len` bytes of it so far.
    fn skip(&mut self, len: u64) {
        self.carry = Vec::new();
        self.skipping = Some(len);
    }

    /// A line passed over ends: counted, its bytes consumed, not checked.
    fn skipped_line(&mut self, len: u64, newline: bool) {
        self.summary.lines += 1;
        self.consumed += len + u64::from(newline);
    }

    /// Stops reading lines at a whole-file mistake: one error, and nothing counted as a
    /// request or example.
    fn refuse(&mut self, kind: &'static str, message: &'static str) {
        self.findings.error(1, kind, message);
        self.whole_file = WholeFile::Refused;
        self.carry = Vec::new();
    }

    /// True once an error has been found: an upload can stop here.
    pub fn has_errors(&self) -> bool {
        self.findings.errors > 0
    }

    /// Ends the file (a last line without a newline is checked) and gives the report.
    pub fn finish(mut self) -> Report {
        if let Some(skipped) = self.skipping.take() {
            self.skipped_line(skipped, false);
        } else if !self.carry.is_empty() && self.whole_file != WholeFile::Refused {
            let line = std::mem::take(&mut self.carry);
            self.line(&line, false);
        }
        if self.whole_file != WholeFile::Refused {
            self.rules.finish(&mut self.findings, &mut self.summary);
        }
        Report {
            purpose: self.purpose,
            errors: self.findings.errors,
            warnings: self.findings.warnings,
            findings: self.findings.shown,
            first_error: self.findings.first_error,
            counts: self.findings.counts,
            summary: self.summary,
        }
    }

    fn line(&mut self, mut line: &[u8], newline: bool) {
        if self.whole_file == WholeFile::Refused {
            return;
        }
        self.summary.lines += 1;
        self.consumed += line.len() as u64 + u64::from(newline);
        let at = At {
            line: self.summary.lines,
            end: self.consumed,
        };
        if at.line == 1
            && let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF")
        {
            self.findings.warning(
                1,
                "byte_order_mark",
                "the file starts with a UTF-8 byte-order mark, which JSON does not allow: save it as UTF-8 without BOM",
            );
            line = rest;
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            self.summary.crlf_lines += 1;
            line = rest;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            self.summary.blank_lines += 1;
            self.findings.warning(
                at.line,
                "blank_line",
                "blank line (skipped here; JSONL has one JSON value per line): remove it",
            );
            return;
        }
        if self.summary.records == 0
            && self.summary.lines == self.summary.blank_lines + 1
            && let Some((kind, message)) = not_json_lines(line)
        {
            return self.refuse(kind, message);
        }
        // The rules count the line as a request or example once it parses.
        self.rules
            .line(at, line, &mut self.findings, &mut self.summary);
    }
}

/// The longest line read: longer is an error, passed over without holding it. A documented
/// choice, never stricter than the service: a batch line cannot pass the whole file's 200 MiB;
/// a fine-tuning example holds at most 10 images (the vision fine-tuning guide), each at most
/// 10 MB, so 134 MB as base64, and text within a model's context (at most about 128k tokens).
pub(crate) fn line_cap(format: ContentFormat) -> usize {
    match format {
        ContentFormat::Batch => uploads_client::rules::MAX_BATCH_FILE_BYTES as usize,
        ContentFormat::FineTune => 256 << 20,
    }
}

/// A line held this long is looked through for bytes JSON never holds raw.
const HELD_UNCHECKED: usize = 1 << 20;

/// Checks everything `reader` gives.
pub fn check_reader(
    mut reader: impl Read,
    purpose: ContentFormat,
    options: CheckOptions,
) -> io::Result<Report> {
    let mut checker = Checker::with_options(purpose, options);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if checker.whole_file == WholeFile::Refused {
            // Nothing more is read of a file refused whole (`/dev/zero` ends here too).
            return Ok(checker.finish());
        }
        match reader.read(&mut buf) {
            Ok(0) => return Ok(checker.finish()),
            Ok(n) => checker.feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Checks the file at `path`. Blocking: call it from a blocking thread in async code.
pub fn check_file(
    path: &Path,
    purpose: ContentFormat,
    options: CheckOptions,
) -> io::Result<Report> {
    check_reader(std::fs::File::open(path)?, purpose, options)
}

#[cfg(test)]
mod tests;
