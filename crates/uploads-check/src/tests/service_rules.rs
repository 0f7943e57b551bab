//! The rules issue 20 found wrong on real files: each a case that failed before (commit
//! dc02cb9) and holds now.

use super::*;

fn method(m: FineTuneMethod) -> CheckOptions {
    CheckOptions {
        method: Some(m),
        ..CheckOptions::default()
    }
}

fn lines(line: &str, n: usize) -> String {
    vec![line; n].join("\n")
}

#[test]
fn one_model_per_batch_file() {
    let other = req("c").replace("gpt-4o-mini", "gpt-4o");
    let r = check(ContentFormat::Batch, &batch_with(&other));
    assert_eq!(errors(&r), [(3, "model_mismatch")], "{r}");
    let message = &r.findings[0].message;
    assert!(
        message.contains("\"gpt-4o\"") && message.contains("the file's \"gpt-4o-mini\""),
        "{message}"
    );
}

#[test]
fn a_bad_first_line_blames_only_itself() {
    // Batch: a url typo on line 1; the three correct lines get nothing.
    let typo = req("z").replace("/v1/chat/completions", "/v1/chat/completion");
    let text = format!("{typo}\n{}\n{}\n{}\n", req("a"), req("b"), req("d"));
    let r = check(ContentFormat::Batch, &text);
    assert_eq!(errors(&r), [(1, "unknown_url")], "{r}");
    // And an endpoint most lines do not use is the odd one, wherever it stands.
    let embed = r#"{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"gpt-4o-mini","input":"x"}}"#;
    let text = format!("{embed}\n{}\n{}\n{}\n", req("a"), req("b"), req("d"));
    let r = check(ContentFormat::Batch, &text);
    assert_eq!(errors(&r), [(1, "mixed_urls")], "{r}");

    // Fine-tune: line 1 has no assistant reply; all lines carry an extra field.
    let good = chat().replace("]}", "],\"id\":1}");
    let bad = r#"{"messages":[{"role":"user","content":"hi"}],"id":0}"#;
    let text = format!("{bad}\n{}", lines(&good, 9));
    let r = check(ContentFormat::FineTune, &text);
    assert_eq!(errors(&r), [(1, "no_assistant_message")], "{r}");
    assert_eq!(r.errors, 1);
}

#[test]
fn reinforcement_examples_are_not_errors_and_the_method_decides() {
    let rft = r#"{"messages":[{"role":"user","content":"2+2?"}]}"#;
    let r = check(ContentFormat::FineTune, &lines(rft, 10));
    assert!(r.is_ok() && r.warnings == 0, "{r}");
    // Told it is for a supervised job: each example lacks the reply.
    let r = check_with(
        ContentFormat::FineTune,
        &lines(rft, 10),
        method(FineTuneMethod::Supervised),
    );
    assert_eq!(r.counts["no_assistant_message"], 10, "{r}");
    // A supervised file checked for a reinforcement job: warnings, not errors.
    let r = check_with(
        ContentFormat::FineTune,
        &lines(&chat(), 10),
        method(FineTuneMethod::Reinforcement),
    );
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.counts["reinforcement_ends_with_reply"], 10);
    // Supervised examples under --method supervised: nothing to say.
    let r = check_with(
        ContentFormat::FineTune,
        &lines(&chat(), 10),
        method(FineTuneMethod::Supervised),
    );
    assert!(r.is_ok() && r.warnings == 0, "{r}");
    // A reply mid-way and a question at the end fits both: said, as a warning.
    let both = r#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"#;
    let r = check(ContentFormat::FineTune, &lines(both, 10));
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(0, "fits_several_methods")]);
    assert!(
        r.findings[0]
            .message
            .contains("supervised and reinforcement"),
        "{r}"
    );
    // A preference example under --method supervised is the wrong format.
    let pref = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;
    let r = check_with(
        ContentFormat::FineTune,
        &lines(pref, 10),
        method(FineTuneMethod::Supervised),
    );
    assert_eq!(r.counts["mixed_formats"], 10, "{r}");
    assert_eq!(
        "reinforcement".parse::<FineTuneMethod>(),
        Ok(FineTuneMethod::Reinforcement)
    );
    assert!("rl".parse::<FineTuneMethod>().is_err());
}

