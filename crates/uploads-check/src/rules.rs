//! What every format's rules share: the options, where a line sits, the trait the checker
//! feeds line by line, and did-you-mean for misspelt names.

use super::report::{Findings, Summary};

/// Which rules apply beyond the format of each line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// A batch file's own limits: 50,000 requests, 200 MiB, 50,000 embedding inputs. Off for
    /// a file that `put --split` cuts into pieces (each piece is checked with them on).
    pub file_limits: bool,
    /// Each batch body's parameters against the spec's schema of its endpoint (warnings).
    pub body_schema: bool,
    /// The fine-tuning method the job will use, if known: each example is checked against
    /// it. Without it, the file's method is the one its examples fit (the one most fit, if
    /// they disagree), and a file that fits several is a warning.
    pub method: Option<FineTuneMethod>,
    /// A fine-tuning file of validation data: fewer than 10 examples is a warning (the
    /// minimum is documented for training files).
    pub validation: bool,
}

/// How a fine-tuning job trains, which decides what its examples must hold (the spec's
/// `FineTuneMethod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FineTuneMethod {
    /// Examples with the assistant's reply to learn (or legacy prompt-completion pairs).
    Supervised,
    /// `input`, `preferred_output`, `non_preferred_output`.
    Preference,
    /// Prompts (`messages`, optional `tools`, any fields for the graders) that the model
    /// answers and graders score.
    Reinforcement,
}

impl FineTuneMethod {
    /// Every method, in the order a tie is decided.
    pub const ALL: [Self; 3] = [Self::Supervised, Self::Preference, Self::Reinforcement];

    /// The method as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supervised => "supervised",
            Self::Preference => "preference",
            Self::Reinforcement => "reinforcement",
        }
    }
}

impl std::fmt::Display for FineTuneMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FineTuneMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!("{s:?} is not a method: use supervised, preference or reinforcement")
            })
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            file_limits: true,
            body_schema: true,
            method: None,
            validation: false,
        }
    }
}

/// Where a line sits, for the rules.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    /// 1-based line number.
    pub(crate) line: u64,
    /// Bytes of the file up to the end of this line, its line break included.
    pub(crate) end: u64,
}

/// The rules of one purpose, fed one non-blank line at a time.
pub(crate) trait LineRules: Send {
    fn line(&mut self, at: At, line: &[u8], out: &mut Findings, summary: &mut Summary);
    fn finish(&mut self, out: &mut Findings, summary: &mut Summary);
}

/// The closest of `known` to `word`, if close enough to be a likely misspelling.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < word.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}
