//! Mistakes of a whole file, named once instead of once per line: UTF-16, lone-CR line
//! ends, a JSON array, pretty-printed JSON, Python dicts, bytes that are not text.

use super::json;

/// Whether the file has shown itself to be lines, or a whole-file mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WholeFile {
    /// No line end yet.
    Unknown,
    /// Lines, read one by one.
    Lines,
    /// A mistake of the whole file, reported once: nothing more is read.
    Refused,
}

/// A first line that shows the file is not JSON Lines: a JSON array, pretty-printed JSON, or
/// Python's repr of dicts.
pub(super) fn not_json_lines(first: &[u8]) -> Option<(&'static str, &'static str)> {
    if memchr::memchr(0, first).is_some() {
        return Some(NOT_TEXT);
    }
    let trimmed = first.trim_ascii();
    if trimmed.starts_with(b"[") {
        return Some((
            "json_array",
            "the file is a JSON array, not JSON Lines: write one JSON object per line, with no [ ] around them (jq -c '.[]' does it)",
        ));
    }
    if trimmed == b"{" {
        return Some((
            "pretty_printed_json",
            "the file is pretty-printed JSON (an object over several lines), not JSON Lines: write each object on one line (jq -c does it)",
        ));
    }
    if json::looks_like_python(trimmed)
        && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_err()
    {
        return Some((
            "python_dict",
            "the lines are Python dicts written with str() or print (single quotes, True/None), not JSON: write each line with json.dumps",
        ));
    }
    None
}

/// A file whose first line holds raw control bytes: not text.
pub(super) const NOT_TEXT: (&str, &str) = (
    "not_text",
    "the file holds raw control bytes (such as NUL) in its first line: it is not JSON Lines text (a binary or compressed file? decompress it first)",
);

/// A mistake of the whole file seen in its first bytes (UTF-16, line ends of a lone CR),
/// before any line is read (`at_start`: these are the file's very first bytes): the mistake,
/// or whether a line end was seen (lines are read from there on).
pub(super) fn in_first_bytes(
    at_start: bool,
    bytes: &[u8],
) -> Result<bool, (&'static str, &'static str)> {
    if at_start {
        let utf16_bom = bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF");
        // `{` or `[` as UTF-16 without a byte-order mark: a NUL beside it.
        let utf16_plain = bytes.len() >= 2
            && ((bytes[0] == 0 && matches!(bytes[1], b'{' | b'['))
                || (bytes[1] == 0 && matches!(bytes[0], b'{' | b'[')));
        if utf16_bom || utf16_plain {
            return Err((
                "utf16",
                "the file is UTF-16 (what PowerShell's > and Out-File write), not UTF-8: save it as UTF-8 (Out-File -Encoding utf8, or iconv -f UTF-16 -t UTF-8)",
            ));
        }
    }
    let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    // A carriage return followed by anything but a line feed, before the first line feed:
    // the file's lines end with CR alone.
    let lone_cr = memchr::memchr_iter(b'\r', &bytes[..end])
        .any(|i| i + 1 < bytes.len() && bytes[i + 1] != b'\n');
    if lone_cr {
        return Err((
            "cr_line_ends",
            "the lines end with a carriage return alone (CR, old Mac style), not a line feed: JSONL lines end with LF or CRLF; convert it (tr '\\r' '\\n')",
        ));
    }
    Ok(end < bytes.len())
}
