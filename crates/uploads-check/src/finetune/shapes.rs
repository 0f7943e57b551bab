//! The shapes of a fine-tuning example as the checks read them: each a lenient serde visitor
//! (a wrong-typed value is recorded, not a parse failure), long texts skipped raw.

use serde::de::MapAccess;
use serde_json::value::RawValue;

use crate::json::{JsonType, Lenient, Scalar, Seq, Text, TypeOnly, object_shape, raw_type, skip};

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
pub(super) struct Example<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) messages: Option<Seq<Message<'a>>>,
    pub(super) tools: Option<Seq<Tool<'a>>>,
    pub(super) functions: Option<Seq<Function<'a>>>,
    pub(super) input: Option<PreferenceInput<'a>>,
    pub(super) preferred: Option<Seq<Message<'a>>>,
    pub(super) non_preferred: Option<Seq<Message<'a>>>,
    pub(super) prompt: Option<Scalar<'a>>,
    pub(super) completion: Option<Scalar<'a>>,
    /// Top-level fields none of the formats names: a reinforcement example's references for
    /// its graders, another tool's format (`conversations`, `chosen`), or a misspelling.
    pub(super) other: Vec<Text<'a>>,
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
            v.other.push(key);
            skip(map)?;
        }
    }
    Ok(())
}
object_shape!(Example, read_example_field);

/// The top-level fields the formats name, for did-you-mean.
pub(super) const EXAMPLE_FIELDS: [&str; 9] = [
    "messages",
    "tools",
    "functions",
    "parallel_tool_calls",
    "input",
    "preferred_output",
    "non_preferred_output",
    "prompt",
    "completion",
];

#[derive(Default)]
pub(super) struct PreferenceInput<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) messages: Option<Seq<Message<'a>>>,
    pub(super) tools: Option<Seq<Tool<'a>>>,
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
pub(super) struct Message<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) role: Option<Scalar<'a>>,
    /// Raw, and read only if it is an array: a long text is skipped, not unescaped.
    pub(super) raw_content: Option<&'a RawValue>,
    pub(super) weight: Option<Scalar<'a>>,
    /// `tool_calls` or `function_call`: an assistant message with them needs no content.
    pub(super) calls: bool,
    pub(super) unknown: Vec<Text<'a>>,
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
pub(super) enum Content {
    Text,
    Null,
    Parts(Vec<Option<String>>),
    Wrong(JsonType),
}

impl Content {
    pub(super) fn of(raw: &RawValue) -> Content {
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
pub(super) struct Part<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) kind: Option<Scalar<'a>>,
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
pub(super) struct Tool<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) kind: Option<Scalar<'a>>,
    pub(super) function: Option<Function<'a>>,
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
pub(super) struct Function<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) name: Option<Scalar<'a>>,
    pub(super) parameters: Option<TypeOnly>,
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
