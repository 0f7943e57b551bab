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

mod batch;
mod finetune;
mod generated;
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
