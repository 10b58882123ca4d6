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

use crate::owner::{owner_key_from_binding, policy_from_binding};
use crate::protocol::snip12::short_string;
use crate::protocol::{OwnerKey, Policy, Session, SessionUsage, U256};
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
    /// (`SessionCharged`, `SessionSpent`).
    pub usage_from_events: EventUsage,
    /// The session epoch, if an event carried it.
    pub epoch: Option<Felt>,
    /// Registered by the owner (`SessionRegistered`).
    pub registered_event: bool,
    /// The owner key whose authorization was cached on first use (`SessionCached`).
    pub cached_for_owner: Option<Felt>,
    /// Revoked by hash (`SessionRevoked`).
    pub revoked_event: bool,
    /// The hash of the off-chain message kinds it may sign (that of the empty list: none).
    pub allowed_messages_hash: Option<Felt>,
    /// Paused by the owner and not resumed since (`SessionPaused` / `SessionResumed`).
    pub paused_event: bool,
    /// The expiry the owner last extended it to (`SessionExtended`).
    pub extended_to: Option<u64>,
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
    /// A `total at most u256` argument rule of the allowed method `leaf` (in `window`, the
    /// event's `now / window seconds`; 0 for a rule over the whole session).
    RuleTotal {
        /// The allowed-method leaf.
        leaf: Felt,
        /// The window index.
        window: u64,
    },
}

/// A session's usage as its accounting events tell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventUsage {
    /// Calls charged to the call limit (the sum of `SessionCharged.calls`).
    pub calls: u64,
    /// Fees committed against the budget (the sum of `SessionCharged.fee`).
    #[serde(serialize_with = "decimal")]
    pub fees_committed: u128,
    /// Every `SessionSpent`, in order, with the time of its block.
    pub spends: Vec<SpendEvent>,
}

/// One `SessionSpent` event: `amount` of `token` counted against each of the token's limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpendEvent {
    /// The token.
    pub token: Felt,
    /// The amount moved or approved.
    #[serde(serialize_with = "decimal_u256")]
    pub amount: U256,
    /// The time of the block that emitted it (`None` while pending).
    pub timestamp: Option<u64>,
}

impl EventUsage {
    /// What the events count against the limit of `token` with this `period` at time `now`: the
    /// whole session's spending (period 0), or the current window's.
    pub fn spent(&self, token: Felt, period: u64, now: u64) -> U256 {
        let window = |time: u64| time.checked_div(period).unwrap_or(0);
        self.spends
            .iter()
            .filter(|spend| spend.token == token)
            .filter(|spend| period == 0 || spend.timestamp.is_none_or(|time| window(time) == window(now)))
            .fold(U256::from(0u8), |total, spend| total + spend.amount)
    }
}

fn decimal<S: serde::Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

fn decimal_u256<S: serde::Serializer>(value: &U256, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// The account's administration as its events tell it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountHistory {
    /// Owner changes, oldest first, as (old key, new key); the constructor's is from 0.
    pub owner_changes: Vec<(Felt, Felt)>,
    /// Every epoch started after the first (0), oldest first: by `revoke_all_sessions` or by an
    /// owner rotation (`AllSessionsRevoked`).
    pub revoke_all_epochs: Vec<Felt>,
    /// The owner key at the end of the history read (0 before the constructor's event).
    pub current_owner: Felt,
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
            None => break,
        }
    }
    // Spend events count per window: give each the time of its block.
    let mut times = BTreeMap::new();
    for record in &mut history.sessions {
        for spend in &mut record.usage_from_events.spends {
            let Some(block) = spend.timestamp else { continue };
            if let std::collections::btree_map::Entry::Vacant(entry) = times.entry(block) {
                entry.insert(block_timestamp(provider, block).await?);
            }
            spend.timestamp = times.get(&block).copied();
        }
    }
    Ok(history)
}

