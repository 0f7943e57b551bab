//! The architecture, checked: no hand-written module of any crate imports from a module that
//! imports it, directly or round a circle (issue 19's seam: the CLI's steps, the engine's run).

use std::path::Path;

use uploads_e2e::imports::{circles, graph};

#[test]
fn no_crate_has_an_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut report = Vec::new();
    for krate in [
        "uploads-client",
        "uploads-ext",
        "uploads-server",
        "uploads-cli",
        "uploads-py",
    ] {
        let src = root.join("crates").join(krate).join("src");
        let g = graph(&src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
        assert!(g.len() > 5, "{krate}: only {} modules read", g.len());
        for circle in circles(&g) {
            report.push(format!("{krate}: {}", circle.join(" -> ")));
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}
