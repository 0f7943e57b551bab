//! The import graph of a crate's hand-written modules, read from its sources: for the test
//! that no module imports from a module that imports it (directly or round a circle).
//!
//! A module is a source file (`a/b.rs` or `a/b/mod.rs` is `a::b`). A path `crate::a::b::X` or
//! `super::X` in the code (grouped `use` braces expanded) is an edge to the deepest module it
//! names, or, if that module only re-exports `X` (`pub use c::X`), to the module `X` comes
//! from. A parent's own paths into a child (`child::item`, `use child::X`) are edges too, so a
//! child that imports from a parent that uses it closes a circle; `mod child;` and re-exports
//! (`pub use child::X`, a library root's whole facade) are not. Unit-test modules (`mod
//! tests`, files under a `tests/` folder or named `tests.rs`) and generated files are left
//! out: tests of a module read its internals by design.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`""` for the crate root, `put::job`) -> the modules it imports from.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The graph of the crate whose `src` folder is `src`.
pub fn graph(src: &Path) -> std::io::Result<Graph> {
    let mut files = Vec::new();
    collect(src, src, &mut files)?;
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    // What each module re-exports: (module, name) -> the module the name comes from.
    let mut exports = Exports::new();
    for (module, text) in &files {
        for path in reexports(&without_tests(text)) {
            if let (Some(name), Some(from)) = (
                path.last(),
                resolve(module, &path, &modules, &Exports::new()),
            ) {
                exports.insert((module.clone(), name.clone()), from);
            }
        }
    }
    let mut graph = Graph::new();
    for (module, text) in &files {
        let code = without_tests(text);
        let mut edges = BTreeSet::new();
        for path in paths(&code) {
            if let Some(target) = resolve(module, &path, &modules, &exports)
                && &target != module
                && !is_child(module, &target)
            {
                edges.insert(target);
            }
        }
        // A parent's own use of its children's items (`child::item`, `use child::X`); a
        // re-export (`pub use child::X`) only passes a name on, and is not a use.
        let uses = without_reexports(&code);
        for child in modules
            .iter()
            .filter(|m| parent_of(m) == Some(module.as_str()))
        {
            let name = child.rsplit("::").next().unwrap_or(child);
            if mentions(&uses, &format!("{name}::")) {
                edges.insert(child.clone());
            }
        }
        graph.entry(module.clone()).or_default().extend(edges);
    }
    Ok(graph)
}

/// Every circle of imports, each as its modules in order (empty: none).
pub fn circles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut path = vec![start.clone()];
        walk(graph, start, &mut path, &mut found);
    }
    found
}

fn walk(graph: &Graph, start: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    let last = path.last().cloned().unwrap_or_default();
    for next in graph.get(&last).into_iter().flatten() {
        if next == start {
            // Report each circle once: from its smallest module.
            if path.iter().all(|m| m.as_str() >= start) {
                found.push(path.clone());
            }
        } else if !path.contains(next) && next.as_str() > start {
            path.push(next.clone());
            walk(graph, start, path, found);
            path.pop();
        }
    }
}

/// The module that declares `module` (`""`: the crate root), if it is not the root.
fn parent_of(module: &str) -> Option<&str> {
    match module.rsplit_once("::") {
        Some((parent, _)) => Some(parent),
        None if module.is_empty() => None,
        None => Some(""),
    }
}

/// True if `code` has `prefix` at the start of a path (not after `::` or inside a word).
fn mentions(code: &str, prefix: &str) -> bool {
    code.match_indices(prefix).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// (module, name it re-exports) -> the module the name comes from.
type Exports = BTreeMap<(String, String), String>;

/// The code without its `pub use` statements.
fn without_reexports(code: &str) -> String {
    code.split_inclusive(';')
        .filter(|statement| !is_reexport(statement.trim()))
        .collect()
}

fn is_reexport(statement: &str) -> bool {
    ["pub use ", "pub(crate) use ", "pub(super) use "]
        .iter()
        .any(|p| statement.starts_with(p))
}

/// The paths of a module's `pub use` (and `pub(crate) use`, `pub(super) use`) statements.
fn reexports(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for statement in code.split(';') {
        let s = statement.trim();
        let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| s.strip_prefix(p))
        else {
            continue;
        };
        let rest = rest.trim();
        let rest = if rest.starts_with("crate::") || rest.starts_with("super::") {
            rest.to_owned()
        } else {
            format!("self::{rest}")
        };
        out.extend(paths(&rest));
    }
    out
}

/// True if `other` is `module`'s own child or deeper: a module may use what it declares.
fn is_child(module: &str, other: &str) -> bool {
    module.is_empty() || other.starts_with(&format!("{module}::"))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "tests" {
                collect(root, &path, out)?;
            }
            continue;
        }
        if !name.ends_with(".rs") || name == "tests.rs" || name.starts_with("generated") {
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let mut parts: Vec<String> = rel
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if matches!(
            parts.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            parts.pop();
        }
        out.push((parts.join("::"), std::fs::read_to_string(&path)?));
    }
    Ok(())
}

