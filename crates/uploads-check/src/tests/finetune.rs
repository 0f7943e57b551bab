//! The fine-tune check: each finding at its line, and every format.

use super::*;

#[test]
fn each_fine_tune_error_is_found_at_its_line() {
    let cases: Vec<(String, &str)> = vec![
        (r#"{"messages":[{"role":"user","content":"hi"}]}"#.into(), "no_assistant_message"),
        (chat().replace("\"weight\":1", "\"weight\":2"), "bad_weight"),
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
        let r = check(ContentFormat::FineTune, &tune_with(&line));
        assert_eq!(errors(&r), [(5, kind)], "{line}\n{r}");
    }
}

#[test]
fn what_is_not_documented_is_a_warning() {
    // A weight on a user message: documented for assistant messages only (issue 20, item 5).
    let line = chat().replace("\"content\":\"hi\"", "\"content\":\"hi\",\"weight\":0");
    let r = check(ContentFormat::FineTune, &tune_with(&line));
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(5, "weight_not_on_assistant")]);
    // Fewer than 10 examples: an error in a training file, a warning in a validation file.
    let nine = vec![chat(); 9].join("\n");
    let r = check(ContentFormat::FineTune, &nine);
    assert_eq!(errors(&r), [(0, "too_few_examples")], "{r}");
    let validation = CheckOptions {
        validation: true,
        ..CheckOptions::default()
    };
    let r = check_with(ContentFormat::FineTune, &nine, validation);
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(0, "too_few_examples")]);
}

