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
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            file_limits: true,
            body_schema: true,
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
