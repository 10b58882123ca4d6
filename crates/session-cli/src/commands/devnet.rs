//! `stark-session devnet`: a local chain for trying things by hand.

use anyhow::Result;
use clap::Args;
use local_devnet::{Devnet, DevnetOptions};

/// Options of the local devnet.
#[derive(Args)]
pub struct DevnetCommand {
    /// Port to listen on (a free one by default).
    #[arg(long)]
    port: Option<u16>,
    /// Seed of the predeployed accounts.
    #[arg(long, default_value_t = 0)]
    seed: u32,
}

/// Starts devnet and waits for Ctrl-C.
pub async fn run(args: DevnetCommand, json: bool) -> Result<()> {
    let options = DevnetOptions { port: args.port, seed: args.seed, ..DevnetOptions::default() };
    let devnet = Devnet::spawn_with(options).await?;
    if json {
        let accounts: Vec<_> = devnet
            .accounts()
            .iter()
            .map(|a| serde_json::json!({"address": format!("{:#x}", a.address), "private_key": format!("{:#x}", a.private_key)}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"rpc_url": devnet.rpc_url().as_str(), "chain_id": format!("{:#x}", devnet.chain_id()), "accounts": accounts})
        );
    } else {
        println!("starknet-devnet {} at {}", local_devnet::DEVNET_VERSION, devnet.rpc_url());
        for (index, account) in devnet.accounts().iter().enumerate() {
            println!("  account #{index}: {:#066x}", account.address);
        }
        println!("Ctrl-C stops it.");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
