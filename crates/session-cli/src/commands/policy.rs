//! `stark-session policy show`: what an auditor needs to know about an account's sessions.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use session_sdk::{account_history, session_status, AccountState, LimitReached, SessionFile};

use crate::chain::{describe_owner, session_account_state};

use crate::input::{account_address, format_time, NetworkArgs};
use crate::output::Output;
use crate::policy_args::describe_policy;

/// Policy commands.
#[derive(Subcommand)]
pub enum PolicyCommand {
    /// The owner, the revoke-all epoch and every session seen in the account's events, with
    /// status and limits.
    Show(ShowArgs),
}

/// Options of `policy show`.
#[derive(Args)]
pub struct ShowArgs {
    /// The account: an address or an account file.
    account: String,
    /// A session file of this account: its allowed methods are shown with the session (the
    /// chain keeps only their Merkle root). Repeat for more.
    #[arg(long = "session", value_name = "FILE")]
    sessions: Vec<PathBuf>,
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs a policy command.
pub async fn run(command: PolicyCommand, out: Output) -> Result<()> {
    let PolicyCommand::Show(args) = command;
    let account = account_address(&args.account)?;
    let provider = args.network.provider()?;
    let mut files = BTreeMap::new();
    for path in &args.sessions {
        let file = SessionFile::load(path)?; // checks its root and hash against its methods
        files.insert(file.session_hash, file);
    }
    let AccountState { owner, owner_id, session_epoch: epoch } =
        session_account_state(&provider, account).await?;
    let history = out.waiting("reading the account's events", account_history(&provider, account)).await?;

    let mut lines = vec![
        format!("Account {account:#066x}"),
        format!("  owner:         {} ({} owner change(s) on record)", describe_owner(&owner), history.owner_changes.len()),
        format!("  session epoch: {epoch:#x} (sessions of other epochs are revoked; it changes with every revoke-all and owner rotation)"),
        format!("  sessions seen in events: {}", history.sessions.len()),
    ];
    let mut sessions = Vec::new();
    for record in &history.sessions {
        let verdict = match (record.expires_at, record.epoch) {
            (Some(expires_at), Some(session_epoch)) => {
                session_status(&provider, account, record.session_hash, expires_at, session_epoch)
                    .await?
                    .verdict()
            }
            _ if record.revoked_event => "revoked",
            _ => "unknown",
        };
        lines.push(format!(
            "    {:#066x}  {verdict:<12} expires {}  root {}",
            record.session_hash,
            record.expires_at.map_or("?".into(), format_time),
            record.allowed_methods_root.map_or("?".into(), |root| format!("{root:#x}")),
        ));
        let methods: Vec<String> = match files.get(&record.session_hash) {
            Some(file) => file
                .allowed_methods
                .iter()
                .map(|method| {
                    let name = method
                        .entrypoint
                        .clone()
                        .unwrap_or_else(|| format!("selector {:#x}", method.selector));
                    format!(
                        "{name} on {:#066x}{}",
                        method.contract_address,
                        crate::policy_args::describe_when(&method.argument_rules)
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        for method in &methods {
            lines.push(format!("        may call {method}"));
        }
        let no_messages = session_sdk::protocol::AllowedMessage::list_hash(&[]);
        if let Some(hash) = record.allowed_messages_hash.filter(|hash| *hash != no_messages) {
            match files.get(&record.session_hash) {
                Some(file) => {
                    for message in &file.allowed_messages {
                        lines.push(format!(
                            "        may sign off-chain messages of type {:#x} in domain {:#x}",
                            message.type_hash, message.domain_hash
                        ));
                    }
                }
                None => lines.push(format!(
                    "        may sign off-chain messages (kinds hash {hash:#x}; pass its session file to list them)"
                )),
            }
        }
        let unlimited = record.policy_hash == Some(session_sdk::protocol::Policy::unlimited_hash());
        if let Some(policy) = record.limits.clone().or_else(|| unlimited.then(Default::default)) {
            for limit in describe_policy(&policy, None) {
                lines.push(format!("        {limit}"));
            }
        }
        for reached in &record.limits_reached {
            lines.push(match reached {
                LimitReached::Calls => "        used up its call limit".to_owned(),
                LimitReached::Spend { token, period: 0 } => {
                    format!("        used up its spend limit of token {token:#066x}")
                }
                LimitReached::Spend { token, period } => {
                    format!(
                        "        used up a window of its {period}-second spend limit of token {token:#066x}"
                    )
                }
                LimitReached::RuleTotal { leaf, .. } => {
                    format!("        reached the total a rule of allowed method {leaf:#066x} allows")
                }
            });
        }
        sessions.push(json!({ "record": record, "status": verdict, "allowed_methods": methods }));
    }
    out.result(
        lines.join("\n"),
        json!({ "account": account, "owner": owner, "owner_id": owner_id, "session_epoch": epoch,
                "owner_changes": history.owner_changes, "revoke_all_epochs": history.revoke_all_epochs,
                "sessions": sessions }),
    );
    Ok(())
}
