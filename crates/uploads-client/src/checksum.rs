//! The md5 the Uploads API checks on complete, computed one way everywhere: by the engine over
//! the source, by the server over the stored parts, by tests and benchmarks over their files.

use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

/// Bytes read per call when hashing files: large enough that syscalls cost nothing next to md5.
const READ_BUF: usize = 1 << 20;

/// The md5 of `bytes`, as the lowercase hex the API takes.
pub fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", Md5::digest(bytes))
}

/// The md5 of the files' contents one after the other (at most `limit` bytes in all, if
/// given), as lowercase hex. Blocking: call it from a blocking thread.
pub fn md5_files_hex<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
    limit: Option<u64>,
) -> io::Result<String> {
    let mut hasher = Md5::new();
    let mut buf = Vec::new();
    let mut left = limit.unwrap_or(u64::MAX);
    for path in paths {
        let file = std::fs::File::open(path)?;
        // Grown to what the files need, up to READ_BUF: small files zero no megabyte.
        let want = file.metadata()?.len().min(left).min(READ_BUF as u64) as usize;
        if buf.len() < want.max(1) {
            buf.resize(want.max(1), 0);
        }
        let mut file = file.take(left);
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_hash_as_their_concatenation() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"hello ").unwrap();
        std::fs::write(&b, b"world").unwrap();
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            md5_files_hex([&a, &b], None).unwrap(),
            md5_hex(b"hello world")
        );
        assert_eq!(
            md5_files_hex([&a, &b], Some(8)).unwrap(),
            md5_hex(b"hello wo")
        );
        assert!(md5_files_hex([dir.path().join("missing")], None).is_err());
    }
}
