//! The batch check: each finding at its line, the spec's body parameters, the limits.

use super::*;

#[test]
fn a_valid_batch_file_passes_with_its_summary() {
    let r = check(ContentFormat::Batch, &batch_with(&req("c")));
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
        let r = check(ContentFormat::Batch, &batch_with(&line));
        // A typo in the url is its own error: the line is not also "mixed" (issue 20).
        let want = vec![(3, kind)];
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
    let mut c = Checker::new(ContentFormat::Batch);
    c.feed(&text);
    let r = c.finish();
    assert_eq!(errors(&r), [(3, "invalid_json")], "{r}");
    assert!(r.findings[0].message.contains("not UTF-8"), "{r}");
    assert!(at < third);
    // The byte is counted from 1 within its line.
    let mut c = Checker::new(ContentFormat::Batch);
    c.feed(b"{\"a\xff\n");
    let r = c.finish();
    assert!(r.findings[0].message.contains("(byte 4 is invalid)"), "{r}");
}

#[test]
fn body_parameters_are_checked_against_the_spec() {
    let line = req("c").replace("\"messages\"", "\"mesages\"");
    let r = check(ContentFormat::Batch, &batch_with(&line));
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
    let mut c = Checker::with_options(ContentFormat::Batch, options);
    c.feed(batch_with(&line).as_bytes());
    let r = c.finish();
    assert_eq!((r.errors, r.warnings), (0, 0), "{r}");
    // A model the endpoint does not require is a warning, not an error.
    let img = r#"{"custom_id":"i","method":"POST","url":"/v1/images/generations","body":{"prompt":"a cat"}}"#;
    let r = check(ContentFormat::Batch, img);
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
    let r = check(ContentFormat::Batch, &text);
    assert_eq!(errors(&r), [(max + 1, "too_many_requests")], "{r}");
    let r = {
        let options = CheckOptions {
            file_limits: false,
            ..CheckOptions::default()
        };
        let mut c = Checker::with_options(ContentFormat::Batch, options);
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
    let r = check(ContentFormat::Batch, &text);
    assert_eq!(errors(&r), [(3, "too_many_embedding_inputs")], "{r}");
    assert_eq!(r.summary.embedding_inputs, 60_001);
}

#[test]
fn the_byte_limit_is_found_where_the_file_passes_it() {
    let mut c = Checker::new(ContentFormat::Batch);
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
    let mut c = Checker::new(ContentFormat::Batch);
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
    let r = check(ContentFormat::Batch, &text);
    assert!(r.is_ok(), "{r}");
    assert_eq!(warnings(&r), [(1, "byte_order_mark"), (2, "blank_line")]);
    assert_eq!(r.summary.records, 3);
    assert_eq!(r.summary.crlf_lines, 3);
    assert_eq!(r.summary.blank_lines, 1);
    assert_eq!(r.summary.lines, 4);
    assert_eq!(r.summary.bytes, text.len() as u64);
}

#[test]
fn duplicate_ids_are_tracked_for_four_batches_worth_of_lines() {
    // 200,000 ids are remembered; the one after them is the first not checked.
    let tracked = 4 * uploads_client::rules::MAX_BATCH_REQUESTS;
    let options = CheckOptions {
        file_limits: false,
        ..CheckOptions::default()
    };
    let mut c = Checker::with_options(ContentFormat::Batch, options);
    let mut text = String::new();
    for i in 0..=tracked {
        text.push_str(&req(&format!("r{i}")));
        text.push('\n');
    }
    // And past them, a repeat of a remembered id is not compared either.
    text.push_str(&req("r0"));
    text.push('\n');
    c.feed(text.as_bytes());
    let r = c.finish();
    assert_eq!(warnings(&r), [(tracked + 1, "ids_not_tracked")], "{r}");
    assert_eq!(r.errors, 0, "{r}");
}

/// A line is taken for another format only when it has none of a request's keys.
#[test]
fn a_request_with_a_stray_key_is_not_another_format() {
    let kinds = |line: &str| {
        let r = check(ContentFormat::Batch, &format!("{line}\n"));
        errors(&r).into_iter().map(|(_, k)| k).collect::<Vec<_>>()
    };
    let messages = r#""messages":[{"role":"user","content":"hi"}]"#;
    // Messages beside the body, or in place of it: a request gone wrong, not a fine-tune file.
    let extra = req("a").replacen('{', &format!("{{{messages},"), 1);
    assert!(!kinds(&extra).contains(&"foreign_format"), "{extra}");
    let no_body =
        format!(r#"{{"custom_id":"a","method":"POST","url":"/v1/chat/completions",{messages}}}"#);
    assert!(!kinds(&no_body).contains(&"foreign_format"), "{no_body}");
    assert_eq!(
        kinds(&format!("{{{messages}}}")),
        ["foreign_format", "no_requests"]
    );
    // A request without its custom_id is not a Gemini line.
    let no_id = req("a").replacen(r#""custom_id":"a","#, "", 1);
    assert!(!kinds(&no_id).contains(&"foreign_format"), "{no_id}");
    let stray = req("a").replacen('{', r#"{"request":{},"#, 1);
    assert!(!kinds(&stray).contains(&"foreign_format"), "{stray}");
    assert_eq!(
        kinds(r#"{"request":{"contents":[]}}"#),
        ["foreign_format", "no_requests"]
    );
}

/// Over 200 MB (the guide's figure) is a warning; 200 MB exactly is not.
#[test]
fn exactly_200_mb_is_no_warning() {
    for (bytes, warned) in [(200_000_000, false), (200_000_001, true)] {
        let mut c = Checker::new(ContentFormat::Batch);
        c.feed(format!("{}\n", req("a")).as_bytes());
        c.summary.bytes = bytes;
        let r = c.finish();
        assert_eq!(
            warnings(&r) == [(0, "file_near_limit")],
            warned,
            "{bytes}: {r}"
        );
    }
}

/// A key written with an escape is the key it spells, as JSON reads it.
#[test]
fn an_escaped_key_is_the_key_it_spells() {
    let line = req("a").replacen("custom_id", r"cust\u006fm_id", 1);
    let r = check(ContentFormat::Batch, &format!("{line}\n"));
    assert!(r.is_ok(), "{line}\n{r}");
    let tune = chat().replacen("messages", r"m\u0065ssages", 1);
    let r = check(ContentFormat::FineTune, &[tune.as_str(); 10].join("\n"));
    assert!(r.is_ok(), "{tune}\n{r}");
}

#[test]
fn embedding_inputs_up_to_the_cap_pass() {
    let max = uploads_client::rules::MAX_BATCH_EMBEDDING_INPUTS;
    let emb = |id: &str, input: &str| {
        format!(
            r#"{{"custom_id":"{id}","method":"POST","url":"/v1/embeddings","body":{{"model":"text-embedding-3-small","input":{input}}}}}"#
        )
    };
    let rest: Vec<String> = (1..max).map(|i| format!("\"t{i}\"")).collect();
    let rest = format!("[{}]", rest.join(","));
    let at_cap = format!("{}\n{}\n", emb("a", "[1,2,3]"), emb("b", &rest));
    let r = check(ContentFormat::Batch, &at_cap);
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.embedding_inputs, max);
    let past = format!("{at_cap}{}\n{}\n", emb("c", "\"one\""), emb("d", "\"two\""));
    let r = check(ContentFormat::Batch, &past);
    assert_eq!(errors(&r), [(3, "too_many_embedding_inputs")], "{r}");
}

#[test]
fn a_body_whose_names_all_differ_from_the_last_is_checked() {
    // The same number of parameters as the clean body before it, each one different: checked
    // as a new list, not passed as the one already found clean.
    let line = r#"{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"mesages":[{"role":"user","content":"hi"}],"model":"gpt-4o-mini"}}"#;
    let r = check(ContentFormat::Batch, &batch_with(line));
    assert_eq!(
        warnings(&r),
        [(3, "unknown_parameter"), (3, "missing_parameter")],
        "{r}"
    );
    // And the clean list after it is clean again.
    assert_eq!(r.warnings, 2, "{r}");
}
