//! `stark-session policy show`: what an auditor needs to know about an account's sessions.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use session_sdk::{account_history, account_state, session_status, AccountState, LimitReached};

use crate::input::{account_address, NetworkArgs};
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
    #[command(flatten)]
    network: NetworkArgs,
}

/// Runs a policy command.
pub async fn run(command: PolicyCommand, out: Output) -> Result<()> {
    let PolicyCommand::Show(args) = command;
    let account = account_address(&args.account)?;
    let provider = args.network.provider();
    let AccountState { owner_public_key: owner, session_epoch: epoch } =
        account_state(&provider, account).await?;
    let history = out.waiting("reading the account's events", account_history(&provider, account)).await?;

    let mut lines = vec![
        format!("Account {account:#066x}"),
        format!("  owner key:     {owner:#066x} ({} owner change(s) on record)", history.owner_changes.len()),
        format!("  session epoch: {epoch} (sessions of older epochs are revoked)"),
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
            record.expires_at.map_or("?".into(), |time| time.to_string()),
            record.allowed_methods_root.map_or("?".into(), |root| format!("{root:#x}")),
        ));
        if record.limits.is_some() || record.policy == Some(starknet::core::types::Felt::ZERO) {
            for limit in describe_policy(record.limits.as_ref(), None) {
                lines.push(format!("        {limit}"));
            }
        }
        for reached in &record.limits_reached {
            lines.push(match reached {
                LimitReached::Calls => "        used up its call limit".to_owned(),
                LimitReached::Spend { token } => {
                    format!("        used up its spend limit of token {token:#066x}")
                }
            });
        }
        sessions.push(json!({ "record": record, "status": verdict }));
    }
    out.result(
        lines.join("\n"),
        json!({ "account": account, "owner_public_key": owner, "session_epoch": epoch,
                "owner_changes": history.owner_changes, "revoke_all_epochs": history.revoke_all_epochs,
                "sessions": sessions }),
    );
    Ok(())
}
