//! Which files `put` uploads: paths, directories (recursive), globs and `--files-from`, then
//! `--include`/`--exclude`; what cannot be uploaded from a directory or glob is skipped with a
//! reason.
//!
//! Patterns are globs (`*` stays within a path component, `**` crosses them), read with
//! gitignore's rule ([`filters`]), relative to the directory (or the glob's fixed part) a file
//! was found under, or the path as given for a named file. A glob that matches a directory
//! takes the files under it.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use globset::GlobMatcher;

mod filters;

pub use filters::Filters;
use filters::glob;

/// What to select from.
pub struct Inputs<'a> {
    pub paths: &'a [PathBuf],
    /// `--files-from`: a file of paths, one per line (`-`: stdin).
    pub files_from: Option<&'a Path>,
    pub include: &'a [String],
    pub exclude: &'a [String],
}

/// The files to upload, in order, and those passed over.
#[derive(Debug, Default, PartialEq)]
pub struct Selection {
    pub files: Vec<PathBuf>,
    /// Found in a directory or by a glob but not uploadable: (path, why).
    pub skipped: Vec<(PathBuf, String)>,
    /// Said, not refused: a pattern that matched no file.
    pub warnings: Vec<String>,
    /// What the filters removed, for a selection left empty.
    pub filtered: Option<String>,
    /// Object URLs and prefixes (`s3://…`, `https://…`), in order, listed by the caller.
    pub remote: Vec<String>,
}

/// True if `text` holds glob syntax.
fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// Selects the files; an unreadable `--files-from` or a bad pattern is an error.
#[cfg(test)]
pub fn select(inputs: &Inputs<'_>) -> Result<Selection, String> {
    let (mut out, filters) = gather(inputs)?;
    finish(&mut out, &filters);
    Ok(out)
}

/// The warnings and summary of the filters, once every input (objects listed by the caller
/// too) has been through them.
pub fn finish(out: &mut Selection, filters: &Filters) {
    out.warnings = filters.unmatched();
    if filters.removed.get() > 0 {
        out.filtered = Some(filters.summary());
    }
}

/// Selects the local files and sets the URLs aside, with the filters for the objects they
/// name; [`finish`] ends the selection.
pub fn gather(inputs: &Inputs<'_>) -> Result<(Selection, Filters), String> {
    let filters = Filters::new(inputs.include, inputs.exclude)?;
    let mut paths: Vec<PathBuf> = inputs.paths.to_vec();
    if let Some(list) = inputs.files_from {
        paths.extend(read_list(list)?);
    }
    let mut out = Selection::default();
    let mut seen = HashSet::new();
    let mut add = |out: &mut Selection, path: PathBuf| {
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            out.files.push(path);
        }
    };
    for path in paths {
        let text = path.to_string_lossy();
        if uploads_remote::is_remote(&text) {
            if !out.remote.iter().any(|u| *u == text) {
                out.remote.push(text.into_owned());
            }
        } else if path.is_dir() {
            walk(&path, None, &filters, &mut out, &mut add);
        } else if !path.exists() && is_glob(&text) {
            let (base, matcher) = split_glob(&path)?;
            let before = out.files.len() + out.skipped.len();
            walk(&base, Some(&matcher), &filters, &mut out, &mut add);
            if out.files.len() + out.skipped.len() == before {
                out.skipped
                    .push((path.clone(), "the pattern matches no file".into()));
            }
        } else if filters.admits(&path) {
            // A named file goes on to the checks, which say what is wrong with it.
            add(&mut out, path);
        }
    }
    Ok((out, filters))
}

/// The paths listed in `list`, one per line; blank lines and `#` comments are skipped.
fn read_list(list: &Path) -> Result<Vec<PathBuf>, String> {
    let reader: Box<dyn BufRead> = if list == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(list)
            .map_err(|e| format!("--files-from {}: {e}", list.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut out = Vec::new();
    // Lines as bytes: a name that is not UTF-8 is a name like any other.
    for line in reader.split(b'\n') {
        let line = line.map_err(|e| format!("--files-from {}: {e}", list.display()))?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if !line.trim_ascii().is_empty() && !line.starts_with(b"#") {
            out.push(path_of(line).map_err(|e| format!("--files-from {}: {e}", list.display()))?);
        }
    }
    Ok(out)
}

/// A listed name as a path: its bytes as they are on Unix.
#[cfg(unix)]
fn path_of(bytes: &[u8]) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> Result<PathBuf, String> {
    std::str::from_utf8(bytes)
        .map(PathBuf::from)
        .map_err(|_| "a listed name is not UTF-8".to_owned())
}

/// The fixed directory a glob starts from, and a matcher for the whole pattern.
fn split_glob(pattern: &Path) -> Result<(PathBuf, GlobMatcher), String> {
    let mut base = PathBuf::new();
    for part in pattern.components() {
        if is_glob(&part.as_os_str().to_string_lossy()) {
            break;
        }
        base.push(part);
    }
    let text = pattern.to_string_lossy();
    let matcher = glob(&text)
        .map_err(|e| format!("{text:?}: {e}"))?
        .compile_matcher();
    if base.as_os_str().is_empty() {
        base = PathBuf::from(".");
    }
    Ok((base, matcher))
}

/// Every file under `root` (sorted, symbolic links not followed) that the glob, if any, and
/// the filters admit; the ones that cannot be uploaded go to `skipped`.
fn walk(
    root: &Path,
    glob: Option<&GlobMatcher>,
    filters: &Filters,
    out: &mut Selection,
    add: &mut impl FnMut(&mut Selection, PathBuf),
) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_owned();
                out.skipped.push((path, format!("unreadable: {e}")));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        // A glob given as `./docs/*.pdf` matches walked paths that start with `./` too; one
        // that matches a directory (`'corpus/rep*'`) takes the files under it.
        if glob.is_some_and(|g| {
            !path
                .ancestors()
                .take_while(|a| *a != root)
                .any(|a| g.is_match(a))
        }) {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(path);
        if !filters.admits(rel) {
            continue;
        }
        match why_not(path, &entry.file_type()) {
            Some(reason) => out.skipped.push((path.to_owned(), reason)),
            None => add(out, path.to_owned()),
        }
    }
}

/// Why a found file cannot be uploaded, if it cannot.
fn why_not(path: &Path, kind: &std::fs::FileType) -> Option<String> {
    if kind.is_symlink() {
        return Some("a symbolic link (not followed in directories; name it to upload it)".into());
    }
    if !kind.is_file() {
        return Some("not a regular file".into());
    }
    match std::fs::File::open(path).and_then(|f| f.metadata()) {
        Err(e) => Some(format!("unreadable: {e}")),
        Ok(m) if m.len() == 0 => Some("empty (the API takes no empty file)".into()),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests;
