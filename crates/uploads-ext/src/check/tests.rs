//! The checks, one finding kind at a known line each, and generated valid files.

use proptest::prelude::*;

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

fn check(purpose: ContentCheck, text: &str) -> Report {
    let mut c = Checker::new(purpose);
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

#[test]
fn a_valid_batch_file_passes_with_its_summary() {
    let r = check(ContentCheck::Batch, &batch_with(&req("c")));
    assert!(r.is_ok(), "{r}");
    assert_eq!((r.errors, r.warnings), (0, 0));
    assert_eq!(r.summary.records, 4);
    assert_eq!(r.summary.by_kind["/v1/chat/completions"], 4);
    assert_eq!(r.summary.by_model["gpt-4o-mini"], 4);
}

#[test]
fn each_batch_error_is_found_at_its_line() {
    let chat = "/v1/chat/completions";
    let cases: Vec<(String, &str)> = vec![
        (req("a"), "duplicate_custom_id"),
        ("{\"custom_id\": \"c\",".into(), "invalid_json"),
        ("[1, 2]".into(), "not_an_object"),
        (req("c").replace("POST", "GET"), "bad_method"),
        (req("c").replace(chat, "/v1/embeddings"), "mixed_urls"),
        (req("c").replace(chat, "/v1/chat/completion"), "unknown_url"),
        (
            req("c").replace("\"model\":\"gpt-4o-mini\",", ""),
            "missing_model",
        ),
        (
            req("c").replace("\"model\":\"gpt-4o-mini\"", "\"model\":4"),
            "bad_model",
        ),
        (
            req("c").replace("\"custom_id\":\"c\",", ""),
            "missing_custom_id",
        ),
        (req("c").replace("\"c\"", "7"), "bad_custom_id"),
        (
            r#"{"custom_id":"c","method":"POST","url":"/v1/chat/completions","body":"x"}"#.into(),
            "bad_body",
        ),
        (
            r#"{"custom_id":"c","method":"POST","url":"/v1/chat/completions"}"#.into(),
            "missing_body",
        ),
    ];
    for (line, kind) in cases {
        let r = check(ContentCheck::Batch, &batch_with(&line));
        // "mixed_urls" also reports an embeddings body without input: a warning, not an error.
        let mut want = vec![(3, kind)];
        if kind == "unknown_url" {
            want = vec![(3, "mixed_urls"), (3, "unknown_url")];
        }
        assert_eq!(errors(&r), want, "{line}\n{r}");
        assert_eq!(r.errors, want.len() as u64);
    }
}

#[test]
fn a_line_that_is_not_utf8_is_found() {
    let mut text = batch_with(&req("c")).into_bytes();
    let at = text.iter().position(|b| *b == b'c').unwrap();
    let third = text.len() / 2 + 40;
    text[third] = 0xff;
    let mut c = Checker::new(ContentCheck::Batch);
    c.feed(&text);
    let r = c.finish();
    assert_eq!(errors(&r), [(3, "invalid_json")], "{r}");
    assert!(r.findings[0].message.contains("not UTF-8"), "{r}");
    assert!(at < third);
    // The byte is counted from 1 within its line.
    let mut c = Checker::new(ContentCheck::Batch);
    c.feed(b"{\"a\xff\n");
    let r = c.finish();
    assert!(r.findings[0].message.contains("(byte 4 is invalid)"), "{r}");
}

#[test]
fn body_parameters_are_checked_against_the_spec() {
    let line = req("c").replace("\"messages\"", "\"mesages\"");
    let r = check(ContentCheck::Batch, &batch_with(&line));
    assert!(r.is_ok(), "{r}");
    assert_eq!(
        warnings(&r),
        [(3, "unknown_parameter"), (3, "missing_parameter")]
    );
    assert!(
        r.findings[0].message.contains("did you mean \"messages\""),
        "{r}"
    );
    assert!(
        r.findings[0]
            .message
            .contains("CreateChatCompletionRequest"),
        "{r}"
    );
    let options = CheckOptions {
        body_schema: false,
        ..CheckOptions::default()
    };
    let mut c = Checker::with_options(ContentCheck::Batch, options);
    c.feed(batch_with(&line).as_bytes());
    let r = c.finish();
    assert_eq!((r.errors, r.warnings), (0, 0), "{r}");
    // A model the endpoint does not require is a warning, not an error.
    let img = r#"{"custom_id":"i","method":"POST","url":"/v1/images/generations","body":{"prompt":"a cat"}}"#;
    let r = check(ContentCheck::Batch, img);
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(1, "missing_model")]);
}

