//! Generated valid files pass whatever their ids, texts and chunking.

use proptest::prelude::*;

use super::*;

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
        let mut c = Checker::new(ContentFormat::Batch);
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
        let mut c = Checker::new(ContentFormat::FineTune);
        for part in file.as_bytes().chunks(chunk) {
            c.feed(part);
        }
        let r = c.finish();
        prop_assert!(r.is_ok() && r.warnings == 0, "{}", r);
        prop_assert_eq!(r.summary.records, examples as u64);
    }
}
