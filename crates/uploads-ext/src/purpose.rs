//! What a file is for: the purposes of `uploads_client::rules::PURPOSES`, typed.

use std::fmt;
use std::str::FromStr;

/// What the file is for. Newer purposes than this crate knows go in `Other` and need
/// [`allow_unknown_purpose`](crate::UploadBuilder::allow_unknown_purpose).
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
    /// A purpose newer than this crate.
    Other(String),
}

impl Purpose {
    /// The known purposes, in the order of `uploads_client::rules::PURPOSES`.
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

    /// True for a purpose of the rules table.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl FromStr for Purpose {
    type Err = std::convert::Infallible;

    /// Any string is a purpose; `fine_tune` is taken for `fine-tune`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = if s == "fine_tune" { "fine-tune" } else { s };
        Ok(Self::KNOWN
            .into_iter()
            .find(|p| p.as_str() == s)
            .unwrap_or_else(|| Self::Other(s.to_owned())))
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Purpose {
    fn from(s: &str) -> Self {
        s.parse().unwrap_or_else(|e| match e {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uploads_client::rules::PURPOSES;

    #[test]
    fn the_enum_is_the_rules_table() {
        let names: Vec<&str> = Purpose::KNOWN.iter().map(Purpose::as_str).collect();
        let table: Vec<&str> = PURPOSES.iter().map(|p| p.name).collect();
        assert_eq!(names, table);
        for p in Purpose::KNOWN {
            assert_eq!(Purpose::from(p.as_str()), p);
            assert!(p.is_known());
        }
        assert_eq!(Purpose::from("fine_tune"), Purpose::FineTune);
        assert_eq!(Purpose::from("new"), Purpose::Other("new".into()));
        assert!(!Purpose::from("new").is_known());
    }
}
