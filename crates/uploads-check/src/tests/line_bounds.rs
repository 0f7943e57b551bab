//! Where a line stops being held: the cap on a line's length and the mark past which a long
//! line is searched for raw control bytes, each at its exact byte, whether the line ends in the
//! chunk that passes it or in a later one.

use super::*;

/// A valid request line padded with spaces to exactly `len` bytes (no newline).
fn request_of(len: usize) -> String {
    let line = req("a");
    assert!(len >= line.len());
    format!("{line}{}", " ".repeat(len - line.len()))
}

/// The errors of a batch checker with `cap`, fed `chunks` in order.
fn fed(cap: usize, chunks: &[&[u8]]) -> Report {
    let mut c = Checker::new(ContentFormat::Batch);
    c.line_cap = cap;
    for chunk in chunks {
        c.feed(chunk);
    }
    c.finish()
}

#[test]
fn a_line_of_exactly_the_cap_is_read_and_one_byte_more_is_too_long() {
    for len in [200, 201] {
        let line = request_of(len);
        let (head, tail) = line.as_bytes().split_at(1);
        let cases: [&[&[u8]]; 4] = [
            // The end comes in the chunk that passes the cap, after a held start.
            &[head, tail, b"\n"],
            &[head, &[tail, b"\n"].concat()],
            // The cap is reached while the line is held, and its end comes later.
            &[line.as_bytes(), b"\n"],
            &[&line.as_bytes()[..100], &line.as_bytes()[100..], b"\n"],
        ];
        for chunks in cases {
            let r = fed(200, chunks);
            if len == 200 {
                assert!(r.is_ok(), "{len}: {r}");
                assert_eq!(r.summary.records, 1);
            } else {
                assert_eq!(errors(&r)[0], (1, "line_too_long"), "{len}");
                assert_eq!(r.summary.records, 0);
            }
        }
    }
}

/// A too-long line passed over still counts its bytes: the file's size limit is measured on
/// the bytes read, not on a product or a difference of them.
#[test]
fn a_line_passed_over_counts_exactly_its_bytes() {
    let long = vec![b'x'; 20_000];
    let next = format!("{}\n", req("b"));
    let mut c = Checker::new(ContentFormat::Batch);
    c.line_cap = 30_000;
    // Passed over in the chunk that ends it, then as a line held past the cap.
    c.feed(&long);
    c.feed(&[&long[..], b"\n", next.as_bytes()].concat());
    assert_eq!(c.consumed, 40_001 + next.len() as u64);
    c.feed(&long);
    c.feed(&long);
    // Passed over to its end, which comes after more of it.
    c.feed(b"abc\n");
    c.feed(next.replace("\"b\"", "\"c\"").as_bytes());
    assert_eq!(c.consumed, 2 * (40_001 + next.len() as u64) + 3);
    let r = c.finish();
    assert_eq!(errors(&r), [(1, "line_too_long"), (3, "line_too_long")]);
    assert_eq!(r.summary.lines, 4);
    assert_eq!(r.summary.records, 2);
    assert!(!r.counts.contains_key("file_too_large"), "{r}");
    assert_eq!(r.summary.bytes, 2 * (40_001 + next.len() as u64) + 3);
}

/// A first line that is long and holds a raw control byte: the byte's place in the line.
fn control_at(chunks: &[&[u8]]) -> String {
    let mut c = Checker::new(ContentFormat::Batch);
    c.feed(format!("{}\n", req("a")).as_bytes());
    for chunk in chunks {
        c.feed(chunk);
    }
    c.feed(b"\n");
    let r = c.finish();
    assert_eq!(errors(&r)[0], (2, "invalid_json"), "{r}");
    r.findings[0].message.clone()
}

