//! `openai-uploads`: upload large files to OpenAI in parallel, resumably, with a progress bar.

// The doc comments of the argument structs are clap's help text, read in a terminal, where a
// URL in angle brackets would only look odd, and `<stem>` is a placeholder, not HTML.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod cancel;
mod check;
mod connect;
mod docs;
#[cfg(feature = "local-server")]
mod local;
mod output;
mod pending;
mod put;
#[cfg(feature = "local-server")]
mod serve;
mod then;
mod ui;
// The formatting half serves `serve`, which a client-only build leaves out.
#[cfg_attr(not(feature = "local-server"), allow(dead_code))]
mod units;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, CommandFactory, Parser, Subcommand};

use connect::Globals;
use output::exit;

#[derive(Parser)]
#[command(
    name = "openai-uploads",
    version,
    about = "Upload large files to OpenAI: parallel parts, md5-checked, retried, resumable.",
    after_help = "Exit codes: 0 success, 1 upload failed, 2 usage or validation error, 130 interrupted, 141 stdout closed (a pipe's reader stopped; stopped as an interrupt; a failed write to stdout is 1).\n\
                  Configuration: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID."
)]
struct Cli {
    /// Log what happens to stderr: -v each request (operation, status, time, request id,
    /// attempt) and each step, -vv everything. OPENAI_UPLOADS_LOG (a tracing filter such as
    /// `uploads_ext=debug`) overrides it. The API key is never printed.
    #[arg(long, short, global = true, action = ArgAction::Count, help_heading = "Global options")]
    verbose: u8,
    /// Where resume journals are kept.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "OPENAI_UPLOADS_JOURNAL_DIR",
        hide_env_values = true,
        value_name = "DIR"
    )]
    journal_dir: Option<PathBuf>,
    /// Allow a plain http:// base URL on a host other than loopback: the API key then
    /// travels in clear. Off by default.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "OPENAI_UPLOADS_ALLOW_INSECURE_HTTP",
        hide_env_values = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_insecure_http: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Put(Box<put::PutArgs>),
    Check(check::CheckArgs),
    Cancel(cancel::CancelArgs),
    Pending(pending::PendingArgs),
    /// Follow, fetch the results of, or cancel a batch started earlier.
    Batch(then::BatchCommand),
    #[cfg(feature = "local-server")]
    Serve(Box<serve::ServeArgs>),
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff); `cargo xtask man` writes it to docs/man/.
    #[command(hide = true)]
    Man,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only --verbose logs; without it no subscriber is installed, so nothing the commands or
    // their libraries log is printed (`serve` sets up its own request log).
    if cli.verbose > 0 {
        let level = if cli.verbose == 1 { "info" } else { "debug" };
        output::init_tracing(level);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let globals = Globals {
        journal_dir: cli.journal_dir.or_else(uploads_ext::default_journal_dir),
        allow_insecure_http: cli.allow_insecure_http,
    };
    let code = runtime.block_on(async move {
        match cli.command {
            Command::Put(args) => put::run(*args, globals).await,
            Command::Check(args) => check::run(args).await,
            Command::Cancel(args) => cancel::run(args, globals).await,
            Command::Pending(args) => pending::run(args, globals.journal_dir),
            Command::Batch(cmd) => then::run_batch_command(cmd, globals).await,
            Command::Completions(args) => docs::completions(args, Cli::command()),
            Command::Man => docs::man(Cli::command()),
            #[cfg(feature = "local-server")]
            Command::Serve(args) => serve::run(*args).await,
        }
    });
    ExitCode::from(code)
}
