//! The step options' unit tests: what fits which purpose, each limit at its edge, KEY=VALUE pairs, the validation file.

use super::*;

fn args() -> ThenArgs {
    ThenArgs {
        completion_window: "24h".into(),
        timeout: Duration::from_secs(60),
        output_dir: ".".into(),
        ..ThenArgs::default()
    }
}

#[test]
fn a_step_that_does_not_fit_the_purpose_or_its_options_is_refused_before_anything_is_read() {
    let batch = ThenArgs {
        then: Some(Then::Batch),
        ..args()
    };
    assert!(usage(&batch, &Purpose::Batch).is_ok());
    assert!(
        usage(&batch, &Purpose::FineTune)
            .unwrap_err()
            .contains("-p batch")
    );
    let ft = ThenArgs {
        then: Some(Then::FineTune),
        ..args()
    };
    assert!(
        usage(&ft, &Purpose::FineTune)
            .unwrap_err()
            .contains("--model")
    );
    let ft = ThenArgs {
        model: Some("m".into()),
        ..ft
    };
    assert!(usage(&ft, &Purpose::FineTune).is_ok());
    let wrong = ThenArgs {
        endpoint: Some("/v1/embeddings".into()),
        ..ft
    };
    assert_eq!(
        usage(&wrong, &Purpose::FineTune).unwrap_err(),
        "--endpoint is for --then batch"
    );
    let vs = ThenArgs {
        vector_store: Some("new: ".into()),
        ..args()
    };
    assert!(
        usage(&vs, &Purpose::Assistants)
            .unwrap_err()
            .contains("needs a name")
    );
    let chunks = ThenArgs {
        vector_store: Some("vs_1".into()),
        chunk_size: Some(800),
        chunk_overlap: Some(401),
        ..args()
    };
    assert!(
        usage(&chunks, &Purpose::Assistants)
            .unwrap_err()
            .contains("at most half")
    );
    let many = ThenArgs {
        then: Some(Then::Batch),
        metadata: (0..16).map(|i| (i.to_string(), "v".into())).collect(),
        ..args()
    };
    assert!(
        usage(&many, &Purpose::Batch)
            .unwrap_err()
            .contains("at most 15")
    );
    let lone_wait = ThenArgs {
        wait: true,
        ..args()
    };
    assert!(usage(&lone_wait, &Purpose::Batch).is_err());
}

#[test]
fn a_validation_file_is_a_local_file_or_a_file_id_and_anything_else_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("valid.jsonl");
    std::fs::write(&local, "{}\n").unwrap();
    let with = |v: &str| {
        usage(
            &ThenArgs {
                then: Some(Then::FineTune),
                model: Some("gpt-4o-mini-2024-07-18".into()),
                validation_file: Some(v.into()),
                ..args()
            },
            &Purpose::FineTune,
        )
    };
    assert_eq!(with(local.to_str().unwrap()), Ok(()));
    assert_eq!(with("file-abc123"), Ok(()));
    let missing = dir.path().join("missing.jsonl");
    let missing = missing.to_str().unwrap();
    assert_eq!(
        with(missing),
        Err(format!(
            "--validation-file {missing}: no such file; give a local file, or the id of a File already uploaded (file-…)"
        ))
    );
    // A folder is no file either.
    assert!(with(dir.path().to_str().unwrap()).is_err());
}

#[test]
fn a_pair_is_a_named_key_and_the_value_as_written() {
    let pair = |k: &str, v: &str| Ok((k.to_owned(), v.to_owned()));
    assert_eq!(parse_pair("team=search"), pair("team", "search"));
    // The key is trimmed; the value is kept as written, '=' and spaces included.
    assert_eq!(parse_pair(" run = a=b "), pair("run", " a=b "));
    assert_eq!(parse_pair("empty="), pair("empty", ""));
    for bad in ["no-equals", "=value", "  =value", ""] {
        assert_eq!(
            parse_pair(bad),
            Err(format!("{bad:?} is not KEY=VALUE")),
            "{bad:?}"
        );
    }
}

#[test]
fn each_limit_of_the_step_is_taken_at_its_edge_and_refused_past_it() {
    // No step at all: nothing to say.
    assert_eq!(usage(&args(), &Purpose::Batch), Ok(()));
    let lone_metadata = ThenArgs {
        metadata: vec![("k".into(), "v".into())],
        ..args()
    };
    assert_eq!(
        usage(&lone_metadata, &Purpose::Batch).unwrap_err(),
        "--wait and --metadata are for --then or --vector-store"
    );
    let batch = |metadata: usize| ThenArgs {
        then: Some(Then::Batch),
        metadata: (0..metadata).map(|i| (i.to_string(), "v".into())).collect(),
        ..args()
    };
    assert_eq!(usage(&batch(15), &Purpose::Batch), Ok(()));
    assert!(
        usage(&batch(16), &Purpose::Batch)
            .unwrap_err()
            .starts_with("16 --metadata pairs: at most 15")
    );
    let ft = |suffix: String| ThenArgs {
        then: Some(Then::FineTune),
        model: Some("gpt-4o-mini-2024-07-18".into()),
        suffix: Some(suffix),
        ..args()
    };
    // Characters, not bytes: 64 two-byte characters are 64.
    assert_eq!(usage(&ft("é".repeat(64)), &Purpose::FineTune), Ok(()));
    assert_eq!(
        usage(&ft("é".repeat(65)), &Purpose::FineTune).unwrap_err(),
        "--suffix takes at most 64 characters"
    );
    assert_eq!(
        usage(&ft("s".into()), &Purpose::Batch).unwrap_err(),
        "--then fine-tune trains on the file: use it with -p fine-tune"
    );
    let chunks = |size: u32, overlap: Option<u32>| ThenArgs {
        vector_store: Some("vs_1".into()),
        chunk_size: Some(size),
        chunk_overlap: overlap,
        ..args()
    };
    for (size, overlap) in [
        (100, Some(50)),
        (4096, Some(2048)),
        (800, Some(400)),
        (801, None),
    ] {
        assert_eq!(
            usage(&chunks(size, overlap), &Purpose::Assistants),
            Ok(()),
            "{size} {overlap:?}"
        );
    }
    for size in [99, 4097] {
        assert_eq!(
            usage(&chunks(size, None), &Purpose::Assistants).unwrap_err(),
            format!("--chunk-size {size}: the service takes 100 to 4096 tokens")
        );
    }
    assert_eq!(
        usage(&chunks(801, Some(401)), &Purpose::Assistants).unwrap_err(),
        "--chunk-overlap 401: at most half of --chunk-size (400)"
    );
}
