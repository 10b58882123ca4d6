//! `stark-session account`: the owner's keystore and the session account itself.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use session_sdk::{
    load_owner_signer, save_keystore, AccountFile, AccountState, OwnerSigner, SoftwarePasskey,
};
use starknet::core::types::{BlockId, BlockTag, StarknetError};
use starknet::providers::{Provider, ProviderError};
use starknet::signers::SigningKey;

use crate::chain::{balances, describe_owner, session_account_state};
use crate::cli_error::usage;
use crate::input::{
    account_address, format_units, new_password, parse_felt, password, read_account_file, NetworkArgs,
    OWNER_PASSWORD_ENV,
};
use crate::output::Output;

/// Account commands.
#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an owner (a Stark key, or a software passkey) in a new encrypted keystore and write
    /// the account file (its future address).
    Create(CreateArgs),
    /// Deploy the account (DEPLOY_ACCOUNT, paid from the address's own STRK: fund it first).
    Deploy(DeployArgs),
    /// Show an account's owner key, session epoch, class and STRK / ETH balances.
    Show(ShowArgs),
}

/// What kind of key owns a new account.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OwnerKind {
    /// A Stark key (starkli-compatible keystore).
    Stark,
    /// A passkey held by this CLI's software authenticator (P-256, WebAuthn assertions in the
    /// browser's format); its key is kept in an encrypted keystore.
    Passkey,
}

/// Options of `account create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The new owner keystore; never overwritten.
    #[arg(long)]
    keystore: PathBuf,
    /// Who owns the account.
    #[arg(long, value_enum, default_value = "stark")]
    owner: OwnerKind,
    /// With `--owner passkey`: the web origin the passkey signs for (its relying party ID is the
    /// origin's host).
    #[arg(long, default_value = "https://localhost")]
    origin: String,
    /// The account file to write.
    #[arg(long, default_value = "account.json")]
    output: PathBuf,
    /// Deployment salt (0x-hex or decimal).
    #[arg(long, default_value = "0")]
    salt: String,
}

