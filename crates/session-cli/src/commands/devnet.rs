//! `stark-session devnet start|stop`: a local chain ready for sessions, for trying things by hand.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use local_devnet::{Devnet, DevnetClient, DevnetOptions};
use serde_json::json;
use starknet::core::types::Felt;

use crate::cli_error::usage;
use crate::input::{account_address, format_fri, parse_u128_amount, NetworkArgs};
use crate::output::Output;

/// The port `--network devnet` expects.
const DEFAULT_PORT: u16 = 5050;

/// Local devnet commands.
#[derive(Subcommand)]
pub enum DevnetCommand {
    /// Start the pinned devnet (installed on first use), declare the session account class and
    /// deploy the demo game; runs until Ctrl-C, or in the background with --background.
    Start(StartArgs),
    /// Stop a devnet started with `start --background`.
    Stop(StopArgs),
    /// Give an address STRK on a local devnet (to fund an account before `account deploy`).
    Mint(MintArgs),
}

/// Options of `devnet mint`.
#[derive(Args)]
pub struct MintArgs {
    /// Who receives it: an address or an account file.
    to: String,
    /// How much: FRI (`1000000000000000000`), or with a unit (`10strk`, `0.5strk`).
    #[arg(value_parser = parse_u128_amount)]
    amount: u128,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `devnet start`.
#[derive(Args)]
pub struct StartArgs {
    /// Port to listen on (`--network devnet` expects 5050).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Seed of the predeployed accounts.
    #[arg(long, default_value_t = 0)]
    seed: u32,
    /// Keep running after this command returns; stop it with `devnet stop`.
    #[arg(long)]
    background: bool,
}

/// Options of `devnet stop`.
#[derive(Args)]
pub struct StopArgs {
    /// The port it was started on.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
}

/// Runs a devnet command.
pub async fn run(command: DevnetCommand, out: Output) -> Result<()> {
    let json = out.json;
    match command {
        DevnetCommand::Start(args) => {
            assert_port_free(args.port)?;
            if args.background {
                start_in_background(args, json).await
            } else {
                start(args, json).await
            }
        }
        DevnetCommand::Stop(args) => stop(args, json),
        DevnetCommand::Mint(args) => mint(args, out).await,
    }
}

/// Refuses at once when something already listens on `port`.
fn assert_port_free(port: u16) -> Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port)).map(drop).map_err(|error| {
        usage(
            format!("port {port} is not free ({error}): is a devnet already running there?"),
            Some("stop it (`stark-session devnet stop`) or pass --port"),
        )
    })
}

async fn mint(args: MintArgs, out: Output) -> Result<()> {
    let to = account_address(&args.to)?;
    let url = args.network.url()?;
    let balance = DevnetClient::new(url.clone()).mint(to, args.amount).await.map_err(|error| {
        usage(
            format!("minting on {url} failed ({error})"),
            Some("devnet mint works on a local devnet only (`stark-session devnet start`)"),
        )
    })?;
    let (minted, balance) =
        (starknet::core::types::U256::from(args.amount), starknet::core::types::U256::from(balance));
    out.result(
        format!("Minted {} to {to:#066x}; its balance is {}", format_fri(minted), format_fri(balance)),
        json!({ "address": to, "minted": args.amount.to_string(), "balance": balance.to_string() }),
    );
    Ok(())
}

fn pid_file(port: u16) -> PathBuf {
    local_devnet::cache_dir().join(format!("stark-session-devnet-{port}.pid"))
}

/// Starts devnet, prepares it for sessions, prints what is where, and waits for Ctrl-C or SIGTERM.
async fn start(args: StartArgs, json: bool) -> Result<()> {
    let options = DevnetOptions { port: Some(args.port), seed: args.seed, ..DevnetOptions::default() };
    let devnet = Devnet::spawn_with(options).await?;
    let funder = devnet.account(0);
    let class_hash =
        session_sdk::declare_if_needed(&funder, &session_bindings::session_account_artifact()?).await?;
    let game =
        session_sdk::deploy_contract(&funder, &session_bindings::counter_artifact()?, vec![], Felt::ONE)
            .await?;
    if json {
        let accounts: Vec<_> = devnet
            .accounts()
            .iter()
            .map(|account| json!({"address": account.address, "private_key": account.private_key}))
            .collect();
        println!(
            "{}",
            json!({"rpc_url": devnet.rpc_url().as_str(), "chain_id": devnet.chain_id(),
                   "session_account_class_hash": class_hash, "game": game, "accounts": accounts})
        );
    } else {
        println!("starknet-devnet {} at {}", local_devnet::DEVNET_VERSION, devnet.rpc_url());
        println!("  session account class declared: {class_hash:#066x}");
        println!("  demo game (Counter: increase/reset/get): {game:#066x}");
        for (index, account) in devnet.accounts().iter().enumerate() {
            println!("  predeployed account #{index}: {:#066x}", account.address);
        }
        println!("Ctrl-C (or `stark-session devnet stop`) stops it.");
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(()) // dropping `devnet` stops it
}

/// Re-runs `devnet start` detached, waits until it serves, and records its pid for `devnet stop`.
async fn start_in_background(args: StartArgs, json: bool) -> Result<()> {
    let pid_path = pid_file(args.port);
    if pid_path.exists() {
        return Err(usage(
            format!("a devnet started by stark-session may already run on port {}", args.port),
            Some("run `stark-session devnet stop` first"),
        ));
    }
    let log_path = local_devnet::cache_dir().join(format!("stark-session-devnet-{}.log", args.port));
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.args(["devnet", "start", "--port", &args.port.to_string(), "--seed", &args.seed.to_string()]);
    command.stdin(std::process::Stdio::null()).stdout(log.try_clone()?).stderr(log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0); // not stopped by the shell's Ctrl-C
    let mut child = command.spawn().context("starting devnet in the background")?;
    std::fs::write(&pid_path, child.id().to_string())?;
    for _ in 0..600 {
        if let Ok(Some(status)) = child.try_wait() {
            let _ = std::fs::remove_file(&pid_path);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(anyhow::anyhow!("devnet stopped during start-up ({status}): {}", log.trim()));
        }
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if text.contains("stops it.") {
            let url = format!("http://127.0.0.1:{}/rpc", args.port);
            if json {
                println!("{}", json!({ "rpc_url": url, "pid": child.id(), "log": log_path }));
            } else {
                print!("{text}");
                println!("(running in the background, pid {}; log {})", child.id(), log_path.display());
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::fs::remove_file(&pid_path);
    Err(anyhow::anyhow!("devnet did not come up within 2 minutes; see {}", log_path.display()))
}

/// Stops a background devnet by the pid `start --background` recorded.
fn stop(args: StopArgs, json: bool) -> Result<()> {
    let pid_path = pid_file(args.port);
    let pid = std::fs::read_to_string(&pid_path).map_err(|_| {
        usage(
            format!("no background devnet recorded for port {}", args.port),
            Some("start one with --background"),
        )
    })?;
    let status = std::process::Command::new("kill").arg(pid.trim()).status().context("running kill")?;
    std::fs::remove_file(&pid_path)?;
    if !status.success() {
        return Err(usage(format!("process {} had already stopped", pid.trim()), None));
    }
    if json {
        println!("{}", json!({ "stopped": true, "port": args.port }));
    } else {
        println!("Stopped the devnet on port {}", args.port);
    }
    Ok(())
}
