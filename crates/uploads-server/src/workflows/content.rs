//! Reading a stored File for the workflows: our own content check (what `validating` runs), and
//! its lines one at a time.

use futures::StreamExt;
use uploads_check::{CheckOptions, Checker, ContentFormat, Report};

use crate::store::{FileRecord, Store};

/// Checks a stored File as the service's validation step would, streaming it.
pub(crate) async fn check(
    store: &Store,
    file: &FileRecord,
    format: ContentFormat,
    options: CheckOptions,
) -> std::io::Result<Report> {
    let mut checker = Checker::with_options(format, options);
    let mut body = std::pin::pin!(store.read_parts(&file.parts, file.bytes));
    while let Some(chunk) = body.next().await {
        checker.feed(&chunk?);
    }
    Ok(checker.finish())
}

/// Calls `each` with every non-blank line of a stored File (without its line end), in order.
pub(crate) async fn for_each_line(
    store: &Store,
    file: &FileRecord,
    mut each: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    let mut carry: Vec<u8> = Vec::new();
    let mut body = std::pin::pin!(store.read_parts(&file.parts, file.bytes));
    let mut emit = |line: &[u8]| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(u8::is_ascii_whitespace) {
            each(line);
        }
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let mut rest: &[u8] = &chunk;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            if carry.is_empty() {
                emit(&rest[..end]);
            } else {
                carry.extend_from_slice(&rest[..end]);
                emit(&carry);
                carry.clear();
            }
            rest = &rest[end + 1..];
        }
        carry.extend_from_slice(rest);
    }
    if !carry.is_empty() {
        emit(&carry);
    }
    Ok(())
}
