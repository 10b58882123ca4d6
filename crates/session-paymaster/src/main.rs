//! `session-paymaster`: serves the SNIP-29 paymaster of a configuration file (default: a local
//! devnet on port 5050 with its predeployed accounts as relayers, SQLite in `paymaster.sqlite`).

use std::path::PathBuf;

use clap::Parser;
use session_paymaster::{serve, Config};

/// A self-hostable SNIP-29 paymaster for session accounts.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The TOML configuration (see `paymaster.example.toml`); environment variables
    /// `SESSION_PAYMASTER_{LISTEN,RPC_URL,DATABASE_URL,RELAYERS}` override it.
    #[arg(long, env = "SESSION_PAYMASTER_CONFIG")]
    config: Option<PathBuf>,
    /// Human-readable logs instead of JSON lines.
    #[arg(long)]
    pretty: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if args.pretty {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().json().flatten_event(true).with_env_filter(filter).init();
    }
    let config = Config::load(args.config.as_deref())?;
    if config.api_keys.is_empty() {
        tracing::warn!("no API keys are configured: every build and execute request will be refused");
    }
    let server = serve(config).await?;
    tracing::info!(url = %server.url(), database = if server.paymaster.store().is_postgres() { "postgres" } else { "sqlite" }, "listening");
    println!("session-paymaster listening on {}", server.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
