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
    if shell == Shell::Bash {
        script = bash_fixed(&String::from_utf8_lossy(&script), &cmd).into_bytes();
    }
    use std::io::Write;
    match std::io::stdout().write_all(&script) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::STDOUT_CLOSED,
        Err(e) => fail(exit::FAILED, format!("writing the script: {e}")),
    }
}

/// clap_complete's bash script, made to work for this command: a program name with a hyphen
/// gets its subcommands' case labels mangled (`openai__subcmd__uploads__subcmd__put` against
/// `openai__uploads__subcmd__put`, clap issues 6421 and 6529), so no subcommand's options
/// complete; hidden commands and options are offered; `--purpose`'s values are not known to
/// clap (an unknown one is allowed with a flag), so the known ones are offered here.
fn bash_fixed(script: &str, cmd: &clap::Command) -> String {
    let mut hidden: Vec<String> = Vec::new();
    let mut visit = vec![cmd.clone()];
    while let Some(c) = visit.pop() {
        for sub in c.get_subcommands() {
            if sub.is_hide_set() {
                hidden.push(sub.get_name().to_owned());
            }
            visit.push(sub.clone());
        }
        for arg in c.get_arguments().filter(|a| a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                hidden.push(format!("--{long}"));
            }
        }
    }
    let purposes: Vec<&str> = uploads_client::rules::Purpose::KNOWN
        .iter()
        .map(|p| p.as_str())
        .collect();
    let mut out = String::new();
    let mut in_put = false;
    for line in script
        .replace("openai__subcmd__uploads__", "openai__uploads__")
        .lines()
    {
        let trimmed = line.trim_start();
        if trimmed.ends_with(')') && trimmed.starts_with("openai__uploads") {
            in_put = trimmed == "openai__uploads__subcmd__put)";
        }
        if let Some(opts) = trimmed.strip_prefix("opts=\"") {
            let indent = &line[..line.len() - trimmed.len()];
            let kept: Vec<&str> = opts
                .trim_end_matches('"')
                .split_whitespace()
                .filter(|w| !hidden.iter().any(|h| h == w))
                .collect();
            out.push_str(&format!("{indent}opts=\"{}\"\n", kept.join(" ")));
            continue;
        }
        if in_put
            && trimmed == "COMPREPLY=($(compgen -f \"${cur}\"))"
            && out.trim_end().ends_with(')')
        {
            let last = out
                .trim_end()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if last == "--purpose)" || last == "-p)" {
                let indent = &line[..line.len() - trimmed.len()];
                out.push_str(&format!(
                    "{indent}COMPREPLY=($(compgen -W \"{}\" -- \"${{cur}}\"))\n",
                    purposes.join(" ")
                ));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The sections clap does not write: examples, environment, files, exit status.
const EXTRA_SECTIONS: &str = r#".SH EXAMPLES
.nf
openai\-uploads put train.jsonl \-p fine\-tune
openai\-uploads put corpus/ \-p assistants \-\-exclude drafts/ \-\-manifest corpus.jsonl
openai\-uploads check requests.jsonl \-p batch
openai\-uploads put requests.jsonl \-p batch \-\-split \-\-json
openai\-uploads pending
openai\-uploads put README.md \-p assistants \-\-local
.fi
.SH ENVIRONMENT
.TP
.B OPENAI_API_KEY
The API key (never printed, logged or written to disk).
.TP
.B OPENAI_BASE_URL
The API base URL (default https://api.openai.com/v1).
.TP
.B OPENAI_ORG_ID, OPENAI_PROJECT_ID
Sent as the OpenAI\-Organization and OpenAI\-Project headers.
.TP
.B OPENAI_UPLOADS_JOURNAL_DIR
Where resume journals are kept (default $XDG_STATE_HOME/openai\-uploads, else ~/.local/state/openai\-uploads).
.TP
.B OPENAI_UPLOADS_ALLOW_INSECURE_HTTP
As \-\-allow\-insecure\-http.
.TP
.B OPENAI_UPLOADS_LOG
A tracing filter for the log on stderr (overrides \-v).
.TP
.B HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
Proxies, as usual; loopback never goes through one.
.SH FILES
.TP
.I ~/.local/state/openai\-uploads/*.json
One journal per interrupted upload (mode 0600), with its lock file; removed when the upload completes or is cancelled; \fBpending \-\-prune\fR removes expired ones.
.SH EXIT STATUS
.TP
.B 0
Every input uploaded (or, for check, no errors).
.TP
.B 1
An upload failed, or check found errors.
.TP
.B 2
A usage error: bad options or inputs, refused before any request.
.TP
.B 130
Interrupted (Ctrl\-C): what could be resumed was kept.
.TP
.B 141
stdout was closed: the run stopped as on an interrupt. A write to stdout that fails (a full
disk) stops it the same way with exit 1.
.PP
The subcommands' pages (openai\-uploads\-put and the others) follow in this same file.
"#;

/// The man page (roff) of the command and its subcommands, as `cargo xtask man` writes it to
/// `docs/man/openai-uploads.1`.
pub fn man(cmd: clap::Command) -> u8 {
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(cmd.clone());
    if let Err(e) = page.render(&mut out) {
        return fail(exit::FAILED, format!("rendering the man page: {e}"));
    }
    out.extend_from_slice(EXTRA_SECTIONS.as_bytes());
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap_complete::Shell;

    /// The bash fix changes only what it means to: the `opts` lists (hidden names out) and
    /// the put `--purpose` completion, each at clap's own indentation.
    #[test]
    fn the_bash_fix_changes_only_option_lists_and_the_purpose_values() {
        let mut cmd = crate::Cli::command();
        let mut raw = Vec::new();
        clap_complete::generate(Shell::Bash, &mut cmd, "openai-uploads", &mut raw);
        let raw = String::from_utf8(raw)
            .unwrap()
            .replace("openai__subcmd__uploads__", "openai__uploads__");
        let fixed = super::bash_fixed(&raw, &cmd);
        assert_eq!(raw.lines().count(), fixed.lines().count());
        let indent = |l: &str| l.len() - l.trim_start().len();
        let mut changed = 0;
        for (before, after) in raw.lines().zip(fixed.lines()) {
            if before == after {
                continue;
            }
            changed += 1;
            assert_eq!(indent(before), indent(after), "{before:?} became {after:?}");
            let what = after.trim_start();
            assert!(
                what.starts_with("opts=\"")
                    || what.starts_with("COMPREPLY=($(compgen -W \"fine-tune assistants"),
                "{before:?} became {after:?}"
            );
        }
        // put's --purpose and -p, and the lists that held a hidden name.
        assert!(changed > 2, "{changed}");
        assert_eq!(
            fixed.matches("compgen -W \"fine-tune assistants").count(),
            2
        );
    }
}
