//! Fine-tuning files, in the formats OpenAI documents: supervised chat examples
//! (`messages`, optional `tools`/`functions`), preference examples (`input`,
//! `preferred_output`, `non_preferred_output`), reinforcement examples (`messages` ending
//! without an assistant, plus the grader's reference fields), and the legacy
//! `prompt`/`completion` pairs. The checks follow the cookbook's data-preparation list.

use serde::de::MapAccess;
use serde_json::value::RawValue;

use super::json::{
    JsonType, Lenient, Scalar, Seq, Text, TypeOnly, object_shape, parse_line, raw_type, skip,
};
use super::report::{Findings, Summary};
use super::{At, LineRules};

/// Fewest examples a fine-tuning job takes.
pub(crate) const MIN_EXAMPLES: u64 = 10;
/// The roles a message may have.
const ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];
/// The fields a message may have besides `role` and `content`.
const MESSAGE_FIELDS: [&str; 9] = [
    "role",
    "content",
    "name",
    "weight",
    "tool_calls",
    "tool_call_id",
    "function_call",
    "refusal",
    "audio",
];
#[derive(Default)]
struct Example<'a> {
    wrong: Option<JsonType>,
    messages: Option<Seq<Message<'a>>>,
    tools: Option<Seq<Tool<'a>>>,
    functions: Option<Seq<Function<'a>>>,
    input: Option<PreferenceInput<'a>>,
    preferred: Option<Seq<Message<'a>>>,
    non_preferred: Option<Seq<Message<'a>>>,
    prompt: Option<Scalar<'a>>,
    completion: Option<Scalar<'a>>,
    /// Top-level fields none of the formats names: with no assistant message, they make a
    /// reinforcement example (the grader's references).
    other_fields: usize,
}

fn read_example_field<'de, A: MapAccess<'de>>(
    v: &mut Example<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "messages" => v.messages = Some(map.next_value()?),
        "tools" => v.tools = Some(map.next_value()?),
        "functions" => v.functions = Some(map.next_value()?),
        "input" => v.input = Some(map.next_value()?),
        "preferred_output" => v.preferred = Some(map.next_value()?),
        "non_preferred_output" => v.non_preferred = Some(map.next_value()?),
        "prompt" => v.prompt = Some(map.next_value()?),
        "completion" => v.completion = Some(map.next_value()?),
        "parallel_tool_calls" => skip(map)?,
        _ => {
            v.other_fields += 1;
            skip(map)?;
        }
    }
    Ok(())
}
object_shape!(Example, read_example_field);

#[derive(Default)]
struct PreferenceInput<'a> {
    wrong: Option<JsonType>,
    messages: Option<Seq<Message<'a>>>,
    tools: Option<Seq<Tool<'a>>>,
}

fn read_input_field<'de, A: MapAccess<'de>>(
    v: &mut PreferenceInput<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "messages" => v.messages = Some(map.next_value()?),
        "tools" => v.tools = Some(map.next_value()?),
        _ => skip(map)?,
    }
    Ok(())
}
object_shape!(PreferenceInput, read_input_field);

#[derive(Default)]
struct Message<'a> {
    wrong: Option<JsonType>,
    role: Option<Scalar<'a>>,
    /// Raw, and read only if it is an array: a long text is skipped, not unescaped.
    raw_content: Option<&'a RawValue>,
    weight: Option<Scalar<'a>>,
    /// `tool_calls` or `function_call`: an assistant message with them needs no content.
    calls: bool,
    unknown: Vec<Text<'a>>,
}

fn read_message_field<'de, A: MapAccess<'de>>(
    v: &mut Message<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "role" => v.role = Some(map.next_value()?),
        "content" => v.raw_content = Some(map.next_value()?),
        "weight" => v.weight = Some(map.next_value()?),
        "tool_calls" | "function_call" => {
            v.calls |= !matches!(map.next_value::<TypeOnly>()?.0, JsonType::Null);
        }
        k if MESSAGE_FIELDS.contains(&k) => skip(map)?,
        _ => {
            v.unknown.push(key);
            skip(map)?;
        }
    }
    Ok(())
}
object_shape!(Message, read_message_field);

/// A message's content: text, content parts (their `type`s), or null.
#[derive(Debug, PartialEq)]
enum Content {
    Text,
    Null,
    Parts(Vec<Option<String>>),
    Wrong(JsonType),
}

impl Content {
    fn of(raw: &RawValue) -> Content {
        match raw_type(raw) {
            JsonType::Array => match serde_json::from_str::<Content>(raw.get()) {
                Ok(content) => content,
                Err(_) => Content::Wrong(JsonType::Array),
            },
            other => Content::wrong(other),
        }
    }
}

