//! Paths in JSON without loss: a path that is UTF-8 is a string; one that is not (a Unix name
//! of arbitrary bytes) is `{"hex": "..."}` of its bytes, so journals and manifests keep every
//! file name exactly. Use with `#[serde(with = "uploads_ext::path_json")]`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Bytes { hex: String },
}

/// Writes `path` as a string, or as its bytes in hex if it is not UTF-8.
pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    match path.to_str() {
        Some(text) => Repr::Text(text.to_owned()),
        None => Repr::Bytes {
            hex: bytes_of(path).iter().map(|b| format!("{b:02x}")).collect(),
        },
    }
    .serialize(s)
}

/// Reads what [`serialize`] wrote.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    match Repr::deserialize(d)? {
        Repr::Text(text) => Ok(PathBuf::from(text)),
        Repr::Bytes { hex } => {
            let bytes = from_hex(&hex).ok_or_else(|| {
                serde::de::Error::custom("a path's hex is not pairs of hex digits")
            })?;
            path_of(bytes).map_err(serde::de::Error::custom)
        }
    }
}

/// Pairs of hex digits as bytes.
fn from_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(unix)]
fn bytes_of(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn bytes_of(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(unix)]
fn path_of(bytes: Vec<u8>) -> Result<PathBuf, &'static str> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn path_of(bytes: Vec<u8>) -> Result<PathBuf, &'static str> {
    String::from_utf8(bytes)
        .map(PathBuf::from)
        .map_err(|_| "a path of bytes that are not UTF-8 is only read on Unix")
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::ffi::OsStrExt;

    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Holder(#[serde(with = "super")] PathBuf);

    #[test]
    fn every_path_round_trips_and_text_stays_text() {
        let text = Holder(PathBuf::from("/data/ünï.jsonl"));
        let json = serde_json::to_string(&text).unwrap();
        assert_eq!(json, r#""/data/ünï.jsonl""#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), text);
        let bytes = Holder(PathBuf::from(std::ffi::OsStr::from_bytes(
            b"/data/\xff\xfe.txt",
        )));
        let json = serde_json::to_string(&bytes).unwrap();
        assert_eq!(json, r#"{"hex":"2f646174612ffffe2e747874"}"#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), bytes);
    }
}
