//! The common chat example read in one pass over its bytes, building nothing: what keeps the
//! check ahead of md5 on files of millions of short examples (classification sets), where the
//! full lenient reading spends more time per line than md5 does.
//!
//! It takes only a line whose every part has no finding: `{"messages": [...]}` and nothing
//! else, each message an object of `role` (a known role), `content` (a string) and, on an
//! assistant message only, `weight` (`0` or `1`), in any order, no key twice; strings with the
//! simple escapes only (no `\u`). Anything else gives `None` and the full reading decides, so
//! the findings are the same either way (a property test holds the two to it).

use super::messages::ROLES;
use crate::cursor::Reader;

/// What the check needs of a simple chat example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SimpleChat {
    pub(super) messages: u64,
    pub(super) assistants: u64,
    pub(super) ends_with_assistant: bool,
}

/// The example, if the line (valid UTF-8) is a simple chat example; `None` for anything else.
pub(super) fn simple_chat(line: &[u8]) -> Option<SimpleChat> {
    let mut r = Reader { b: line, i: 0 };
    r.ws();
    r.byte(b'{')?;
    r.ws();
    if r.key()? != b"messages" {
        return None;
    }
    r.ws();
    r.byte(b'[')?;
    let mut chat = SimpleChat {
        messages: 0,
        assistants: 0,
        ends_with_assistant: false,
    };
    loop {
        r.ws();
        let assistant = message(&mut r)?;
        chat.messages += 1;
        chat.assistants += u64::from(assistant);
        chat.ends_with_assistant = assistant;
        r.ws();
        match r.next()? {
            b',' => continue,
            b']' => break,
            _ => return None,
        }
    }
    r.ws();
    r.byte(b'}')?;
    r.ws();
    r.at_end().then_some(chat)
}

