//! `stark-session devnet`: a local chain ready for sessions, for trying things by hand.

use anyhow::Result;
use clap::Args;
use local_devnet::{Devnet, DevnetOptions};
use serde_json::json;
use starknet::core::types::Felt;

/// Options of the local devnet.
#[derive(Args)]
pub struct DevnetCommand {
    /// Port to listen on (a free one by default; the CLI's `--network devnet` expects 5050).
    #[arg(long)]
    port: Option<u16>,
    /// Seed of the predeployed accounts.
    #[arg(long, default_value_t = 0)]
    seed: u32,
}

/// Starts devnet, declares the session account class, deploys a demo game, and waits for Ctrl-C
/// (which stops it).
pub async fn run(args: DevnetCommand, json: bool) -> Result<()> {
    let options = DevnetOptions { port: args.port, seed: args.seed, ..DevnetOptions::default() };
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
        println!("Ctrl-C stops it.");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
