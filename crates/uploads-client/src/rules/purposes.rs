//! Which purposes exist and what files each takes: the one table every purpose list and
//! message is built from, and our model of the service's MIME and extension rules.

use std::fmt;

use super::{RuleViolation, violation};

/// A purpose createUpload takes, what files it takes, and the format their contents follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurposeRule {
    /// The purpose as the API spells it.
    pub name: &'static str,
    /// The files it takes.
    pub accepts: Accepts,
    /// The line format a file of this purpose must follow, where one is checked.
    pub format: Option<ContentFormat>,
}

/// The format of a file's contents that a purpose's consumer reads line by line: what the
/// content check of `uploads_ext::check` checks a file as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentFormat {
    /// Batch API input: one request per line.
    Batch,
    /// Fine-tuning training or validation data: one example per line.
    FineTune,
}

impl ContentFormat {
    /// The name of the purpose whose files have this format, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::FineTune => "fine-tune",
        }
    }
}

impl fmt::Display for ContentFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The purposes createUpload takes today, in the order the live service lists them in its
/// invalid-purpose error: the one table every purpose list, check and message is built from.
pub const PURPOSES: &[PurposeRule] = &[
    PurposeRule {
        name: "fine-tune",
        accepts: Accepts::JsonLines,
        format: Some(ContentFormat::FineTune),
    },
    PurposeRule {
        name: "assistants",
        accepts: Accepts::Documents,
        format: None,
    },
    PurposeRule {
        name: "batch",
        accepts: Accepts::JsonLines,
        format: Some(ContentFormat::Batch),
    },
    PurposeRule {
        name: "user_data",
        accepts: Accepts::Anything,
        format: None,
    },
    PurposeRule {
        name: "vision",
        accepts: Accepts::Images,
        format: None,
    },
    PurposeRule {
        name: "evals",
        accepts: Accepts::JsonLines,
        format: None,
    },
];

/// The rule of a known purpose.
pub fn purpose_rule(name: &str) -> Option<&'static PurposeRule> {
    PURPOSES.iter().find(|p| p.name == name)
}

/// The known purposes for a message: `assistants, batch, fine-tune, ...`.
pub fn purpose_names() -> String {
    PURPOSES
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a purpose accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepts {
    /// JSON Lines (`.jsonl`): batch, fine-tune, evals.
    JsonLines,
    /// Images: vision.
    Images,
    /// The document types file search reads: assistants.
    Documents,
    /// Anything: user_data and purposes newer than this crate.
    Anything,
}

impl Accepts {
    /// What `purpose` takes; a purpose newer than [`PURPOSES`] takes anything (the server
    /// decides).
    pub fn for_purpose(purpose: &str) -> Self {
        purpose_rule(purpose).map_or(Self::Anything, |p| p.accepts)
    }

    fn table(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::JsonLines => JSONL,
            Self::Images => IMAGES,
            Self::Documents => DOCUMENTS,
            Self::Anything => &[],
        }
    }

    /// The extensions accepted, for messages.
    pub fn extensions(self) -> Vec<&'static str> {
        self.table().iter().map(|(ext, _)| *ext).collect()
    }
}

impl fmt::Display for Accepts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::JsonLines => "JSON Lines",
            Self::Images => "images",
            Self::Documents => "file-search documents",
            Self::Anything => "any file",
        })
    }
}

const JSONL: &[(&str, &[&str])] = &[(
    "jsonl",
    &[
        "text/jsonl",
        "application/jsonl",
        "application/x-ndjson",
        "application/json",
    ],
)];
const IMAGES: &[(&str, &[&str])] = &[
    ("png", &["image/png"]),
    ("jpg", &["image/jpeg"]),
    ("jpeg", &["image/jpeg"]),
    ("gif", &["image/gif"]),
    ("webp", &["image/webp"]),
];
const DOCUMENTS: &[(&str, &[&str])] = &[
    ("c", &["text/x-c"]),
    ("cpp", &["text/x-c++"]),
    ("cs", &["text/x-csharp"]),
    ("css", &["text/css"]),
    ("doc", &["application/msword"]),
    (
        "docx",
        &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ),
    ("go", &["text/x-golang"]),
    ("html", &["text/html"]),
    ("java", &["text/x-java"]),
    ("js", &["text/javascript"]),
    ("json", &["application/json"]),
    ("md", &["text/markdown"]),
    ("pdf", &["application/pdf"]),
    ("php", &["text/x-php"]),
    (
        "pptx",
        &["application/vnd.openxmlformats-officedocument.presentationml.presentation"],
    ),
    ("py", &["text/x-python", "text/x-script.python"]),
    ("rb", &["text/x-ruby"]),
    ("sh", &["application/x-sh"]),
    ("tex", &["text/x-tex"]),
    ("ts", &["application/typescript"]),
    ("txt", &["text/plain"]),
];

