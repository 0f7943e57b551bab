//! Selection as table tests over a temporary tree.
use super::*;

/// A tree: a/x.pdf, a/y.txt, a/b/z.pdf, a/b/draft.pdf, a/empty.pdf, top.pdf.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("a/b")).unwrap();
    for f in [
        "a/x.pdf",
        "a/y.txt",
        "a/b/z.pdf",
        "a/b/draft.pdf",
        "top.pdf",
    ] {
        std::fs::write(d.join(f), b"data").unwrap();
    }
    std::fs::write(d.join("a/empty.pdf"), b"").unwrap();
    dir
}

fn run(d: &Path, paths: &[&str], include: &[&str], exclude: &[&str]) -> (Vec<String>, Vec<String>) {
    let paths: Vec<PathBuf> = paths.iter().map(|p| d.join(p)).collect();
    let include: Vec<String> = include.iter().map(|s| s.to_string()).collect();
    let exclude: Vec<String> = exclude.iter().map(|s| s.to_string()).collect();
    let sel = select(&Inputs {
        paths: &paths,
        files_from: None,
        include: &include,
        exclude: &exclude,
    })
    .unwrap();
    let rel = |p: &Path| p.strip_prefix(d).unwrap().display().to_string();
    (
        sel.files.iter().map(|p| rel(p)).collect(),
        sel.skipped.iter().map(|(p, _)| rel(p)).collect(),
    )
}