#[test]
fn a_long_line_is_searched_for_control_bytes_once_past_the_mark() {
    const MARK: usize = HELD_UNCHECKED;
    let raw = |m: &str| m.contains("raw control character");
    // Up to the mark a line is held as it is; the JSON reading finds the byte at its end.
    let mut line = vec![b'x'; MARK];
    line[10] = 0x01;
    let at_mark = control_at(&[&line]);
    assert!(!raw(&at_mark), "{at_mark}");
    // One byte past it, held bytes and new ones are searched at once, and the place named.
    let mut held = line.clone();
    held.push(b'x');
    assert!(control_at(&[&held]).contains("byte 11 of the line"));
    assert!(control_at(&[&line, b"x"]).contains("byte 11 of the line"));
    // Held short of the mark, then passing it: the held bytes are searched as it passes.
    assert!(control_at(&[&line[..MARK - 5], &[b'x'; 10]]).contains("byte 11 of the line"));
    // A control byte in a chunk after the mark: its place counts the bytes held before it.
    let clean = vec![b'x'; MARK + 5];
    let mut chunk = vec![b'y'; 30];
    chunk[20] = 0x02;
    let m = control_at(&[&clean, &chunk]);
    let raw_at = |at: usize, byte: &str| {
        format!("byte {at} of the line is a raw control character ({byte})")
    };
    assert!(m.contains(&raw_at(MARK + 5 + 21, "0x02")), "{m}");
    // ... the chunk's first byte too; and a held byte is named by its own value.
    chunk[0] = 0x03;
    let m = control_at(&[&clean, &chunk]);
    assert!(m.contains(&raw_at(MARK + 6, "0x03")), "{m}");
    assert!(control_at(&[&held]).contains(&raw_at(11, "0x01")));
}

#[test]
fn a_bom_like_pair_inside_the_first_line_is_no_utf16_file() {
    let r = check(
        ContentFormat::Batch,
        &format!("{}\n", req("a")).replacen("\"a\"", "\"\u{FEFF}a\"", 1),
    );
    assert!(!r.counts.contains_key("utf16"), "{r}");
    // As raw bytes in a later chunk of the first line (not UTF-8 there either): that line's
    // error, not a refusal of the whole file as UTF-16.
    let mut c = Checker::new(ContentFormat::Batch);
    c.feed(b"{\"custom_id\":\"");
    c.feed(b"\xFF\xFEx\"}\n");
    let r = c.finish();
    assert!(!r.counts.contains_key("utf16"), "{r}");
    assert_eq!(errors(&r)[0], (1, "invalid_json"), "{r}");
}

#[test]
fn a_checker_shows_where_it_is() {
    let mut c = Checker::new(ContentFormat::FineTune);
    c.feed(format!("{}\n{{\"mess", chat()).as_bytes());
    assert_eq!(
        format!("{c:?}"),
        format!(
            "Checker {{ format: FineTune, consumed: {}, carried: 6, .. }}",
            chat().len() + 1
        )
    );
}

#[test]
fn an_interrupted_read_is_retried_and_any_other_failure_ends_the_check() {
    /// Fails once with `kind`, then gives `data`.
    struct FailsOnce(Option<std::io::ErrorKind>, std::io::Cursor<Vec<u8>>);
    impl std::io::Read for FailsOnce {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.take() {
                Some(kind) => Err(kind.into()),
                None => self.1.read(buf),
            }
        }
    }
    let text = format!("{}\n{}\n", req("a"), req("b"));
    let read = |kind| {
        let reader = FailsOnce(Some(kind), std::io::Cursor::new(text.clone().into_bytes()));
        check_reader(reader, ContentFormat::Batch, CheckOptions::default())
    };
    let r = read(std::io::ErrorKind::Interrupted).unwrap();
    assert!(r.is_ok(), "{r}");
    assert_eq!(r.summary.records, 2);
    let e = read(std::io::ErrorKind::PermissionDenied).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
}

#[test]
fn where_the_chunks_split_a_file_never_changes_its_report() {
    let crlf = batch_with(&req("c")).replace('\n', "\r\n");
    let lone_cr = batch_with(&req("c")).replace('\n', "\r");
    let bad = format!("{}\r\n{{\"custom_id\":\r\n", req("a"));
    for text in [crlf, lone_cr, bad] {
        let whole = format!("{}", fed(usize::MAX, &[text.as_bytes()]));
        for at in 0..=text.len() {
            let (a, b) = text.as_bytes().split_at(at);
            let split = format!("{}", fed(usize::MAX, &[a, b]));
            assert_eq!(split, whole, "split at {at} of {text:?}");
        }
    }
}