impl Lenient for Content {
    fn wrong(found: JsonType) -> Self {
        match found {
            JsonType::Null => Content::Null,
            JsonType::String => Content::Text,
            other => Content::Wrong(other),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Seq::<Part<'de>>::deserialize(d)? {
            Seq::Items(parts) => Content::Parts(
                parts
                    .into_iter()
                    .map(|p| match (p.wrong, p.kind) {
                        (None, Some(Scalar::Str(k))) => Some(k.into_owned()),
                        _ => None,
                    })
                    .collect(),
            ),
            Seq::Wrong(t) => Content::wrong(t),
        })
    }
}

#[derive(Default)]
struct Part<'a> {
    wrong: Option<JsonType>,
    kind: Option<Scalar<'a>>,
}

fn read_part_field<'de, A: MapAccess<'de>>(
    v: &mut Part<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "type" => v.kind = Some(map.next_value()?),
        _ => skip(map)?,
    }
    Ok(())
}
object_shape!(Part, read_part_field);

#[derive(Default)]
struct Tool<'a> {
    wrong: Option<JsonType>,
    kind: Option<Scalar<'a>>,
    function: Option<Function<'a>>,
}

fn read_tool_field<'de, A: MapAccess<'de>>(
    v: &mut Tool<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "type" => v.kind = Some(map.next_value()?),
        "function" => v.function = Some(map.next_value()?),
        _ => skip(map)?,
    }
    Ok(())
}
object_shape!(Tool, read_tool_field);

#[derive(Default)]
struct Function<'a> {
    wrong: Option<JsonType>,
    name: Option<Scalar<'a>>,
    parameters: Option<TypeOnly>,
}

fn read_function_field<'de, A: MapAccess<'de>>(
    v: &mut Function<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "name" => v.name = Some(map.next_value()?),
        "parameters" => v.parameters = Some(map.next_value()?),
        _ => skip(map)?,
    }
    Ok(())
}
object_shape!(Function, read_function_field);

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
    examples: u64,
}

