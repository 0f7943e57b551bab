//! A request line read in one pass over its bytes into the same [`RequestLine`] the full
//! reading makes, for lines that are plainly valid: strings borrowed (none with an escape
//! where a value is kept), the body's values read through and checked, not kept. Anything
//! else gives `None` and the full reading decides, so the findings are the same either way (a
//! property test holds the two to it).

use std::borrow::Cow;

use super::shapes::{Body, RequestLine};
use crate::cursor::Reader;
use crate::json::{Scalar, Text};

/// Nesting the fast reading follows in a body; deeper lines go to the full reading.
const MAX_DEPTH: u32 = 64;

/// The line's request, if it is plainly valid; `None` for anything else. A body whose
/// parameter names are `previous` (the last body's), in order, is marked `same_keys` instead of
/// listing them.
#[cfg(test)]
pub(super) fn request<'a>(line: &'a str, previous: &[Box<str>]) -> Option<RequestLine<'a>> {
    let mut out = RequestLine::default();
    read_into(line, previous, &mut out).then_some(out)
}

/// As [`request`], read into `out` (a default one): true if the line is plainly valid; on
/// false, `out` holds a part of it and is to be read again in full. Filled in place, the
/// request is never moved: per short line, its copies were a tenth of the check.
pub(super) fn read_into<'a>(
    line: &'a str,
    previous: &[Box<str>],
    out: &mut RequestLine<'a>,
) -> bool {
    read(line, previous, out).is_some()
}

