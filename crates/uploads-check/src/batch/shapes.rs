//! The shapes of a batch request line as the checks read them: lenient serde visitors that
//! keep the few fields checked, and skip the rest of a body (texts raw, never unescaped).

use serde::de::{MapAccess, SeqAccess};
use serde_json::value::RawValue;

use crate::json::{JsonType, Scalar, Text, object_shape, raw_type, skip};

#[derive(Default)]
pub(super) struct RequestLine<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) custom_id: Option<Scalar<'a>>,
    pub(super) method: Option<Scalar<'a>>,
    pub(super) url: Option<Scalar<'a>>,
    pub(super) body: Option<Body<'a>>,
    pub(super) unknown: Vec<Text<'a>>,
}

fn read_line_field<'de, A: MapAccess<'de>>(
    v: &mut RequestLine<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "custom_id" => v.custom_id = Some(map.next_value()?),
        "method" => v.method = Some(map.next_value()?),
        "url" => v.url = Some(map.next_value()?),
        "body" => v.body = Some(map.next_value()?),
        _ => {
            v.unknown.push(key);
            skip(map)?;
        }
    }
    Ok(())
}
object_shape!(RequestLine, read_line_field);

/// A request body: its parameter names, its model, and how many embedding inputs it holds.
#[derive(Default)]
pub(super) struct Body<'a> {
    pub(super) wrong: Option<JsonType>,
    pub(super) keys: Vec<Text<'a>>,
    /// True when the fast reading found the same parameter names, in the same order, as the
    /// body before (then `keys` is left empty: most bodies of a file repeat them).
    pub(super) same_keys: bool,
    pub(super) model: Option<Scalar<'a>>,
    pub(super) inputs: u64,
}

fn read_body_field<'de, A: MapAccess<'de>>(
    v: &mut Body<'de>,
    key: Text<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    match &*key {
        "model" => v.model = Some(map.next_value()?),
        "input" => v.inputs = map.next_value::<InputCount>()?.0,
        _ => skip(map)?,
    }
    v.keys.push(key);
    Ok(())
}
object_shape!(Body, read_body_field);

/// How many embedding inputs an `input` holds: a string or an array of token ids is one, an
/// array of strings or of token arrays one per element.
pub(super) struct InputCount(pub(super) u64);

impl<'de> serde::Deserialize<'de> for InputCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = InputCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an embedding input")
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(InputCount(1))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Raw elements: the texts are skipped, not unescaped.
                let Some(first) = seq.next_element::<&'de RawValue>()? else {
                    return Ok(InputCount(0));
                };
                let mut n = 1;
                while seq.next_element::<&'de RawValue>()?.is_some() {
                    n += 1;
                }
                Ok(InputCount(if raw_type(first) == JsonType::Number {
                    1
                } else {
                    n
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(InputCount(0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(InputCount(0))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(InputCount(0))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(InputCount(0))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(InputCount(0))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(InputCount(0))
            }
        }
        d.deserialize_any(V)
    }
}