#[test]
fn selection_table() {
    let dir = tree();
    let d = dir.path();
    type Case<'a> = (
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
        &'a [&'a str],
    );
    let cases: &[Case<'_>] = &[
        // (paths, include, exclude, selected, skipped)
        (
            &["a"],
            &[],
            &[],
            &["a/b/draft.pdf", "a/b/z.pdf", "a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        (
            &["a"],
            &["*.pdf"],
            &[],
            &["a/b/draft.pdf", "a/b/z.pdf", "a/x.pdf"],
            &["a/empty.pdf"],
        ),
        (
            &["a"],
            &["*.pdf"],
            &["draft*", "empty.pdf"],
            &["a/b/z.pdf", "a/x.pdf"],
            &[],
        ),
        (
            &["a"],
            &["b/*.pdf"],
            &[],
            &["a/b/draft.pdf", "a/b/z.pdf"],
            &[],
        ),
        (
            &["a"],
            &[],
            &["b/**"],
            &["a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        (&["a/*.pdf"], &[], &[], &["a/x.pdf"], &["a/empty.pdf"]),
        (
            &["a/**/*.pdf"],
            &[],
            &["empty.pdf"],
            &["a/b/draft.pdf", "a/b/z.pdf", "a/x.pdf"],
            &[],
        ),
        (&["a/*.doc"], &[], &[], &[], &["a/*.doc"]),
        // Named files pass the filters too, and a path given twice is uploaded once.
        (
            &["top.pdf", "a/y.txt", "top.pdf"],
            &[],
            &["*.txt"],
            &["top.pdf"],
            &[],
        ),
        (&["a", "a/x.pdf"], &["x.pdf"], &[], &["a/x.pdf"], &[]),
        // gitignore's rule: a bare name, `dir/` and an anchored `/dir` or `/dir/**` each take
        // the directory and everything under it.
        (
            &["a"],
            &[],
            &["b"],
            &["a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        (
            &["a"],
            &[],
            &["b/"],
            &["a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        (
            &["a"],
            &[],
            &["/b"],
            &["a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        (
            &["a"],
            &[],
            &["/b/**"],
            &["a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        // `name/` is for directories: a file of that name stays.
        (
            &["a"],
            &[],
            &["x.pdf/"],
            &["a/b/draft.pdf", "a/b/z.pdf", "a/x.pdf", "a/y.txt"],
            &["a/empty.pdf"],
        ),
        // Including a directory includes what is under it.
        (&["a"], &["b"], &[], &["a/b/draft.pdf", "a/b/z.pdf"], &[]),
        // A glob that matches a directory walks it.
        (&["a/b*"], &[], &[], &["a/b/draft.pdf", "a/b/z.pdf"], &[]),
    ];
    for (paths, include, exclude, want, skipped) in cases {
        let (got, got_skipped) = run(d, paths, include, exclude);
        assert_eq!(got, *want, "{paths:?} +{include:?} -{exclude:?}");
        assert_eq!(got_skipped, *skipped, "{paths:?} +{include:?} -{exclude:?}");
    }
}

#[test]
fn files_from_a_list_and_bad_patterns() {
    let dir = tree();
    let d = dir.path();
    let list = d.join("list.txt");
    std::fs::write(
        &list,
        format!(
            "# docs\n{}\n\n{}\r\n",
            d.join("top.pdf").display(),
            d.join("a/b").display()
        ),
    )
    .unwrap();
    let sel = select(&Inputs {
        paths: &[],
        files_from: Some(&list),
        include: &[],
        exclude: &[],
    })
    .unwrap();
    assert_eq!(
        sel.files,
        [
            d.join("top.pdf"),
            d.join("a/b/draft.pdf"),
            d.join("a/b/z.pdf")
        ]
    );
    let err = select(&Inputs {
        paths: &[],
        files_from: None,
        include: &["a[".into()],
        exclude: &[],
    })
    .unwrap_err();
    assert!(err.starts_with("--include \"a[\""), "{err}");
    let err = select(&Inputs {
        paths: &[],
        files_from: Some(&d.join("nope")),
        include: &[],
        exclude: &[],
    })
    .unwrap_err();
    assert!(err.starts_with("--files-from"), "{err}");
}

#[cfg(unix)]
#[test]
fn links_and_special_files_in_a_directory_are_skipped_with_a_reason() {
    let dir = tree();
    let d = dir.path();
    std::os::unix::fs::symlink(d.join("top.pdf"), d.join("a/link.pdf")).unwrap();
    let sel = select(&Inputs {
        paths: &[d.join("a")],
        files_from: None,
        include: &["link.pdf".into()],
        exclude: &[],
    })
    .unwrap();
    assert!(sel.files.is_empty());
    assert_eq!(sel.skipped.len(), 1);
    assert!(
        sel.skipped[0].1.contains("symbolic link"),
        "{:?}",
        sel.skipped
    );
}

#[test]
fn a_pattern_that_matches_nothing_is_a_warning_and_an_empty_selection_says_why() {
    let dir = tree();
    let d = dir.path();
    let sel = select(&Inputs {
        paths: &[d.join("a")],
        files_from: None,
        include: &[],
        exclude: &["drafts".into(), "*".into()],
    })
    .unwrap();
    assert!(sel.files.is_empty());
    assert_eq!(sel.warnings, ["--exclude \"drafts\" matched no file"]);
    let why = sel.filtered.unwrap();
    assert!(why.contains("removed 5 file(s)"), "{why}");
    assert!(why.contains("--exclude \"*\" removed 5"), "{why}");
}

#[test]
fn filters_that_remove_nothing_leave_no_summary() {
    let dir = tree();
    let sel = select(&Inputs {
        paths: &[dir.path().join("a")],
        files_from: None,
        include: &["*".into()],
        exclude: &["*.doc".into()],
    })
    .unwrap();
    assert_eq!(sel.files.len(), 4);
    assert_eq!(sel.filtered, None);
    assert_eq!(sel.warnings, ["--exclude \"*.doc\" matched no file"]);
}

#[test]
fn urls_are_set_aside_once_each_in_order() {
    let paths: Vec<PathBuf> = [
        "s3://bucket/a.jsonl",
        "https://example.com/b.jsonl",
        "s3://bucket/a.jsonl",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let sel = select(&Inputs {
        paths: &paths,
        files_from: None,
        include: &[],
        exclude: &[],
    })
    .unwrap();
    assert!(sel.files.is_empty());
    assert_eq!(
        sel.remote,
        ["s3://bucket/a.jsonl", "https://example.com/b.jsonl"]
    );
}

#[test]
fn a_file_whose_name_looks_like_a_pattern_is_that_file() {
    let dir = tree();
    let d = dir.path();
    std::fs::write(d.join("data[1].pdf"), b"data").unwrap();
    let (files, skipped) = run(d, &["data[1].pdf"], &[], &[]);
    assert_eq!(files, ["data[1].pdf"]);
    assert!(skipped.is_empty(), "{skipped:?}");
}

#[test]
fn each_pattern_that_matches_nothing_is_named_whatever_came_before() {
    let dir = tree();
    let d = dir.path();
    let (files, skipped) = run(d, &["top.pdf", "*.csv", "a/*.doc", "a/*.txt"], &[], &[]);
    assert_eq!(files, ["top.pdf", "a/y.txt"]);
    assert_eq!(skipped, ["*.csv", "a/*.doc"]);
}

#[test]
fn the_summary_names_only_the_patterns_that_removed_files_and_says_when_includes_keep() {
    let dir = tree();
    let select_with = |include: &[&str], exclude: &[&str]| {
        select(&Inputs {
            paths: &[dir.path().join("a")],
            files_from: None,
            include: &include.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            exclude: &exclude.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        })
        .unwrap()
        .filtered
        .unwrap()
    };
    assert_eq!(
        select_with(&[], &["*.pdf", "*.doc"]),
        "the filters removed 4 file(s): --exclude \"*.pdf\" removed 4"
    );
    assert_eq!(
        select_with(&["*.txt"], &[]),
        "the filters removed 4 file(s) (only files an --include matches are kept)"
    );
}
