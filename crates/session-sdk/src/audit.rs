//! What an auditor reads from the chain: an account's owner and session epoch, every session its
//! events mention, and each session's status.

use std::collections::BTreeMap;

use serde::Serialize;
use session_bindings::cainome::cairo_serde::ContractAddress;
use session_bindings::session_account::{
    Event as AccountEvent, OutsideExecutionEvent, OwnerEvent, SessionAccountReader, SessionEvent,
};
use starknet::core::types::{BlockId, BlockTag, EmittedEvent, EventFilter, Felt};
use starknet::providers::Provider;

use crate::owner::policy_from_binding;
use crate::protocol::snip12::short_string;
use crate::protocol::{Policy, Session, SessionUsage, U256};
use crate::SdkError;

/// How many events to ask for per page.
const EVENTS_PER_PAGE: u64 = 1000;

/// A session as the account's events describe it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    /// The session hash.
    pub session_hash: Felt,
    /// The session public key, if an event carried it.
    pub session_key: Option<Felt>,
    /// The expiry, if an event carried it.
    pub expires_at: Option<u64>,
    /// The allowed-methods root, if an event carried it.
    pub allowed_methods_root: Option<Felt>,
    /// The policy's struct hash, if an event carried it.
    pub policy_hash: Option<Felt>,
    /// The policy's limits, if published (`SessionPolicyPublished`, on registration or first use),
    /// every spend limit as signed.
    pub limits: Option<Policy>,
    /// Limits used up (`SessionLimitReached`), in order: `calls`, or `spend` with the token.
    pub limits_reached: Vec<LimitReached>,
    /// What the session used, rebuilt from its accounting events alone
    /// (`SessionFeeCommitted`, `SessionCallsMade`, `SessionSpent`).
    pub usage_from_events: EventUsage,
    /// The session epoch, if an event carried it.
    pub epoch: Option<Felt>,
    /// Registered by the owner (`SessionRegistered`).
    pub registered_event: bool,
    /// The owner key whose authorization was cached on first use (`SessionCached`).
    pub cached_for_owner: Option<Felt>,
    /// Revoked by hash (`SessionRevoked`).
    pub revoked_event: bool,
}

/// A limit a session used up, as a `SessionLimitReached` event tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "limit")]
pub enum LimitReached {
    /// Its call limit.
    Calls,
    /// Its spend limit of `token` with this `period` (in the window of the event, for a limit
    /// per window).
    Spend {
        /// The token.
        token: Felt,
        /// The limit's period (0: lifetime).
        period: u64,
    },
}

/// A session's usage as its accounting events tell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventUsage {
    /// Calls counted under the call limit (the last `SessionCallsMade` total).
    pub calls: u64,
    /// Fees committed against the budget (the last `SessionFeeCommitted` total).
    #[serde(serialize_with = "decimal")]
    pub fees_committed: u128,
    /// Per (token, period): the window of the last spending and the total counted in it.
    #[serde(serialize_with = "spending")]
    pub spent: BTreeMap<(Felt, u64), (u64, U256)>,
}

fn decimal<S: serde::Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

fn spending<S: serde::Serializer>(
    spent: &BTreeMap<(Felt, u64), (u64, U256)>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut sequence = serializer.serialize_seq(Some(spent.len()))?;
    for ((token, period), (window, total)) in spent {
        sequence.serialize_element(&serde_json::json!({
            "token": format!("{token:#x}"), "period": period, "window": window, "total": total.to_string(),
        }))?;
    }
    sequence.end()
}

/// The account's administration as its events tell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountHistory {
    /// Owner changes, oldest first, as (old key, new key); the constructor's is from 0.
    pub owner_changes: Vec<(Felt, Felt)>,
    /// Every epoch started after the first (0), oldest first: by `revoke_all_sessions` or by an
    /// owner rotation (`AllSessionsRevoked`).
    pub revoke_all_epochs: Vec<Felt>,
    /// Every session an event mentions, in order of first mention.
    pub sessions: Vec<SessionRecord>,
    /// SNIP-9 outside executions run, as (nonce, signing session hash; 0: the owner).
    pub outside_executions: Vec<(Felt, Felt)>,
}

