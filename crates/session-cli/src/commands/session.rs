//! `stark-session session`: create, use, register, revoke, inspect and list sessions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use session_core::policy::VALUE_ENTRYPOINTS;
use session_core::{OwnerSignature, PreflightError, SessionBuilder, U256};
use session_sdk::protocol::SessionKey;
use session_sdk::{
    account_history, latest_block_timestamp, load_owner_signer, session_status, session_usage, OwnerAccount,
    OwnerSigner, PaymasterClient, PaymasterFee, SdkError, SessionAdmin, SessionFile, SessionStatus,
};
use starknet::core::types::{Call, Felt};

use crate::chain::{assert_owner, entrypoint, l2_gas, session_account_state};
use crate::cli_error::{refusal, usage};
use crate::input::{
    account_address, format_fri, format_relative, format_time, new_password, parse_address, parse_calldata,
    parse_duration, parse_felt, parse_time, password, Client, NetworkArgs, OWNER_PASSWORD_ENV,
    SESSION_PASSWORD_ENV,
};
use crate::output::Output;
use crate::policy_args::{describe_policy, describe_when, PolicyArgs};

/// Sessions meant to last longer than this get a warning: a leaked session key is usable that long.
const LONG_LIFETIME: u64 = 7 * 86_400;

/// Session commands.
#[derive(Subcommand)]
pub enum SessionCommand {
    /// Authorize a new session (the owner unlocks the keystore once) and write its file, key encrypted.
    Create(CreateArgs),
    /// Call contracts through a session: `exec <session file> <contract> <entrypoint> [calldata…]`,
    /// or several calls in one transaction with `--call`.
    #[command(visible_alias = "invoke")]
    Exec(ExecArgs),
    /// Register a session on-chain (owner transaction), so its transactions need no owner signature.
    Register(RegisterArgs),
    /// Revoke one session by hash (or session file), or every session with --all.
    Revoke(RevokeArgs),
    /// Pause a stored session: its transactions are refused until `resume`; its counters are kept.
    Pause(LifecycleArgs),
    /// Resume a paused session.
    Resume(LifecycleArgs),
    /// Move a stored session's expiry later (same key, methods, limits and counters).
    Extend(ExtendArgs),
    /// Decode a session file, recompute its hash and root, list its permissions, limits and status.
    Inspect(InspectArgs),
    /// List session files (in folders or given by name) with their status and remaining limits.
    List(ListArgs),
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
    #[arg(long, default_value = "1h", value_parser = parse_duration, conflicts_with = "expires_at")]
    expires_in: u64,
    /// When the session ends instead, as a UTC date: `2026-12-01` or `2026-12-01T18:30:00Z`.
    #[arg(long, value_parser = parse_time)]
    expires_at: Option<u64>,
    /// An off-chain message kind the session key may sign for the account (checked by its
    /// `is_valid_signature`, e.g. a DEX's orders): `<SNIP-12 domain hash>:<primary type hash>`;
    /// repeat for more.
    #[arg(long = "allow-message", value_name = "DOMAIN_HASH:TYPE_HASH")]
    allow_messages: Vec<String>,
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
    contract: Option<String>,
    /// The entrypoint name.
    entrypoint: Option<String>,
    /// Calldata: felts (0x-hex or decimal), `u256:<n>` (or `u256:0.5strk`), `str:<short string>`.
    calldata: Vec<String>,
    /// Another call in the same transaction, `<contract>:<entrypoint>[:<arg>,<arg>…]`; repeat.
    #[arg(long = "call", value_name = "CALL")]
    calls: Vec<String>,
    /// Check and estimate only: print the fee the transaction would commit to; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Send gasless through this SNIP-29 paymaster (its API key in SESSION_PAYMASTER_API_KEY).
    #[arg(long, value_name = "URL")]
    paymaster: Option<String>,
    /// With --paymaster: pay the paymaster in this token instead of being sponsored.
    #[arg(long, value_name = "TOKEN", requires = "paymaster")]
    gas_token: Option<String>,
    #[command(flatten)]
    network: NetworkArgs,
}