#[test]
fn message_rules_the_service_enforces() {
    let with = |messages: &str| format!(r#"{{"messages":[{messages}]}}"#);
    let user = r#"{"role":"user","content":"hi"}"#;
    let reply = r#"{"role":"assistant","content":"ok"}"#;
    let image = r#"{"type":"image_url","image_url":{"url":"https://x/a.png"}}"#;
    let cases = [
        (
            with(&format!(
                r#"{user},{{"role":"assistant","tool_calls":[{{"id":"1","type":"function","function":{{"name":"f","arguments":"{{}}"}}}}]}},{{"role":"tool","tool_call_id":"1","content":[{{"type":"text","text":"42"}}]}},{reply}"#
            )),
            "tool_content_not_string",
            "messages[2]",
        ),
        (
            with(&format!(
                r#"{user},{{"role":"assistant","content":[{image}]}}"#
            )),
            "image_not_in_user_message",
            "messages[1]",
        ),
        (
            with(&format!(
                r#"{{"role":"user","content":[{}]}},{reply}"#,
                [image; 11].join(",")
            )),
            "too_many_images",
            "11 images",
        ),
        (
            with(&format!(
                r#"{{"role":"user","content":[{{"type":"input_audio","input_audio":{{"data":"","format":"wav"}}}}]}},{reply}"#
            )),
            "unsupported_content_part",
            "messages[0].content[0]",
        ),
        (
            with(&format!(
                r#"{{"role":"user","content":[{{"type":"file","file":{{"file_id":"f"}}}}]}},{reply}"#
            )),
            "unsupported_content_part",
            "\"file\"",
        ),
    ];
    for (line, kind, names) in cases {
        let r = check(ContentFormat::FineTune, &tune_with(&line));
        assert_eq!(errors(&r), [(5, kind)], "{line}\n{r}");
        assert!(
            r.findings.iter().any(|f| f.message.contains(names)),
            "{names}: {r}"
        );
    }
    // Ten images in a user message are fine.
    let ten = with(&format!(
        r#"{{"role":"user","content":[{}]}},{reply}"#,
        [image; 10].join(",")
    ));
    assert!(check(ContentFormat::FineTune, &tune_with(&ten)).is_ok());
}

#[test]
fn between_200_mb_and_200_mib_is_a_warning() {
    let line = req("x");
    let mut c = Checker::new(ContentFormat::Batch);
    // One request, then padding that JSON allows: spaces ending the line.
    c.feed(line.as_bytes());
    let pad = 200_000_001 - line.len() - 1;
    let spaces = vec![b' '; 1 << 20];
    let mut left = pad;
    while left > 0 {
        let n = left.min(spaces.len());
        c.feed(&spaces[..n]);
        left -= n;
    }
    c.feed(b"\n");
    let r = c.finish();
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.bytes, 200_000_001);
    assert_eq!(warnings(&r), [(0, "file_near_limit")]);
}

