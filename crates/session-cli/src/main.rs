//! `stark-session`: session keys for Starknet accounts, from the command line.

mod chain;
mod cli_error;
mod commands;
mod input;
mod output;
mod policy_args;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::output::Output;

/// Session keys for Starknet accounts: one owner signature, many session transactions.
///
/// Secrets are never read from arguments: passwords come from STARK_SESSION_OWNER_PASSWORD /
/// STARK_SESSION_PASSWORD or a prompt. The node: --rpc-url, else --network, else STARKNET_RPC,
/// else a local devnet on port 5050. Exit codes: 0 ok, 1 unexpected failure, 2 bad input,
/// 3 refused by the session rules or the chain, 4 node unreachable or failing.
#[derive(Parser)]
#[command(name = "stark-session", version, about, long_about)]
struct Cli {
    /// Print one machine-readable JSON document instead of text (errors too).
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
    /// Start, stop or fund the pinned local devnet (installed on first use), ready for sessions.
    #[command(subcommand)]
    Devnet(commands::devnet::DevnetCommand),
    /// The owner keystore and the session account.
    #[command(subcommand)]
    Account(commands::account::AccountCommand),
    /// Create, use, register, revoke, inspect and list sessions.
    #[command(subcommand)]
    Session(Box<commands::session::SessionCommand>),
    /// What an account allows: owner, epoch, and every session seen on-chain.
    #[command(subcommand)]
    Policy(commands::policy::PolicyCommand),
    /// Call a view function: `call <contract> <entrypoint> [calldata…]` (nothing is sent).
    Call(commands::call::CallArgs),
    /// Declare the session account class on a network (paid by an owner's session account).
    #[command(subcommand)]
    Class(commands::class::ClassCommand),
    /// Print a shell completion script: `stark-session completions bash > …`.
    Completions(commands::completions::CompletionsArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let json = std::env::args().any(|argument| argument == "--json");
    install_panic_guard(json);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return argument_error(error, json),
    };
    let out = Output { json: cli.json };
    let result = match cli.command {
        Command::Demo(demo) => commands::demo::run(demo, cli.json).await,
        Command::Devnet(devnet) => commands::devnet::run(devnet, out).await,
        Command::Account(command) => commands::account::run(command, out).await,
        Command::Session(command) => commands::session::run(*command, out).await,
        Command::Policy(command) => commands::policy::run(command, out).await,
        Command::Call(args) => commands::call::run(args, out).await,
        Command::Class(command) => commands::class::run(command, out).await,
        Command::Completions(args) => commands::completions::run(args, &mut Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::from(cli_error::EXIT_OK),
        Err(error) => {
            let (code, hint) = cli_error::classify(&error);
            report(&cli_error::one_line(&error), hint.as_deref(), code, cli.json)
        }
    }
}

/// Prints a failure (JSON on stdout too under `--json`) and returns its exit code.
fn report(message: &str, hint: Option<&str>, code: u8, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({ "error": message, "hint": hint, "exit_code": code }));
    }
    eprintln!("error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(code)
}

/// Help and version go to stdout as clap prints them; argument errors are usage errors (exit 2),
/// reported as JSON too under `--json`.
fn argument_error(error: clap::Error, json: bool) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) && !json
    {
        let _ = error.print();
        return ExitCode::from(if error.use_stderr() { cli_error::EXIT_USAGE } else { cli_error::EXIT_OK });
    }
    let rendered = error.render().to_string();
    let message = rendered.lines().next().unwrap_or_default().trim_start_matches("error: ").to_owned();
    if json {
        return report(&message, Some("see `stark-session --help`"), cli_error::EXIT_USAGE, true);
    }
    let _ = error.print();
    ExitCode::from(cli_error::EXIT_USAGE)
}

/// A panic is a bug: report it on one line and exit 1 (the documented "unexpected failure"), never
/// Rust's 101.
fn install_panic_guard(json: bool) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let place = info.location().map(|location| format!(" at {location}")).unwrap_or_default();
        let _ = report(
            &format!("internal error: {message}{place}"),
            Some("this is a bug in stark-session; please report it"),
            cli_error::EXIT_INTERNAL,
            json,
        );
        std::process::exit(i32::from(cli_error::EXIT_INTERNAL));
    }));
}
