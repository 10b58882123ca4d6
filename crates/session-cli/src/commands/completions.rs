//! `stark-session completions <shell>`: a completion script for the shell.

use anyhow::Result;
use clap::Args;
use clap_complete::Shell;

/// Options of `completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell (bash, zsh, fish, elvish, powershell). Install, e.g. for bash:
    /// `stark-session completions bash > ~/.local/share/bash-completion/completions/stark-session`.
    shell: Shell,
}

/// Prints the completion script of `command` for the shell.
pub fn run(args: CompletionsArgs, command: &mut clap::Command) -> Result<()> {
    clap_complete::generate(args.shell, command, "stark-session", &mut std::io::stdout());
    Ok(())
}
