//! `stark-session`: session keys for Starknet accounts, from the command line.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Session keys for Starknet accounts.
#[derive(Parser)]
#[command(name = "stark-session", version, about)]
struct Cli {
    /// Print machine-readable JSON instead of text.
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
    /// Start the pinned local devnet (installed on first use) and keep it running until Ctrl-C.
    Devnet(commands::devnet::DevnetCommand),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(demo) => commands::demo::run(demo, cli.json).await,
        Command::Devnet(devnet) => commands::devnet::run(devnet, cli.json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
