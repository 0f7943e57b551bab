//! What a check found: findings by line (the first ones in full, all counted), and a summary
//! of the file, printed for people or as JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use uploads_client::rules::ContentFormat;

/// How many findings a report keeps in full; the rest are counted by kind.
pub const SHOWN_FINDINGS: usize = 20;

/// Whether a finding stops the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The service would refuse the file (or the batch or job made from it).
    Error,
    /// Likely a mistake, or unknown to the service as we model it; the file is sent anyway.
    Warning,
}

/// One thing found, at a line (0: the file as a whole).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line number; 0 for the file as a whole.
    pub line: u64,
    /// Error or warning.
    pub severity: Severity,
    /// A stable code for the kind of finding, e.g. `duplicate_custom_id`.
    pub kind: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.line == 0 {
            write!(f, "{sev}[{}]: {}", self.kind, self.message)
        } else {
            write!(
                f,
                "line {}: {sev}[{}]: {}",
                self.line, self.kind, self.message
            )
        }
    }
}

/// What the file holds, counted as it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Bytes read.
    pub bytes: u64,
    /// Lines, blank ones included.
    pub lines: u64,
    /// Blank lines (skipped).
    pub blank_lines: u64,
    /// Lines ending in CRLF (accepted: JSON allows the carriage return as whitespace).
    pub crlf_lines: u64,
    /// Batch requests, or fine-tune examples: the non-blank lines.
    pub records: u64,
    /// Batch: requests per `url`. Fine-tune: examples per format.
    pub by_kind: BTreeMap<String, u64>,
    /// Batch: requests per `body.model`.
    pub by_model: BTreeMap<String, u64>,
    /// Batch: embedding inputs across the file.
    pub embedding_inputs: u64,
    /// Fine-tune: messages across the examples.
    pub messages: u64,
}

/// The outcome of checking one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What the file was checked as.
    pub purpose: ContentFormat,
    /// Errors found (all of them, counted).
    pub errors: u64,
    /// Warnings found.
    pub warnings: u64,
    /// The first [`SHOWN_FINDINGS`] findings, in the order found.
    pub findings: Vec<Finding>,
    /// The first error, kept even when warnings filled [`findings`](Self::findings).
    pub first_error: Option<Finding>,
    /// Every finding counted by kind.
    pub counts: BTreeMap<&'static str, u64>,
    /// What the file holds.
    pub summary: Summary,
}

impl Report {
    /// True if nothing would make the service refuse the file.
    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }
}

/// True for the invisible marks that reorder or hide text on a terminal (bidirectional
/// overrides and isolates, zero-width characters): printed escaped, as control characters are.
pub fn is_hidden_mark(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A value from the file (a model, a url) for a report line: as it is, or quoted and escaped
/// if it holds a control character or hidden mark (a line break would split the report).
fn plain(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().any(|c| c.is_control() || is_hidden_mark(c)) {
        format!("{}", value.escape_default()).into()
    } else {
        value.into()
    }
}

impl fmt::Display for Report {
    /// The report for a terminal: findings, the counts of those not shown, the summary.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "  {finding}")?;
        }
        let mut shown = self.findings.len() as u64;
        if let Some(first) = &self.first_error
            && !self.findings.contains(first)
        {
            writeln!(f, "  {first}")?;
            shown += 1;
        }
        let total = self.errors + self.warnings;
        if total > shown {
            let counts: Vec<String> = self
                .counts
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect();
            writeln!(
                f,
                "  ... {} more not shown; all findings by kind: {}",
                total - shown,
                counts.join(", ")
            )?;
        }
        let s = &self.summary;
        let noun = match self.purpose {
            ContentFormat::Batch => "requests",
            ContentFormat::FineTune => "examples",
        };
        write!(
            f,
            "  {} {noun} in {} lines, {} bytes",
            s.records, s.lines, s.bytes
        )?;
        let list = |m: &BTreeMap<String, u64>| -> String {
            m.iter()
                .map(|(k, n)| format!("{} {n}", plain(k)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !s.by_kind.is_empty() {
            write!(f, "; {}", list(&s.by_kind))?;
        }
        if !s.by_model.is_empty() {
            write!(f, "; models: {}", list(&s.by_model))?;
        }
        if s.embedding_inputs > 0 {
            write!(f, "; {} embedding inputs", s.embedding_inputs)?;
        }
        if s.messages > 0 {
            write!(f, "; {} messages", s.messages)?;
        }
        writeln!(f)?;
        write!(
            f,
            "  {} error{}, {} warning{}",
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" }
        )
    }
}

/// Where the checks put what they find: the first findings kept, all counted.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) shown: Vec<Finding>,
    pub(crate) first_error: Option<Finding>,
    pub(crate) counts: BTreeMap<&'static str, u64>,
    pub(crate) errors: u64,
    pub(crate) warnings: u64,
}

impl Findings {
    pub(crate) fn error(&mut self, line: u64, kind: &'static str, message: impl Into<String>) {
        self.push(line, Severity::Error, kind, message.into());
    }

    pub(crate) fn warning(&mut self, line: u64, kind: &'static str, message: impl Into<String>) {
        self.push(line, Severity::Warning, kind, message.into());
    }

    /// `more` findings of `kind` beyond those named one by one: counted, not listed.
    pub(crate) fn count_more(&mut self, severity: Severity, kind: &'static str, more: u64) {
        if more == 0 {
            return;
        }
        match severity {
            Severity::Error => self.errors += more,
            Severity::Warning => self.warnings += more,
        }
        *self.counts.entry(kind).or_default() += more;
    }

    fn push(&mut self, line: u64, severity: Severity, kind: &'static str, message: String) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        *self.counts.entry(kind).or_default() += 1;
        let keep_first_error = severity == Severity::Error && self.first_error.is_none();
        if !keep_first_error && self.shown.len() >= SHOWN_FINDINGS {
            return;
        }
        let finding = Finding {
            line,
            severity,
            kind,
            message,
        };
        if keep_first_error {
            self.first_error = Some(finding.clone());
        }
        if self.shown.len() < SHOWN_FINDINGS {
            self.shown.push(finding);
        }
    }
}

/// Adds one to `key`'s count, allocating the key only the first time it is seen.
pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}