/// The text before a `#[cfg(test)]` unit-test module, comments dropped.
fn without_tests(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    match code.find("#[cfg(test)]\nmod tests") {
        Some(i) => code[..i].to_owned(),
        None => code,
    }
}

/// Every `crate::…`/`super::…` path in the code, with `use` braces expanded one level.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let at_word = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if at_word
            && (rest.starts_with("crate::")
                || rest.starts_with("super::")
                || rest.starts_with("self::"))
        {
            let (prefix, used) = path_at(rest);
            if rest[used..].starts_with("{") {
                let end = rest[used..].find('}').map_or(rest.len(), |e| used + e);
                for item in rest[used + 1..end].split(',') {
                    let item = item.trim();
                    let mut full = prefix.clone();
                    full.extend(
                        item.split("::")
                            .map(|s| s.trim().trim_start_matches('{').to_owned())
                            .filter(|s| !s.is_empty() && s != "self"),
                    );
                    out.push(full);
                }
                i += end.max(1);
            } else {
                out.push(prefix);
                i += used.max(1);
            }
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// The segments of the path at the start of `text`, and the bytes it took (with a trailing
/// `::` before a brace).
fn path_at(text: &str) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    let mut used = 0;
    loop {
        let rest = &text[used..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segments.push(rest[..len].to_owned());
        used += len;
        if text[used..].starts_with("::") {
            used += 2;
        } else {
            break;
        }
    }
    (segments, used)
}

/// The module `path` (seen from `module`) names: the deepest one, or where the item it names
/// is re-exported from.
fn resolve(
    module: &str,
    path: &[String],
    modules: &BTreeSet<String>,
    exports: &Exports,
) -> Option<String> {
    let mut base: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        Some("self") => rest = &rest[1..],
        _ => return None,
    }
    let mut best = base.join("::");
    let mut current = base.clone();
    let mut item = None;
    for segment in rest {
        current.push(segment);
        let name = current.join("::");
        if modules.contains(&name) {
            best = name;
        } else {
            item = Some(segment.clone());
            break;
        }
    }
    match item.and_then(|name| exports.get(&(best.clone(), name))) {
        Some(from) => Some(from.clone()),
        None => Some(best),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_importing_its_parent_is_a_circle_and_siblings_are_not() {
        let modules: BTreeSet<String> = ["", "put", "put::job", "put::args", "output"]
            .map(String::from)
            .into();
        let p = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
        assert_eq!(
            resolve(
                "put::job",
                &p("super::args::PutArgs"),
                &modules,
                &Exports::new()
            )
            .unwrap(),
            "put::args"
        );
        assert_eq!(
            resolve("put::job", &p("super::PutArgs"), &modules, &Exports::new()).unwrap(),
            "put"
        );
        assert_eq!(
            resolve("put", &p("crate::output::fail"), &modules, &Exports::new()).unwrap(),
            "output"
        );
        assert_eq!(
            resolve("put", &p("crate::Cli"), &modules, &Exports::new()).unwrap(),
            ""
        );
        let mut exports = Exports::new();
        exports.insert(("put".into(), "PutArgs".into()), "put::args".into());
        assert_eq!(
            resolve("put::job", &p("super::PutArgs"), &modules, &exports).unwrap(),
            "put::args",
            "a re-export leads to where the item is defined"
        );
        assert_eq!(
            reexports("pub use args::PutArgs;\nuse x::Y;"),
            vec![p("self::args::PutArgs")]
        );
        let code = "use crate::output::{exit, fail};\nuse super::{job::Job, args};\nfn f() { crate::put::run(); }";
        let found = paths(code);
        assert!(found.contains(&p("crate::output::exit")), "{found:?}");
        assert!(found.contains(&p("super::job::Job")), "{found:?}");
        assert!(found.contains(&p("crate::put::run")), "{found:?}");
        assert!(mentions("use job::Job;", "job::"));
        assert!(!mentions("use crate::job::Job; x.ajob::y", "job::"));
        assert_eq!(parent_of("put::job"), Some("put"));
        assert_eq!(parent_of("put"), Some(""));
        assert_eq!(parent_of(""), None);
        let mut g = Graph::new();
        g.insert("put".into(), ["put::job".to_owned()].into());
        g.insert("put::job".into(), ["put".to_owned()].into());
        g.insert("output".into(), BTreeSet::new());
        assert_eq!(
            circles(&g),
            vec![vec!["put".to_owned(), "put::job".to_owned()]]
        );
        g.insert("put::job".into(), ["output".to_owned()].into());
        assert!(circles(&g).is_empty());
    }
}