fn read<'a>(line: &'a str, previous: &[Box<str>], out: &mut RequestLine<'a>) -> Option<()> {
    let mut r = Reader {
        b: line.as_bytes(),
        i: 0,
    };
    r.ws();
    r.byte(b'{')?;
    r.ws();
    if r.peek()? == b'}' {
        r.i += 1;
    } else {
        loop {
            r.ws();
            let key = key(&mut r, line)?;
            match key {
                "custom_id" => out.custom_id = Some(kept(&mut r, line)?),
                "method" => out.method = Some(kept(&mut r, line)?),
                "url" => out.url = Some(kept(&mut r, line)?),
                "body" => out.body = Some(body(&mut r, line, previous)?),
                _ => {
                    r.value(MAX_DEPTH)?;
                    out.unknown.push(Text(Cow::Borrowed(key)));
                }
            }
            r.ws();
            match r.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    r.ws();
    r.at_end().then_some(())
}

/// A key, as text: the line is UTF-8 and a quote is ASCII, so its span is one of the line's.
fn key<'a>(r: &mut Reader<'a>, line: &'a str) -> Option<&'a str> {
    let (start, end) = r.key_span()?;
    line.get(start..end)
}

/// A kept value: a string without escapes (anything else is the full reading's).
fn kept<'a>(r: &mut Reader<'a>, line: &'a str) -> Option<Scalar<'a>> {
    let (start, end, escaped) = r.string_span()?;
    if escaped {
        return None;
    }
    Some(Scalar::Str(Cow::Borrowed(line.get(start..end)?)))
}

/// The body: an object whose keys (none escaped), `model` (a string) and `input` are read as
/// the full reading reads them.
fn body<'a>(r: &mut Reader<'a>, line: &'a str, previous: &[Box<str>]) -> Option<Body<'a>> {
    let mut body = Body::default();
    r.byte(b'{')?;
    r.ws();
    if r.peek()? == b'}' {
        r.i += 1;
        return Some(body);
    }
    // While the names match `previous`, they are only counted; at the first that does not,
    // those before it (all `previous`) are listed from the line, and the rest as they come.
    let mut matched = 0;
    let mut listing = previous.is_empty();
    let mut first_keys: [&str; SAME_KEYS_MAX] = [""; SAME_KEYS_MAX];
    loop {
        r.ws();
        let key = key(r, line)?;
        match key {
            "model" => body.model = Some(kept(r, line)?),
            "input" => body.inputs = inputs(r)?,
            _ => r.value(MAX_DEPTH - 1)?,
        }
        if !listing && previous.get(matched).is_some_and(|p| **p == *key) {
            *first_keys.get_mut(matched)? = key;
            matched += 1;
        } else {
            if !listing {
                listing = true;
                body.keys.extend(
                    first_keys[..matched]
                        .iter()
                        .map(|k| Text(Cow::Borrowed(*k))),
                );
            }
            body.keys.push(Text(Cow::Borrowed(key)));
        }
        r.ws();
        match r.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    if !listing {
        if matched == previous.len() {
            body.same_keys = true;
        } else {
            // Fewer names than before: listed after all.
            body.keys.extend(
                first_keys[..matched]
                    .iter()
                    .map(|k| Text(Cow::Borrowed(*k))),
            );
        }
    }
    Some(body)
}

/// Parameter names a body may repeat from the last and be read without listing them.
const SAME_KEYS_MAX: usize = 32;

/// How many embedding inputs an `input` holds, for a string or an array (anything else is the
/// full reading's): one for a string or an array of token ids, else one per element.
fn inputs(r: &mut Reader<'_>) -> Option<u64> {
    match r.peek()? {
        b'"' => {
            r.string()?;
            Some(1)
        }
        b'[' => {
            r.i += 1;
            r.ws();
            if r.peek()? == b']' {
                r.i += 1;
                return Some(0);
            }
            let mut n = 0;
            let mut first_is_number = false;
            loop {
                r.ws();
                if n == 0 {
                    first_is_number = matches!(r.peek()?, b'-' | b'0'..=b'9');
                }
                r.value(MAX_DEPTH - 2)?;
                n += 1;
                r.ws();
                match r.next()? {
                    b',' => continue,
                    b']' => break,
                    _ => return None,
                }
            }
            Some(if first_is_number { 1 } else { n })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse_line;
    use proptest::prelude::*;

    /// What both readings make of a line, for comparison: a body marked as repeating the
    /// previous names is given them.
    fn facts(l: &RequestLine<'_>, previous: &[Box<str>]) -> String {
        let s = |v: &Option<Scalar<'_>>| format!("{v:?}");
        let body = l.body.as_ref().map(|b| {
            let keys: Vec<String> = if b.same_keys {
                assert!(b.keys.is_empty());
                previous.iter().map(|k| k.to_string()).collect()
            } else {
                b.keys.iter().map(|k| k.0.to_string()).collect()
            };
            (b.wrong, keys, format!("{:?}", b.model), b.inputs)
        });
        format!(
            "{:?} {} {} {} {:?} {:?}",
            l.wrong,
            s(&l.custom_id),
            s(&l.method),
            s(&l.url),
            body,
            l.unknown
                .iter()
                .map(|k| k.0.to_string())
                .collect::<Vec<_>>()
        )
    }

    #[test]
    fn plain_lines_are_read_as_the_full_reading_reads_them() {
        let lines = [
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi \"x\""}],"temperature":0.5e-1,"n":1,"stop":null,"logprobs":false}}"#,
            r#" { "body" : { "input" : ["a", "b", "c"], "model" : "e" } , "url":"/v1/embeddings", "extra": [1, {"x": -0}], "custom_id":"b" } "#,
            r#"{"custom_id":"c","body":{"input":[1,2,3],"model":"e"}}"#,
            r#"{"custom_id":"d","body":{"input":"one","input":[]}}"#,
            r#"{}"#,
            r#"{"custom_id":"e","body":{ }}"#,
        ];
        for line in lines {
            let fast = request(line, &[]).unwrap_or_else(|| panic!("{line}"));
            let full: RequestLine<'_> = parse_line(line.as_bytes()).unwrap();
            assert_eq!(facts(&fast, &[]), facts(&full, &[]), "{line}");
        }
        let left = [
            r#"{"custom_id":"\u0041"}"#,
            r#"{"custom_id":"a\nb"}"#,
            r#"{"custom_id":7}"#,
            r#"{"body":"x"}"#,
            r#"{"body":{"model":4}}"#,
            r#"{"body":{"input":5}}"#,
            r#"{"body":{"n":01}}"#,
            r#"{"body":{"n":1.}}"#,
            r#"{"body":{"n":tru}}"#,
            r#"{"custom_id":"a",}"#,
            r#"[1]"#,
            r#"{"custom_id":"a"} x"#,
        ];
        for line in left {
            assert!(request(line, &[]).is_none(), "{line}");
        }
        // A body repeating the last one's names is marked so, not listed; one that differs
        // anywhere is listed whole.
        let line = r#"{"custom_id":"a","body":{"model":"m","n":1,"stop":null}}"#;
        let names = |v: &[&str]| v.iter().map(|k| Box::from(*k)).collect::<Vec<Box<str>>>();
        let body = request(line, &names(&["model", "n", "stop"]))
            .unwrap()
            .body
            .unwrap();
        assert!(body.same_keys && body.keys.is_empty());
        for previous in [
            names(&["model", "n"]),
            names(&["model", "x", "stop"]),
            names(&["model", "n", "stop", "y"]),
        ] {
            let body = request(line, &previous).unwrap().body.unwrap();
            assert!(!body.same_keys, "{previous:?}");
            let keys: Vec<&str> = body.keys.iter().map(|k| &*k.0).collect();
            assert_eq!(keys, ["model", "n", "stop"], "{previous:?}");
        }
    }

    #[test]
    fn a_line_is_read_fast_to_the_same_depth_wherever_it_nests() {
        let nest = |k: usize| format!("{}0{}", "[".repeat(k), "]".repeat(k));
        // The deepest nesting read fast, counted from the line's own object.
        let deepest = |depth_before: usize, make: &dyn Fn(&str) -> String| {
            let k = (0..2 * MAX_DEPTH as usize)
                .take_while(|&k| request(&make(&nest(k)), &[]).is_some())
                .last()
                .expect("a shallow line is read fast");
            assert!(request(&make(&nest(k + 1)), &[]).is_none());
            depth_before + k
        };
        let top = deepest(1, &|v| format!(r#"{{"x":{v}}}"#));
        let body = deepest(2, &|v| format!(r#"{{"body":{{"x":{v}}}}}"#));
        let input = deepest(3, &|v| format!(r#"{{"body":{{"input":[{v}]}}}}"#));
        assert_eq!((body, input), (top, top));
        assert_eq!(top, MAX_DEPTH as usize + 1);
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            "[a-z\"\\\\ \u{e9}\n]{0,6}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::vec(("[a-z_]{1,6}", inner), 0..4)
                    .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_fast_reading_agrees_with_the_full_one(
            body in prop::collection::vec(("[a-z_]{1,8}|model|input", json()), 0..5),
            previous in prop::collection::vec("[a-z_]{1,8}|model|input", 0..4),
            id in "[a-z0-9\"]{0,6}",
            cut in any::<prop::sample::Index>(),
            mutate in 0u8..4,
        ) {
            let body: serde_json::Map<String, serde_json::Value> = body.into_iter().collect();
            let line = serde_json::json!({
                "custom_id": id, "method": "POST", "url": "/v1/embeddings", "body": body,
            })
            .to_string();
            let Some(text) = crate::cursor::mutated(&line, cut.index(line.len()), mutate) else {
                return Ok(());
            };
            let text = text.as_str();
            // The names of the body before: unrelated, or this one's own (a repeat).
            let own: Vec<Box<str>> = body.keys().map(|k| k.as_str().into()).collect();
            let previous: Vec<Box<str>> = if cut.index(2) == 0 {
                own
            } else {
                previous.into_iter().map(Into::into).collect()
            };
            if let Some(fast) = request(text, &previous) {
                let full: Result<RequestLine<'_>, _> = parse_line(text.as_bytes());
                prop_assert!(full.is_ok(), "the full reading refuses {}", text);
                prop_assert_eq!(facts(&fast, &previous), facts(&full.unwrap(), &[]), "{}", text);
            }
        }
    }
}