/// The timestamp of block `number`.
async fn block_timestamp<P: Provider>(provider: &P, number: u64) -> Result<u64, SdkError> {
    let block = provider.get_block_with_tx_hashes(BlockId::Number(number)).await.map_err(|source| {
        SdkError::Provider { context: format!("reading block {number}"), source: Box::new(source) }
    })?;
    Ok(match block {
        starknet::core::types::MaybePreConfirmedBlockWithTxHashes::Block(block) => block.timestamp,
        starknet::core::types::MaybePreConfirmedBlockWithTxHashes::PreConfirmedBlock(block) => {
            block.timestamp
        }
    })
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
                    allowed_messages_hash: None,
                    paused_event: false,
                    extended_to: None,
                });
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[index]
    }

    /// Folds one event in; events of other shapes (SNIP-9 nonces, unknown) are skipped.
    fn record(&mut self, emitted: &EmittedEvent) {
        let Ok(event) = AccountEvent::try_from(emitted) else { return };
        match event {
            AccountEvent::OwnerEvent(OwnerEvent::OwnerChanged(change)) => {
                self.owner_changes.push((change.old_owner, change.new_owner));
                self.current_owner = change.new_owner;
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
                record.allowed_messages_hash = Some(registered.allowed_messages_hash);
            }
            AccountEvent::SessionEvent(SessionEvent::SessionCached(cached)) => {
                let owner = self.current_owner;
                let record = self.session(cached.session_hash);
                record.describe(
                    cached.session_key,
                    cached.expires_at,
                    cached.allowed_methods_root,
                    cached.policy_hash,
                    cached.epoch,
                );
                record.cached_for_owner = Some(owner);
                record.allowed_messages_hash = Some(cached.allowed_messages_hash);
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
            AccountEvent::SessionEvent(SessionEvent::SessionCharged(charged)) => {
                let usage = &mut self.session(charged.session_hash).usage_from_events;
                usage.calls = usage.calls.saturating_add(charged.calls.into());
                usage.fees_committed = usage.fees_committed.saturating_add(charged.fee);
            }
            AccountEvent::SessionEvent(SessionEvent::SessionSpent(spent)) => {
                // The block number, for now: `account_history` replaces it by the block's time.
                self.session(spent.session_hash).usage_from_events.spends.push(SpendEvent {
                    token: spent.token.0,
                    amount: U256::from(spent.amount),
                    timestamp: emitted.block_number,
                });
            }
            AccountEvent::SessionEvent(SessionEvent::SessionRevoked(revoked)) => {
                self.session(revoked.session_hash).revoked_event = true;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionRuleTotalReached(reached)) => {
                let limit = LimitReached::RuleTotal { leaf: reached.leaf, window: reached.window };
                self.session(reached.session_hash).limits_reached.push(limit);
            }
            AccountEvent::SessionEvent(SessionEvent::SessionPaused(paused)) => {
                self.session(paused.session_hash).paused_event = true;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionResumed(resumed)) => {
                self.session(resumed.session_hash).paused_event = false;
            }
            AccountEvent::SessionEvent(SessionEvent::SessionExtended(extended)) => {
                self.session(extended.session_hash).extended_to = Some(extended.expires_at);
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
    /// The owner paused it (stored; resumable with its counters).
    pub paused: bool,
    /// The expiry as stored on-chain when the owner extended the session past its signed one.
    pub extended_to: Option<u64>,
}

impl SessionStatus {
    /// One word for people: `revoked`, `revoked-all` (its epoch ended: revoke-all or owner
    /// rotation), `wrong-epoch` (an epoch the account never had), `expired`, `registered`,
    /// `paused`, `cached`, or `not-on-chain` (usable only with the owner's signature in each
    /// transaction).
    pub fn verdict(&self) -> &'static str {
        if self.revoked {
            "revoked"
        } else if self.stale_epoch {
            "revoked-all"
        } else if self.unknown_epoch {
            "wrong-epoch"
        } else if self.paused {
            "paused"
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
    let stored_expiry = reader
        .get_session_expiry(&session_hash)
        .call()
        .await
        .map_err(view_failed("get_session_expiry", account))?;
    let paused = reader
        .is_session_paused(&session_hash)
        .call()
        .await
        .map_err(view_failed("is_session_paused", account))?;
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
        expired: expires_at.max(stored_expiry) <= now,
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
        paused,
        extended_to: (stored_expiry > expires_at).then_some(stored_expiry),
    })
}

/// What the session `session_hash` of `account` has used of its policy's limits (pre-confirmed
/// state): calls made, committed fees, and spending under each spend limit that binds (in the
/// current window, for limits per window; "current" by the latest block's time). The account
/// stores what is left; the limits come from `session`.
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
    let stored = reader
        .is_session_cached(&session_hash)
        .call()
        .await
        .map_err(view_failed("is_session_cached", account))?;
    if !stored {
        // Its limits are stored, whole, with the session by its first use.
        return Ok(SessionUsage::default());
    }
    let mut spent = BTreeMap::new();
    for limit in policy.spend_limits.iter().filter(|limit| !limit.is_unlimited()) {
        let token = ContractAddress(limit.token);
        let left = reader
            .get_session_spend_left(&session_hash, &token, &limit.period)
            .call()
            .await
            .map_err(view_failed("get_session_spend_left", account))?;
        let left = U256::from_words(left.low, left.high);
        spent.insert((limit.token, limit.period), U256::from(limit.amount.low().saturating_sub(left.low())));
    }
    let calls = match policy.max_calls {
        Some(max) => {
            let left = reader
                .get_session_calls_left(&session_hash)
                .call()
                .await
                .map_err(view_failed("get_session_calls_left", account))?;
            max.saturating_sub(left)
        }
        None => 0,
    };
    let fees_committed = match policy.fee_budget {
        Some(budget) => {
            let left = reader
                .get_session_fee_budget_left(&session_hash)
                .call()
                .await
                .map_err(view_failed("get_session_fee_budget_left", account))?;
            budget.saturating_sub(left)
        }
        None => 0,
    };
    Ok(SessionUsage { calls, fees_committed, spent })
}

/// An account's owner and session epoch, now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountState {
    /// The owner: a Stark key or a passkey.
    pub owner: OwnerKey,
    /// The owner's id (`get_owner`: the Stark public key, or the passkey's id).
    pub owner_id: Felt,
    /// The session epoch (sessions of other epochs are revoked).
    pub session_epoch: Felt,
}

/// The owner key and session epoch of the session account at `account` (pre-confirmed state).
pub async fn account_state<P: Provider + Sync>(
    provider: &P,
    account: Felt,
) -> Result<AccountState, SdkError> {
    let reader = reader(provider, account);
    let owner = reader.get_owner_key().call().await.map_err(view_failed("get_owner_key", account))?;
    let owner = owner_key_from_binding(&owner)?;
    Ok(AccountState {
        owner_id: owner.id(),
        owner,
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