impl AccountHistory {
    /// Whether `epoch` was ever this account's session epoch (0, or one a revoke-all or owner
    /// rotation started).
    pub fn had_epoch(&self, epoch: Felt) -> bool {
        epoch == Felt::ZERO || self.revoke_all_epochs.contains(&epoch)
    }
}

/// Reads every event of `account` and folds them into its history.
pub async fn account_history<P: Provider>(provider: &P, account: Felt) -> Result<AccountHistory, SdkError> {
    let mut history = AccountHistory::default();
    let mut continuation_token = None;
    loop {
        let filter = EventFilter {
            from_block: Some(BlockId::Number(0)),
            to_block: Some(BlockId::Tag(BlockTag::PreConfirmed)),
            address: Some(account),
            keys: None,
        };
        let page =
            provider.get_events(filter, continuation_token, EVENTS_PER_PAGE).await.map_err(|source| {
                SdkError::Provider {
                    context: format!("reading the events of {account:#x}"),
                    source: Box::new(source),
                }
            })?;
        for event in &page.events {
            history.record(event);
        }
        match page.continuation_token {
            Some(token) => continuation_token = Some(token),
            None => return Ok(history),
        }
    }
}

impl SessionRecord {
    /// Records the session's fields, as an event carried them.
    fn describe(&mut self, session_key: Felt, expires_at: u64, root: Felt, policy_hash: Felt, epoch: Felt) {
        self.session_key = Some(session_key);
        self.expires_at = Some(expires_at);
        self.allowed_methods_root = Some(root);
        self.policy_hash = Some(policy_hash);
        self.epoch = Some(epoch);
    }
}