/// The environment variable holding the paymaster API key of `session exec --paymaster`.
const PAYMASTER_API_KEY_ENV: &str = "SESSION_PAYMASTER_API_KEY";

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

/// Options of `session pause` and `session resume`.
#[derive(Args)]
pub struct LifecycleArgs {
    /// The session hash, or a session file.
    session: String,
    /// The session account: an address or an account file (read from the session file if omitted).
    #[arg(long)]
    account: Option<String>,
    /// The owner keystore.
    #[arg(long)]
    keystore: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session extend`.
#[derive(Args)]
pub struct ExtendArgs {
    #[command(flatten)]
    target: LifecycleArgs,
    /// How much longer the session lasts, from its current expiry (`30m`, `1h`, `1d`).
    #[arg(long, value_parser = parse_duration, required_unless_present = "expires_at", conflicts_with = "expires_at")]
    by: Option<u64>,
    /// The new expiry, as a UTC date: `2026-12-01` or `2026-12-01T18:30:00Z`.
    #[arg(long, value_parser = parse_time)]
    expires_at: Option<u64>,
}

/// Options of `session inspect`.
#[derive(Args)]
pub struct InspectArgs {
    /// The session file.
    session: PathBuf,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Options of `session list`.
#[derive(Args)]
pub struct ListArgs {
    /// Session files, or folders to look in (default: the current folder).
    paths: Vec<PathBuf>,
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
        SessionCommand::Pause(args) => pause_or_resume(args, true, out).await,
        SessionCommand::Resume(args) => pause_or_resume(args, false, out).await,
        SessionCommand::Extend(args) => extend(args, out).await,
        SessionCommand::Inspect(args) => inspect(args, out).await,
        SessionCommand::List(args) => list(args, out).await,
    }
}

/// The owner signer (Stark keystore or passkey file) from `keystore`, refused unless it is
/// `account`'s on-chain owner.
async fn owner_signer(keystore: &Path, provider: &Client, account: Felt) -> Result<Arc<dyn OwnerSigner>> {
    let signer =
        load_owner_signer(keystore, &password(OWNER_PASSWORD_ENV, "Owner keystore password", false)?)?;
    assert_owner(provider, account, &signer.owner_key()).await?;
    Ok(signer)
}

/// The owner's account, its key unlocked from `keystore` for this one command and checked to be
/// the account's owner before anything is sent.
async fn owner_account(
    keystore: &Path,
    provider: Client,
    account: Felt,
    chain_id: Felt,
) -> Result<OwnerAccount<Client, Arc<dyn OwnerSigner>>> {
    let signer = owner_signer(keystore, &provider, account).await?;
    Ok(OwnerAccount::new(provider, chain_id, account, signer))
}

/// The session epoch of the session account at `account` (bad input when it is not one).
async fn session_epoch(provider: &Client, account: Felt) -> Result<Felt> {
    Ok(session_account_state(provider, account).await?.session_epoch)
}

async fn create(args: CreateArgs, out: Output) -> Result<()> {
    let account = account_address(&args.account)?;
    if args.output.exists() {
        return Err(usage(format!("{} already exists", args.output.display()), Some("pass --output")));
    }
    let policy = args.limits.policy()?;
    let mut methods = args.limits.rules()?;
    for allow in &args.allow {
        let (contract, entrypoint) = allow.split_once(':').ok_or_else(|| {
            usage(format!("--allow {allow:?}: expected <contract address>:<entrypoint>"), None)
        })?;
        methods.entry((parse_address(contract, "contract address")?, entrypoint.to_owned())).or_default();
    }
    if let Some(((_, entrypoint), _)) = methods.iter().find(|((contract, _), _)| *contract == account) {
        return Err(usage(
            format!("--allow {account:#x}:{entrypoint}: a session can never call the account itself"),
            Some("the account refuses every session call to itself (its administration is the owner's)"),
        ));
    }
    for (contract, entrypoint) in methods.keys() {
        let moves_value = VALUE_ENTRYPOINTS.iter().any(|(name, _)| name == entrypoint);
        if moves_value && policy.limits_of(*contract).next().is_none() {
            return Err(usage(
                format!("{contract:#x}:{entrypoint} moves token value, and sessions move none of a token without a limit"),
                Some("add --max-spend <token>:<amount> (or :unlimited) for that token"),
            ));
        }
    }
    let (provider, chain_id) = args.network.connect().await?;
    let now = latest_block_timestamp(&provider).await?;
    let expires_at = match args.expires_at {
        Some(expires_at) if expires_at <= now => {
            return Err(usage(
                format!(
                    "--expires-at {} is not in the future (the chain's time is {})",
                    format_time(expires_at),
                    format_time(now)
                ),
                None,
            ))
        }
        Some(expires_at) => expires_at,
        None => now.checked_add(args.expires_in).ok_or_else(|| usage("--expires-in is too long", None))?,
    };
    if expires_at - now > LONG_LIFETIME {
        out.warn(format!(
            "the session lasts {} (until {}): a leaked session key is usable that long; sessions are meant to be short",
            format_relative(expires_at, now).trim_start_matches("in "),
            format_time(expires_at)
        ));
    }
    let epoch = session_epoch(&provider, account).await?;
    let owner = owner_signer(&args.keystore, &provider, account).await?;
    if let (Some(cap), Some(budget)) = (policy.max_fee_per_tx, policy.fee_budget) {
        if budget < cap {
            out.warn(format!(
                "--fee-budget {budget} is below --max-fee {cap}: no transaction can use the whole cap"
            ));
        }
    }
    for limit in policy.spend_limits.iter().filter(|limit| limit.amount == U256::from(0u8)) {
        out.warn(format!(
            "the spend limit of token {:#x} is 0: the session can move none of it",
            limit.token
        ));
    }

    let key = SessionKey::generate()?;
    let mut builder =
        SessionBuilder::new(key.public_key()).expires_at(expires_at).epoch(epoch).policy(policy.clone());
    let mut names = BTreeMap::new();
    let mut described = Vec::new();
    for ((contract, name), rules) in methods {
        let target = entrypoint(&provider, contract, &name).await?;
        if let Some(arity) = target.arity {
            for rule in &rules {
                let last = rule.index() as usize + usize::from(rule.reads_u256());
                if last >= arity {
                    out.warn(format!(
                        "the rule on argument {} of `{name}` can never hold: `{name}` takes {arity} calldata felts",
                        rule.index()
                    ));
                }
            }
        }
        described.push(format!("{contract:#x}:{name}{}", describe_when(&rules)));
        names.insert(target.selector, name);
        builder = builder.allow_selector(contract, target.selector, rules);
    }
    for text in &args.allow_messages {
        let Some((domain, kind)) = text.split_once(':') else {
            return Err(usage(format!("--allow-message {text:?}: expected <domain hash>:<type hash>"), None));
        };
        let domain_hash = parse_felt(domain, "message domain hash")?;
        let type_hash = parse_felt(kind, "message type hash")?;
        described.push(format!("signing messages of type {type_hash:#x} in domain {domain_hash:#x}"));
        builder = builder.allow_message(domain_hash, type_hash);
    }
    let session = builder.build()?;
    let authorization = out
        .waiting(
            "the owner signs the session",
            session_sdk::authorize_session(&owner, &session, chain_id, account),
        )
        .await?;
    let session_password = new_password(SESSION_PASSWORD_ENV, "New session file password", out)?;
    let file =
        SessionFile::new(chain_id, account, &session, Some(authorization), &key, &session_password, &names)?;
    file.save(&args.output)?;
    out.result(
        format!(
            "Session {:#066x}\n  written to {} (key encrypted)\n  expires at {} ({})\n  allows {}\n  limits: {}",
            file.session_hash,
            args.output.display(),
            format_time(expires_at),
            format_relative(expires_at, now),
            described.join(", "),
            describe_policy(&policy, None).join("; ")
        ),
        json!({ "session_hash": file.session_hash, "file": args.output, "expires_at": file.expires_at,
                "epoch": file.epoch, "allowed_methods_root": file.allowed_methods_root,
                "policy": policy, "policy_hash": file.policy_hash }),
    );
    Ok(())
}

/// Entrypoint names of a session file's methods, by selector.
fn names_of(file: &SessionFile) -> BTreeMap<Felt, String> {
    file.allowed_methods
        .iter()
        .filter_map(|method| Some((method.selector, method.entrypoint.clone()?)))
        .collect()
}

/// A pre-flight refusal in words, naming entrypoints rather than selectors.
fn readable_refusal(error: &PreflightError, file: &SessionFile, names: &BTreeMap<Felt, String>) -> String {
    let name = |selector: &Felt| {
        names.get(selector).map_or_else(|| format!("selector {selector:#x}"), |name| format!("`{name}`"))
    };
    match error {
        PreflightError::MethodNotAllowed { method } => {
            let allowed: Vec<String> = file
                .allowed_methods
                .iter()
                .map(|allowed| format!("{} on {:#x}", name(&allowed.selector), allowed.contract_address))
                .collect();
            format!(
                "{} on {:#x} is not allowed by this session; it allows: {}",
                name(&method.selector),
                method.contract_address,
                allowed.join(", ")
            )
        }
        PreflightError::ArgumentNotAllowed { method, reason } => {
            format!(
                "{} on {:#x} is refused by the session's argument rules: {reason}",
                name(&method.selector),
                method.contract_address
            )
        }
        other => other.to_string(),
    }
}

/// One `--call <contract>:<entrypoint>[:<arg>,<arg>…]`.
fn parse_call_spec(text: &str) -> Result<(Felt, String, Vec<String>)> {
    let mut parts = text.splitn(3, ':');
    let (Some(contract), Some(name)) = (parts.next(), parts.next()) else {
        return Err(usage(format!("--call {text:?}: expected <contract>:<entrypoint>[:<arg>,<arg>…]"), None));
    };
    let arguments = parts.next().map(|list| list.split(',').map(str::to_owned).collect()).unwrap_or_default();
    Ok((parse_address(contract, "contract address")?, name.to_owned(), arguments))
}

async fn exec(args: ExecArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?;
    let mut specs = Vec::new();
    match (&args.contract, &args.entrypoint) {
        (Some(contract), Some(name)) => {
            specs.push((parse_address(contract, "contract address")?, name.clone(), args.calldata.clone()))
        }
        (Some(_), None) => {
            return Err(usage("which entrypoint? `exec <session> <contract> <entrypoint> [calldata…]`", None))
        }
        _ => {}
    }
    for text in &args.calls {
        specs.push(parse_call_spec(text)?);
    }
    if specs.is_empty() {
        return Err(usage(
            "nothing to call",
            Some("`exec <session> <contract> <entrypoint> [calldata…]` or --call"),
        ));
    }
    let (provider, chain_id) = args.network.connect().await?;
    if chain_id != file.chain_id {
        return Err(usage(
            format!("the session is for chain {:#x}, the node is on {chain_id:#x}", file.chain_id),
            Some("pass the right --network / --rpc-url"),
        ));
    }
    let mut names = names_of(&file);
    let mut calls = Vec::new();
    for (contract, name, arguments) in specs {
        let calldata = parse_calldata(&arguments)?;
        let target = entrypoint(&provider, contract, &name).await?;
        if let Some(arity) = target.arity.filter(|arity| *arity != calldata.len()) {
            return Err(usage(
                format!("`{name}` takes {arity} calldata felts, {} given", calldata.len()),
                Some("a u256 is two felts: write it u256:<n>"),
            ));
        }
        names.insert(target.selector, name);
        calls.push(Call { to: contract, selector: target.selector, calldata });
    }
    let session = file.open(provider, &password(SESSION_PASSWORD_ENV, "Session file password", false)?)?;
    session.refresh_from_chain().await?; // stored? extended by the owner?
    let readable = |error: SdkError| -> anyhow::Error {
        match &error {
            SdkError::Preflight(preflight) => {
                refusal(readable_refusal(preflight, &file, &names), Some("create a session that allows it"))
            }
            _ => error.into(),
        }
    };
    if args.dry_run {
        let estimate = out
            .waiting("checking and estimating", session.check_and_estimate(calls.clone()))
            .await
            .map_err(readable)?;
        let fee = U256::from(estimate.overall_fee);
        out.result(
            format!(
                "Dry run: the session allows these {} call(s); estimated fee {} ({} L2 gas). Nothing was sent.",
                calls.len(),
                format_fri(fee),
                estimate.l2_gas_consumed
            ),
            json!({ "dry_run": true, "calls": calls.len(), "estimated_fee": fee.to_string(),
                    "l2_gas": estimate.l2_gas_consumed }),
        );
        return Ok(());
    }
    if let Some(url) = &args.paymaster {
        let mut client = PaymasterClient::new(url.clone());
        if let Ok(key) = std::env::var(PAYMASTER_API_KEY_ENV) {
            client = client.with_api_key(key);
        }
        let fee = match &args.gas_token {
            Some(token) => PaymasterFee::in_token(parse_address(token, "--gas-token")?, None),
            None => PaymasterFee::sponsored(),
        };
        let (submission, receipt) = out
            .waiting("sending through the paymaster", session.execute_via_paymaster(&client, calls, &fee))
            .await
            .map_err(readable)?;
        let hash = submission.response.transaction_hash;
        let paid = submission.fee_transfer.map(|transfer| transfer.amount);
        out.result(
            match paid {
                Some(amount) => format!("Accepted {hash:#066x} through the paymaster; fee paid in the token: {amount}"),
                None => format!("Accepted {hash:#066x} through the paymaster (sponsored; {} L2 gas)", l2_gas(&receipt.receipt)),
            },
            json!({ "transaction_hash": hash, "tracking_id": submission.response.tracking_id,
                    "fee_paid_in_token": paid.map(|amount| amount.to_string()), "l2_gas": l2_gas(&receipt.receipt) }),
        );
        return Ok(());
    }
    let receipt =
        out.waiting("sending the session transaction", session.execute(calls)).await.map_err(readable)?;
    let l2_gas = l2_gas(&receipt.receipt);
    let hash = *receipt.receipt.transaction_hash();
    out.result(
        format!("Accepted {hash:#066x} ({l2_gas} L2 gas)"),
        json!({ "transaction_hash": hash, "l2_gas": l2_gas }),
    );
    Ok(())
}

async fn register(args: RegisterArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?;
    let session = file.session()?;
    let (provider, chain_id) = args.network.connect().await?;
    let admin = SessionAdmin::new(owner_account(&args.keystore, provider, file.account, chain_id).await?);
    if admin.is_session_registered(file.session_hash).await? {
        return Err(refusal(format!("session {:#x} is already registered", file.session_hash), None));
    }
    let hash = out.waiting("registering the session", admin.register_session(&session)).await?;
    out.result(
        format!("Registered session {:#066x} (transaction {hash:#x})", file.session_hash),
        json!({ "session_hash": file.session_hash, "transaction_hash": hash }),
    );
    Ok(())
}

async fn revoke(args: RevokeArgs, out: Output) -> Result<()> {
    let (session_hash, account) = session_and_account(args.session.as_deref(), args.account.as_deref())?;
    let (provider, chain_id) = args.network.connect().await?;
    session_epoch(&provider, account).await?;
    if let Some(hash) = session_hash {
        let history = account_history(&provider, account).await?;
        if !history.sessions.iter().any(|record| record.session_hash == hash) {
            out.warn(format!(
                "the account's events never mention session {hash:#x} (never used nor registered); revoking it anyway"
            ));
        }
    }
    let admin = SessionAdmin::new(owner_account(&args.keystore, provider, account, chain_id).await?);
    match session_hash {
        Some(hash) => {
            if admin.is_session_revoked(hash).await? {
                return Err(refusal(format!("session {hash:#x} is already revoked"), None));
            }
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
                    "Revoked every earlier session; new sessions use epoch {epoch:#x} (transaction {tx:#x})"
                ),
                json!({ "revoked_all": true, "session_epoch": epoch, "transaction_hash": tx }),
            );
        }
    }
    Ok(())
}

/// The session hash (when one is named: a hash, or a session file) and the account a command
/// acts on (`--account`, else the session file's).
fn session_and_account(session: Option<&str>, account: Option<&str>) -> Result<(Option<Felt>, Felt)> {
    let (session_hash, file_account) = match session {
        None => (None, None),
        Some(value) if value.starts_with("0x") => (Some(parse_felt(value, "session hash")?), None),
        Some(path) => {
            let file = SessionFile::load(Path::new(path))?;
            (Some(file.session_hash), Some(file.account))
        }
    };
    let account = match (account, file_account) {
        (Some(value), _) => account_address(value)?,
        (None, Some(account)) => account,
        (None, None) => {
            return Err(usage("which account?", Some("pass --account <address or account file>")))
        }
    };
    Ok((session_hash, account))
}

/// The owner's admin for a lifecycle command, refusing a session that is not stored (pausing
/// and extending work on registered or cached sessions).
async fn stored_session_admin(
    target: &LifecycleArgs,
) -> Result<(Felt, SessionAdmin<OwnerAccount<Client, Arc<dyn OwnerSigner>>>)> {
    let (session_hash, account) = session_and_account(Some(&target.session), target.account.as_deref())?;
    let session_hash = session_hash.ok_or_else(|| usage("which session?", None))?;
    let (provider, chain_id) = target.network.connect().await?;
    session_epoch(&provider, account).await?;
    let admin = SessionAdmin::new(owner_account(&target.keystore, provider, account, chain_id).await?);
    if admin.session_expiry(session_hash).await? == 0 {
        return Err(refusal(
            format!("session {session_hash:#x} is not stored on-chain in the current epoch"),
            Some("only a registered session, or one that has sent a transaction, can be paused or extended"),
        ));
    }
    Ok((session_hash, admin))
}

async fn pause_or_resume(args: LifecycleArgs, pause: bool, out: Output) -> Result<()> {
    let (hash, admin) = stored_session_admin(&args).await?;
    let paused = admin.is_session_paused(hash).await?;
    if paused == pause {
        let state = if pause { "already paused" } else { "not paused" };
        return Err(refusal(format!("session {hash:#x} is {state}"), None));
    }
    let (done, tx) = if pause {
        ("Paused", out.waiting("pausing the session", admin.pause_session(hash)).await?)
    } else {
        ("Resumed", out.waiting("resuming the session", admin.resume_session(hash)).await?)
    };
    out.result(
        format!("{done} session {hash:#066x}, its counters kept (transaction {tx:#x})"),
        json!({ "session_hash": hash, "paused": pause, "transaction_hash": tx }),
    );
    Ok(())
}

async fn extend(args: ExtendArgs, out: Output) -> Result<()> {
    let (hash, admin) = stored_session_admin(&args.target).await?;
    let current = admin.session_expiry(hash).await?;
    let expires_at = match (args.expires_at, args.by) {
        (Some(expires_at), _) => expires_at,
        (None, Some(by)) => current.checked_add(by).ok_or_else(|| usage("--by is too long", None))?,
        (None, None) => return Err(usage("how long?", Some("pass --by 1h or --expires-at <date>"))),
    };
    if expires_at <= current {
        return Err(usage(
            format!("the session already lasts until {}: the new expiry must be later", format_time(current)),
            None,
        ));
    }
    let tx = out.waiting("extending the session", admin.extend_session(hash, expires_at)).await?;
    out.result(
        format!("Session {hash:#066x} now expires at {} (transaction {tx:#x})", format_time(expires_at)),
        json!({ "session_hash": hash, "expires_at": expires_at, "previous_expires_at": current, "transaction_hash": tx }),
    );
    Ok(())
}

/// A session's standing in one word: `active`, `paused` (by the owner), `expired`, `revoked` (by
/// hash, revoke-all or owner rotation), `exhausted` (a limit used up), `wrong-epoch` (signed for an
/// epoch the account never had), or `unusable` (its authorization is not the current owner's).
fn plain_status(status: &SessionStatus, exhausted: bool, authorized: bool) -> &'static str {
    if status.revoked || status.stale_epoch {
        "revoked"
    } else if status.unknown_epoch {
        "wrong-epoch"
    } else if status.paused {
        "paused"
    } else if status.expired {
        "expired"
    } else if exhausted {
        "exhausted"
    } else if !authorized && !status.cached {
        "unusable"
    } else {
        "active"
    }
}

/// A session file's status and remaining limits, read from the chain.
struct Standing {
    status: SessionStatus,
    word: &'static str,
    now: u64,
    remaining: Vec<String>,
    usage: session_core::SessionUsage,
    authorized_by_owner: bool,
}

async fn standing(provider: &Client, file: &SessionFile) -> Result<Standing> {
    let session = file.session()?;
    let status =
        session_status(provider, file.account, file.session_hash, file.expires_at, file.epoch).await?;
    let owner = session_account_state(provider, file.account).await?.owner;
    let authorized_by_owner = file.owner_authorization.as_deref().is_some_and(|felts| {
        OwnerSignature::decode(felts).is_ok_and(|signature| owner.verifies(file.session_hash, &signature))
    });
    let now = latest_block_timestamp(provider).await?;
    let usage = session_usage(provider, file.account, &session, file.session_hash).await?;
    let remaining = usage.remaining(session.policy());
    let mut lines = Vec::new();
    if let Some(calls) = remaining.calls {
        lines.push(format!("{calls} calls left"));
    }
    if let Some(fees) = remaining.fees {
        lines.push(format!("{} of fee budget left", format_fri(U256::from(fees))));
    }
    for (limit, left) in &remaining.spend {
        let resets = match limit.period {
            0 => "in total".to_owned(),
            period => {
                format!("in this window, which resets at {}", format_time((limit.window(now) + 1) * period))
            }
        };
        lines.push(format!("{left} of token {:#x} left {resets}", limit.token));
    }
    let word = plain_status(&status, remaining.is_exhausted(), authorized_by_owner);
    Ok(Standing { status, word, now, remaining: lines, usage, authorized_by_owner })
}

async fn inspect(args: InspectArgs, out: Output) -> Result<()> {
    let file = SessionFile::load(&args.session)?; // recomputes root, hash and selectors; refuses a mismatch
    let provider = args.network.provider()?;
    let session = file.session()?;
    let standing = standing(&provider, &file).await?;
    let limits = describe_policy(session.policy(), Some(&standing.usage));
    let permissions: Vec<String> = file
        .allowed_methods
        .iter()
        .map(|method| {
            let name =
                method.entrypoint.clone().unwrap_or_else(|| format!("selector {:#x}", method.selector));
            format!(
                "may call {name} on {:#066x}{}",
                method.contract_address,
                describe_when(&method.argument_rules)
            )
        })
        .chain(file.allowed_messages.iter().map(|message| {
            format!(
                "may sign off-chain messages of type {:#x} in domain {:#x}",
                message.type_hash, message.domain_hash
            )
        }))
        .collect();
    let expires_at = standing.status.extended_to.unwrap_or(file.expires_at);
    let expiry = match standing.status.extended_to {
        Some(_) => format!(
            "{} ({}; extended by the owner from {})",
            format_time(expires_at),
            format_relative(expires_at, standing.now),
            format_time(file.expires_at)
        ),
        None => format!("{} ({})", format_time(expires_at), format_relative(expires_at, standing.now)),
    };
    let text = format!(
        "Session {:#066x} (hash recomputed: matches)\n  status:         {}\n  account:        {:#066x}\n  chain:          {:#x}\n  session key:    {:#066x}\n  expires at:     {expiry}\n  epoch:          {:#x}\n  methods root:   {:#066x} (recomputed: matches)\n  permissions:\n    {}\n  limits:\n    {}\n  remaining:      {}\n  authorization:  {}\n  on-chain:       {}",
        file.session_hash,
        standing.word,
        file.account,
        file.chain_id,
        file.session_public_key,
        file.epoch,
        file.allowed_methods_root,
        permissions.join("\n    "),
        limits.join("\n    "),
        if standing.remaining.is_empty() { "no counted limit".to_owned() } else { standing.remaining.join("; ") },
        if standing.authorized_by_owner { "signed by the current owner" } else { "NOT signed by the current owner" },
        standing.status.verdict(),
    );
    let spent: Vec<Value> = standing
        .usage
        .spent
        .iter()
        .map(|((token, period), amount)| json!({ "token": token, "period": period, "spent": amount.to_string() }))
        .collect();
    out.result(
        text,
        json!({ "session_hash": file.session_hash, "account": file.account, "chain_id": file.chain_id,
                "session_key": file.session_public_key, "expires_at": expires_at, "signed_expires_at": file.expires_at, "epoch": file.epoch,
                "allowed_methods_root": file.allowed_methods_root, "permissions": permissions,
                "policy": file.policy, "limits": limits, "remaining": standing.remaining,
                "usage": { "calls": standing.usage.calls.to_string(),
                           "fees_committed": standing.usage.fees_committed.to_string(), "spent": spent },
                "authorized_by_current_owner": standing.authorized_by_owner, "status": standing.word,
                "on_chain_status": standing.status.verdict(), "on_chain": standing.status }),
    );
    Ok(())
}

/// The session files among `paths` (files as given; folders searched one level deep).
fn session_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let default = [PathBuf::from(".")];
    for path in if paths.is_empty() { &default[..] } else { paths } {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|error| usage(format!("cannot read folder {}: {error}", path.display()), None))?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|extension| extension == "json"))
                .filter(|file| {
                    std::fs::read_to_string(file)
                        .is_ok_and(|text| text.contains(session_sdk::SESSION_FILE_FORMAT))
                })
                .collect();
            files.sort();
            found.extend(files);
        } else {
            found.push(path.clone());
        }
    }
    Ok(found)
}

async fn list(args: ListArgs, out: Output) -> Result<()> {
    let provider = args.network.provider()?;
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for path in session_files(&args.paths)? {
        let file = SessionFile::load(&path)?;
        let standing = standing(&provider, &file).await?;
        let allows: Vec<String> = file
            .allowed_methods
            .iter()
            .map(|method| method.entrypoint.clone().unwrap_or_else(|| format!("{:#x}", method.selector)))
            .collect();
        lines.push(format!(
            "{}  {:<11} expires {} ({})  account {:#x}  allows {}{}",
            path.display(),
            standing.word,
            format_time(standing.status.extended_to.unwrap_or(file.expires_at)),
            format_relative(standing.status.extended_to.unwrap_or(file.expires_at), standing.now),
            file.account,
            allows.join(", "),
            if standing.remaining.is_empty() {
                String::new()
            } else {
                format!("  [{}]", standing.remaining.join("; "))
            }
        ));
        rows.push(json!({ "file": path, "session_hash": file.session_hash, "account": file.account,
                          "status": standing.word, "expires_at": file.expires_at, "allows": allows,
                          "remaining": standing.remaining }));
    }
    let text = if lines.is_empty() { "No session files found.".to_owned() } else { lines.join("\n") };
    out.result(text, json!({ "sessions": rows }));
    Ok(())
}
