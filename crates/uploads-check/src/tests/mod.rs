//! The checks: helpers and what all purposes share here; batch, fine-tune, reports and
//! generated valid files each in a file of their own.

use super::rules::did_you_mean;
use super::*;

/// A valid batch request line.
fn req(id: &str) -> String {
    format!(
        r#"{{"custom_id":"{id}","method":"POST","url":"/v1/chat/completions","body":{{"model":"gpt-4o-mini","messages":[{{"role":"user","content":"hi"}}]}}}}"#
    )
}

/// A valid supervised chat example.
fn chat() -> String {
    r#"{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":"hello","weight":1}]}"#.to_owned()
}

fn check(purpose: ContentFormat, text: &str) -> Report {
    check_with(purpose, text, CheckOptions::default())
}

fn check_with(purpose: ContentFormat, text: &str, options: CheckOptions) -> Report {
    let mut c = Checker::with_options(purpose, options);
    // Fed in small, odd-sized chunks, so lines span chunk boundaries.
    for chunk in text.as_bytes().chunks(7) {
        c.feed(chunk);
    }
    c.finish()
}

/// (line, kind) of every error shown.
fn errors(r: &Report) -> Vec<(u64, &'static str)> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.line, f.kind))
        .collect()
}

fn warnings(r: &Report) -> Vec<(u64, &'static str)> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| (f.line, f.kind))
        .collect()
}

fn batch_with(line3: &str) -> String {
    format!("{}\n{}\n{line3}\n{}\n", req("a"), req("b"), req("d"))
}

/// Ten valid chat examples with `line` as the fifth.
fn tune_with(line: &str) -> String {
    let mut lines = vec![chat(); 11];
    lines[4] = line.to_owned();
    lines.join("\n")
}

#[test]
fn a_line_past_the_cap_is_an_error_and_is_not_held() {
    let mut c = Checker::new(ContentFormat::FineTune);
    c.line_cap = 1000;
    let long = format!("{{\"messages\":\"{}\"}}", "a".repeat(5000));
    let text = format!("{}\n{long}\n{}\n", chat(), chat());
    for chunk in text.as_bytes().chunks(7) {
        c.feed(chunk);
        assert!(c.carry.len() <= 1000 + 7, "held {}", c.carry.len());
    }
    let r = c.finish();
    assert_eq!(errors(&r)[0], (2, "line_too_long"));
    assert!(
        r.findings[0].message.contains("longer than 1000 bytes"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.summary.lines, 3);
    assert_eq!(r.summary.records, 2, "the lines after it are read");
    // In one chunk, and as the last line without a newline: the same.
    let mut c = Checker::new(ContentFormat::Batch);
    c.line_cap = 100;
    c.feed(format!("{}\n{}", req("a"), "x".repeat(300)).as_bytes());
    let r = c.finish();
    assert_eq!(
        errors(&r)[..2],
        [(1, "line_too_long"), (2, "line_too_long")]
    );
    assert_eq!(r.summary.lines, 2);
}

#[test]
fn a_binary_stream_without_line_ends_is_refused_in_bounded_memory() {
    // What `check /dev/zero` reads: NUL bytes, no line end, without end. Refused whole, and
    // the reading stops.
    let r = check_reader(
        std::io::repeat(0),
        ContentFormat::FineTune,
        CheckOptions::default(),
    )
    .unwrap();
    assert_eq!(errors(&r), [(1, "not_text")]);
    assert!(r.summary.bytes <= 4 << 20, "read {}", r.summary.bytes);
    // A short first line with a NUL (a binary file with line ends): the same, once.
    let r = check(
        ContentFormat::Batch,
        "\u{1f}\u{8b}\u{0}\u{0}gz\nmore\nbytes\n",
    );
    assert_eq!(errors(&r), [(1, "not_text")]);
    // After a first line, a long line of raw control bytes is that line's error, passed over
    // in bounded memory, and the lines after it are read.
    let mut c = Checker::new(ContentFormat::FineTune);
    c.feed(format!("{}\n", chat()).as_bytes());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        c.feed(&zeros);
        assert!(c.carry.capacity() <= 4 << 20, "held {}", c.carry.capacity());
    }
    c.feed(format!("\n{}\n", chat()).as_bytes());
    let r = c.finish();
    assert_eq!(errors(&r)[0], (2, "invalid_json"));
    assert!(
        r.findings[0]
            .message
            .contains("raw control character (0x00)"),
        "{}",
        r.findings[0].message
    );
    assert_eq!(r.summary.lines, 3);
    assert_eq!(r.summary.records, 2);
}

#[test]
fn names_from_the_file_cannot_split_or_reverse_report_lines() {
    let line = |model: &str| {
        format!(
            r#"{{"custom_id":"{model}","method":"POST","url":"/v1/chat/completions","body":{{"model":"{model}","messages":[]}}}}"#
        )
    };
    // A model with a line break (escaped in JSON) and one with a right-to-left override.
    let text = format!("{}\n{}\n", line("gpt\\nfake: ok"), line("gpt\u{202E}lmth"));
    let shown = check(ContentFormat::Batch, &text).to_string();
    assert!(!shown.contains('\u{202E}'), "{shown}");
    assert!(shown.contains("\\u{202e}"), "{shown}");
    assert!(
        shown.lines().all(|l| l.starts_with("  ")),
        "no forged line: {shown}"
    );
    assert!(!shown.contains("\nfake"), "{shown}");
}

mod batch;
mod finetune;
mod generated;
mod line_bounds;
mod report;
mod service_rules;

#[test]
fn purposes_with_a_check_and_likely_misspellings() {
    use uploads_client::rules::Purpose;
    assert_eq!(Purpose::Batch.content_format(), Some(ContentFormat::Batch));
    assert_eq!(
        Purpose::from("fine-tune").content_format(),
        Some(ContentFormat::FineTune)
    );
    assert_eq!(Purpose::Assistants.content_format(), None);
    let known = ["max_completion_tokens", "model", "n"];
    // A long name allows a quarter of its length in edits; a short one two.
    assert_eq!(
        did_you_mean("max_complet_tokens", known),
        Some("max_completion_tokens")
    );
    assert_eq!(did_you_mean("modle", known), Some("model"));
    assert_eq!(did_you_mean("temperature", known), None);
    // A word is never "corrected" into something as far away as its own length.
    assert_eq!(did_you_mean("x", known), None);
}

#[test]
fn json_types_read_from_raw_values_and_named_in_messages() {
    use super::json::{JsonType, raw_type};
    let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_owned()).unwrap();
    let cases = [
        ("\"x\"", JsonType::String, "a string"),
        ("{}", JsonType::Object, "an object"),
        ("[1]", JsonType::Array, "an array"),
        ("true", JsonType::Bool, "a boolean"),
        ("false", JsonType::Bool, "a boolean"),
        ("null", JsonType::Null, "null"),
        ("-1.5", JsonType::Number, "a number"),
    ];
    for (text, ty, name) in cases {
        assert_eq!(raw_type(&raw(text)), ty, "{text}");
        assert_eq!(ty.to_string(), name);
    }
}

#[test]
fn has_errors_turns_true_at_the_first_error_only() {
    let mut c = Checker::new(ContentFormat::Batch);
    c.feed(format!("{}\n\n", req("a")).as_bytes());
    assert!(!c.has_errors(), "a blank line is a warning");
    c.feed(b"not json\n");
    assert!(c.has_errors());
}
