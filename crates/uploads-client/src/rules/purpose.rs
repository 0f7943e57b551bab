//! What a file is for, typed: parsed once from the API's (or a user's) spelling, it carries
//! its rule of the [`PURPOSES`](super::PURPOSES) table and the format its contents follow.

use std::fmt;
use std::str::FromStr;

use super::purposes::{ContentFormat, PURPOSES, PurposeRule};

/// What the file is for. Newer purposes than this crate knows go in `Other` (the service
/// decides whether it takes them).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// File search and code interpreter documents.
    Assistants,
    /// Batch API input (JSON Lines).
    Batch,
    /// Fine-tuning data (JSON Lines).
    FineTune,
    /// Images for vision fine-tuning.
    Vision,
    /// Any file, for use as model input.
    UserData,
    /// Eval data sets (JSON Lines).
    Evals,
    /// A purpose newer than this crate, as given.
    Other(String),
}

impl Purpose {
    /// The known purposes, in the order of [`PURPOSES`].
    pub const KNOWN: [Purpose; 6] = [
        Self::FineTune,
        Self::Assistants,
        Self::Batch,
        Self::UserData,
        Self::Vision,
        Self::Evals,
    ];

    /// The purpose as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Assistants => "assistants",
            Self::Batch => "batch",
            Self::FineTune => "fine-tune",
            Self::Vision => "vision",
            Self::UserData => "user_data",
            Self::Evals => "evals",
            Self::Other(s) => s,
        }
    }

    /// The known purpose a mistyped one most likely meant (`finetune`, `fine-tunes`,
    /// `assistant`): the same letters without separators, or one edit away.
    pub fn closest(given: &str) -> Option<Purpose> {
        let bare = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let given = bare(given);
        Self::KNOWN
            .into_iter()
            .map(|p| (edit_distance(&bare(p.as_str()), &given), p))
            .filter(|(d, _)| *d <= 1)
            .min_by_key(|(d, _)| *d)
            .map(|(_, p)| p)
    }

    /// True for a purpose of the rules table.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }

    /// Its row of the rules table; `None` for a purpose newer than this crate.
    pub fn rule(&self) -> Option<&'static PurposeRule> {
        PURPOSES.iter().find(|p| p.name == self.as_str())
    }

    /// The format its files' contents follow, where the content check has one (batch,
    /// fine-tune).
    pub fn content_format(&self) -> Option<ContentFormat> {
        self.rule().and_then(|r| r.format)
    }
}

/// True if `a` and `b` are the same words: case aside, `-` and `_` alike.
fn same_words(a: &str, b: &str) -> bool {
    let norm = |c: char| match c {
        '_' => '-',
        c => c.to_ascii_lowercase(),
    };
    a.len() == b.len() && a.chars().map(norm).eq(b.chars().map(norm))
}

/// Levenshtein distance of two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

impl FromStr for Purpose {
    type Err = std::convert::Infallible;

    /// Any string is a purpose. A known one is matched with one rule: case aside, and `-`
    /// and `_` alike (`fine_tune`, `FINE-TUNE`, `user-data`); anything else is `Other`, as
    /// given.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .into_iter()
            .find(|p| same_words(p.as_str(), s))
            .unwrap_or_else(|| Self::Other(s.to_owned())))
    }
}

impl From<&str> for Purpose {
    fn from(s: &str) -> Self {
        s.parse().unwrap_or_else(|e| match e {})
    }
}

impl From<String> for Purpose {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<ContentFormat> for Purpose {
    fn from(format: ContentFormat) -> Self {
        Self::from(format.as_str())
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Purpose {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Purpose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from(String::deserialize(d)?))
    }
}

impl From<&Purpose> for crate::types::UploadPurpose {
    fn from(purpose: &Purpose) -> Self {
        purpose.as_str().parse().unwrap_or_else(|e| match e {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enum_is_the_rules_table() {
        let names: Vec<&str> = Purpose::KNOWN.iter().map(Purpose::as_str).collect();
        let table: Vec<&str> = PURPOSES.iter().map(|p| p.name).collect();
        assert_eq!(names, table);
        for p in Purpose::KNOWN {
            assert_eq!(Purpose::from(p.as_str()), p);
            assert!(p.is_known());
            assert_eq!(p.rule().map(|r| r.name), Some(p.as_str()));
        }
        assert_eq!(Purpose::from("FINE-TUNE"), Purpose::FineTune);
        assert_eq!(Purpose::from("user-data"), Purpose::UserData);
        assert_eq!(Purpose::closest("finetune"), Some(Purpose::FineTune));
        assert_eq!(Purpose::closest("assistant"), Some(Purpose::Assistants));
        assert_eq!(Purpose::closest("zebra"), None);
        assert_eq!(Purpose::from("fine_tune"), Purpose::FineTune);
        assert_eq!(Purpose::from("new"), Purpose::Other("new".into()));
        assert!(!Purpose::from("new").is_known());
        assert!(Purpose::from("new").rule().is_none());
    }

    #[test]
    fn the_edit_distance_counts_insertions_deletions_and_substitutions_one_each() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "", 3),
            ("", "abc", 3),
            ("kitten", "sitting", 3),
            ("batch", "batches", 2),
            ("vision", "visoin", 2),
            ("evals", "eval", 1),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a:?} to {b:?}");
            assert_eq!(edit_distance(b, a), d, "{b:?} to {a:?}");
        }
        // One edit away is a suggestion, two is not.
        assert_eq!(Purpose::closest("evalss"), Some(Purpose::Evals));
        assert_eq!(Purpose::closest("batchxx"), None);
    }

    #[test]
    fn a_purpose_and_a_format_print_as_the_api_spells_them() {
        for p in Purpose::KNOWN {
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(Purpose::from("new-one").to_string(), "new-one");
        assert_eq!(ContentFormat::FineTune.to_string(), "fine-tune");
        assert_eq!(ContentFormat::Batch.to_string(), "batch");
    }

    #[test]
    fn only_batch_and_fine_tune_have_a_content_format() {
        let formats: Vec<_> = Purpose::KNOWN
            .iter()
            .filter_map(|p| p.content_format().map(|f| (p.as_str(), f)))
            .collect();
        assert_eq!(
            formats,
            [
                ("fine-tune", ContentFormat::FineTune),
                ("batch", ContentFormat::Batch)
            ]
        );
        for f in [ContentFormat::Batch, ContentFormat::FineTune] {
            assert_eq!(Purpose::from(f).content_format(), Some(f));
        }
    }

    #[test]
    fn serde_is_the_api_spelling() {
        let json = serde_json::to_string(&Purpose::FineTune).unwrap();
        assert_eq!(json, r#""fine-tune""#);
        let back: Purpose = serde_json::from_str(r#""user_data""#).unwrap();
        assert_eq!(back, Purpose::UserData);
        let other: Purpose = serde_json::from_str(r#""later""#).unwrap();
        assert_eq!(other, Purpose::Other("later".into()));
    }
}
