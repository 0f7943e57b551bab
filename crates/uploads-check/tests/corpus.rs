//! The corpus in `tests/corpus`: files in the shapes the service takes pass with no error and
//! no warning; files with one documented defect each get exactly the findings `EXPECTED`
//! lists (see `tests/corpus/SOURCES.md` for where each shape and rule comes from).

use std::path::Path;

use uploads_check::{CheckOptions, ContentFormat, FineTuneMethod, check_file};

#[test]
fn every_corpus_file_gets_exactly_its_expected_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let expected = std::fs::read_to_string(root.join("EXPECTED")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for row in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let [file, purpose, options, findings] = cols[..] else {
            panic!("bad row: {row}");
        };
        let format = match purpose {
            "batch" => ContentFormat::Batch,
            "fine-tune" => ContentFormat::FineTune,
            other => panic!("purpose {other}"),
        };
        let mut opts = CheckOptions::default();
        match options {
            "-" => {}
            "validation" => opts.validation = true,
            method => opts.method = Some(method.parse::<FineTuneMethod>().unwrap()),
        }
        let report = check_file(&root.join(file), format, opts).unwrap();
        let got: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{}:{}", f.line, f.kind))
            .collect();
        let want: Vec<String> = match findings {
            "-" => Vec::new(),
            list => list.split(',').map(str::to_owned).collect(),
        };
        if got != want || report.errors + report.warnings != want.len() as u64 {
            failures.push(format!("{file}: want {want:?}, got {got:?}\n{report}"));
        }
        checked += 1;
    }
    assert!(checked >= 25, "{checked} rows");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
