//! Fine-tuning files, in the formats OpenAI documents: supervised chat examples
//! (`messages`, optional `tools`/`functions`), preference examples (`input`,
//! `preferred_output`, `non_preferred_output`), reinforcement examples (`messages` ending
//! without an assistant, plus the grader's reference fields), and the legacy
//! `prompt`/`completion` pairs. The checks follow the cookbook's data-preparation list.

mod messages;
mod shapes;

use messages::{check_functions, check_messages, check_preference, check_tools};
use shapes::Example;

use super::json::{Scalar, Seq, parse_line};
use super::report::{Findings, Summary};
use super::rules::{At, LineRules};

/// Fewest examples a fine-tuning job takes.
pub(crate) const MIN_EXAMPLES: u64 = 10;

/// The formats an example can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Chat,
    Preference,
    Reinforcement,
    Completion,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Preference => "preference",
            Self::Reinforcement => "reinforcement",
            Self::Completion => "prompt-completion",
        }
    }
}

/// The state of a fine-tuning file's check.
#[derive(Default)]
pub(crate) struct FineTuneRules {
    /// The first example's format and line: the others must share it.
    format: Option<(Format, u64)>,
}

impl LineRules for FineTuneRules {
    fn line(&mut self, at: At, line: &[u8], out: &mut Findings, summary: &mut Summary) {
        let n = at.line;
        let ex: Example<'_> = match parse_line(line) {
            Ok(v) => v,
            Err(e) => return out.error(n, "invalid_json", format!("not valid JSON: {e}")),
        };
        if let Some(t) = ex.wrong {
            return out.error(
                n,
                "not_an_object",
                format!("the line is {t}, not an example object"),
            );
        }
        let Some(format) = self.format_of(n, &ex, out) else {
            return;
        };
        *summary.by_kind.entry(format.name().into()).or_default() += 1;
        match self.format {
            None => self.format = Some((format, n)),
            Some((first, line)) if first != format => out.error(
                n,
                "mixed_formats",
                format!(
                    "a {} example in a file of {} examples (line {line}): a job trains one way; keep one format per file",
                    format.name(),
                    first.name()
                ),
            ),
            Some(_) => {}
        }
        match format {
            Format::Chat | Format::Reinforcement => {
                if let Some(Seq::Items(messages)) = &ex.messages {
                    summary.messages += messages.len() as u64;
                    check_messages(n, messages, "messages", format == Format::Chat, out);
                }
                check_tools(n, ex.tools.as_ref(), out);
                check_functions(n, ex.functions.as_ref(), out);
            }
            Format::Preference => check_preference(n, &ex, summary, out),
            Format::Completion => {
                for (name, v) in [("prompt", &ex.prompt), ("completion", &ex.completion)] {
                    match v {
                        Some(Scalar::Str(_)) => {}
                        Some(other) => out.error(
                            n,
                            "bad_prompt_completion",
                            format!("{name} is {}; it must be a string", other.json_type()),
                        ),
                        None => out.error(
                            n,
                            "bad_prompt_completion",
                            format!("no {name}: a prompt-completion example has both"),
                        ),
                    }
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Findings, summary: &mut Summary) {
        // Every non-blank line is an example.
        let examples = summary.records;
        if examples < MIN_EXAMPLES {
            out.error(
                0,
                "too_few_examples",
                format!(
                    "the file has {} example{}; a fine-tuning job needs at least {MIN_EXAMPLES}",
                    examples,
                    if examples == 1 { "" } else { "s" }
                ),
            );
        }
        if matches!(self.format, Some((Format::Completion, _))) {
            out.warning(
                0,
                "legacy_format",
                "prompt-completion examples train only the legacy completion models (babbage-002, davinci-002); chat models take messages",
            );
        }
    }
}

impl FineTuneRules {
    /// Which format the example is in, or a finding if none fits.
    fn format_of(&self, n: u64, ex: &Example<'_>, out: &mut Findings) -> Option<Format> {
        if ex.input.is_some() || ex.preferred.is_some() || ex.non_preferred.is_some() {
            return Some(Format::Preference);
        }
        match &ex.messages {
            Some(Seq::Items(messages)) if messages.is_empty() => {
                out.error(
                    n,
                    "empty_messages",
                    "messages is empty: an example needs a conversation",
                );
                None
            }
            Some(Seq::Items(messages)) => {
                let has_assistant = messages
                    .iter()
                    .any(|m| m.role.as_ref().and_then(Scalar::as_str) == Some("assistant"));
                Some(if !has_assistant && ex.other_fields > 0 {
                    Format::Reinforcement
                } else {
                    Format::Chat
                })
            }
            Some(Seq::Wrong(t)) => {
                out.error(
                    n,
                    "bad_messages",
                    format!("messages is {t}; it must be an array of message objects"),
                );
                None
            }
            None if ex.prompt.is_some() || ex.completion.is_some() => Some(Format::Completion),
            None => {
                out.error(
                    n,
                    "missing_messages",
                    "no messages: a chat example is {\"messages\": [...]}; a preference example has input, preferred_output and non_preferred_output",
                );
                None
            }
        }
    }
}