#[test]
fn too_few_examples_and_the_other_formats() {
    let r = check(ContentFormat::FineTune, &vec![chat(); 9].join("\n"));
    assert_eq!(errors(&r), [(0, "too_few_examples")], "{r}");

    let pref = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;
    let r = check(ContentFormat::FineTune, &[pref; 10].join("\n"));
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
    let r = check(ContentFormat::FineTune, &[bad.as_str(); 10].join("\n"));
    assert_eq!(r.counts["missing_preference_field"], 10, "{r}");
    // Any one of its fields makes an example a preference one, whose rules say what is missing.
    for only in [
        r#"{"input":{"messages":[{"role":"user","content":"hi"}]}}"#,
        r#"{"preferred_output":[{"role":"assistant","content":"a"}]}"#,
        r#"{"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
    ] {
        let r = check(ContentFormat::FineTune, &[only; 10].join("\n"));
        assert_eq!(
            r.summary.by_kind.get("preference"),
            Some(&10),
            "{only}\n{r}"
        );
        assert_eq!(r.counts.get("missing_messages"), None, "{only}\n{r}");
    }

    // Reinforcement: no assistant message, with the grader's reference fields, or without.
    for rft in [
        r#"{"messages":[{"role":"user","content":"2+2?"}],"reference_answer":"4"}"#,
        r#"{"messages":[{"role":"user","content":"2+2?"}]}"#,
    ] {
        let r = check(ContentFormat::FineTune, &[rft; 10].join("\n"));
        assert!(r.is_ok() && r.warnings == 0, "{r}");
        assert_eq!(r.summary.by_kind["chat"], 10);
    }

    let legacy = r#"{"prompt":"a","completion":"b"}"#;
    let r = check(ContentFormat::FineTune, &[legacy; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(0, "legacy_format")]);

    // Tool calls stand in for an assistant's content; content parts are accepted.
    let tools = r#"{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}"#;
    let r = check(ContentFormat::FineTune, &[tools; 10].join("\n"));
    assert!(r.is_ok(), "{r}");
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
        let r = check(ContentFormat::FineTune, &[line.as_str(); 10].join("\n"));
        assert_eq!(r.counts.get(kind), Some(&10), "{line}\n{r}");
    }
    // A tool's parameters must be a schema object.
    let tools = |params: &str| {
        chat().replace(
            "]}",
            &format!(r#"],"tools":[{{"type":"function","function":{{"name":"f","parameters":{params}}}}}]}}"#),
        )
    };
    let r = check(ContentFormat::FineTune, &tune_with(&tools(r#""x""#)));
    assert_eq!(errors(&r), [(5, "bad_tools")], "{r}");
    let r = check(
        ContentFormat::FineTune,
        &tune_with(&tools(r#"{"type":"object"}"#)),
    );
    assert!(r.is_ok(), "{r}");
    // A message's known fields pass quietly; an unknown one is named.
    let known = chat().replace(r#""content":"hi""#, r#""content":"hi","name":"ann""#);
    let r = check(ContentFormat::FineTune, &tune_with(&known));
    assert!(r.is_ok() && r.warnings == 0, "{r}");
    let unknown = chat().replace(r#""content":"hi""#, r#""content":"hi","mood":"sunny""#);
    let r = check(ContentFormat::FineTune, &tune_with(&unknown));
    assert_eq!(warnings(&r), [(5, "unknown_message_field")], "{r}");
}

#[test]
fn either_legacy_field_makes_a_legacy_example() {
    for only in [r#"{"prompt":"a"}"#, r#"{"completion":"b"}"#] {
        let r = check(ContentFormat::FineTune, &[only; 10].join("\n"));
        assert_eq!(
            r.summary.by_kind.get("prompt-completion"),
            Some(&10),
            "{only}\n{r}"
        );
        assert_eq!(r.counts.get("missing_messages"), None, "{only}\n{r}");
    }
}

#[test]
fn empty_messages_and_half_a_prompt_completion_pair_are_errors() {
    let cases = [
        (r#"{"messages":[]}"#, "empty_messages"),
        (r#"{"prompt":"a"}"#, "bad_prompt_completion"),
        (r#"{"completion":"b"}"#, "bad_prompt_completion"),
        (r#"{"prompt":"a","completion":5}"#, "bad_prompt_completion"),
    ];
    for (line, kind) in cases {
        let r = check(ContentFormat::FineTune, &[line; 10].join("\n"));
        assert_eq!(r.counts.get(kind), Some(&10), "{line}\n{r}");
    }
    let r = check(
        ContentFormat::FineTune,
        &[r#"{"prompt":"a","completion":"b"}"#; 10].join("\n"),
    );
    assert!(r.is_ok(), "{r}");
}

#[test]
fn another_tools_format_is_named_only_without_ours() {
    // One of TRL's two keys is enough to name it.
    let rejected_only = r#"{"prompt":"hi","rejected":"b"}"#;
    let r = check(ContentFormat::FineTune, &[rejected_only; 10].join("\n"));
    assert_eq!(r.counts.get("foreign_format"), Some(&10), "{r}");
    // A chat or preference example with a stray key of another format is ours.
    let chat_plus = chat().replacen('{', r#"{"chosen":"a","#, 1);
    let r = check(
        ContentFormat::FineTune,
        &[chat_plus.as_str(); 10].join("\n"),
    );
    assert_eq!(r.counts.get("foreign_format"), None, "{r}");
}

#[test]
fn assistant_replies_preference_inputs_and_function_names_are_held_to_their_rules() {
    // An assistant message with neither content nor tool calls has nothing to learn from.
    let silent = chat().replace(r#""content":"hello","#, "");
    let r = check(ContentFormat::FineTune, &tune_with(&silent));
    assert_eq!(errors(&r), [(5, "missing_content")], "{r}");
    // A function with an empty name is no function.
    let unnamed = chat().replace(
        "]}",
        r#"],"tools":[{"type":"function","function":{"name":""}}]}"#,
    );
    let r = check(ContentFormat::FineTune, &tune_with(&unnamed));
    assert_eq!(errors(&r), [(5, "bad_tools")], "{r}");
    // A preference input that is not an object is named as such.
    let pref = r#"{"input":5,"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"},{"role":"assistant","content":"c"}]}"#;
    let r = check(ContentFormat::FineTune, &[pref; 10].join("\n"));
    assert_eq!(r.counts["bad_preference_field"], 10, "{r}");
    assert!(
        r.findings[0]
            .message
            .contains("input must be an object with messages"),
        "{r}"
    );
    // Messages are counted in every field of a preference example.
    let pref = pref.replace(
        "5",
        r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"user","content":"q"}]}"#,
    );
    let r = check(ContentFormat::FineTune, &[pref.as_str(); 10].join("\n"));
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.messages, 10 * (3 + 1 + 2));
}

#[test]
fn a_preference_examples_images_are_counted_over_all_its_fields() {
    let image = r#"{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}"#;
    let user = |images: usize| {
        format!(
            r#"{{"role":"user","content":[{}]}}"#,
            vec![image; images].join(",")
        )
    };
    let assistant = |images: usize| {
        format!(
            r#"[{{"role":"assistant","content":[{}]}}]"#,
            vec![image; images].join(",")
        )
    };
    let pref = |input: usize, preferred: usize, non_preferred: usize| {
        format!(
            r#"{{"input":{{"messages":[{}]}},"preferred_output":{},"non_preferred_output":{}}}"#,
            user(input),
            assistant(preferred),
            assistant(non_preferred)
        )
    };
    // Ten in the input is the most an example takes; one more in either output passes it.
    for (line, too_many) in [
        (pref(10, 0, 0), false),
        (pref(11, 0, 0), true),
        (pref(10, 1, 0), true),
        (pref(9, 0, 2), true),
    ] {
        let r = check(ContentFormat::FineTune, &[line.as_str(); 10].join("\n"));
        assert_eq!(
            r.counts.get("too_many_images").copied(),
            too_many.then_some(10),
            "{line}\n{r}"
        );
    }
}
