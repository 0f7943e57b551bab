//! Lenient JSON shapes for the checks: each reads one value in a single pass, borrowing its
//! strings from the line, and records a value of the wrong type instead of failing, so a line
//! yields every finding and not only serde's first complaint.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The JSON type of a value, for messages ("is a number, not a string").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonType {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        })
    }
}

/// A shape that can stand for "a value of the wrong type".
pub(crate) trait Lenient: Sized {
    fn wrong(found: JsonType) -> Self;
}

/// Implements the non-map `Visitor` methods of a lenient object shape: each consumes the value
/// and returns `Lenient::wrong` with its type.
macro_rules! not_an_object {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Bool))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Number))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Number))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Number))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::String))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Null))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($crate::json::Lenient::wrong($crate::json::JsonType::Array))
        }
    };
}
pub(crate) use not_an_object;

/// Defines a lenient object shape: `$name<'de>` with a `wrong: Option<JsonType>` field, built
/// by calling `$read(&mut value, key, &mut map)` for each key.
macro_rules! object_shape {
    ($name:ident, $read:path) => {
        impl<'de> serde::Deserialize<'de> for $name<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a JSON value")
                    }
                    $crate::json::not_an_object!();
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut value = $name::default();
                        while let Some(key) = map.next_key::<$crate::json::Text<'de>>()? {
                            $read(&mut value, key, &mut map)?;
                        }
                        Ok(value)
                    }
                }
                d.deserialize_any(V)
            }
        }

        impl<'de> $crate::json::Lenient for $name<'de> {
            fn wrong(found: $crate::json::JsonType) -> Self {
                Self {
                    wrong: Some(found),
                    ..Self::default()
                }
            }
        }
    };
}
pub(crate) use object_shape;

/// A string borrowed from the line when it has no escapes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Any value: strings and numbers kept, arrays and objects skipped (their type recorded).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Other(JsonType),
}

impl Scalar<'_> {
    pub(crate) fn json_type(&self) -> JsonType {
        match self {
            Self::Str(_) => JsonType::String,
            Self::Num(_) => JsonType::Number,
            Self::Other(t) => *t,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Other(JsonType::Bool))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Num(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Num(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other(JsonType::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other(JsonType::Array))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other(JsonType::Object))
            }
        }
        d.deserialize_any(V)
    }
}

/// The type of a value, read without keeping any of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TypeOnly(pub(crate) JsonType);

impl<'de> Deserialize<'de> for TypeOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TypeOnly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::String))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::Bool))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::Number))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::Number))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::Number))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TypeOnly(JsonType::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TypeOnly(JsonType::Array))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(TypeOnly(JsonType::Object))
            }
        }
        d.deserialize_any(V)
    }
}

/// An array of `T`, or the type of what stood in its place.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Seq<T> {
    Items(Vec<T>),
    Wrong(JsonType),
}

impl<T> Lenient for Seq<T> {
    fn wrong(found: JsonType) -> Self {
        Seq::Wrong(found)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Seq<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Seq<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::Bool))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::Number))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::Number))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::Number))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::String))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Seq::Wrong(JsonType::Null))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Seq::Wrong(JsonType::Object))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    items.push(item);
                }
                Ok(Seq::Items(items))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// The type of a value kept raw: read from its first byte. A raw value is skipped by the
/// parser without unescaping its strings, the cheapest way through a long text.
pub(crate) fn raw_type(raw: &serde_json::value::RawValue) -> JsonType {
    match raw.get().as_bytes().first() {
        Some(b'"') => JsonType::String,
        Some(b'{') => JsonType::Object,
        Some(b'[') => JsonType::Array,
        Some(b't' | b'f') => JsonType::Bool,
        Some(b'n') => JsonType::Null,
        _ => JsonType::Number,
    }
}

/// Reads one line as `T`; a line that is not UTF-8 or not JSON gives a message that says
/// where (serde_json's, cut to what a person needs: no "at line 1").
pub(crate) fn parse_line<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Result<T, String> {
    // Checked once for the whole line (SIMD: several times the parser's speed), so the
    // parser may skip the strings it does not read.
    let line = match simdutf8::basic::from_utf8(line) {
        Ok(line) => line,
        Err(_) => {
            // Where, from the slower validator that says.
            let at = std::str::from_utf8(line)
                .err()
                .map_or(0, |e| e.valid_up_to() + 1);
            return Err(format!("the line is not UTF-8 (byte {at} is invalid)"));
        }
    };
    serde_json::from_str(line).map_err(|e| {
        let text = e.to_string();
        match text.rsplit_once(" at line ") {
            Some((what, _)) => format!("{what} (column {})", e.column()),
            None => text,
        }
    })
}

/// The message for a line that is not JSON: the parser's words, and what the line looks like
/// when that says more (a Python dict written with `str()`, single quotes and all).
pub(crate) fn parse_error(line: &[u8], error: &str) -> String {
    if looks_like_python(line) {
        return format!(
            "not valid JSON ({error}): it looks like a Python dict written with str() or print (single quotes, True/None); write each line with json.dumps"
        );
    }
    format!("not valid JSON: {error}")
}

/// True for a line that starts like Python's repr of a dict: `{'key': ...`.
pub(crate) fn looks_like_python(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii_start();
    trimmed.starts_with(b"{'") || trimmed.starts_with(b"{ '")
}

/// Consumes a map value the shape does not look at.
pub(crate) fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}
