//! `completions` and `man`: shell completions and the man page, both from the same clap
//! definitions as `--help`, so they cannot drift from it.

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use crate::output::{exit, fail};

/// Print a completion script for your shell, e.g.
/// `openai-uploads completions bash > ~/.local/share/bash-completion/completions/openai-uploads`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: ShellName,
}

#[derive(Clone, Copy, ValueEnum)]
enum ShellName {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// The completion script of `cmd` (the whole command line, as `main` defines it).
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> u8 {
    let shell = match args.shell {
        ShellName::Bash => Shell::Bash,
        ShellName::Zsh => Shell::Zsh,
        ShellName::Fish => Shell::Fish,
        ShellName::Powershell => Shell::PowerShell,
        ShellName::Elvish => Shell::Elvish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "openai-uploads", &mut script);
    use std::io::Write;
    match std::io::stdout().write_all(&script) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::STDOUT_CLOSED,
        Err(e) => fail(exit::FAILED, format!("writing the script: {e}")),
    }
}

/// The man page (roff) of the command and its subcommands, as `cargo xtask man` writes it to
/// `docs/man/openai-uploads.1`.
pub fn man(cmd: clap::Command) -> u8 {
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    if let Err(e) = page.render(&mut out) {
        return fail(exit::FAILED, format!("rendering the man page: {e}"));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("openai-uploads-{}", sub.get_name());
        let sub = sub.clone().name(name);
        out.extend_from_slice(b"\n");
        if let Err(e) = clap_mangen::Man::new(sub).render(&mut out) {
            return fail(exit::FAILED, format!("rendering the man page: {e}"));
        }
    }
    use std::io::Write;
    match std::io::stdout().write_all(&out) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::STDOUT_CLOSED,
        Err(e) => fail(exit::FAILED, e),
    }
}
