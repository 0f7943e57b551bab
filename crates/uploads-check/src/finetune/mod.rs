//! Fine-tuning files, in the formats OpenAI documents: chat examples (`messages`, optional
//! `tools`/`functions`), preference examples (`input`, `preferred_output`,
//! `non_preferred_output`), and the legacy `prompt`/`completion` pairs. Which examples fit a
//! job depends on its method ([`FineTuneMethod`]): a supervised example needs the assistant's
//! reply, a reinforcement one is a prompt (any fields beside it go to the graders), a
//! preference one has its three fields. Each example is checked against the method given, or,
//! without one, against all three: the file's method is the one every example fits (said as a
//! warning when several do), else the one most fit, and the others are errors at their lines.

mod fast;
mod fit;
mod messages;
mod shapes;

use fit::{Fit, Misfits};
use messages::{MAX_IMAGES, check_functions, check_messages, check_preference, check_tools};
use shapes::{EXAMPLE_FIELDS, Example};

use super::json::{Scalar, Seq, parse_error, parse_line};
use super::report::{Findings, Summary, bump};
use super::rules::{At, CheckOptions, FineTuneMethod, LineRules, did_you_mean};

/// Fewest examples a fine-tuning job takes.
pub(crate) const MIN_EXAMPLES: u64 = 10;

/// What an example is, by its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// `messages`: whether it holds and ends with the assistant's reply.
    Chat {
        has_assistant: bool,
        ends_with_assistant: bool,
    },
    Preference,
    Completion,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Self::Chat { .. } => "chat",
            Self::Preference => "preference",
            Self::Completion => "prompt-completion",
        }
    }
}

/// The state of a fine-tuning file's check.
pub(crate) struct FineTuneRules {
    options: CheckOptions,
    /// Without a method given: the examples that do not fit each method.
    misfits: Misfits,
    completions: u64,
}

impl FineTuneRules {
    pub(crate) fn new(options: CheckOptions) -> Self {
        Self {
            options,
            misfits: Misfits::default(),
            completions: 0,
        }
    }
}

impl LineRules for FineTuneRules {
    fn line(&mut self, at: At, line: &[u8], out: &mut Findings, summary: &mut Summary) {
        let n = at.line;
        // Most lines of most files: read in one pass, nothing built (see `fast`).
        if simdutf8::basic::from_utf8(line).is_ok()
            && let Some(chat) = fast::simple_chat(line)
        {
            summary.records += 1;
            summary.messages += chat.messages;
            let shape = Shape::Chat {
                has_assistant: chat.assistants > 0,
                ends_with_assistant: chat.ends_with_assistant,
            };
            return self.count(n, shape, out, summary);
        }
        let ex: Example<'_> = match parse_line(line) {
            Ok(v) => v,
            Err(e) => return out.error(n, "invalid_json", parse_error(line, &e)),
        };
        if let Some(t) = ex.wrong {
            return out.error(
                n,
                "not_an_object",
                format!("the line is {t}, not an example object"),
            );
        }
        if let Some(message) = foreign_format(&ex) {
            return out.error(n, "foreign_format", message);
        }
        // An example: a line that parses as an object.
        summary.records += 1;
        misspelt_fields(n, &ex, out);
        if let Some(shape) = self.shape_of(n, &ex, summary, out) {
            self.count(n, shape, out, summary);
        }
    }

    fn finish(&mut self, out: &mut Findings, summary: &mut Summary) {
        self.finish_file(out, summary);
    }
}

impl FineTuneRules {
    /// An example of `shape` at line `n`: counted, and matched against the methods.
    fn count(&mut self, n: u64, shape: Shape, out: &mut Findings, summary: &mut Summary) {
        bump(&mut summary.by_kind, shape.name());
        if shape == Shape::Completion {
            self.completions += 1;
        }
        for method in FineTuneMethod::ALL {
            let fit = fits(shape, method);
            match self.options.method {
                Some(given) if given == method => fit.report(n, out),
                Some(_) => {}
                None => self.misfits.add(method, n, fit),
            }
        }
    }

    /// The rules of the whole file, once its lines are read.
    fn finish_file(&mut self, out: &mut Findings, summary: &mut Summary) {
        let examples = summary.records;
        if examples < MIN_EXAMPLES {
            let message = format!(
                "the file has {} example{}; a fine-tuning job needs at least {MIN_EXAMPLES} in its training file",
                examples,
                if examples == 1 { "" } else { "s" }
            );
            if self.options.validation {
                out.warning(0, "too_few_examples", message);
            } else {
                out.error(0, "too_few_examples", message);
            }
        }
        if examples > 0 && self.completions == examples {
            out.warning(
                0,
                "legacy_format",
                "prompt-completion examples train only the legacy completion models (babbage-002, davinci-002); chat models take messages",
            );
        }
        if self.options.method.is_none() {
            self.misfits.decide(out);
        }
    }
}