#[test]
fn batch_limits_are_the_services() {
    let max = uploads_client::rules::MAX_BATCH_REQUESTS;
    let mut text = String::new();
    for i in 0..=max {
        text.push_str(&req(&format!("r{i}")));
        text.push('\n');
    }
    let r = check(ContentCheck::Batch, &text);
    assert_eq!(errors(&r), [(max + 1, "too_many_requests")], "{r}");
    let r = {
        let options = CheckOptions {
            file_limits: false,
            ..CheckOptions::default()
        };
        let mut c = Checker::with_options(ContentCheck::Batch, options);
        c.feed(text.as_bytes());
        c.finish()
    };
    assert!(r.is_ok(), "{r}");

    // Embeddings: inputs counted across the file; an array of token ids is one input.
    let emb = |id: &str, input: &str| {
        format!(
            r#"{{"custom_id":"{id}","method":"POST","url":"/v1/embeddings","body":{{"model":"text-embedding-3-small","input":{input}}}}}"#
        )
    };
    let big: Vec<String> = (0..30_000).map(|i| format!("\"t{i}\"")).collect();
    let big = format!("[{}]", big.join(","));
    let text = format!(
        "{}\n{}\n{}\n",
        emb("a", "[1,2,3]"),
        emb("b", &big),
        emb("c", &big)
    );
    let r = check(ContentCheck::Batch, &text);
    assert_eq!(errors(&r), [(3, "too_many_embedding_inputs")], "{r}");
    assert_eq!(r.summary.embedding_inputs, 60_001);
}

#[test]
fn the_byte_limit_is_found_where_the_file_passes_it() {
    let mut c = Checker::new(ContentCheck::Batch);
    // Lines of about 1 MiB (a long message), so 200 MiB is a few hundred lines, not millions.
    let line = format!("{}\n", req("x")).replace("\"hi\"", &format!("\"{}\"", "h".repeat(1 << 20)));
    let mut n = 0u64;
    let mut bytes = 0u64;
    while bytes <= uploads_client::rules::MAX_BATCH_FILE_BYTES {
        let l = line.replace("\"x\"", &format!("\"{n:0>9}\""));
        c.feed(l.as_bytes());
        bytes += l.len() as u64;
        n += 1;
    }
    let r = c.finish();
    assert!(r.counts.contains_key("file_too_large"), "{r}");
    let at = r
        .findings
        .iter()
        .find(|f| f.kind == "file_too_large")
        .unwrap()
        .line;
    assert_eq!(at, n, "reported on the line that passes the limit");

    // A file of exactly the limit is taken.
    let max = uploads_client::rules::MAX_BATCH_FILE_BYTES;
    let skeleton = format!("{}\n", req("000000000")).len() as u64 - 2; // without "hi"
    let line_of = |i: u64, len: u64| {
        let pad = "h".repeat((len - skeleton) as usize);
        format!("{}\n", req(&format!("{i:0>9}"))).replace("\"hi\"", &format!("\"{pad}\""))
    };
    let mut c = Checker::new(ContentCheck::Batch);
    let (mut fed, mut i) = (0u64, 0u64);
    while fed < max {
        let len = (max - fed).min(1 << 20);
        let len = if max - fed - len < skeleton {
            max - fed
        } else {
            len
        };
        let l = line_of(i, len);
        assert_eq!(l.len() as u64, len);
        c.feed(l.as_bytes());
        fed += len;
        i += 1;
    }
    let r = c.finish();
    assert_eq!(r.summary.bytes, max);
    assert!(r.is_ok(), "{r}");
}