/// One message object; whether it is the assistant's.
fn message(r: &mut Reader<'_>) -> Option<bool> {
    r.byte(b'{')?;
    let (mut role, mut content, mut weight) = (None, false, false);
    loop {
        r.ws();
        match r.key()? {
            b"role" if role.is_none() => {
                let (text, escaped) = r.string()?;
                if escaped || !ROLES.iter().any(|r| r.as_bytes() == text) {
                    return None;
                }
                role = Some(text);
            }
            b"content" if !content => {
                r.string()?;
                content = true;
            }
            b"weight" if !weight => {
                // 0 or 1, as the full reading takes them; anything else is its to judge.
                match r.next()? {
                    b'0' | b'1' => {}
                    _ => return None,
                }
                if matches!(r.peek(), Some(b'0'..=b'9' | b'.' | b'e' | b'E')) {
                    return None;
                }
                weight = true;
            }
            _ => return None,
        }
        r.ws();
        match r.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    let assistant = role? == b"assistant";
    // A weight elsewhere is a warning, and a message without content a finding: the full
    // reading says them.
    (content && (assistant || !weight)).then_some(assistant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finetune::messages::check_messages;
    use crate::finetune::shapes::Example;
    use crate::json::{Seq, parse_line};
    use crate::report::Findings;
    use proptest::prelude::*;

    /// What the full reading makes of a line, when it finds nothing: the same facts.
    fn full(line: &[u8]) -> Option<SimpleChat> {
        let ex: Example<'_> = parse_line(line).ok()?;
        if ex.wrong.is_some()
            || !ex.other.is_empty()
            || ex.tools.is_some()
            || ex.functions.is_some()
            || ex.input.is_some()
            || ex.preferred.is_some()
            || ex.non_preferred.is_some()
            || ex.prompt.is_some()
            || ex.completion.is_some()
        {
            return None;
        }
        let Some(Seq::Items(messages)) = &ex.messages else {
            return None;
        };
        if messages.is_empty() {
            return None;
        }
        let mut out = Findings::default();
        let c = check_messages(1, messages, "messages", false, &mut out);
        (out.errors + out.warnings == 0 && c.images == 0).then_some(SimpleChat {
            messages: messages.len() as u64,
            assistants: c.assistants as u64,
            ends_with_assistant: c.ends_with_assistant,
        })
    }

    #[test]
    fn simple_lines_are_read_and_the_rest_left_to_the_full_reading() {
        let ok = [
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#,
            r#" { "messages" : [ { "content" : "a \"q\" \\ \n" , "role" : "system" } , {"weight":1,"role":"assistant","content":""} ] } "#,
            r#"{"messages":[{"role":"user","content":"no reply"}]}"#,
        ];
        for line in ok {
            let fast = simple_chat(line.as_bytes());
            assert!(fast.is_some(), "{line}");
            assert_eq!(fast, full(line.as_bytes()), "{line}");
        }
        assert_eq!(
            simple_chat(ok[0].as_bytes()),
            Some(SimpleChat {
                messages: 2,
                assistants: 1,
                ends_with_assistant: true
            })
        );
        let left = [
            r#"{"messages":[]}"#,
            r#"{"messages":[{"role":"user","content":"\u00e9"}]}"#,
            r#"{"messages":[{"role":"user","content":"hi","weight":1}]}"#,
            r#"{"messages":[{"role":"assistant","content":"hi","weight":2}]}"#,
            r#"{"messages":[{"role":"assistant","content":"hi","weight":1.0}]}"#,
            r#"{"messages":[{"role":"human","content":"hi"}]}"#,
            r#"{"messages":[{"role":"user","content":["x"]}]}"#,
            r#"{"messages":[{"role":"user"}]}"#,
            r#"{"messages":[{"role":"user","role":"user","content":"x"}]}"#,
            r#"{"messages":[{"role":"user","content":"x","content":"y"}]}"#,
            r#"{"messages":[{"role":"assistant","content":"x","weight":1,"weight":0}]}"#,
            r#"{"messages":[{"role":"user","content":"x"}],"tools":[]}"#,
            r#"{"messages":[{"role":"user","content":"x"}]} x"#,
            r#"{"messages":[{"role":"user","content":"x"}]"#,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"tab\there\"}]}",
        ];
        for line in left {
            assert_eq!(simple_chat(line.as_bytes()), None, "{line}");
        }
    }

    fn message() -> impl Strategy<Value = String> {
        let role = prop_oneof![
            Just("user"),
            Just("assistant"),
            Just("system"),
            Just("tool"),
            Just("Assistant"),
        ];
        let content = prop_oneof![
            "[a-z \"\\\\/\n\t\u{e9}]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just("null".to_owned()),
            Just("[{\"type\":\"text\",\"text\":\"x\"}]".to_owned()),
            Just("\"\\u0041\"".to_owned()),
        ];
        let weight = prop_oneof![
            Just(None),
            Just(Some("0")),
            Just(Some("1")),
            Just(Some("2")),
            Just(Some("1.0"))
        ];
        (role, content, weight, any::<bool>(), " ?").prop_map(|(r, c, w, flip, ws)| {
            let mut fields = vec![
                format!("\"role\"{ws}:{ws}\"{r}\""),
                format!("\"content\":{c}"),
            ];
            if let Some(w) = w {
                fields.push(format!("\"weight\":{w}"));
            }
            if flip {
                fields.reverse();
            }
            format!("{{{ws}{}{ws}}}", fields.join(","))
        })
    }

    proptest! {
        #[test]
        fn the_fast_reading_agrees_with_the_full_one(
            messages in prop::collection::vec(message(), 0..4),
            cut in any::<prop::sample::Index>(),
            mutate in 0u8..4,
        ) {
            let line = format!("{{\"messages\":[{}]}}", messages.join(","));
            // A byte dropped, or one doubled: mostly invalid JSON, or invalid UTF-8.
            let Some(text) = crate::cursor::mutated(&line, cut.index(line.len()), mutate) else {
                return Ok(());
            };
            let bytes = text.as_bytes();
            if let Some(fast) = simple_chat(bytes) {
                // Whatever the fast reading takes, the full one takes with no finding, the same.
                prop_assert_eq!(Some(fast), full(bytes), "{}", line);
            }
            if mutate == 0 && !messages.is_empty() {
                // And what the full reading takes cleanly, the fast one takes unless an
                // escape it leaves alone stands in it.
                if let Some(facts) = full(bytes) {
                    // Content parts, `1.0` and `\u` are the full reading's alone.
                    if !["\\u", "\"type\"", "1.0"].iter().any(|s| line.contains(s)) {
                        prop_assert_eq!(simple_chat(bytes), Some(facts), "{}", line);
                    }
                }
            }
        }
    }
}
