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