#[test]
fn whole_file_mistakes_get_one_error() {
    let ten = lines(&chat(), 10);
    let utf16: Vec<u8> = ten.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16_bom: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(utf16.iter().copied())
        .collect();
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&chat()).unwrap())
            .unwrap();
    let array = format!("[{}]", vec![chat(); 10].join(","));
    let array_lines = format!("[\n{}\n]", vec![chat(); 10].join(",\n"));
    let python = lines(r#"{'messages': [{'role': 'user', 'content': 'hi'}]}"#, 10);
    let cr = ten.replace('\n', "\r");
    let cases: [(&[u8], &str); 7] = [
        (&utf16, "utf16"),
        (&utf16_bom, "utf16"),
        (pretty.as_bytes(), "pretty_printed_json"),
        (array.as_bytes(), "json_array"),
        (array_lines.as_bytes(), "json_array"),
        (python.as_bytes(), "python_dict"),
        (cr.as_bytes(), "cr_line_ends"),
    ];
    for (text, kind) in cases {
        for chunk in [7, 1 << 20] {
            let mut c = Checker::new(ContentFormat::FineTune);
            for part in text.chunks(chunk) {
                c.feed(part);
            }
            let r = c.finish();
            assert_eq!(errors(&r), [(1, kind)], "{kind} in chunks of {chunk}:\n{r}");
            assert_eq!(r.errors, 1, "{r}");
            assert_eq!(r.summary.records, 0, "nothing counted as an example: {r}");
        }
    }
    // CRLF is fine, and a Python line amid JSON lines is its own error with a hint.
    assert!(check(ContentFormat::FineTune, &ten.replace('\n', "\r\n")).is_ok());
    let r = check(ContentFormat::FineTune, &tune_with("{'messages': []}"));
    assert_eq!(errors(&r), [(5, "invalid_json")], "{r}");
    assert!(r.findings[0].message.contains("json.dumps"), "{r}");
    // Lines that do not parse are not counted as examples.
    assert_eq!(r.summary.records, 10);
}

#[test]
fn neighbouring_formats_are_named() {
    let trl = r#"{"prompt":"hi","chosen":"a","rejected":"b"}"#;
    let sharegpt =
        r#"{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"ok"}]}"#;
    let gemini = r#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#;
    for (line, names) in [(trl, "TRL"), (sharegpt, "ShareGPT"), (gemini, "Gemini")] {
        let r = check(ContentFormat::FineTune, &lines(line, 10));
        assert_eq!(r.counts["foreign_format"], 10, "{r}");
        assert!(r.findings[0].message.contains(names), "{r}");
        assert!(
            r.findings[0].message.contains("\"messages\"")
                || r.findings[0].message.contains("preferred_output"),
            "{r}"
        );
        assert_eq!(r.counts.get("bad_prompt_completion"), None, "{r}");
    }
    let gemini_batch = r#"{"request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}"#;
    let r = check(ContentFormat::Batch, &lines(gemini_batch, 3));
    assert_eq!(r.counts["foreign_format"], 3, "{r}");
    assert_eq!(r.counts.get("missing_custom_id"), None, "{r}");
    // A fine-tuning file sent as a batch file: said as such, one error a line, not four.
    let example =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#;
    let r = check(ContentFormat::Batch, &lines(example, 12));
    assert_eq!(r.counts["foreign_format"], 12, "{r}");
    assert_eq!(r.counts.get("missing_custom_id"), None, "{r}");
    assert!(
        r.findings[0].message.contains("is this a fine-tune file?"),
        "{r}"
    );
    // Did-you-mean across the formats' field names.
    let misspelt = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_completion":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#;
    let r = check(ContentFormat::FineTune, &lines(misspelt, 10));
    let hint = r
        .findings
        .iter()
        .find(|f| f.kind == "unknown_field")
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        hint.message.contains("did you mean \"preferred_output\""),
        "{r}"
    );
}

#[test]
fn repeated_body_parameters_are_judged_on_every_line() {
    // The same misspelt parameter on every line: a warning on each, though the fast reading
    // does not list a body's names when they repeat the last one's.
    let line = |id: usize| {
        format!(
            r#"{{"custom_id":"r{id}","method":"POST","url":"/v1/chat/completions","body":{{"model":"gpt-4o-mini","mesages":[]}}}}"#
        )
    };
    let text: String = (0..5).map(|i| line(i) + "\n").collect();
    let r = check(ContentFormat::Batch, &text);
    assert_eq!(r.counts["unknown_parameter"], 5, "{r}");
    assert_eq!(r.counts["missing_parameter"], 5, "{r}");
    // Clean names, then the same names for another endpoint that does not take them.
    let chat = req("a");
    let embed = req("b").replace("/v1/chat/completions", "/v1/embeddings");
    let r = check(ContentFormat::Batch, &format!("{chat}\n{embed}\n"));
    assert!(
        r.counts.contains_key("unknown_parameter") || r.counts.contains_key("missing_parameter"),
        "{r}"
    );
}