impl AccountHistory {
    fn session(&mut self, session_hash: Felt) -> &mut SessionRecord {
        let index = match self.sessions.iter().position(|record| record.session_hash == session_hash) {
            Some(index) => index,
            None => {
                self.sessions.push(SessionRecord {
                    session_hash,
                    session_key: None,
                    expires_at: None,
                    allowed_methods_root: None,
                    policy_hash: None,
                    limits: None,
                    limits_reached: Vec::new(),
                    usage_from_events: EventUsage::default(),
                    epoch: None,
                    registered_event: false,
                    cached_for_owner: None,
                    revoked_event: false,
                });
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[index]
    }

    /// Folds one event in; events of other shapes (SNIP-9 nonces, unknown) are skipped.
    fn record(&mut self, event: &EmittedEvent) {
        let Ok(event) = AccountEvent::try_from(event) else { return };
        match event {
            AccountEvent::OwnerEvent(OwnerEvent::OwnerChanged(change)) => {
                self.owner_changes.push((change.old_owner, change.new_owner));
            }
            AccountEvent::SessionEvent(SessionEvent::SessionRegistered(registered)) => {
                let record = self.session(registered.session_hash);
                record.describe(
                    registered.session_key,
                    registered.expires_at,
                    registered.allowed_methods_root,
                    registered.policy_hash,
                    registered.epoch,
                );
                record.registered_event = true;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionCached(cached)) => {
                let record = self.session(cached.session_hash);
                record.describe(
                    cached.session_key,
                    cached.expires_at,
                    cached.allowed_methods_root,
                    cached.policy_hash,
                    cached.epoch,
                );
                record.cached_for_owner = Some(cached.authorized_by);
            }
            AccountEvent::SessionEvent(SessionEvent::SessionPolicyPublished(published)) => {
                self.session(published.session_hash).limits = Some(policy_from_binding(&published.policy));
            }
            AccountEvent::SessionEvent(SessionEvent::SessionLimitReached(reached)) => {
                let limit = if reached.limit == short_string("calls") {
                    LimitReached::Calls
                } else {
                    LimitReached::Spend { token: reached.token.0, period: reached.period }
                };
                self.session(reached.session_hash).limits_reached.push(limit);
            }
            AccountEvent::SessionEvent(SessionEvent::SessionFeeCommitted(committed)) => {
                self.session(committed.session_hash).usage_from_events.fees_committed = committed.total;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionCallsMade(made)) => {
                self.session(made.session_hash).usage_from_events.calls = made.total;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionSpent(spent)) => {
                let total = U256::from_words(spent.total.low, spent.total.high);
                self.session(spent.session_hash)
                    .usage_from_events
                    .spent
                    .insert((spent.token.0, spent.period), (spent.window, total));
            }
            AccountEvent::SessionEvent(SessionEvent::SessionRevoked(revoked)) => {
                self.session(revoked.session_hash).revoked_event = true;
            }
            AccountEvent::SessionEvent(SessionEvent::AllSessionsRevoked(revoked)) => {
                self.revoke_all_epochs.push(revoked.new_epoch);
            }
            AccountEvent::OutsideExecutionEvent(OutsideExecutionEvent::OutsideExecutionUsed(used)) => {
                self.outside_executions.push((used.nonce, used.session_hash));
            }
        }
    }
}

/// A session's standing on-chain right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SessionStatus {
    /// Revoked by its hash.
    pub revoked: bool,
    /// Its epoch was the account's once, and a revoke-all or an owner rotation ended it.
    pub stale_epoch: bool,
    /// Its epoch was never the account's: the authorization was signed for an epoch that does not
    /// exist (a guess at a future one). It can never work; someone may have phished it.
    pub unknown_epoch: bool,
    /// Its expiry is not after the latest block's time.
    pub expired: bool,
    /// Registered in the current epoch (so by the current owner).
    pub registered: bool,
    /// Its authorization is stored on-chain for the current epoch (registered or cached).
    pub cached: bool,
}

impl SessionStatus {
    /// One word for people: `revoked`, `revoked-all` (its epoch ended: revoke-all or owner
    /// rotation), `wrong-epoch` (an epoch the account never had), `expired`, `registered`,
    /// `cached`, or `not-on-chain` (usable only with the owner's signature in each transaction).
    pub fn verdict(&self) -> &'static str {
        if self.revoked {
            "revoked"
        } else if self.stale_epoch {
            "revoked-all"
        } else if self.unknown_epoch {
            "wrong-epoch"
        } else if self.expired {
            "expired"
        } else if self.registered {
            "registered"
        } else if self.cached {
            "cached"
        } else {
            "not-on-chain"
        }
    }
}

/// The on-chain status of the session `session_hash` of `account` (expiring at `expires_at`, of
/// session epoch `epoch`), at the latest block. When the epoch is not the current one, the
/// account's events tell a past epoch from one it never had.
pub async fn session_status<P: Provider + Sync>(
    provider: &P,
    account: Felt,
    session_hash: Felt,
    expires_at: u64,
    epoch: Felt,
) -> Result<SessionStatus, SdkError> {
    let reader = reader(provider, account);
    let now = latest_block_timestamp(provider).await?;
    let current_epoch =
        reader.get_session_epoch().call().await.map_err(view_failed("get_session_epoch", account))?;
    let (stale_epoch, unknown_epoch) = if epoch == current_epoch {
        (false, false)
    } else {
        let known = account_history(provider, account).await?.had_epoch(epoch);
        (known, !known)
    };
    Ok(SessionStatus {
        revoked: reader
            .is_session_revoked(&session_hash)
            .call()
            .await
            .map_err(view_failed("is_session_revoked", account))?,
        stale_epoch,
        unknown_epoch,
        expired: expires_at <= now,
        registered: reader
            .is_session_registered(&session_hash)
            .call()
            .await
            .map_err(view_failed("is_session_registered", account))?,
        cached: reader
            .is_session_cached(&session_hash)
            .call()
            .await
            .map_err(view_failed("is_session_cached", account))?,
    })
}

