//! The Uploads API's rules, in one place: the server enforces them and the engine checks them
//! before sending anything, so both say the same thing in the same words.

use std::fmt;

/// Largest part the API takes (64 MB; we use the binary MiB, as OpenAI's SDKs do).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest upload the API takes (8 GB, binary).
pub const MAX_UPLOAD_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Shortest `expires_after.seconds` the API takes: one hour.
pub const MIN_EXPIRES_AFTER_SECS: i64 = 3600;
/// Longest `expires_after.seconds` the API takes: 30 days.
pub const MAX_EXPIRES_AFTER_SECS: i64 = 30 * 24 * 3600;
/// How long a batch input File lives when no `expires_after` is given: 30 days (the live
/// service's default, seen in Files responses: `expires_at = created_at + 2592000`).
pub const BATCH_FILE_EXPIRES_AFTER_SECS: i64 = 30 * 24 * 3600;
/// How long an Upload stays pending after creation.
pub const UPLOAD_TTL_SECS: i64 = 3600;

/// Now, in the Unix seconds the API's timestamps (`created_at`, `expires_at`) use.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A purpose createUpload takes, and what files it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurposeRule {
    /// The purpose as the API spells it.
    pub name: &'static str,
    /// The files it takes.
    pub accepts: Accepts,
}

/// The purposes createUpload takes today, in the order the live service lists them in its
/// invalid-purpose error: the one table every purpose list, check and message is built from.
pub const PURPOSES: &[PurposeRule] = &[
    PurposeRule {
        name: "fine-tune",
        accepts: Accepts::JsonLines,
    },
    PurposeRule {
        name: "assistants",
        accepts: Accepts::Documents,
    },
    PurposeRule {
        name: "batch",
        accepts: Accepts::JsonLines,
    },
    PurposeRule {
        name: "user_data",
        accepts: Accepts::Anything,
    },
    PurposeRule {
        name: "vision",
        accepts: Accepts::Images,
    },
    PurposeRule {
        name: "evals",
        accepts: Accepts::JsonLines,
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

/// Size limits; the defaults are the real API's, compatible servers (and tests) may differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest part, in bytes.
    pub max_part_bytes: u64,
    /// The largest upload, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_part_bytes: MAX_PART_BYTES,
            max_upload_bytes: MAX_UPLOAD_BYTES,
        }
    }
}

/// A request the API would refuse, with the parameter at fault and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleViolation {
    /// The request parameter at fault (`purpose`, `mime_type`, ...), as OpenAI's `param`.
    pub param: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn violation(param: &'static str, message: impl Into<String>) -> RuleViolation {
    RuleViolation {
        param,
        message: message.into(),
    }
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

/// Checks what a createUpload request certainly needs: a filename without a path, a purpose
/// and a MIME type, a size within the limit, an expiry in range. Whether the MIME type and
/// extension fit the purpose is [`check_type`]'s: a model of the service, which the engine
/// only warns about.
pub fn check_create(
    filename: &str,
    purpose: &str,
    mime_type: &str,
    bytes: i64,
    expires_after_secs: Option<i64>,
    limits: &Limits,
) -> Result<(), RuleViolation> {
    if filename.trim().is_empty() {
        return Err(violation(
            "filename",
            "the filename is empty: give the file a name",
        ));
    }
    if filename.contains(['/', '\\', '\0']) {
        return Err(violation(
            "filename",
            format!("the filename {filename:?} contains a path separator or NUL: give a bare name"),
        ));
    }
    if purpose.trim().is_empty() {
        return Err(violation("purpose", "the purpose is empty"));
    }
    if mime_type.trim().is_empty() {
        return Err(violation("mime_type", "the MIME type is empty"));
    }
    if bytes < 0 {
        return Err(violation("bytes", format!("bytes is negative ({bytes})")));
    }
    if bytes as u64 > limits.max_upload_bytes {
        return Err(violation(
            "bytes",
            format!(
                "the file is {bytes} bytes, over the Upload limit of {} bytes: split it into several files",
                limits.max_upload_bytes
            ),
        ));
    }
    if let Some(secs) = expires_after_secs
        && !(MIN_EXPIRES_AFTER_SECS..=MAX_EXPIRES_AFTER_SECS).contains(&secs)
    {
        return Err(violation(
            "expires_after",
            format!(
                "expires_after.seconds is {secs}: it must be between {MIN_EXPIRES_AFTER_SECS} (1 hour) and {MAX_EXPIRES_AFTER_SECS} (30 days)"
            ),
        ));
    }
    Ok(())
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

    /// Both checks, as the local server runs them.
    fn check_create(
        filename: &str,
        purpose: &str,
        mime_type: &str,
        bytes: i64,
        expires: Option<i64>,
        l: &Limits,
    ) -> Result<(), RuleViolation> {
        super::check_create(filename, purpose, mime_type, bytes, expires, l)?;
        check_type(filename, purpose, mime_type)
    }

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
    fn purposes_take_their_types() {
        let l = Limits::default();
        assert!(check_create("a.jsonl", "fine-tune", "text/jsonl", 10, None, &l).is_ok());
        assert_eq!(
            check_create("a.jsonl", "fine-tune", "image/png", 10, None, &l)
                .unwrap_err()
                .param,
            "mime_type"
        );
        assert_eq!(
            check_create("a.png", "batch", "image/png", 10, None, &l)
                .unwrap_err()
                .param,
            "filename"
        );
        assert!(check_create("a.PNG", "vision", "image/png", 10, None, &l).is_ok());
        assert!(check_create("a.pdf", "assistants", "application/pdf", 10, None, &l).is_ok());
        assert!(
            check_create(
                "a.bin",
                "user_data",
                "application/octet-stream",
                10,
                None,
                &l
            )
            .is_ok()
        );
        assert!(
            check_create(
                "a.bin",
                "brand_new",
                "application/octet-stream",
                10,
                None,
                &l
            )
            .is_ok()
        );
        assert_eq!(
            check_create("a.jsonl", "batch", "text/jsonl", 10, Some(60), &l)
                .unwrap_err()
                .param,
            "expires_after"
        );
        let over = MAX_UPLOAD_BYTES as i64 + 1;
        assert_eq!(
            check_create("a.jsonl", "batch", "text/jsonl", over, None, &l)
                .unwrap_err()
                .param,
            "bytes"
        );
        assert_eq!(mime_for_filename("x.JSONL"), Some("text/jsonl"));
        assert_eq!(mime_for_filename("x"), None);
    }
}
