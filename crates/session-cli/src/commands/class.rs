//! `stark-session class declare`: declare the session account class on a network, without starkli.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use session_sdk::{declare_if_needed, is_class_declared, load_owner_signer, OwnerAccount};

use crate::input::{account_address, password, NetworkArgs, OWNER_PASSWORD_ENV};
use crate::output::Output;

/// Class commands.
#[derive(Subcommand)]
pub enum ClassCommand {
    /// Declare the session account class (once per network; anyone may), paid by a funded
    /// account: a session account signed by its owner, or any account whose single key signs
    /// `[r, s]` (e.g. an OpenZeppelin account).
    Declare(DeclareArgs),
}

/// Options of `class declare`.
#[derive(Args)]
pub struct DeclareArgs {
    /// The account that pays: an address or an account file.
    #[arg(long)]
    from: String,
    /// The keystore of that account's key (starkli-compatible), or a session account owner's
    /// passkey file.
    #[arg(long)]
    keystore: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs a class command.
pub async fn run(command: ClassCommand, out: Output) -> Result<()> {
    let ClassCommand::Declare(args) = command;
    let payer = account_address(&args.from)?;
    let (provider, chain_id) = args.network.connect().await?;
    let artifact = session_bindings::session_account_artifact()?;
    if is_class_declared(&provider, artifact.class_hash).await? {
        out.result(
            format!("The session account class {:#066x} is already declared here.", artifact.class_hash),
            json!({ "class_hash": artifact.class_hash, "declared": false, "already_declared": true }),
        );
        return Ok(());
    }
    let key = load_owner_signer(&args.keystore, &password(OWNER_PASSWORD_ENV, "Keystore password", false)?)?;
    let account = OwnerAccount::new(provider, chain_id, payer, key);
    let class_hash =
        out.waiting("declaring the session account class", declare_if_needed(&account, &artifact)).await?;
    out.result(
        format!("Declared the session account class {class_hash:#066x} (paid by {payer:#066x})."),
        json!({ "class_hash": class_hash, "declared": true, "already_declared": false }),
    );
    Ok(())
}
