//! `stark-session session`: create, use, register, revoke and inspect sessions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use session_core::policy::VALUE_ENTRYPOINTS;
use session_core::SessionBuilder;
use session_sdk::protocol::SessionKey;
use session_sdk::{
    account_state, latest_block_timestamp, load_keystore, session_status, session_usage, SessionAdmin,
    SessionFile,
};
use starknet::accounts::SingleOwnerAccount;
use starknet::core::crypto::{ecdsa_verify, Signature};
use starknet::core::types::{BlockId, BlockTag, Call, ContractClass, Felt, TransactionReceipt};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::Provider;
use starknet::signers::LocalWallet;

use crate::cli_error::usage;
use crate::input::{
    account_address, parse_address, parse_calldata, parse_duration, parse_felt, password, Client,
    NetworkArgs, OWNER_PASSWORD_ENV, SESSION_PASSWORD_ENV,
};
use crate::output::Output;
use crate::policy_args::{describe_policy, describe_when, PolicyArgs};

/// Session commands.
#[derive(Subcommand)]
pub enum SessionCommand {
    /// Authorize a new session (the owner unlocks the keystore once) and write its file, key encrypted.
    Create(CreateArgs),
    /// Call a contract through a session: `exec <session file> <contract> <entrypoint> [calldata…]`.
    #[command(visible_alias = "invoke")]
    Exec(ExecArgs),
    /// Register a session on-chain (owner transaction), so its transactions need no owner signature.
    Register(RegisterArgs),
    /// Revoke one session by hash (or session file), or every session with --all.
    Revoke(RevokeArgs),
    /// Decode a session file, recompute its hash and root, list its permissions and on-chain status.
    Inspect(InspectArgs),
}

/// Options of `session create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The session account: an address or an account file.
    #[arg(long)]
    account: String,
    /// The owner keystore.
    #[arg(long)]
    keystore: PathBuf,
    /// An allowed method, `<contract address>:<entrypoint name>`; repeat for more.
    #[arg(long = "allow", required_unless_present = "arg_rules")]
    allow: Vec<String>,
    /// How long the session lasts (`90s`, `30m`, `1h`, `7d`).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    expires_in: u64,
    /// The session file to write (never overwritten).
    #[arg(long, default_value = "session.json")]
    output: PathBuf,
    #[command(flatten)]
    limits: PolicyArgs,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session exec`.
#[derive(Args)]
pub struct ExecArgs {
    /// The session file.
    session: PathBuf,
    /// The contract to call.
    contract: String,
    /// The entrypoint name.
    entrypoint: String,
    /// Calldata: felts (0x-hex or decimal), `u256:<n>`, `str:<short string>`.
    calldata: Vec<String>,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session register`.