/// The MIME type for a file name's extension, from every table we know.
pub fn mime_for_filename(filename: &str) -> Option<&'static str> {
    let ext = extension(filename)?;
    [JSONL, IMAGES, DOCUMENTS]
        .into_iter()
        .flatten()
        .find(|(e, _)| *e == ext)
        .map(|(_, mimes)| mimes[0])
}

fn extension(filename: &str) -> Option<String> {
    let (_, ext) = filename.rsplit_once('.')?;
    Some(ext.to_ascii_lowercase())
}

/// Checks that the MIME type and the filename's extension fit the purpose, by our tables of
/// what each purpose takes. The local server enforces it; the engine warns.
pub fn check_type(filename: &str, purpose: &str, mime_type: &str) -> Result<(), RuleViolation> {
    let accepts = Accepts::for_purpose(purpose);
    let table = accepts.table();
    if table.is_empty() {
        return Ok(());
    }
    let ext = extension(filename).unwrap_or_default();
    let Some((_, mimes)) = table.iter().find(|(e, _)| *e == ext) else {
        return Err(violation(
            "filename",
            format!(
                "purpose {purpose} takes {accepts}, but {filename:?} has no matching extension: use one of .{}",
                accepts.extensions().join(", .")
            ),
        ));
    };
    let mime = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !mimes.contains(&mime.as_str()) {
        return Err(violation(
            "mime_type",
            format!(
                "MIME type {mime_type} does not fit purpose {purpose} for a .{ext} file: use {}",
                mimes.join(" or ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_of_the_table_takes_its_kind_of_file() {
        let expected = [
            ("fine-tune", Accepts::JsonLines),
            ("assistants", Accepts::Documents),
            ("batch", Accepts::JsonLines),
            ("user_data", Accepts::Anything),
            ("vision", Accepts::Images),
            ("evals", Accepts::JsonLines),
        ];
        let table: Vec<_> = PURPOSES.iter().map(|p| (p.name, p.accepts)).collect();
        assert_eq!(table, expected);
        for (name, accepts) in expected {
            assert_eq!(Accepts::for_purpose(name), accepts, "{name}");
            assert!(purpose_rule(name).is_some());
        }
        assert_eq!(Accepts::for_purpose("brand_new"), Accepts::Anything);
        assert_eq!(
            purpose_names(),
            "fine-tune, assistants, batch, user_data, vision, evals"
        );
        // What each kind takes, by extension.
        assert!(check_type("a.jsonl", "evals", "application/jsonl").is_ok());
        assert!(check_type("a.md", "assistants", "text/markdown").is_ok());
        assert!(check_type("a.webp", "vision", "image/webp").is_ok());
        assert!(check_type("a.md", "vision", "text/markdown").is_err());
        assert!(check_type("a.anything", "user_data", "x/y").is_ok());
    }

    #[test]
    fn messages_name_the_kind_and_its_extensions() {
        let kinds = [
            Accepts::JsonLines,
            Accepts::Images,
            Accepts::Documents,
            Accepts::Anything,
        ];
        let names: Vec<String> = kinds.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["JSON Lines", "images", "file-search documents", "any file"]
        );
        assert_eq!(
            Accepts::Images.extensions(),
            ["png", "jpg", "jpeg", "gif", "webp"]
        );
        assert!(Accepts::Anything.extensions().is_empty());
        let err = check_type("a.png", "batch", "image/png").unwrap_err();
        assert_eq!(
            err.message,
            r#"purpose batch takes JSON Lines, but "a.png" has no matching extension: use one of .jsonl"#
        );
        let err = check_type("a.txt", "vision", "text/plain").unwrap_err();
        assert_eq!(
            err.message,
            r#"purpose vision takes images, but "a.txt" has no matching extension: use one of .png, .jpg, .jpeg, .gif, .webp"#
        );
        let err = check_type("a.py", "assistants", "text/plain; charset=utf-8").unwrap_err();
        assert_eq!(
            err.message,
            "MIME type text/plain; charset=utf-8 does not fit purpose assistants for a .py file: use text/x-python or text/x-script.python"
        );
        // Parameters and case of a fitting MIME type are ignored.
        assert!(check_type("a.py", "assistants", "Text/X-Python; charset=utf-8").is_ok());
    }
}
