//! The checks of a fine-tuning example's parts: messages (roles, contents, weights, an
//! assistant reply), tools and functions, and a preference example's three fields.

use super::shapes::{Content, Example, Function, Message, Tool};
use crate::json::{JsonType, Scalar, Seq, TypeOnly};
use crate::report::{Findings, Summary};

/// The roles a message may have.
pub(super) const ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Most images one example may hold (the vision fine-tuning guide).
pub(super) const MAX_IMAGES: usize = 10;

/// What a conversation holds, for the rules of the example and its method.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Conversation {
    /// Assistant messages.
    pub(super) assistants: usize,
    /// True if the last message is the assistant's.
    pub(super) ends_with_assistant: bool,
    /// Image content parts.
    pub(super) images: usize,
}

/// A conversation's messages: roles, contents and their parts, weights. `needs_assistant`: an
/// output that must hold the assistant's reply (a preference example's).
pub(super) fn check_messages(
    n: u64,
    messages: &[Message<'_>],
    field: &str,
    needs_assistant: bool,
    out: &mut Findings,
) -> Conversation {
    let mut conversation = Conversation::default();
    for (i, m) in messages.iter().enumerate() {
        // Built only when a finding names it: most messages have none.
        let at = || format!("{field}[{i}]");
        conversation.ends_with_assistant = false;
        if let Some(t) = m.wrong {
            out.error(
                n,
                "bad_message",
                format!(
                    "{} is {t}; a message is an object with role and content",
                    at()
                ),
            );
            continue;
        }
        let role = match &m.role {
            Some(Scalar::Str(r)) if ROLES.contains(&r.as_ref()) => Some(r.as_ref()),
            Some(Scalar::Str(r)) => {
                out.error(
                    n,
                    "unknown_role",
                    format!(
                        "{} has role {r:?}; the roles are {}",
                        at(),
                        ROLES.join(", ")
                    ),
                );
                None
            }
            Some(other) => {
                out.error(
                    n,
                    "unknown_role",
                    format!(
                        "{}.role is {}; it must be a string",
                        at(),
                        other.json_type()
                    ),
                );
                None
            }
            None => {
                out.error(n, "missing_role", format!("{} has no role", at()));
                None
            }
        };
        let is_assistant = role == Some("assistant");
        conversation.assistants += usize::from(is_assistant);
        conversation.ends_with_assistant = is_assistant;
        let content = m.raw_content.map(Content::of);
        match &content {
            Some(Content::Text) => {}
            Some(Content::Null) | None if is_assistant && m.calls => {}
            None => out.error(n, "missing_content", format!("{} has no content", at())),
            Some(Content::Null) => {
                out.error(n, "missing_content", format!("{} has null content", at()))
            }
            Some(Content::Wrong(t)) => out.error(
                n,
                "bad_content",
                format!(
                    "{}.content is {t}; it must be a string or an array of content parts",
                    at()
                ),
            ),
            Some(Content::Parts(parts)) => {
                if role == Some("tool") {
                    out.error(
                        n,
                        "tool_content_not_string",
                        format!(
                            "{} is a tool message with an array of content parts: a tool message's content must be a string (the service: \"Input should be a valid string\")",
                            at()
                        ),
                    );
                }
                for (j, kind) in parts.iter().enumerate() {
                    match kind.as_deref() {
                        None => out.error(
                            n,
                            "bad_content",
                            format!("{}.content[{j}] is not a content part: an object with a \"type\" string", at()),
                        ),
                        Some("image_url") => {
                            conversation.images += 1;
                            if role.is_some_and(|r| r != "user") {
                                out.error(
                                    n,
                                    "image_not_in_user_message",
                                    format!(
                                        "{}.content[{j}] is an image in a {} message: images go in user messages only",
                                        at(),
                                        role.unwrap_or_default()
                                    ),
                                );
                            }
                        }
                        Some(part @ ("input_audio" | "audio" | "file" | "input_file")) => out.error(
                            n,
                            "unsupported_content_part",
                            format!(
                                "{}.content[{j}] is a {part:?} part: fine-tuning takes text and images, not audio or files",
                                at()
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
        }
        match &m.weight {
            None => {}
            // Documented for assistant messages only; what the service does with another is
            // not: a warning.
            Some(_) if !is_assistant => out.warning(
                n,
                "weight_not_on_assistant",
                format!(
                    "{} has a weight but is not an assistant message: only assistant messages are documented to take one",
                    at()
                ),
            ),
            Some(Scalar::Num(w)) if *w == 0.0 || *w == 1.0 => {}
            Some(other) => out.error(
                n,
                "bad_weight",
                format!(
                    "{}.weight is {}; it must be 0 or 1",
                    at(),
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
                format!(
                    "{} has field {:?}, which messages do not take",
                    at(),
                    &**key
                ),
            );
        }
    }
    if needs_assistant && conversation.assistants == 0 {
        out.error(
            n,
            "no_assistant_message",
            format!("no assistant message in {field}: it holds the assistant's reply"),
        );
    }
    conversation
}

pub(super) fn check_tools(n: u64, tools: Option<&Seq<Tool<'_>>>, out: &mut Findings) {
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

pub(super) fn check_functions(n: u64, functions: Option<&Seq<Function<'_>>>, out: &mut Findings) {
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

pub(super) fn check_function(
    n: u64,
    at: &str,
    f: &Function<'_>,
    kind: &'static str,
    out: &mut Findings,
) {
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

/// A preference example's three fields; the images it holds.
pub(super) fn check_preference(
    n: u64,
    ex: &Example<'_>,
    summary: &mut Summary,
    out: &mut Findings,
) -> usize {
    let mut images = 0;
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
                images += check_messages(n, m, "input.messages", false, out).images;
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
                images += check_messages(n, m, name, true, out).images;
            }
            Some(_) => out.error(
                n,
                "bad_preference_field",
                format!("{name} must be a non-empty array of assistant messages"),
            ),
        }
    }
    images
}
