//! `openai-uploads`: upload large files to OpenAI in parallel, resumably, with a progress bar.

// The doc comments of the argument structs are clap's help text, read in a terminal, where a
// URL in angle brackets would only look odd, and `<stem>` is a placeholder, not HTML.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod cancel;
mod check;
mod docs;
#[cfg(feature = "local-server")]
mod local;
mod pending;
mod put;
#[cfg(feature = "local-server")]
mod serve;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, as documented in `--help`.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "openai-uploads",
    version,
    about = "Upload large files to OpenAI: parallel parts, md5-checked, retried, resumable.",
    after_help = "Exit codes: 0 success, 1 upload failed, 2 usage or validation error, 130 interrupted.\n\
                  Configuration: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, OPENAI_PROJECT_ID."
)]
struct Cli {
    /// Log what happens (tracing) to stderr. The API key is never printed.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Where resume journals are kept.
    #[arg(
        long,
        global = true,
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
        env = "OPENAI_UPLOADS_ALLOW_INSECURE_HTTP",
        hide_env_values = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_insecure_http: bool,
    #[command(subcommand)]
    command: Command,
}

/// What every command that talks to the API takes from the global options.
pub struct Globals {
    /// Where resume journals are kept, if anywhere.
    pub journal_dir: Option<PathBuf>,
    /// `--allow-insecure-http`.
    pub allow_insecure_http: bool,
}

#[derive(Subcommand)]
enum Command {
    Put(Box<put::PutArgs>),
    Check(check::CheckArgs),
    Cancel(cancel::CancelArgs),
    Pending(pending::PendingArgs),
    #[cfg(feature = "local-server")]
    Serve(Box<serve::ServeArgs>),
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff); `cargo xtask man` writes it to docs/man/.
    #[command(hide = true)]
    Man,
}

impl Command {
    /// `serve` logs each request unless told otherwise; the other commands are quiet.
    fn logs_by_default(&self) -> bool {
        #[cfg(feature = "local-server")]
        if matches!(self, Self::Serve(_)) {
            return true;
        }
        false
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `serve` logs each request by default; it sets up its own logging unless --verbose.
    if cli.verbose {
        init_tracing("info,uploads_ext=debug", true);
    } else if !cli.command.logs_by_default() {
        init_tracing("off", false);
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
            Command::Completions(args) => docs::completions(args),
            Command::Man => docs::man(),
            #[cfg(feature = "local-server")]
            Command::Serve(args) => serve::run(*args).await,
        }
    });
    ExitCode::from(code)
}

/// Logs to stderr, filtered by `OPENAI_UPLOADS_LOG` (when `from_env`) or else by `default`.
/// The first call wins.
fn init_tracing(default: &str, from_env: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = from_env
        .then(|| EnvFilter::try_from_env("OPENAI_UPLOADS_LOG").ok())
        .flatten()
        .unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Prints `error: ...` to stderr and returns the exit code.
pub fn fail(code: u8, message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {}", shown(&message.to_string()));
    code
}

/// Text for a terminal: control characters (in a filename, say) escaped, so a name cannot
/// move the cursor or recolour the screen; line breaks kept.
pub fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The client from the environment, with `--base-url` on top; a missing key is a usage error.
pub fn client_from_env(
    base_url: Option<&str>,
    globals: &Globals,
) -> Result<uploads_client::Client, u8> {
    let mut config = uploads_client::ClientConfig::from_env();
    if let Some(url) = base_url {
        config = config.base_url(url);
    }
    config = config.allow_insecure_http(globals.allow_insecure_http);
    if globals.allow_insecure_http && config.sends_key_in_clear() {
        eprintln!(
            "warning: {} is plain http to a host other than this machine: the API key travels in clear",
            config.base_url
        );
    }
    config.build().map_err(|e| match e {
        uploads_client::ConfigError::MissingApiKey => fail(
            exit::USAGE,
            "no API key: set OPENAI_API_KEY, or try it without one against a local server with --local",
        ),
        other => fail(exit::USAGE, other),
    })
}