#[derive(Args)]
pub struct RegisterArgs {
    /// The session file.
    session: PathBuf,
    /// The owner keystore.
    #[arg(long)]
    keystore: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session revoke`.
#[derive(Args)]
pub struct RevokeArgs {
    /// The session hash, or a session file.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    session: Option<String>,
    /// Revoke every session issued so far (one transaction).
    #[arg(long)]
    all: bool,
    /// The session account: an address or an account file (read from the session file if omitted).
    #[arg(long)]
    account: Option<String>,
    /// The owner keystore.
    #[arg(long)]
    keystore: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// The session file.
    session: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs a session command.
pub async fn run(command: SessionCommand, out: Output) -> Result<()> {
    match command {
        SessionCommand::Create(args) => create(args, out).await,
        SessionCommand::Exec(args) => exec(args, out).await,
        SessionCommand::Register(args) => register(args, out).await,
        SessionCommand::Revoke(args) => revoke(args, out).await,
        SessionCommand::Inspect(args) => inspect(args, out).await,
    }
}

/// The owner's account, its key unlocked from `keystore` for this one command.
fn owner_account(
    keystore: &Path,
    provider: Client,
    account: Felt,
    chain_id: Felt,
) -> Result<SingleOwnerAccount<Client, LocalWallet>> {
    let key = load_keystore(keystore, &password(OWNER_PASSWORD_ENV, "Owner keystore password", false)?)?;
    Ok(session_sdk::owner_account(provider, chain_id, account, key))
}

/// Checks that `contract` has an external entrypoint `name`; returns its selector.
async fn entrypoint_of(provider: &Client, contract: Felt, name: &str) -> Result<Felt> {
    let selector = get_selector_from_name(name)
        .map_err(|_| usage(format!("{name:?} is not a valid entrypoint name"), None))?;
    let class =
        provider.get_class_at(BlockId::Tag(BlockTag::PreConfirmed), contract).await.map_err(|_| {
            usage(format!("no contract found at {contract:#x}"), Some("check the address and --network"))
        })?;
    if let ContractClass::Sierra(class) = class {
        if !class.entry_points_by_type.external.iter().any(|entry| entry.selector == selector) {
            return Err(usage(
                format!("contract {contract:#x} has no external entrypoint {name:?}"),
                Some("check the spelling; entrypoint names are case-sensitive"),
            ));
        }
    }
    Ok(selector)
}

async fn create(args: CreateArgs, out: Output) -> Result<()> {
    let account = account_address(&args.account)?;
    if args.output.exists() {
        return Err(usage(format!("{} already exists", args.output.display()), Some("pass --output")));
    }
    let (provider, chain_id) = args.network.connect().await?;
    let key = SessionKey::generate()?;
    let now = latest_block_timestamp(&provider).await?;
    let epoch =
        account_state(&provider, account).await.map(|state| state.session_epoch).map_err(|error| {
            usage(
                format!("{account:#x} is not a session account here ({error})"),
                Some("check --account and --network"),
            )
        })?;
    let mut builder = SessionBuilder::new(key.public_key()).expires_at(now + args.expires_in).epoch(epoch);
    let policy = args.limits.policy()?;
    if let Some(policy) = &policy {
        builder = builder.policy(policy.clone());
    }
    // Methods with argument rules are allowed only under them; the others with any arguments.
    let mut methods = args.limits.rules()?;
    for allow in &args.allow {
        let (contract, entrypoint) = allow.split_once(':').ok_or_else(|| {
            usage(format!("--allow {allow:?}: expected <contract address>:<entrypoint>"), None)
        })?;
        methods.entry((parse_address(contract, "contract address")?, entrypoint.to_owned())).or_default();
    }
    for (contract, entrypoint) in methods.keys() {
        let moves_value = VALUE_ENTRYPOINTS.iter().any(|(name, _)| name == entrypoint);
        if moves_value && !policy.as_ref().is_some_and(|policy| policy.spend_limits.contains_key(contract)) {
            return Err(usage(
                format!("{contract:#x}:{entrypoint} moves token value, and sessions move none of a token without a limit"),
                Some("add --max-spend <token>:<amount> (or :unlimited) for that token"),
            ));
        }
    }
    let mut names = BTreeMap::new();
    let mut described = Vec::new();
    for ((contract, entrypoint), rules) in methods {
        let selector = entrypoint_of(&provider, contract, &entrypoint).await?;
        described.push(format!("{contract:#x}:{entrypoint}{}", describe_when(&rules)));
        names.insert(selector, entrypoint);
        builder = builder.allow_selector(contract, selector, rules);
    }
    let session = builder.build()?;
    let owner =
        load_keystore(&args.keystore, &password(OWNER_PASSWORD_ENV, "Owner keystore password", false)?)?;
    let authorization = session_sdk::authorize_session(&owner, &session, chain_id, account)?;
    let session_password = password(SESSION_PASSWORD_ENV, "New session file password", true)?;
    let file =
        SessionFile::new(chain_id, account, &session, Some(authorization), &key, &session_password, &names)?;
    file.save(&args.output)?;
    out.result(
        format!(
            "Session {:#066x}\n  written to {} (key encrypted)\n  expires at {} (in {} s)\n  allows {}\n  limits: {}",
            file.session_hash,
            args.output.display(),
            file.expires_at,
            args.expires_in,
            described.join(", "),
            describe_policy(policy.as_ref(), None).join("; ")
        ),
        json!({ "session_hash": file.session_hash, "file": args.output, "expires_at": file.expires_at,
                "epoch": file.epoch, "allowed_methods_root": file.allowed_methods_root,
                "policy": policy, "policy_hash": file.policy_hash }),
    );
    Ok(())
}

async fn exec(args: ExecArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?;
    let contract = parse_address(&args.contract, "contract address")?;
    let selector = get_selector_from_name(&args.entrypoint)
        .map_err(|_| usage(format!("{:?} is not a valid entrypoint name", args.entrypoint), None))?;
    let calldata = parse_calldata(&args.calldata)?;
    let (provider, chain_id) = args.network.connect().await?;
    if chain_id != file.chain_id {
        return Err(usage(
            format!("the session is for chain {:#x}, the node is on {chain_id:#x}", file.chain_id),
            Some("pass the right --network / --rpc-url"),
        ));
    }
    let session = file.open(provider, &password(SESSION_PASSWORD_ENV, "Session file password", false)?)?;
    let call = Call { to: contract, selector, calldata };
    let receipt = out.waiting("sending the session transaction", session.execute(vec![call])).await?;
    let l2_gas = match &receipt.receipt {
        TransactionReceipt::Invoke(receipt) => receipt.execution_resources.l2_gas,
        _ => 0,
    };
    let hash = *receipt.receipt.transaction_hash();
    out.result(
        format!("Accepted {hash:#066x} ({l2_gas} L2 gas)"),
        json!({ "transaction_hash": hash, "l2_gas": l2_gas }),
    );
    Ok(())
}

async fn register(args: RegisterArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?;
    let (provider, chain_id) = args.network.connect().await?;
    let admin = SessionAdmin::new(owner_account(&args.keystore, provider, file.account, chain_id)?);
    let hash = out.waiting("registering the session", admin.register_session(&file.session()?)).await?;
    out.result(
        format!("Registered session {:#066x} (transaction {hash:#x})", file.session_hash),
        json!({ "session_hash": file.session_hash, "transaction_hash": hash }),
    );
    Ok(())
}

async fn revoke(args: RevokeArgs, out: Output) -> Result<()> {
    let (session_hash, file_account) = match args.session.as_deref() {
        None => (None, None),
        Some(value) if value.starts_with("0x") => (Some(parse_felt(value, "session hash")?), None),
        Some(path) => {
            let file = SessionFile::load(Path::new(path))?;
            (Some(file.session_hash), Some(file.account))
        }
    };
    let account = match (&args.account, file_account) {
        (Some(value), _) => account_address(value)?,
        (None, Some(account)) => account,
        (None, None) => {
            return Err(usage("which account?", Some("pass --account <address or account file>")))
        }
    };
    let (provider, chain_id) = args.network.connect().await?;
    let admin = SessionAdmin::new(owner_account(&args.keystore, provider, account, chain_id)?);
    match session_hash {
        Some(hash) => {
            let tx = out.waiting("revoking the session", admin.revoke_session(hash)).await?;
            out.result(
                format!("Revoked session {hash:#066x} (transaction {tx:#x})"),
                json!({ "revoked": hash, "transaction_hash": tx }),
            );
        }
        None => {
            let tx = out.waiting("revoking every session", admin.revoke_all_sessions()).await?;
            let epoch = admin.session_epoch().await?;
            out.result(
                format!(
                    "Revoked every earlier session; new sessions use epoch {epoch} (transaction {tx:#x})"
                ),
                json!({ "revoked_all": true, "session_epoch": epoch, "transaction_hash": tx }),
            );
        }
    }
    Ok(())
}

async fn inspect(args: InspectArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?; // recomputes the root and hash, refuses a mismatch
    let provider = args.network.provider();
    let status =
        session_status(&provider, file.account, file.session_hash, file.expires_at, file.epoch).await?;
    let owner = account_state(&provider, file.account).await?.owner_public_key;
    let authorized_by_owner = file
        .owner_authorization
        .is_some_and(|[r, s]| ecdsa_verify(&owner, &file.session_hash, &Signature { r, s }).unwrap_or(false));
    let now = latest_block_timestamp(&provider).await?;
    let session = file.session()?;
    let used = session_usage(&provider, file.account, &session, file.session_hash).await?;
    let limits = describe_policy(session.policy(), Some(&used));
    let permissions: Vec<String> = file
        .allowed_methods
        .iter()
        .map(|method| {
            let name =
                method.entrypoint.clone().unwrap_or_else(|| format!("selector {:#x}", method.selector));
            let when = describe_when(&method.argument_rules);
            format!("may call {name} on {:#066x}{when}", method.contract_address)
        })
        .collect();
    let expiry = if file.expires_at > now {
        format!("{} (in {} s)", file.expires_at, file.expires_at - now)
    } else {
        format!("{} ({} s ago)", file.expires_at, now - file.expires_at)
    };
    let text = format!(
        "Session {:#066x} (hash recomputed: matches)\n  account:        {:#066x}\n  chain:          {:#x}\n  session key:    {:#066x}\n  expires at:     {expiry}\n  epoch:          {}\n  methods root:   {:#066x} (recomputed: matches)\n  permissions:\n    {}\n  limits:\n    {}\n  authorization:  {}\n  status:         {}",
        file.session_hash,
        file.account,
        file.chain_id,
        file.session_public_key,
        file.epoch,
        file.allowed_methods_root,
        permissions.join("\n    "),
        limits.join("\n    "),
        if authorized_by_owner { "signed by the current owner" } else { "NOT signed by the current owner" },
        status.verdict(),
    );
    out.result(
        text,
        json!({ "session_hash": file.session_hash, "account": file.account, "chain_id": file.chain_id,
                "session_key": file.session_public_key, "expires_at": file.expires_at, "epoch": file.epoch,
                "allowed_methods_root": file.allowed_methods_root, "permissions": permissions,
                "policy": file.policy, "limits": limits,
                "usage": { "calls": used.calls, "fees_committed": used.fees_committed,
                           "spent": used.spent.iter().map(|(token, amount)| (format!("{token:#x}"), amount.to_string())).collect::<BTreeMap<_, _>>() },
                "authorized_by_current_owner": authorized_by_owner, "status": status.verdict(),
                "on_chain": status }),
    );
    Ok(())
}