impl FineTuneRules {
    /// What the example is, after the checks of its parts; `None` (with a finding) if it is
    /// none of the formats.
    fn shape_of(
        &self,
        n: u64,
        ex: &Example<'_>,
        summary: &mut Summary,
        out: &mut Findings,
    ) -> Option<Shape> {
        if ex.input.is_some() || ex.preferred.is_some() || ex.non_preferred.is_some() {
            let images = check_preference(n, ex, summary, out);
            too_many_images(n, images, out);
            return Some(Shape::Preference);
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
                summary.messages += messages.len() as u64;
                let conversation = check_messages(n, messages, "messages", false, out);
                too_many_images(n, conversation.images, out);
                check_tools(n, ex.tools.as_ref(), out);
                check_functions(n, ex.functions.as_ref(), out);
                Some(Shape::Chat {
                    has_assistant: conversation.assistants > 0,
                    ends_with_assistant: conversation.ends_with_assistant,
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
            None if ex.prompt.is_some() || ex.completion.is_some() => {
                check_completion(n, ex, out);
                Some(Shape::Completion)
            }
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

/// Whether an example of `shape` fits `method`, and if not why.
fn fits(shape: Shape, method: FineTuneMethod) -> Fit {
    use FineTuneMethod::{Preference, Reinforcement, Supervised};
    match (method, shape) {
        (
            Supervised,
            Shape::Chat {
                has_assistant: true,
                ..
            }
            | Shape::Completion,
        )
        | (Preference, Shape::Preference)
        | (
            Reinforcement,
            Shape::Chat {
                ends_with_assistant: false,
                ..
            },
        ) => Fit::Yes,
        (Supervised, Shape::Chat { .. }) => Fit::error(
            "no_assistant_message",
            "no assistant message: a supervised example teaches the assistant's reply, so it needs one (a prompt without a reply is a reinforcement example: --method reinforcement)",
        ),
        // That the service refuses a reply at the end of a reinforcement prompt is not
        // documented: a warning.
        (Reinforcement, Shape::Chat { .. }) => Fit::warning(
            "reinforcement_ends_with_reply",
            "the messages end with an assistant reply: in reinforcement fine-tuning the model writes the reply, which the graders score",
        ),
        (_, other) => Fit::error(
            "mixed_formats",
            fit::Message::OtherFormat(other.name(), method),
        ),
    }
}

/// A prompt-completion pair's two strings.
fn check_completion(n: u64, ex: &Example<'_>, out: &mut Findings) {
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

fn too_many_images(n: u64, images: usize, out: &mut Findings) {
    if images > MAX_IMAGES {
        out.error(
            n,
            "too_many_images",
            format!("the example has {images} images: an example takes at most {MAX_IMAGES}"),
        );
    }
}

/// Another tool's fine-tuning format, named, with OpenAI's in its place.
fn foreign_format(ex: &Example<'_>) -> Option<String> {
    let has = |name: &str| ex.other.iter().any(|k| &**k == name);
    if ex.messages.is_some() || ex.input.is_some() {
        return None;
    }
    if has("chosen") || has("rejected") {
        return Some(
            "TRL's prompt/chosen/rejected preference format: OpenAI's preference examples are {\"input\": {\"messages\": [...]}, \"preferred_output\": [{\"role\": \"assistant\", ...}], \"non_preferred_output\": [{\"role\": \"assistant\", ...}]}".into(),
        );
    }
    if has("conversations") {
        return Some(
            "ShareGPT's conversations ([{\"from\", \"value\"}]): OpenAI's chat examples are {\"messages\": [{\"role\": \"user\", \"content\": ...}, {\"role\": \"assistant\", \"content\": ...}]}".into(),
        );
    }
    if has("contents") {
        return Some(
            "Gemini's contents ([{\"role\", \"parts\"}]): OpenAI's chat examples are {\"messages\": [{\"role\": \"user\", \"content\": ...}, {\"role\": \"assistant\", \"content\": ...}]}".into(),
        );
    }
    None
}

/// A top-level field close to one the formats name is likely a misspelling (other fields may
/// be a reinforcement example's references, and are not said).
fn misspelt_fields(n: u64, ex: &Example<'_>, out: &mut Findings) {
    for key in &ex.other {
        if let Some(known) = did_you_mean(key, EXAMPLE_FIELDS).or_else(|| same_stem(key)) {
            out.warning(
                n,
                "unknown_field",
                format!(
                    "field {:?} is not one the formats name: did you mean {known:?}?",
                    &**key
                ),
            );
        }
    }
}

/// The field that starts like `key` up to its last word (`preferred_completion` ->
/// `preferred_output`, `non_preferred_answer` -> `non_preferred_output`): the other tools'
/// names for the same parts differ in their last word.
fn same_stem(key: &str) -> Option<&'static str> {
    let (stem, _) = key.rsplit_once('_')?;
    EXAMPLE_FIELDS
        .into_iter()
        .find(|known| known.rsplit_once('_').is_some_and(|(s, _)| s == stem))
}
