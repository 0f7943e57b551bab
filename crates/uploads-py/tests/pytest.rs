//! The pytest suite against the extension cargo has just built: how `cargo mutants -p
//! uploads-py --features pytest` tests each mutant (cargo-mutants drives only Rust tests).
//!
//! `crates/uploads-py/test.sh` stays the package's test (pip through maturin, as a user
//! installs it). This harness skips the packaging: it lays the Python sources and the freshly
//! built shared library side by side in a scratch directory and runs the same `tests/` with
//! them first on `PYTHONPATH`, stopping at the first failure. The interpreter comes from
//! `OPENAI_UPLOADS_PYTHON`, else the virtual environment test.sh makes (`target/py-venv`),
//! which has pytest, openai and tqdm.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the package's sources and tests are.
fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with pytest, openai and tqdm, or a message that says how to get one.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("OPENAI_UPLOADS_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = std::env::var_os("OPENAI_UPLOADS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../../target/py-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "no Python for the pytest harness at {}: run `bash crates/uploads-py/test.sh` once \
         (it makes that virtual environment), or set OPENAI_UPLOADS_PYTHON to a Python with \
         pytest, openai and tqdm",
        python.display()
    );
    python
}

/// The extension cargo built for this test run: beside the test binary, in `deps/`.
fn built_extension() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary's directory");
    let name = if cfg!(target_os = "macos") {
        "lib_native.dylib"
    } else if cfg!(windows) {
        "_native.dll"
    } else {
        "lib_native.so"
    };
    let path = deps.join(name);
    assert!(path.exists(), "cargo built no {name} in {}", deps.display());
    path
}

/// Copies a directory's files (not its subdirectories: the package is flat).
fn copy_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("making the package directory");
    for entry in fs::read_dir(from).expect("listing the Python sources") {
        let entry = entry.expect("listing the Python sources");
        if entry.file_type().expect("a source's type").is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).expect("copying a source");
        }
    }
}

#[test]
fn the_python_package_passes_its_pytest_suite() {
    let python = python();
    let root =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pytest-{}", std::process::id()));
    let _ = fs::remove_dir_all(&root);
    let package = root.join("openai_uploads");
    copy_files(&crate_dir().join("python/openai_uploads"), &package);
    let suffix = if cfg!(windows) { "pyd" } else { "abi3.so" };
    fs::copy(built_extension(), package.join(format!("_native.{suffix}")))
        .expect("copying the built extension into the package");

    let mut path = OsString::from(&root);
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        path.push(":");
        path.push(old);
    }
    // The package imported must be this build, not one pip installed into the environment.
    let imported = Command::new(&python)
        .args([
            "-c",
            "import openai_uploads._native as n; print(n.__file__)",
        ])
        .env("PYTHONPATH", &path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("starting {}: {e}", python.display()));
    let imported_from = String::from_utf8_lossy(&imported.stdout);
    assert!(
        imported.status.success() && Path::new(imported_from.trim()).starts_with(&root),
        "Python imported the extension from {imported_from:?}, not from {}: {}",
        root.display(),
        String::from_utf8_lossy(&imported.stderr)
    );

    let output = Command::new(&python)
        .args(["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "."])
        .current_dir(crate_dir().join("tests"))
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("starting {}: {e}", python.display()));
    let _ = fs::remove_dir_all(&root);
    assert!(
        output.status.success(),
        "pytest failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" passed"), "pytest ran nothing:\n{stdout}");
}