/// Options of `account deploy`.
#[derive(Args)]
pub struct DeployArgs {
    /// The account file written by `account create`.
    #[arg(long)]
    account: PathBuf,
    /// The owner keystore.
    #[arg(long)]
    keystore: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `account show`.
#[derive(Args)]
pub struct ShowArgs {
    /// The account: an address or an account file.
    #[arg(long)]
    account: String,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs an account command.
pub async fn run(command: AccountCommand, out: Output) -> Result<()> {
    match command {
        AccountCommand::Create(args) => create(args, out),
        AccountCommand::Deploy(args) => deploy(args, out).await,
        AccountCommand::Show(args) => show(args, out).await,
    }
}

fn create(args: CreateArgs, out: Output) -> Result<()> {
    let salt = parse_felt(&args.salt, "salt")?;
    if args.output.exists() {
        return Err(usage(format!("{} already exists", args.output.display()), Some("pass --output")));
    }
    let rp_id = match args.owner {
        OwnerKind::Passkey => Some(rp_id_of(&args.origin)?),
        OwnerKind::Stark => None,
    };
    let password = new_password(OWNER_PASSWORD_ENV, "New owner keystore password", out)?;
    let owner_key = match rp_id {
        None => {
            let key = SigningKey::from_random();
            save_keystore(&key, &args.keystore, &password)?;
            key.owner_key()
        }
        Some(rp_id) => {
            let passkey = SoftwarePasskey::generate(&rp_id, &args.origin)?;
            passkey.save(&args.keystore, &password)?;
            passkey.owner_key()
        }
    };
    let file = AccountFile::new(owner_key, salt)?;
    file.save(&args.output)?;
    out.result(
        format!(
            "Owner:          {}\nOwner keystore: {}\nAccount file:   {}\nAddress:        {:#066x}\nFund it with STRK (on a devnet: `stark-session devnet mint {} 10strk`), then `stark-session account deploy`.",
            describe_owner(&file.owner),
            args.keystore.display(),
            args.output.display(),
            file.address,
            args.output.display(),
        ),
        json!({ "keystore": args.keystore, "account_file": args.output, "address": file.address,
                "owner": file.owner, "owner_id": file.owner.id(), "salt": file.salt, "class_hash": file.class_hash }),
    );
    Ok(())
}

/// The relying party ID of a passkey used from `origin` (`scheme://host[:port]`): its host.
fn rp_id_of(origin: &str) -> Result<String> {
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    match authority
        .filter(|authority| !authority.contains('/'))
        .and_then(|authority| authority.split(':').next())
    {
        Some(host) if !host.is_empty() => Ok(host.to_owned()),
        _ => Err(usage(
            format!("--origin {origin:?} is not a web origin"),
            Some("pass the scheme and host the passkey is used from, e.g. https://game.example"),
        )),
    }
}

async fn deploy(args: DeployArgs, out: Output) -> Result<()> {
    let file = read_account_file(&args.account)?;
    let (provider, chain_id) = args.network.connect().await?;
    if !session_sdk::is_class_declared(&provider, file.class_hash).await? {
        return Err(usage(
            format!("the session account class {:#x} is not declared on this network", file.class_hash),
            Some("declare contracts/artifacts/session_account_SessionAccount.contract_class.json first (README)"),
        ));
    }
    let owner =
        load_owner_signer(&args.keystore, &password(OWNER_PASSWORD_ENV, "Owner keystore password", false)?)?;
    if owner.owner_key() != file.owner {
        return Err(usage("this keystore does not hold the account file's owner", None));
    }
    let address = out
        .waiting(
            "deploying the account",
            session_sdk::deploy_session_account(provider, chain_id, &owner, file.salt),
        )
        .await
        .map_err(|error| match error {
            session_sdk::SdkError::Transaction { ref message, .. } if message.contains("balance") => {
                usage(format!("{error}"), Some(&format!("fund {:#x} with STRK first", file.address)))
            }
            other => other.into(),
        })?;
    out.result(format!("Deployed {address:#066x}"), json!({ "address": address }));
    Ok(())
}

async fn show(args: ShowArgs, out: Output) -> Result<()> {
    let address = account_address(&args.account)?;
    let provider = args.network.provider()?;
    let class_hash = provider
        .get_class_hash_at(BlockId::Tag(BlockTag::PreConfirmed), address)
        .await
        .map_err(|source| match source {
            ProviderError::StarknetError(StarknetError::ContractNotFound) => usage(
                format!("no contract is deployed at {address:#x}"),
                Some("deploy it with `account deploy`"),
            ),
            source => session_sdk::SdkError::Provider {
                context: "reading the account".into(),
                source: Box::new(source),
            }
            .into(),
        })?;
    let AccountState { owner, owner_id, session_epoch: epoch } =
        session_account_state(&provider, address).await?;
    let balances = balances(&provider, address).await?;
    let lines: Vec<String> = balances
        .iter()
        .map(|(symbol, _, balance)| match balance {
            Some(balance) => {
                format!("{symbol:<14} {} ({balance} in its smallest unit)", format_units(*balance))
            }
            None => format!("{symbol:<14} (no such token on this network)"),
        })
        .collect();
    let balances_json: serde_json::Map<String, serde_json::Value> = balances
        .iter()
        .map(|(symbol, _, balance)| ((*symbol).to_owned(), json!(balance.map(|balance| balance.to_string()))))
        .collect();
    out.result(
        format!(
            "Account:       {address:#066x}\nClass hash:    {class_hash:#066x}\nOwner:         {}\nSession epoch: {epoch:#x}\nBalances:\n  {}",
            describe_owner(&owner),
            lines.join("\n  ")
        ),
        json!({ "address": address, "class_hash": class_hash, "owner": owner, "owner_id": owner_id, "session_epoch": epoch,
                "balances": balances_json }),
    );
    Ok(())
}
