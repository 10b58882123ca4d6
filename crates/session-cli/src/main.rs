//! `stark-session`: session keys for Starknet accounts, from the command line.

mod cli_error;
mod commands;
mod input;
mod output;
mod policy_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::output::Output;

/// Session keys for Starknet accounts: one owner signature, many session transactions.
///
/// Secrets are never read from arguments: passwords come from STARK_SESSION_OWNER_PASSWORD /
/// STARK_SESSION_PASSWORD or a prompt. Exit codes: 0 ok, 1 unexpected failure, 2 bad input,
/// 3 refused by the session rules or the chain, 4 node unreachable or failing.
#[derive(Parser)]
#[command(name = "stark-session", version, about, long_about)]
struct Cli {
    /// Print one machine-readable JSON document instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole story on a local devnet: one owner signature, many session transactions,
    /// and every protection shown working.
    Demo(commands::demo::Demo),
    /// Start or stop the pinned local devnet (installed on first use), ready for sessions.
    #[command(subcommand)]
    Devnet(commands::devnet::DevnetCommand),
    /// The owner keystore and the session account.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Create, use, register, revoke and inspect sessions.
    #[command(subcommand)]
    Session(commands::session::SessionCommand),
    /// What an account allows: owner, epoch, and every session seen on-chain.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    let result = match cli.command {
        Command::Demo(demo) => commands::demo::run(demo, cli.json).await,
        Command::Devnet(devnet) => commands::devnet::run(devnet, cli.json).await,
        Command::Account(command) => commands::account::run(command, out).await,
        Command::Session(command) => commands::session::run(command, out).await,
        Command::Policy(command) => commands::policy::run(command, out).await,
    };
    match result {
        Ok(()) => ExitCode::from(cli_error::EXIT_OK),
        Err(error) => {
            let (code, hint) = cli_error::classify(&error);
            let message = one_line(&error);
            if cli.json {
                println!("{}", serde_json::json!({ "error": message, "hint": hint, "exit_code": code }));
            }
            eprintln!("error: {message}");
            if let Some(hint) = hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(code)
        }
    }
}

/// The error and its causes on one line, leaving out causes the text already shows.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}
