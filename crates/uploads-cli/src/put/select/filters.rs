//! `--include` and `--exclude`, with gitignore's rule: a pattern without `/` matches a file's
//! name or a directory's at any depth; one ending in `/` matches directories only; one with a
//! `/` elsewhere (or a leading `/`) is anchored at the folder given; a directory matched takes
//! everything under it (`--exclude drafts`, `drafts/` and `/drafts/**` all leave `drafts`
//! out). Each pattern counts what it matched, so one that matches nothing can be said.

use std::cell::Cell;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// One side's patterns (include or exclude), compiled by kind.
pub(super) struct Patterns {
    flag: &'static str,
    given: Vec<String>,
    /// Name patterns: any component, files and directories.
    names: GlobSet,
    names_at: Vec<usize>,
    /// Name patterns ending in `/`: directory components only.
    dir_names: GlobSet,
    dir_names_at: Vec<usize>,
    /// Anchored patterns: the path or any of its directories.
    paths: GlobSet,
    paths_at: Vec<usize>,
    /// Anchored patterns ending in `/`: directories only.
    dir_paths: GlobSet,
    dir_paths_at: Vec<usize>,
    hits: Vec<Cell<usize>>,
}

impl Patterns {
    pub(super) fn new(given: &[String], flag: &'static str) -> Result<Self, String> {
        let mut sets: [(GlobSetBuilder, Vec<usize>); 4] =
            std::array::from_fn(|_| (GlobSetBuilder::new(), Vec::new()));
        for (i, p) in given.iter().enumerate() {
            let mut text = p.trim_start_matches("./");
            let dir_only = text.ends_with('/');
            text = text.trim_end_matches('/');
            let anchored = text.contains('/');
            let text = text.trim_start_matches('/');
            if text.is_empty() {
                return Err(format!("{flag} {p:?}: an empty pattern matches nothing"));
            }
            let glob = glob(text).map_err(|e| format!("{flag} {p:?}: {e}"))?;
            let slot = usize::from(dir_only) + 2 * usize::from(anchored);
            sets[slot].0.add(glob);
            sets[slot].1.push(i);
        }
        let [names, dir_names, paths, dir_paths] = sets;
        let build = |b: GlobSetBuilder| b.build().map_err(|e| format!("{flag}: {e}"));
        Ok(Self {
            flag,
            hits: given.iter().map(|_| Cell::new(0)).collect(),
            given: given.to_vec(),
            names: build(names.0)?,
            names_at: names.1,
            dir_names: build(dir_names.0)?,
            dir_names_at: dir_names.1,
            paths: build(paths.0)?,
            paths_at: paths.1,
            dir_paths: build(dir_paths.0)?,
            dir_paths_at: dir_paths.1,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.given.is_empty()
    }

    /// True if a pattern matches `rel` (a file's path relative to where it was found) or a
    /// directory it is under; each matching pattern counts it.
    pub(super) fn hit(&self, rel: &Path) -> bool {
        let parts: Vec<_> = rel.components().map(|c| c.as_os_str()).collect();
        let mut matched: Vec<usize> = Vec::new();
        let mut prefix = std::path::PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            let is_file = i + 1 == parts.len();
            prefix.push(part);
            for (set, at, files_too, by_name) in [
                (&self.names, &self.names_at, true, true),
                (&self.dir_names, &self.dir_names_at, false, true),
                (&self.paths, &self.paths_at, true, false),
                (&self.dir_paths, &self.dir_paths_at, false, false),
            ] {
                if is_file && !files_too {
                    continue;
                }
                let subject: &Path = if by_name { Path::new(part) } else { &prefix };
                matched.extend(set.matches(subject).into_iter().map(|k| at[k]));
            }
        }
        matched.sort_unstable();
        matched.dedup();
        for i in &matched {
            self.hits[*i].set(self.hits[*i].get() + 1);
        }
        !matched.is_empty()
    }

    /// `(flag, pattern, files matched)` of each pattern.
    pub(super) fn counts(&self) -> impl Iterator<Item = (&'static str, &str, usize)> + '_ {
        self.given
            .iter()
            .zip(&self.hits)
            .map(|(p, n)| (self.flag, p.as_str(), n.get()))
    }
}

pub(super) fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// The include and exclude filters.
pub struct Filters {
    pub(super) include: Patterns,
    pub(super) exclude: Patterns,
    /// Files the filters removed.
    pub(super) removed: Cell<usize>,
}

impl Filters {
    pub(super) fn new(include: &[String], exclude: &[String]) -> Result<Self, String> {
        Ok(Self {
            include: Patterns::new(include, "--include")?,
            exclude: Patterns::new(exclude, "--exclude")?,
            removed: Cell::new(0),
        })
    }

    /// True if `rel` (the path relative to where it was found) passes the filters.
    pub fn admits(&self, rel: &Path) -> bool {
        let included = self.include.is_empty() || self.include.hit(rel);
        let admitted = included && !self.exclude.hit(rel);
        if !admitted {
            self.removed.set(self.removed.get() + 1);
        }
        admitted
    }

    /// A warning for each pattern that matched no file.
    pub(super) fn unmatched(&self) -> Vec<String> {
        self.include
            .counts()
            .chain(self.exclude.counts())
            .filter(|(_, _, n)| *n == 0)
            .map(|(flag, p, _)| format!("{flag} {p:?} matched no file"))
            .collect()
    }

    /// What each pattern removed, for "nothing to upload".
    pub(super) fn summary(&self) -> String {
        let parts: Vec<String> = self
            .exclude
            .counts()
            .filter(|(_, _, n)| *n > 0)
            .map(|(flag, p, n)| format!("{flag} {p:?} removed {n}"))
            .collect();
        let mut line = format!("the filters removed {} file(s)", self.removed.get());
        if !self.include.is_empty() {
            line.push_str(" (only files an --include matches are kept)");
        }
        if !parts.is_empty() {
            line.push_str(&format!(": {}", parts.join(", ")));
        }
        line
    }
}