#[test]
fn bom_crlf_blank_lines_and_no_final_newline() {
    let text = format!("\u{feff}{}\r\n\r\n{}\r\n{}", req("a"), req("b"), req("c"));
    let r = check(ContentCheck::Batch, &text);
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(1, "byte_order_mark"), (2, "blank_line")]);
    assert_eq!(r.summary.records, 3);
    assert_eq!(r.summary.crlf_lines, 3);
    assert_eq!(r.summary.blank_lines, 1);
    assert_eq!(r.summary.lines, 4);
    assert_eq!(r.summary.bytes, text.len() as u64);
}

fn tune_with(line: &str) -> String {
    let mut lines = vec![chat(); 11];
    lines[4] = line.to_owned();
    lines.join("\n")
}

#[test]
fn each_fine_tune_error_is_found_at_its_line() {
    let cases: Vec<(String, &str)> = vec![
        (r#"{"messages":[{"role":"user","content":"hi"}]}"#.into(), "no_assistant_message"),
        (chat().replace("\"weight\":1", "\"weight\":2"), "bad_weight"),
        (chat().replace("\"content\":\"hi\"", "\"content\":\"hi\",\"weight\":0"), "weight_not_on_assistant"),
        (chat().replace("\"user\"", "\"human\""), "unknown_role"),
        (chat().replace(",\"content\":\"hi\"", ""), "missing_content"),
        (chat().replace("\"content\":\"hi\"", "\"content\":5"), "bad_content"),
        (r#"{"messages":"hi"}"#.into(), "bad_messages"),
        (r#"{"text":"hi"}"#.into(), "missing_messages"),
        ("not json".into(), "invalid_json"),
        (chat().replace("]}", "],\"tools\":[{\"type\":\"function\"}]}"), "bad_tools"),
        (chat().replace("]}", "],\"functions\":[{\"description\":\"x\"}]}"), "bad_functions"),
        (
            r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#.into(),
            "mixed_formats",
        ),
    ];
    for (line, kind) in cases {
        let r = check(ContentCheck::FineTune, &tune_with(&line));
        assert_eq!(errors(&r), [(5, kind)], "{line}\n{r}");
    }
}

#[test]
fn too_few_examples_and_the_other_formats() {
    let r = check(ContentCheck::FineTune, &vec![chat(); 9].join("\n"));
    assert_eq!(errors(&r), [(0, "too_few_examples")], "{r}");

    let pref = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;
    let r = check(ContentCheck::FineTune, &[pref; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.by_kind["preference"], 10);
    assert_eq!(
        r.summary.messages, 30,
        "input, preferred and non-preferred: one each"
    );
    let bad = pref.replace(
        r#","non_preferred_output":[{"role":"assistant","content":"b"}]"#,
        "",
    );
    let r = check(ContentCheck::FineTune, &[bad.as_str(); 10].join("\n"));
    assert_eq!(r.counts["missing_preference_field"], 10, "{r}");
    // Any one of its fields makes an example a preference one, whose rules say what is missing.
    for only in [
        r#"{"input":{"messages":[{"role":"user","content":"hi"}]}}"#,
        r#"{"preferred_output":[{"role":"assistant","content":"a"}]}"#,
        r#"{"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
    ] {
        let r = check(ContentCheck::FineTune, &[only; 10].join("\n"));
        assert_eq!(
            r.summary.by_kind.get("preference"),
            Some(&10),
            "{only}\n{r}"
        );
        assert_eq!(r.counts.get("missing_messages"), None, "{only}\n{r}");
    }

    // Reinforcement: no assistant message, with the grader's reference fields.
    let rft = r#"{"messages":[{"role":"user","content":"2+2?"}],"reference_answer":"4"}"#;
    let r = check(ContentCheck::FineTune, &[rft; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.by_kind["reinforcement"], 10);

    let legacy = r#"{"prompt":"a","completion":"b"}"#;
    let r = check(ContentCheck::FineTune, &[legacy; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(0, "legacy_format")]);

    // Tool calls stand in for an assistant's content; content parts are accepted.
    let tools = r#"{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}"#;
    let r = check(ContentCheck::FineTune, &[tools; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
}

#[test]
fn only_the_first_findings_are_kept_but_all_are_counted() {
    let text = format!("{}\n", "\n".repeat(30)) + &req("a");
    let r = check(ContentCheck::Batch, &text);
    assert_eq!(r.findings.len(), SHOWN_FINDINGS);
    assert_eq!(r.warnings, 31);
    assert_eq!(r.counts["blank_line"], 31);
    let more = format!(
        "... {} more not shown; all findings by kind: blank_line 31",
        31 - SHOWN_FINDINGS
    );
    assert!(r.to_string().contains(&more), "{r}");
    // The first error is kept even after the shown findings are full.
    let text = format!("{}{}\n{}\n", "\n".repeat(30), req("a"), req("a"));
    let r = check(ContentCheck::Batch, &text);
    assert_eq!(
        r.first_error.as_ref().map(|f| (f.line, f.kind)),
        Some((32, "duplicate_custom_id"))
    );
    assert!(
        r.to_string()
            .contains("line 32: error[duplicate_custom_id]"),
        "{r}"
    );
    assert_eq!(
        r.findings.len(),
        SHOWN_FINDINGS,
        "kept apart, not as a 21st"
    );
    // Shown: the first 20 and that error; 30 blank lines and 1 error in all.
    let more = format!("... {} more not shown", 31 - SHOWN_FINDINGS - 1);
    assert!(r.to_string().contains(&more), "{r}");
}

#[test]
fn reports_read_well() {
    let text = format!(
        "{}\n{}\n{}\n",
        req("a"),
        req("a").replace("POST", "GET"),
        req("b").replace("\"messages\"", "\"mesages\"")
    );
    let r = check(ContentCheck::Batch, &text);
    insta::assert_snapshot!("batch_report_human", r.to_string());
    insta::assert_json_snapshot!("batch_report_json", r);
    let r = check(
        ContentCheck::FineTune,
        &tune_with(&chat().replace("\"weight\":1", "\"weight\":0.5")),
    );
    insta::assert_snapshot!("fine_tune_report_human", r.to_string());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Generated valid batch files pass whatever their ids, models, texts and chunking.
    #[test]
    fn generated_valid_batch_files_pass(
        ids in proptest::collection::hash_set("[a-zA-Z0-9_\\-\"\\\\é]{1,12}", 1..40),
        model in "[a-z0-9.\\-]{1,20}",
        text in "\\PC{0,40}",
        chunk in 1usize..300,
        crlf in any::<bool>(),
    ) {
        let mut file = String::new();
        for id in &ids {
            let line = serde_json::json!({
                "custom_id": id, "method": "POST", "url": "/v1/chat/completions",
                "body": {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 5},
            });
            file.push_str(&line.to_string());
            file.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let mut c = Checker::new(ContentCheck::Batch);
        for part in file.as_bytes().chunks(chunk) {
            c.feed(part);
        }
        let r = c.finish();
        prop_assert!(r.is_ok() && r.warnings == 0, "{}", r);
        prop_assert_eq!(r.summary.records, ids.len() as u64);
    }

    /// Generated valid chat examples pass.
    #[test]
    fn generated_valid_fine_tune_files_pass(
        turns in proptest::collection::vec(("\\PC{0,30}", "\\PC{1,30}", proptest::option::of(0u8..2)), 1..6),
        examples in 10usize..30,
        chunk in 1usize..300,
    ) {
        let mut messages = vec![serde_json::json!({"role": "system", "content": "sys"})];
        for (user, assistant, weight) in &turns {
            messages.push(serde_json::json!({"role": "user", "content": user}));
            let mut m = serde_json::json!({"role": "assistant", "content": assistant});
            if let Some(w) = weight {
                m["weight"] = (*w).into();
            }
            messages.push(m);
        }
        let line = serde_json::json!({"messages": messages}).to_string();
        let file = vec![line; examples].join("\n");
        let mut c = Checker::new(ContentCheck::FineTune);
        for part in file.as_bytes().chunks(chunk) {
            c.feed(part);
        }
        let r = c.finish();
        prop_assert!(r.is_ok() && r.warnings == 0, "{}", r);
        prop_assert_eq!(r.summary.records, examples as u64);
    }
}

#[test]
fn purposes_with_a_check_and_likely_misspellings() {
    assert_eq!(
        ContentCheck::for_purpose("batch"),
        Some(ContentCheck::Batch)
    );
    assert_eq!(
        ContentCheck::for_purpose("fine-tune"),
        Some(ContentCheck::FineTune)
    );
    assert_eq!(ContentCheck::for_purpose("assistants"), None);
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
fn the_report_counts_embedding_inputs() {
    let line = r#"{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["x","y","z"]}}"#;
    let r = check(ContentCheck::Batch, line);
    assert_eq!(r.summary.embedding_inputs, 3);
    assert!(r.to_string().contains("; 3 embedding inputs"), "{r}");
    let r = check(ContentCheck::Batch, &req("a"));
    assert!(!r.to_string().contains("embedding inputs"), "{r}");
}

#[test]
fn has_errors_turns_true_at_the_first_error_only() {
    let mut c = Checker::new(ContentCheck::Batch);
    c.feed(format!("{}\n\n", req("a")).as_bytes());
    assert!(!c.has_errors(), "a blank line is a warning");
    c.feed(b"not json\n");
    assert!(c.has_errors());
}

#[test]
fn preference_inputs_and_message_fields_are_read_in_full() {
    let pref = |input: &str| {
        format!(
            r#"{{"input":{input},"preferred_output":[{{"role":"assistant","content":"a"}}],"non_preferred_output":[{{"role":"assistant","content":"b"}}]}}"#
        )
    };
    let cases = [
        (pref(r#"{"messages":[]}"#), "bad_preference_field"),
        (
            pref(r#"{"messages":[{"role":"user","content":"hi"}]}"#).replace(
                r#""preferred_output":[{"role":"assistant","content":"a"}]"#,
                r#""preferred_output":[]"#,
            ),
            "bad_preference_field",
        ),
        (
            pref(r#"{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}"#),
            "bad_tools",
        ),
    ];
    for (line, kind) in cases {
        let r = check(ContentCheck::FineTune, &[line.as_str(); 10].join("\n"));
        assert_eq!(r.counts.get(kind), Some(&10), "{line}\n{r}");
    }
    // A tool's parameters must be a schema object.
    let tools = |params: &str| {
        chat().replace(
            "]}",
            &format!(r#"],"tools":[{{"type":"function","function":{{"name":"f","parameters":{params}}}}}]}}"#),
        )
    };
    let r = check(ContentCheck::FineTune, &tune_with(&tools(r#""x""#)));
    assert_eq!(errors(&r), [(5, "bad_tools")], "{r}");
    let r = check(
        ContentCheck::FineTune,
        &tune_with(&tools(r#"{"type":"object"}"#)),
    );
    assert!(r.is_ok(), "{r}");
    // A message's known fields pass quietly; an unknown one is named.
    let known = chat().replace(r#""content":"hi""#, r#""content":"hi","name":"ann""#);
    let r = check(ContentCheck::FineTune, &tune_with(&known));
    assert!(r.is_ok() && r.warnings == 0, "{r}");
    let unknown = chat().replace(r#""content":"hi""#, r#""content":"hi","mood":"sunny""#);
    let r = check(ContentCheck::FineTune, &tune_with(&unknown));
    assert_eq!(warnings(&r), [(5, "unknown_message_field")], "{r}");
}

#[test]
fn either_legacy_field_makes_a_legacy_example() {
    for only in [r#"{"prompt":"a"}"#, r#"{"completion":"b"}"#] {
        let r = check(ContentCheck::FineTune, &[only; 10].join("\n"));
        assert_eq!(
            r.summary.by_kind.get("prompt-completion"),
            Some(&10),
            "{only}\n{r}"
        );
        assert_eq!(r.counts.get("missing_messages"), None, "{only}\n{r}");
    }
}

#[test]
fn duplicate_ids_are_tracked_for_four_batches_worth_of_lines() {
    // 200,000 ids are remembered; the one after them is the first not checked.
    let tracked = 4 * uploads_client::rules::MAX_BATCH_REQUESTS;
    let options = CheckOptions {
        file_limits: false,
        ..CheckOptions::default()
    };
    let mut c = Checker::with_options(ContentCheck::Batch, options);
    let mut text = String::new();
    for i in 0..=tracked {
        text.push_str(&req(&format!("r{i}")));
        text.push('\n');
    }
    c.feed(text.as_bytes());
    let r = c.finish();
    assert_eq!(warnings(&r), [(tracked + 1, "ids_not_tracked")], "{r}");
}
