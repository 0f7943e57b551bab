//! Project automation: `cargo xtask sync [--check] | generate [--check] | man [--check] | bench`.
//!
//! The spec pipeline runs in five steps, each a module: [`spec`] loads YAML, [`subset`]
//! extracts the Uploads operations from OpenAI's full spec, [`overlay`] applies our documented
//! patches, [`normalize`] rewrites what progenitor cannot read, and [`generate`] runs progenitor
//! and formats the result. `bench` runs the `xtask-bench` crate (a release build), which
//! measures the CLI against a bare-reqwest baseline.

mod batch;
mod generate;
mod normalize;
mod overlay;
mod spec;
mod subset;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "openai-uploads project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract the Uploads subset of OpenAI's full spec into `openapi/openai-uploads.yaml`, and
    /// the batch endpoints with their request parameters into `openapi/batch-requests.yaml`.
    Sync {
        /// OpenAI's full OpenAPI document.
        #[arg(long, default_value = "../shared/openapi/openai-openapi.yaml")]
        from: PathBuf,
        /// Fail if the committed subset differs instead of writing it.
        #[arg(long)]
        check: bool,
    },
    /// Generate `crates/uploads-client/src/generated.rs` from the subset and the overlay, and
    /// `generated_batch.rs` from the batch endpoint table.
    Generate {
        /// Regenerate in memory and fail with a diff if a committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Write the man page, `docs/man/openai-uploads.1`, from the CLI's clap definitions (it
    /// runs `openai-uploads man`).
    Man {
        /// Fail with a diff if the committed page is stale instead of writing it.
        #[arg(long)]
        check: bool,
    },
    /// Measure upload speed, CPU and memory against a bare-reqwest baseline (release build;
    /// `cargo xtask bench -- --help` for its options).
    Bench {
        /// Passed to the benchmark.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    match cli.command {
        Command::Sync { from, check } => {
            let from = if from.is_absolute() {
                from
            } else {
                root.join(from)
            };
            for (path, out) in subset::render(&from)? {
                generate::write_or_check(&root.join(path), &out, check)?;
            }
            Ok(())
        }
        Command::Man { check } => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let out = std::process::Command::new(cargo)
                .current_dir(&root)
                .args(["run", "--quiet", "-p", "uploads-cli", "--", "man"])
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "openai-uploads man failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let page = String::from_utf8(out.stdout)?;
            generate::write_or_check(&root.join(MAN_PAGE), &page, check)
                .map_err(|e| anyhow::anyhow!("{e:#}\nrun `cargo xtask man` and commit the result"))
        }
        Command::Bench { args } => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .current_dir(&root)
                .args(["run", "--quiet", "--release", "-p", "xtask-bench", "--"])
                .args(args)
                .status()?;
            anyhow::ensure!(status.success(), "the benchmark failed");
            Ok(())
        }
        Command::Generate { check } => {
            let outputs = generate::run(&root)?;
            let mut stale = Vec::new();
            for (path, contents) in outputs {
                if let Err(e) = generate::write_or_check(&root.join(&path), &contents, check) {
                    stale.push(e);
                }
            }
            if stale.is_empty() {
                Ok(())
            } else {
                for e in &stale {
                    eprintln!("{e:#}");
                }
                anyhow::bail!(
                    "{} generated file(s) are stale: run `cargo xtask generate` and commit the result",
                    stale.len()
                )
            }
        }
    }
}

/// Where the man page is committed, relative to the workspace root.
const MAN_PAGE: &str = "docs/man/openai-uploads.1";

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