/// What the session `session_hash` of `account` has used of its policy's limits (pre-confirmed
/// state): calls made, committed fees, and spending under each spend limit that binds (in the
/// current window, for limits per window; "current" by the latest block's time).
pub async fn session_usage<P: Provider + Sync>(
    provider: &P,
    account: Felt,
    session: &Session,
    session_hash: Felt,
) -> Result<SessionUsage, SdkError> {
    let policy = session.policy();
    if policy.is_unlimited() {
        return Ok(SessionUsage::default());
    }
    let reader = reader(provider, account);
    let mut spent = BTreeMap::new();
    let windowed = policy.spend_limits.iter().any(|limit| limit.period != 0 && !limit.is_unlimited());
    let now = if windowed { latest_block_timestamp(provider).await? } else { 0 };
    for limit in policy.spend_limits.iter().filter(|limit| !limit.is_unlimited()) {
        let token = ContractAddress(limit.token);
        let amount = reader
            .get_session_spent(&session_hash, &token, &limit.period)
            .call()
            .await
            .map_err(view_failed("get_session_spent", account))?;
        let mut amount = U256::from_words(amount.low, amount.high);
        if limit.period != 0 {
            // What was spent in an earlier window no longer counts.
            let window = reader
                .get_session_spend_window(&session_hash, &token, &limit.period)
                .call()
                .await
                .map_err(view_failed("get_session_spend_window", account))?;
            if window != limit.window(now) {
                amount = U256::from(0u8);
            }
        }
        spent.insert((limit.token, limit.period), amount);
    }
    Ok(SessionUsage {
        calls: reader
            .get_session_call_count(&session_hash)
            .call()
            .await
            .map_err(view_failed("get_session_call_count", account))?,
        fees_committed: reader
            .get_session_fees_committed(&session_hash)
            .call()
            .await
            .map_err(view_failed("get_session_fees_committed", account))?,
        spent,
    })
}

/// An account's owner key and session epoch, now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccountState {
    /// The owner's public key.
    pub owner_public_key: Felt,
    /// The session epoch (sessions of other epochs are revoked).
    pub session_epoch: Felt,
}

/// The owner key and session epoch of the session account at `account` (pre-confirmed state).
pub async fn account_state<P: Provider + Sync>(
    provider: &P,
    account: Felt,
) -> Result<AccountState, SdkError> {
    let reader = reader(provider, account);
    Ok(AccountState {
        owner_public_key: reader.get_owner().call().await.map_err(view_failed("get_owner", account))?,
        session_epoch: reader
            .get_session_epoch()
            .call()
            .await
            .map_err(view_failed("get_session_epoch", account))?,
    })
}

/// The error of a failed call of the view `entrypoint` of `account`.
fn view_failed(
    entrypoint: &'static str,
    account: Felt,
) -> impl Fn(session_bindings::cainome::cairo_serde::Error) -> SdkError {
    move |error| SdkError::from_call(entrypoint, account, error)
}

/// A view-only binding of the session account at `account`, reading the pre-confirmed state.
fn reader<P: Provider + Sync>(provider: &P, account: Felt) -> SessionAccountReader<&P> {
    let mut reader = SessionAccountReader::new(account, provider);
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    reader
}

/// The latest block's timestamp.
pub async fn latest_block_timestamp<P: Provider>(provider: &P) -> Result<u64, SdkError> {
    let block =
        provider.get_block_with_tx_hashes(BlockId::Tag(BlockTag::Latest)).await.map_err(|source| {
            SdkError::Provider { context: "reading the latest block".into(), source: Box::new(source) }
        })?;
    Ok(match block {
        starknet::core::types::MaybePreConfirmedBlockWithTxHashes::Block(block) => block.timestamp,
        starknet::core::types::MaybePreConfirmedBlockWithTxHashes::PreConfirmedBlock(block) => {
            block.timestamp
        }
    })
}
