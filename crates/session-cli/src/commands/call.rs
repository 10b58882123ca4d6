//! `stark-session call`: read a view function (nothing is sent, nothing is signed).

use anyhow::Result;
use clap::Args;
use serde_json::json;
use session_sdk::SdkError;
use starknet::core::types::{BlockId, BlockTag, FunctionCall};
use starknet::providers::Provider;

use crate::chain::entrypoint;
use crate::cli_error::usage;
use crate::input::{parse_address, parse_calldata, NetworkArgs};
use crate::output::Output;

/// Options of `call`.
#[derive(Args)]
pub struct CallArgs {
    /// The contract to read.
    contract: String,
    /// The entrypoint name, e.g. `balance_of`.
    entrypoint: String,
    /// Calldata: felts (0x-hex or decimal), `u256:<n>` (or `u256:0.5strk`), `str:<short string>`.
    calldata: Vec<String>,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs `call`.
pub async fn run(args: CallArgs, out: Output) -> Result<()> {
    let contract = parse_address(&args.contract, "contract address")?;
    let calldata = parse_calldata(&args.calldata)?;
    let provider = args.network.provider()?;
    let target = entrypoint(&provider, contract, &args.entrypoint).await?;
    if let Some(arity) = target.arity.filter(|arity| *arity != calldata.len()) {
        return Err(usage(
            format!("`{}` takes {arity} calldata felts, {} given", args.entrypoint, calldata.len()),
            Some("a u256 is two felts: write it u256:<n>"),
        ));
    }
    if !target.view {
        out.warn(format!(
            "`{}` is not a view function: this only simulates it, nothing is sent",
            args.entrypoint
        ));
    }
    let request =
        FunctionCall { contract_address: contract, entry_point_selector: target.selector, calldata };
    let result = provider.call(request, BlockId::Tag(BlockTag::PreConfirmed)).await.map_err(|error| {
        SdkError::from_provider(format!("calling {} on {contract:#x}", args.entrypoint), error)
    })?;
    let lines: Vec<String> = result.iter().map(|felt| format!("{felt:#x} ({felt})")).collect();
    let text = if lines.is_empty() { "(no return value)".to_owned() } else { lines.join("\n") };
    out.result(text, json!({ "contract": contract, "entrypoint": args.entrypoint, "result": result }));
    Ok(())
}
