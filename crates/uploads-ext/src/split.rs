//! Cutting a batch file that is over the limits into pieces at line boundaries, each within
//! the request and byte limits, to be uploaded straight from its byte range. It reads lines
//! as the check does, but checks nothing: a file's pieces are checked as they upload.

use std::io::{self, Read};

/// One piece of a file: a byte range holding whole lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Where the piece starts in the file.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// The requests (non-blank lines) it holds.
    pub requests: u64,
}

/// Plans the pieces of what `reader` gives: each at most `max_requests` non-blank lines and
/// `max_bytes` bytes, cut only at line ends, filled in order. Their concatenation is the input.
/// A single line longer than `max_bytes` is an `InvalidData` error.
pub fn split_batch(
    mut reader: impl Read,
    max_requests: u64,
    max_bytes: u64,
) -> io::Result<Vec<Piece>> {
    let mut planner = Planner {
        max_requests: max_requests.max(1),
        max_bytes,
        pieces: Vec::new(),
        piece_start: 0,
        piece_requests: 0,
        line_start: 0,
        line_has_content: false,
        pos: 0,
    };
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut rest = &buf[..n];
        while let Some(i) = memchr::memchr(b'\n', rest) {
            planner.content(&rest[..i]);
            planner.pos += i as u64 + 1;
            planner.line_end()?;
            rest = &rest[i + 1..];
        }
        planner.content(rest);
        planner.pos += rest.len() as u64;
    }
    if planner.pos > planner.line_start {
        planner.line_end()?;
    }
    Ok(planner.finish())
}

struct Planner {
    max_requests: u64,
    max_bytes: u64,
    pieces: Vec<Piece>,
    piece_start: u64,
    piece_requests: u64,
    line_start: u64,
    line_has_content: bool,
    pos: u64,
}

impl Planner {
    fn content(&mut self, bytes: &[u8]) {
        self.line_has_content |= bytes.iter().any(|b| !b.is_ascii_whitespace());
    }

    /// A line ended at `pos`: cut before it if it does not fit the current piece.
    fn line_end(&mut self) -> io::Result<()> {
        let request = u64::from(self.line_has_content);
        let full = self.piece_requests + request > self.max_requests;
        let too_big = self.pos - self.piece_start > self.max_bytes;
        if (full || too_big) && self.line_start > self.piece_start {
            self.cut(self.line_start);
        }
        if self.pos - self.line_start > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the line at byte {} is {} bytes, more than a whole batch file may hold ({})",
                    self.line_start,
                    self.pos - self.line_start,
                    self.max_bytes
                ),
            ));
        }
        self.piece_requests += request;
        self.line_start = self.pos;
        self.line_has_content = false;
        Ok(())
    }

    fn cut(&mut self, at: u64) {
        self.pieces.push(Piece {
            offset: self.piece_start,
            len: at - self.piece_start,
            requests: self.piece_requests,
        });
        self.piece_start = at;
        self.piece_requests = 0;
    }

    fn finish(mut self) -> Vec<Piece> {
        // Trailing blank lines stay with the open piece (a cut happens only when a line does
        // not fit), so a piece of blank lines alone is made only when they pass the limit.
        if self.pos > self.piece_start {
            let at = self.pos;
            self.cut(at);
        }
        self.pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text`, failing once with `Interrupted` first, then with `fatal` at the end if set.
    struct Flaky<'a> {
        text: &'a [u8],
        interrupted: bool,
        fatal: bool,
    }

    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.interrupted {
                self.interrupted = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.text.is_empty() && self.fatal {
                return Err(io::Error::other("disk gone"));
            }
            let n = self.text.read(buf)?;
            Ok(n)
        }
    }

    #[test]
    fn trailing_blank_lines_that_do_not_fit_the_last_piece_make_their_own() {
        // 6 bytes of requests fill the 6-byte piece; the blank lines cannot join it.
        assert_eq!(
            pieces("{}\n{}\n\n\n", 10, 6),
            [("{}\n{}\n".to_owned(), 2), ("\n\n".to_owned(), 0)]
        );
        // A piece full of requests is cut at once: blank lines after it join it if they fit,
        // else make their own.
        assert_eq!(
            pieces("{}\n{}\n\n", 1, 100),
            [("{}\n".to_owned(), 1), ("{}\n\n".to_owned(), 1)]
        );
        assert_eq!(
            pieces("{}\n{}\n\n", 1, 3),
            [
                ("{}\n".to_owned(), 1),
                ("{}\n".to_owned(), 1),
                ("\n".to_owned(), 0)
            ]
        );
        // With room, they go with it.
        assert_eq!(
            pieces("{}\n{}\n\n\n", 10, 8),
            [("{}\n{}\n\n\n".to_owned(), 2)]
        );
    }

    #[test]
    fn an_interrupted_read_is_retried_and_any_other_error_returned() {
        let text = b"{}\n{}\n";
        let ok = Flaky {
            text,
            interrupted: false,
            fatal: false,
        };
        let got = split_batch(ok, 10, 100).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].len, got[0].requests), (6, 2));
        let failing = Flaky {
            text,
            interrupted: false,
            fatal: true,
        };
        let err = split_batch(failing, 10, 100).unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
    }

    fn pieces(text: &str, max_requests: u64, max_bytes: u64) -> Vec<(String, u64)> {
        split_batch(text.as_bytes(), max_requests, max_bytes)
            .unwrap()
            .into_iter()
            .map(|p| {
                let s = &text[p.offset as usize..(p.offset + p.len) as usize];
                (s.to_owned(), p.requests)
            })
            .collect()
    }

    #[test]
    fn cuts_at_the_request_limit() {
        assert_eq!(
            pieces("a\nb\nc\n", 2, 100),
            [("a\nb\n".into(), 2), ("c\n".into(), 1)]
        );
        assert_eq!(pieces("a\nb\n", 2, 100), [("a\nb\n".into(), 2)]);
        // Blank lines are no requests and stay where they are.
        assert_eq!(
            pieces("a\n\nb\nc", 2, 100),
            [("a\n\nb\n".into(), 2), ("c".into(), 1)]
        );
    }

    #[test]
    fn cuts_at_the_byte_limit_and_refuses_a_line_over_it() {
        assert_eq!(
            pieces("aaa\nbbb\ncc\n", 10, 8),
            [("aaa\nbbb\n".into(), 2), ("cc\n".into(), 1)]
        );
        assert_eq!(pieces("aaa\nbbbb", 10, 8), [("aaa\nbbbb".into(), 2)]);
        let err = split_batch("a\nbbbbbbbbbb\n".as_bytes(), 10, 8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(split_batch(&b""[..], 1, 1).unwrap().is_empty());
        // Trailing blank lines join the last piece.
        assert_eq!(
            pieces("a\nb\n\n", 1, 8),
            [("a\n".into(), 1), ("b\n\n".into(), 1)]
        );
    }
}
