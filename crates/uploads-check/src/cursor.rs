//! A cursor over one line's JSON bytes, for the fast readings of the common lines (see
//! `finetune::fast`, `batch::fast`): it takes only what is plainly valid JSON, and gives up
//! (`None`) on anything it does not take, for the full reading to judge.

/// The bytes that end a run of a string's plain text: its closing quote, an escape, and the
/// control characters JSON forbids in it.
const STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Where the first of [`STOPS`] stands in `text`.
#[cfg(test)]
fn stop(text: &[u8]) -> Option<usize> {
    stop_byte(text).map(|(at, _)| at)
}

/// Where the first of [`STOPS`] stands in `text`, and which byte it is (taken from the word
/// already loaded: reading it again from the line was a tenth of the string's time). Most
/// strings are short, where a plain loop beats a search call; a long one is searched for its
/// quote or escape (vectorised), and the text before checked for control characters with a
/// fold the compiler vectorises too.
#[inline(always)]
fn stop_byte(text: &[u8]) -> Option<(usize, u8)> {
    let head = &text[..text.len().min(SHORT)];
    // Eight bytes at a time: a quote, a backslash or a control character found with word
    // arithmetic (the lowest flagged byte is exact; the bytes above it may be flagged
    // falsely, and are never looked at).
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut words = head.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let x = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let flags = zero_in(x ^ (ONES * u64::from(b'"')))
            | zero_in(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS);
        if flags != 0 {
            let shift = flags.trailing_zeros() & !7;
            return Some((at + (shift / 8) as usize, (x >> shift) as u8));
        }
        at += 8;
    }
    let rest = words.remainder();
    match rest.iter().position(|&c| STOPS[usize::from(c)]) {
        Some(i) => Some((at + i, rest[i])),
        None if text.len() <= SHORT => None,
        None => stop_in_long(text).map(|at| (at, text[at])),
    }
}

/// Past the first [`SHORT`] bytes of a string: the search, then the fold.
#[inline(never)]
fn stop_in_long(text: &[u8]) -> Option<usize> {
    // No quote or escape: the run is the rest, which may still hold a control character.
    let quote = memchr::memchr2(b'"', b'\\', &text[SHORT..]).map(|i| SHORT + i);
    let at = quote.unwrap_or(text.len());
    let run = &text[SHORT..at];
    if !run.iter().fold(false, |control, &c| control | (c < 0x20)) {
        return quote;
    }
    run.iter()
        .position(|&c| c < 0x20)
        .map(|control| SHORT + control)
}

/// The word loop's reach: longer strings are searched.
const SHORT: usize = 64;

/// A cursor over the line.
pub(crate) struct Reader<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
}

impl<'a> Reader<'a> {
    /// JSON whitespace (a line holds no line feed).
    pub(crate) fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    pub(crate) fn next(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    pub(crate) fn byte(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// `"key"` then `:`: the key's bytes (a key with an escape is not one we take).
    pub(crate) fn key(&mut self) -> Option<&'a [u8]> {
        if let Some((start, end)) = self.common_key() {
            return Some(&self.b[start..end]);
        }
        let (text, escaped) = self.string()?;
        if escaped {
            return None;
        }
        self.ws();
        self.byte(b':')?;
        self.ws();
        Some(text)
    }

    /// A JSON string from its opening quote: its raw bytes between the quotes, and whether
    /// it holds an escape. `None` for a control character, a `\u` escape or an unknown one.
    pub(crate) fn string(&mut self) -> Option<(&'a [u8], bool)> {
        let (start, end, escaped) = self.string_span()?;
        Some((&self.b[start..end], escaped))
    }

    /// As [`string`](Self::string), but where its text stands: `start..end` of the line.
    pub(crate) fn string_span(&mut self) -> Option<(usize, usize, bool)> {
        self.byte(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let (at, byte) = stop_byte(&self.b[self.i..])?;
            self.i += at;
            match byte {
                b'"' => {
                    let end = self.i;
                    self.i += 1;
                    return Some((start, end, escaped));
                }
                b'\\' => match self.b.get(self.i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                        escaped = true;
                        self.i += 2;
                    }
                    _ => return None,
                },
                // A control character: not JSON.
                _ => return None,
            }
        }
    }

    /// One of the keys most lines hold, written `"name":`, matched whole (no scan for the
    /// end of the string): its span, with the whitespace after the colon read.
    #[inline(always)]
    fn common_key(&mut self) -> Option<(usize, usize)> {
        let rest = &self.b[self.i..];
        // Each compared at its constant length: inline loads, no call.
        #[inline(always)]
        fn is(rest: &[u8], key: &'static [u8]) -> Option<usize> {
            (rest.len() >= key.len() && rest[..key.len()] == *key).then_some(key.len())
        }
        let len = match rest.get(1)? {
            b'c' => is(rest, b"\"content\":").or_else(|| is(rest, b"\"custom_id\":")),
            b'r' => is(rest, b"\"role\":"),
            b'm' => is(rest, b"\"model\":")
                .or_else(|| is(rest, b"\"messages\":"))
                .or_else(|| is(rest, b"\"method\":")),
            b'u' => is(rest, b"\"url\":"),
            b'b' => is(rest, b"\"body\":"),
            b'w' => is(rest, b"\"weight\":"),
            b'i' => is(rest, b"\"input\":"),
            _ => None,
        }?;
        let start = self.i + 1;
        let end = self.i + len - 2;
        self.i += len;
        self.ws();
        Some((start, end))
    }

    /// `"key"` then `:`, as the span of its text (a key with an escape is not one we take).
    pub(crate) fn key_span(&mut self) -> Option<(usize, usize)> {
        if let Some(span) = self.common_key() {
            return Some(span);
        }
        let (start, end, escaped) = self.string_span()?;
        if escaped {
            return None;
        }
        self.ws();
        self.byte(b':')?;
        self.ws();
        Some((start, end))
    }

    /// The next byte, not taken.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// True once every byte is read.
    pub(crate) fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    /// Any JSON value, read through and checked, nothing kept: nested at most `depth` deep
    /// (deeper is given up, as serde_json's recursion limit would refuse it).
    pub(crate) fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => {
                let depth = depth.checked_sub(1)?;
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.key()?;
                    self.value(depth)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        b'}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let depth = depth.checked_sub(1)?;
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.value(depth)?;
                    self.ws();
                    match self.next()? {
                        b',' => continue,
                        b']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`: the grammar only, as serde_json reads
    /// a number it skips.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digit()?;
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digit()?;
            self.digits();
        }
        Some(())
    }

    fn digit(&mut self) -> Option<()> {
        self.next().filter(u8::is_ascii_digit).map(|_| ())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

/// `line` with one byte dropped (`mutate` 1) or doubled (2) at `at` (taken modulo its
/// length), or as it is; `None` if that leaves it not UTF-8 (the fast readings see UTF-8
/// only). For the property tests that hold the fast readings to the full ones.
#[cfg(test)]
pub(crate) fn mutated(line: &str, at: usize, mutate: u8) -> Option<String> {
    let mut bytes = line.as_bytes().to_vec();
    let at = at % bytes.len().max(1);
    match mutate {
        1 if !bytes.is_empty() => {
            bytes.remove(at);
        }
        2 if !bytes.is_empty() => bytes.insert(at, bytes[at]),
        _ => {}
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests;
