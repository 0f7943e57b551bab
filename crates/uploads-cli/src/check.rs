//! `openai-uploads check`: a batch or fine-tune file against the format the service takes,
//! without uploading it.

use std::path::PathBuf;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use uploads_ext::check::{CheckOptions, ContentFormat, FineTuneMethod, Report, check_file};

use crate::output::{exit, fail, out, shown};

/// Check batch or fine-tuning files without uploading them.
///
/// Finds what would fail a batch run or a fine-tuning job, before it costs one: every line
/// against the format, ids unique, one endpoint, the limits, batch bodies against the spec.
/// Exit 0: no errors (warnings allowed); 1: errors found; 2: usage, or a file unreadable.
#[derive(Args)]
pub struct CheckArgs {
    /// Files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// What the files are for.
    #[arg(
        long,
        short,
        value_name = "PURPOSE",
        value_parser = PossibleValuesParser::new(["batch", "fine-tune"]).try_map(|s| parse_format(&s))
    )]
    purpose: ContentFormat,
    /// One JSON report per file on stdout (a line each) instead of text on stderr.
    #[arg(long)]
    json: bool,
    /// Leave out the check of batch bodies' parameters against the spec.
    #[arg(long)]
    no_body_schema: bool,
    #[command(flatten)]
    rules: ContentRules,
}

/// What the job a fine-tuning file is for will do with it: the options `check` and `put`
/// share.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct ContentRules {
    /// The fine-tuning job's method (supervised, preference or reinforcement): each example
    /// is checked against it. Without it, the file's method is the one its examples fit.
    #[arg(long, help_heading = "Content check", value_name = "METHOD", value_parser = PossibleValuesParser::new(["supervised", "preference", "reinforcement"]).try_map(|s| s.parse::<FineTuneMethod>()))]
    pub method: Option<FineTuneMethod>,
    /// The file is validation data: fewer than 10 examples is a warning, not an error.
    #[arg(long, help_heading = "Content check")]
    pub validation: bool,
}

impl ContentRules {
    /// The check's options with these rules.
    pub fn options(self) -> CheckOptions {
        CheckOptions {
            method: self.method,
            validation: self.validation,
            ..CheckOptions::default()
        }
    }
}

pub async fn run(args: CheckArgs) -> u8 {
    let purpose = args.purpose;
    let options = CheckOptions {
        body_schema: !args.no_body_schema,
        ..args.rules.options()
    };
    let mut code = exit::OK;
    for path in args.files {
        let read = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                // `-` is stdin, as for put.
                if path == std::path::Path::new("-") {
                    uploads_ext::check::check_reader(std::io::stdin().lock(), purpose, options)
                } else {
                    check_file(&path, purpose, options)
                }
            })
            .await
        };
        let failed = match read {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(e)) => Err((exit::USAGE, e.to_string())),
            Err(e) => Err((exit::FAILED, e.to_string())),
        };
        let report = match failed {
            Ok(report) => report,
            Err((kind, why)) => {
                // A script gets one document per input: this one says why it has no report.
                if args.json {
                    let doc = serde_json::json!({"file": path.display().to_string(), "error": why});
                    if let Err(lost) = out(doc) {
                        return lost.code;
                    }
                }
                code = code.max(fail(kind, format!("{}: {why}", path.display())));
                continue;
            }
        };
        if !report.is_ok() {
            code = code.max(exit::FAILED);
        }
        if args.json {
            let mut value = serde_json::to_value(&report).unwrap_or_default();
            value["file"] = path.display().to_string().into();
            if let Err(lost) = out(value) {
                return lost.code;
            }
        } else {
            eprintln!("{}", shown(&heading(&path, &report)));
            eprintln!("{}", shown(&report.to_string()));
        }
    }
    code
}

/// A purpose with a content check, parsed once here.
fn parse_format(text: &str) -> Result<ContentFormat, String> {
    uploads_ext::Purpose::from(text)
        .content_format()
        .ok_or_else(|| format!("no check for purpose {text:?}: use batch or fine-tune"))
}

/// `FILE: ok` or `FILE: 3 errors`, above a report.
pub fn heading(path: &std::path::Path, report: &Report) -> String {
    let verdict = if report.is_ok() {
        format!("ok as a {} file", report.purpose)
    } else {
        format!("not a valid {} file", report.purpose)
    };
    format!("{}: {verdict}", path.display())
}

/// After an upload: the check's warnings, the first ones in full and a count of the rest.
pub fn print_warnings(label: &str, report: &Report) {
    if report.warnings == 0 {
        return;
    }
    for finding in &report.findings {
        crate::output::say(&format!(
            "warning: {}",
            shown(&format!("{label}: {finding}"))
        ));
    }
    let shown_count = report.findings.len() as u64;
    if report.warnings > shown_count {
        eprintln!(
            "warning: {}",
            shown(&format!(
                "{label}: {} more warnings (`openai-uploads check` lists them by kind)",
                report.warnings - shown_count
            ))
        );
    }
}
