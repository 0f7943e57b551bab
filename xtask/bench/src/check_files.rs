//! The generated files the `checks` suite measures: long and short lines of batch and
//! fine-tune files, made once and reused.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use uploads_e2e::RandomBytes;

/// Writes lines from `line(i, rng)` until the file would pass `bytes`, once.
pub(crate) fn ensure(
    path: &Path,
    bytes: u64,
    line: fn(usize, &mut RandomBytes) -> String,
) -> Result<PathBuf> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() + 64 * 1024 > bytes && m.len() <= bytes) {
        return Ok(path.to_owned());
    }
    eprintln!("generating {}", path.display());
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut rng = RandomBytes::new(7);
    let mut written = 0u64;
    for i in 0.. {
        let l = line(i, &mut rng);
        if written + l.len() as u64 > bytes {
            break;
        }
        written += l.len() as u64;
        out.write_all(l.as_bytes())?;
    }
    out.flush()?;
    Ok(path.to_owned())
}

/// Writes `lines` lines from `line(i, rng)`, once.
pub(crate) fn ensure_lines(
    path: &Path,
    lines: usize,
    line: fn(usize, &mut RandomBytes) -> String,
) -> Result<PathBuf> {
    if path.exists() && count_lines(path)? == lines as u64 {
        return Ok(path.to_owned());
    }
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let mut rng = RandomBytes::new(7);
    for i in 0..lines {
        out.write_all(line(i, &mut rng).as_bytes())?;
    }
    out.flush()?;
    Ok(path.to_owned())
}

/// Text of about `len` bytes: words, with an escaped quote, a newline escape and non-ASCII.
fn text(rng: &mut RandomBytes, len: usize) -> String {
    const WORDS: [&str; 12] = [
        "the",
        "upload",
        "of",
        "a",
        "large",
        "file",
        "résumé",
        "\\\"quoted\\\"",
        "line\\n",
        "data",
        "model",
        "東京",
    ];
    let mut s = String::with_capacity(len + 16);
    let mut b = [0u8; 1];
    while s.len() < len {
        rng.fill(&mut b);
        s.push_str(WORDS[b[0] as usize % WORDS.len()]);
        s.push(' ');
    }
    s
}

/// A chat-completions request of about 4.2 KB: 49,000 of them fill 200 MiB.
pub(crate) fn batch_line(i: usize, rng: &mut RandomBytes) -> String {
    format!(
        "{{\"custom_id\":\"request-{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"max_completion_tokens\":256,\"temperature\":0.2,\"messages\":[{{\"role\":\"system\",\"content\":\"You answer briefly.\"}},{{\"role\":\"user\",\"content\":\"{}\"}}]}}}}\n",
        text(rng, 4000)
    )
}

/// A short classification example, ~114 bytes.
pub(crate) fn tune_short_line(i: usize, _: &mut RandomBytes) -> String {
    let label = if i.is_multiple_of(3) {
        "negative"
    } else {
        "positive"
    };
    format!(
        "{{\"messages\":[{{\"role\":\"user\",\"content\":\"Classify review {i}: it was fine\"}},{{\"role\":\"assistant\",\"content\":\"{label}\"}}]}}\n"
    )
}

/// A short chat-completions request, ~170 bytes.
pub(crate) fn batch_short_line(i: usize, _: &mut RandomBytes) -> String {
    format!(
        "{{\"custom_id\":\"r{i}\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{{\"model\":\"gpt-4o-mini\",\"messages\":[{{\"role\":\"user\",\"content\":\"Say hi to {i}\"}}]}}}}\n"
    )
}

/// Lines in a file, read in pieces: the bench process stays small, so the RSS that a child
/// inherits at fork (and `wait4` reports) is not inflated.
pub(crate) fn count_lines(path: &Path) -> Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// A supervised chat example of about 2 KB.
pub(crate) fn tune_line(_: usize, rng: &mut RandomBytes) -> String {
    format!(
        "{{\"messages\":[{{\"role\":\"system\",\"content\":\"You are helpful.\"}},{{\"role\":\"user\",\"content\":\"{}\"}},{{\"role\":\"assistant\",\"content\":\"{}\",\"weight\":0}},{{\"role\":\"user\",\"content\":\"{}\"}},{{\"role\":\"assistant\",\"content\":\"{}\"}}]}}\n",
        text(rng, 600),
        text(rng, 500),
        text(rng, 300),
        text(rng, 500)
    )
}
