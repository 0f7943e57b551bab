//! The cursor's unit tests: stop bytes found as a byte-by-byte reading finds them, keys matched whole, values read to their end.

use super::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn stop_is_the_first_stop_byte(text in prop::collection::vec(prop_oneof![
        Just(b'"'), Just(b'\\'), Just(0x1fu8), Just(0x20u8), Just(0x7fu8), Just(0xffu8),
        Just(b'a'), any::<u8>(),
    ], 0..150)) {
        let want = text.iter().position(|&c| STOPS[usize::from(c)]);
        prop_assert_eq!(stop(&text), want);
    }
}

proptest! {
    /// Past the word loop's reach: a long run of plain text, then anything.
    #[test]
    fn stop_is_the_first_stop_byte_in_a_long_string(
        plain in prop::collection::vec(prop_oneof![Just(b'a'), Just(0x20u8), Just(0xe9u8)], 0..300),
        rest in prop::collection::vec(prop_oneof![
            Just(b'"'), Just(b'\\'), Just(0x00u8), Just(0x1fu8), Just(b'a'), any::<u8>(),
        ], 0..20),
    ) {
        let text = [plain, rest].concat();
        let want = text.iter().position(|&c| STOPS[usize::from(c)]);
        prop_assert_eq!(stop_byte(&text), want.map(|at| (at, text[at])));
    }
}

#[test]
fn the_common_keys_are_matched_whole_and_only_they() {
    for key in [
        "content",
        "custom_id",
        "role",
        "model",
        "messages",
        "method",
        "url",
        "body",
        "weight",
        "input",
    ] {
        let line = format!("\"{key}\":  1");
        let mut r = Reader {
            b: line.as_bytes(),
            i: 0,
        };
        assert_eq!(r.common_key(), Some((1, 1 + key.len())), "{key}");
        assert_eq!(r.i, line.len() - 1, "{key}: the colon and spaces read");
    }
    for other in ["\"contents\":", "\"rol\":", "\"x\":", "\"", ""] {
        let mut r = Reader {
            b: other.as_bytes(),
            i: 0,
        };
        assert_eq!(r.common_key(), None, "{other}");
        assert_eq!(r.i, 0);
    }
}

/// Every kind of JSON value is read whole, to its last byte, not given up on.
#[test]
fn every_json_value_is_read_to_its_end() {
    for value in [
        "true",
        "false",
        "null",
        "0",
        "-12",
        "3.25",
        "1e9",
        "-2.5E-3",
        "12345",
        r#""a\"b""#,
        "{}",
        "[]",
        r#"{"a":[1,{"b":null}],"c":true}"#,
        "[ 1 , [ ] , { } ]",
    ] {
        let mut r = Reader {
            b: value.as_bytes(),
            i: 0,
        };
        assert_eq!(r.value(8), Some(()), "{value}");
        assert!(r.at_end(), "{value}: stopped at {}", r.i);
    }
    for bad in ["tru", "01x", "-", "1.", "1e", "{\"a\"}", "[1,]", "x"] {
        let mut r = Reader {
            b: bad.as_bytes(),
            i: 0,
        };
        assert!(r.value(8).is_none() || !r.at_end(), "{bad}");
    }
}