impl LineRules for FineTuneRules {
    fn line(&mut self, at: At, line: &[u8], out: &mut Findings, summary: &mut Summary) {
        let n = at.line;
        self.examples += 1;
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

    fn finish(&mut self, out: &mut Findings, _summary: &mut Summary) {
        if self.examples < MIN_EXAMPLES {
            out.error(
                0,
                "too_few_examples",
                format!(
                    "the file has {} example{}; a fine-tuning job needs at least {MIN_EXAMPLES}",
                    self.examples,
                    if self.examples == 1 { "" } else { "s" }
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

/// A conversation's messages; `needs_assistant` for a supervised example.
fn check_messages(
    n: u64,
    messages: &[Message<'_>],
    field: &str,
    needs_assistant: bool,
    out: &mut Findings,
) {
    let mut assistants = 0;
    for (i, m) in messages.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if let Some(t) = m.wrong {
            out.error(
                n,
                "bad_message",
                format!("{at} is {t}; a message is an object with role and content"),
            );
            continue;
        }
        let role = match &m.role {
            Some(Scalar::Str(r)) if ROLES.contains(&r.as_ref()) => Some(r.as_ref()),
            Some(Scalar::Str(r)) => {
                out.error(
                    n,
                    "unknown_role",
                    format!("{at} has role {r:?}; the roles are {}", ROLES.join(", ")),
                );
                None
            }
            Some(other) => {
                out.error(
                    n,
                    "unknown_role",
                    format!("{at}.role is {}; it must be a string", other.json_type()),
                );
                None
            }
            None => {
                out.error(n, "missing_role", format!("{at} has no role"));
                None
            }
        };
        let is_assistant = role == Some("assistant");
        assistants += usize::from(is_assistant);
        let content = m.raw_content.map(Content::of);
        match &content {
            Some(Content::Text) => {}
            Some(Content::Null) | None if is_assistant && m.calls => {}
            None => out.error(n, "missing_content", format!("{at} has no content")),
            Some(Content::Null) => {
                out.error(n, "missing_content", format!("{at} has null content"))
            }
            Some(Content::Wrong(t)) => out.error(
                n,
                "bad_content",
                format!("{at}.content is {t}; it must be a string or an array of content parts"),
            ),
            Some(Content::Parts(parts)) => {
                for (j, kind) in parts.iter().enumerate() {
                    if kind.is_none() {
                        out.error(
                            n,
                            "bad_content",
                            format!("{at}.content[{j}] is not a content part: an object with a \"type\" string"),
                        );
                    }
                }
            }
        }
        match &m.weight {
            None => {}
            Some(_) if !is_assistant => out.error(
                n,
                "weight_not_on_assistant",
                format!("{at} has a weight but is not an assistant message: only assistant messages take one"),
            ),
            Some(Scalar::Num(w)) if *w == 0.0 || *w == 1.0 => {}
            Some(other) => out.error(
                n,
                "bad_weight",
                format!(
                    "{at}.weight is {}; it must be 0 or 1",
                    match other {
                        Scalar::Num(w) => w.to_string(),
                        o => o.json_type().to_string(),
                    }
                ),
            ),
        }
        for key in &m.unknown {
            out.warning(
                n,
                "unknown_message_field",
                format!("{at} has field {:?}, which messages do not take", &**key),
            );
        }
    }
    if needs_assistant && assistants == 0 {
        out.error(
            n,
            "no_assistant_message",
            "no assistant message: a supervised example teaches the assistant's reply, so it needs one",
        );
    }
}

fn check_tools(n: u64, tools: Option<&Seq<Tool<'_>>>, out: &mut Findings) {
    let tools = match tools {
        None => return,
        Some(Seq::Wrong(t)) => {
            return out.error(
                n,
                "bad_tools",
                format!("tools is {t}; it must be an array of tools"),
            );
        }
        Some(Seq::Items(tools)) => tools,
    };
    for (i, tool) in tools.iter().enumerate() {
        if let Some(t) = tool.wrong {
            out.error(
                n,
                "bad_tools",
                format!("tools[{i}] is {t}; a tool is an object"),
            );
            continue;
        }
        if tool.kind.as_ref().and_then(Scalar::as_str) != Some("function") {
            out.error(
                n,
                "bad_tools",
                format!("tools[{i}] needs \"type\": \"function\""),
            );
        }
        match &tool.function {
            None => out.error(n, "bad_tools", format!("tools[{i}] has no function")),
            Some(f) => check_function(n, &format!("tools[{i}].function"), f, "bad_tools", out),
        }
    }
}

fn check_functions(n: u64, functions: Option<&Seq<Function<'_>>>, out: &mut Findings) {
    match functions {
        None => {}
        Some(Seq::Wrong(t)) => out.error(
            n,
            "bad_functions",
            format!("functions is {t}; it must be an array of functions"),
        ),
        Some(Seq::Items(functions)) => {
            for (i, f) in functions.iter().enumerate() {
                check_function(n, &format!("functions[{i}]"), f, "bad_functions", out);
            }
        }
    }
}

fn check_function(n: u64, at: &str, f: &Function<'_>, kind: &'static str, out: &mut Findings) {
    if let Some(t) = f.wrong {
        return out.error(
            n,
            kind,
            format!("{at} is {t}; a function is an object with a name"),
        );
    }
    match &f.name {
        Some(Scalar::Str(name)) if !name.is_empty() => {}
        _ => out.error(n, kind, format!("{at} needs a \"name\" string")),
    }
    if let Some(TypeOnly(t)) = f.parameters
        && t != JsonType::Object
    {
        out.error(
            n,
            kind,
            format!("{at}.parameters is {t}; it must be a JSON Schema object"),
        );
    }
}

fn check_preference(n: u64, ex: &Example<'_>, summary: &mut Summary, out: &mut Findings) {
    match &ex.input {
        None => out.error(
            n,
            "missing_preference_field",
            "no input: a preference example has input, preferred_output and non_preferred_output",
        ),
        Some(input) if input.wrong.is_some() => out.error(
            n,
            "bad_preference_field",
            "input must be an object with messages",
        ),
        Some(input) => match &input.messages {
            Some(Seq::Items(m)) if !m.is_empty() => {
                summary.messages += m.len() as u64;
                check_messages(n, m, "input.messages", false, out);
                check_tools(n, input.tools.as_ref(), out);
            }
            _ => out.error(
                n,
                "bad_preference_field",
                "input.messages must be a non-empty array of messages",
            ),
        },
    }
    for (name, output) in [
        ("preferred_output", &ex.preferred),
        ("non_preferred_output", &ex.non_preferred),
    ] {
        match output {
            None => out.error(
                n,
                "missing_preference_field",
                format!("no {name}: a preference example has input, preferred_output and non_preferred_output"),
            ),
            Some(Seq::Items(m)) if !m.is_empty() => {
                summary.messages += m.len() as u64;
                check_messages(n, m, name, true, out);
            }
            Some(_) => out.error(
                n,
                "bad_preference_field",
                format!("{name} must be a non-empty array of assistant messages"),
            ),
        }
    }
}
