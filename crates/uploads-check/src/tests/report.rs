//! Reports: what is kept and counted, and how they read (snapshots).

use super::*;

#[test]
fn only_the_first_findings_are_kept_but_all_are_counted() {
    let text = format!("{}\n", "\n".repeat(30)) + &req("a");
    let r = check(ContentFormat::Batch, &text);
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
    let r = check(ContentFormat::Batch, &text);
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
    let r = check(ContentFormat::Batch, &text);
    insta::assert_snapshot!("batch_report_human", r.to_string());
    insta::assert_json_snapshot!("batch_report_json", r);
    let r = check(
        ContentFormat::FineTune,
        &tune_with(&chat().replace("\"weight\":1", "\"weight\":0.5")),
    );
    insta::assert_snapshot!("fine_tune_report_human", r.to_string());
}

#[test]
fn the_report_counts_embedding_inputs() {
    let line = r#"{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["x","y","z"]}}"#;
    let r = check(ContentFormat::Batch, line);
    assert_eq!(r.summary.embedding_inputs, 3);
    assert!(r.to_string().contains("; 3 embedding inputs"), "{r}");
    let r = check(ContentFormat::Batch, &req("a"));
    assert!(!r.to_string().contains("embedding inputs"), "{r}");
}

#[test]
fn a_report_with_an_error_is_not_ok_and_only_hidden_marks_are_escaped() {
    let r = check(ContentFormat::Batch, "not json\n");
    assert!(!r.is_ok(), "{r}");
    assert!(check(ContentFormat::Batch, &format!("{}\n", req("a"))).is_ok());
    for mark in ['\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}', '\u{061C}'] {
        assert!(is_hidden_mark(mark), "{mark:?}");
    }
    for plain in ['a', 'é', '\u{2010}', '\u{2065}', '\u{202F}', ' '] {
        assert!(!is_hidden_mark(plain), "{plain:?}");
    }
}
