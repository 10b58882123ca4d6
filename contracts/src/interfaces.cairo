//! Interfaces of the session account, its types and interface ids.

use starknet::ContractAddress;
use starknet::account::Call;

/// SRC-5 id of SRC-6 (standard account).
pub const ISRC6_ID: felt252 = 0x2ceccef7f994940b3962a6c67e0ba4fcd37df7d131417c604f91e03caecc1cd;
/// SRC-5 id of SRC-5 itself.
pub const ISRC5_ID: felt252 = 0x3f918d17e5ee77373b56385708f855659a07f75997f365cf87748628532a055;
/// SRC-5 id of SNIP-9 version 2 (outside execution).
pub const ISRC9_V2_ID: felt252 = 0x1d1144bb2138366ff28d8e9ab57456b1d332ac42196230c3a602003c89872;
/// SRC-5 id this project gives to `ISession` version 3 (`starknet_keccak("ISession.v3")`).
pub const ISESSION_ID: felt252 = selector!("ISession.v3");

/// A WebAuthn credential (passkey) owning the account: its P-256 public key, and where its
/// assertions must come from.
#[derive(Clone, Drop, Debug, PartialEq, Serde, starknet::Store)]
pub struct Passkey {
    /// The public key's x coordinate.
    pub x: u256,
    /// The public key's y coordinate.
    pub y: u256,
    /// SHA-256 of the relying party ID (e.g. of `example.com`).
    pub rp_id_hash: u256,
    /// The origin assertions must come from (e.g. `https://example.com`).
    pub origin: ByteArray,
}

/// Who owns the account: a Stark key, or a passkey.
#[derive(Clone, Drop, Debug, PartialEq, Serde)]
pub enum OwnerKey {
    /// A Stark public key; the owner signs `[r, s]`.
    Stark: felt252,
    /// A passkey; the owner signs WebAuthn assertions.
    Passkey: Passkey,
}

/// A session: what the owner authorizes a short-lived session key to do.
///
/// Its SNIP-12 (revision 1) type, signed by the owner as typed data that wallets display field by
/// field (see `snip12.cairo` for the type strings): `Session { Session Key, Expires At, Allowed
/// Methods: merkletree of Allowed Method { Contract Address, Selector, Argument Rules: Argument
/// Rule* }, Policy: Policy { Max Fee Per Transaction, Fee Budget, Max Calls, Spend Limits: Spend
/// Limit* { Token Amount: TokenAmount, Window Seconds } }, Epoch }`. The contract carries the
/// policy as its SNIP-12 struct hash; the policy itself travels in the signature.
#[derive(Copy, Drop, Serde, PartialEq, Debug)]
pub struct Session {
    /// The session's Stark public key.
    pub session_key: felt252,
    /// Unix time (seconds) from which the session no longer works.
    pub expires_at: u64,
    /// SNIP-12 `merkletree` root of the allowed methods (with their argument rules).
    pub allowed_methods_root: felt252,
    /// SNIP-12 struct hash of the session's [`Policy`] (`UNLIMITED_POLICY_HASH` for a policy
    /// without limits, which then need not travel in signatures).
    pub policy_hash: felt252,
    /// The account's session epoch when the session was issued. Revoke-all and every owner
    /// rotation start a new, unpredictable epoch, ending every earlier session.
    pub epoch: felt252,
    /// SNIP-12 hash of the `Allowed Message*` list: the (domain, type) pairs of off-chain messages
    /// the session key may sign for the account (`is_valid_signature`), e.g. a DEX's orders. The
    /// empty list's hash: none.
    pub allowed_messages_hash: felt252,
}

/// An off-chain message kind a session may sign: a SNIP-12 domain hash and a type hash (what the
/// owner's wallet displays for the session, like its methods).
#[derive(Copy, Drop, Serde, PartialEq, Debug)]
pub struct AllowedMessage {
    /// The SNIP-12 domain (name, version, chain, revision) hash of the message.
    pub domain_hash: felt252,
    /// The SNIP-12 type hash of the message's primary type.
    pub type_hash: felt252,
}

/// Limits of a session beyond its allowed methods and expiry. A field at its type's maximum sets
/// no limit (and costs nothing to account); 0 means zero.
#[derive(Copy, Drop, Serde, PartialEq, Debug)]
pub struct Policy {
    /// Most fee one session transaction may commit to (its resource bounds and tip, in FRI).
    pub max_fee_per_tx: u128,
    /// Most fee all the session's transactions together may commit to.
    pub fee_budget: u128,
    /// Most calls the session's successful transactions (and outside executions) may make.
    pub max_calls: u64,
    /// Value each token may move or approve; strictly increasing by (token, period), so a token
    /// may have several limits (e.g. per day and in total), each with its own counter. Tokens
    /// not listed may move nothing, in every session.
    pub spend_limits: Span<SpendLimit>,
    /// Unix time before which the session may not be used (0: at once), exact at execution: a
    /// subscription's first payment next month, a session registered ahead of time.
    pub valid_after: u64,
    /// The window `max_calls` and `fee_budget` apply to, in seconds (a whole number of hours,
    /// below 2^32; windows start at multiples of it since the Unix epoch): e.g. at most 10 calls
    /// and 1 STRK of fees per hour. 0: the session's whole lifetime.
    pub limits_window: u64,
}

/// The most value of one ERC-20 token a session may transfer or approve, over its lifetime or
/// per time window.
#[derive(Copy, Drop, Serde, PartialEq, Debug)]
pub struct SpendLimit {
    /// The token contract.
    pub token: ContractAddress,
    /// The amount, in the token's smallest unit (`u256` max: unlimited, not accounted).
    pub amount: u256,
    /// 0: `amount` is for the session's lifetime. Else the window length in seconds: `amount` per
    /// window, windows starting at multiples of `period` since the Unix epoch (use whole hours,
    /// so validation, which sees the hour-floored time, agrees with execution).
    pub period: u64,
}

/// A rule on the calldata of an allowed method, committed inside its Merkle leaf. Its SNIP-12 type
/// is `"Argument Rule"("Kind":"shortstring","Argument Index":"u128","Values":"felt*","Bound":"u256")`.
#[derive(Copy, Drop, Serde, PartialEq, Debug)]
pub struct ArgumentRule {
    /// `'equal'` (`values` = one value), `'one of'` (`values`), `'at most'` (the felt argument,
    /// as an integer, ≤ `bound`), or `'at most u256'` (the `u256` at `index`, `index + 1` ≤ `bound`).
    pub kind: felt252,
    /// Calldata index of the argument (of the low word for a `u256`).
    pub index: u32,
    /// The allowed values (`'equal'`, `'one of'`); empty for bounds.
    pub values: Span<felt252>,
    /// The inclusive bound (`'at most'`, `'at most u256'`); 0 for values.
    pub bound: u256,
}

/// A SNIP-9 version 2 outside execution.
#[derive(Copy, Drop, Serde, Debug)]
pub struct OutsideExecution {
    /// Who may submit it (`'ANY_CALLER'` for anyone).
    pub caller: ContractAddress,
    /// A nonce, usable once.
    pub nonce: felt252,
    /// The block time must be strictly after this.
    pub execute_after: u64,
    /// The block time must be strictly before this.
    pub execute_before: u64,
    /// The calls to run, atomically.
    pub calls: Span<Call>,
}

/// SRC-6: the standard account interface.
#[starknet::interface]
pub trait ISRC6<TState> {
    /// Runs the calls of a validated transaction; only the protocol may call it.
    fn __execute__(ref self: TState, calls: Array<Call>);
    /// Returns `'VALID'` if the transaction signature is the owner's, or a valid session's for
    /// these calls (it may record the session's committed fee).
    fn __validate__(ref self: TState, calls: Array<Call>) -> felt252;
    /// Returns `'VALID'` if `signature` is the owner's `[r, s]` over `hash`, else 0 (session keys never qualify).
    fn is_valid_signature(self: @TState, hash: felt252, signature: Array<felt252>) -> felt252;
}

/// Validation of declare and deploy-account transactions (owner signature only).
#[starknet::interface]
pub trait IDeployable<TState> {
    /// Validates a declare transaction signed by the owner.
    fn __validate_declare__(self: @TState, class_hash: felt252) -> felt252;
    /// Validates the deploy-account transaction of this account, signed by the owner.
    fn __validate_deploy__(
        self: @TState, class_hash: felt252, contract_address_salt: felt252, owner: OwnerKey,
    ) -> felt252;
}

/// SRC-5: interface introspection.
#[starknet::interface]
pub trait ISRC5<TState> {
    /// Whether the contract implements the interface with this SRC-5 id.
    fn supports_interface(self: @TState, interface_id: felt252) -> bool;
}

/// The account owner: a Stark public key that can rotate itself.
#[starknet::interface]
pub trait IOwner<TState> {
    /// The owner's id: its Stark public key, or its passkey's `passkey_id`.
    fn get_owner(self: @TState) -> felt252;
    /// The owner's key.
    fn get_owner_key(self: @TState) -> OwnerKey;
    /// Replaces the owner (Stark key or passkey, either way); only the account itself (an owner
    /// transaction) may call it, and `signature` is the new owner's over `owner_rotation_hash`.
    /// Every session ends: the rotation starts a new session epoch.
    fn set_owner(ref self: TState, new_owner: OwnerKey, signature: Array<felt252>);
}

/// Session management and the views an auditor needs.
#[starknet::interface]
pub trait ISession<TState> {
    /// Authorizes `session` on-chain (only through an owner transaction), so its transactions
    /// need no owner authorization; `policy` is the session's policy (required unless its
    /// `policy_hash` is the unlimited policy's), published in an event for auditors.
    fn register_session(ref self: TState, session: Session, policy: Option<Policy>);
    /// Revokes one session by its hash (only through an owner transaction).
    fn revoke_session(ref self: TState, session_hash: felt252);
    /// Revokes every session issued so far by starting a new epoch (only through an owner transaction).
    fn revoke_all_sessions(ref self: TState);
    /// The SNIP-12 message hash the owner signs to authorize `session` for this account.
    fn get_session_hash(self: @TState, session: Session) -> felt252;
    /// Whether the session was revoked by its hash (see also `get_session_epoch`).
    fn is_session_revoked(self: @TState, session_hash: felt252) -> bool;
    /// Whether the current owner registered the session with `register_session` (a registration
    /// by a former owner does not count; see also `get_session_epoch`).
    fn is_session_registered(self: @TState, session_hash: felt252) -> bool;
    /// Whether the session is stored on-chain for the current epoch (registered, or cached by
    /// its first transaction) and not revoked: its transactions may then name it by hash.
    fn is_session_cached(self: @TState, session_hash: felt252) -> bool;
    /// The current session epoch; sessions of other epochs are revoked. It changes, unpredictably,
    /// with every revoke-all and every owner rotation.
    fn get_session_epoch(self: @TState) -> felt252;
    /// Calls the session may still make (for a session with a call limit; 0 otherwise).
    fn get_session_calls_left(self: @TState, session_hash: felt252) -> u64;
    /// Fees the session's transactions may still commit (sum of their maximum fees; for a
    /// session with a fee budget, 0 otherwise).
    fn get_session_fee_budget_left(self: @TState, session_hash: felt252) -> u128;
    /// What the session may still move or approve of `token` under its limit of this `period`
    /// (0: lifetime; else in the current window): `u256` max for an unlimited limit, 0 when the
    /// session has no such limit.
    fn get_session_spend_left(
        self: @TState, session_hash: felt252, token: ContractAddress, period: u64,
    ) -> u256;
    /// Whether the session proved this allowed-method leaf and asked the account to remember it:
    /// calls of that method then need no Merkle proof.
    fn is_session_leaf_remembered(self: @TState, session_hash: felt252, leaf: felt252) -> bool;
    /// Pauses a stored session (registered or cached in the current epoch): its transactions are
    /// refused with `Session: paused` until `resume_session`; its counters are kept. Owner only.
    fn pause_session(ref self: TState, session_hash: felt252);
    /// Resumes a paused session. Owner only.
    fn resume_session(ref self: TState, session_hash: felt252);
    /// Moves a stored session's expiry later, to `expires_at`, keeping its counters; its
    /// by-reference signatures then carry the new expiry. Owner only.
    fn extend_session(ref self: TState, session_hash: felt252, expires_at: u64);
    /// Whether the owner paused the session (stored in the current epoch).
    fn is_session_paused(self: @TState, session_hash: felt252) -> bool;
    /// The Unix time before which the stored session may not be used (0: none).
    fn get_session_valid_after(self: @TState, session_hash: felt252) -> u64;
    /// What the session's `total at most u256` rule `rule` of the allowed-method leaf `leaf` has
    /// counted (in the current window, for a rule per window).
    fn get_session_rule_total(
        self: @TState, session_hash: felt252, leaf: felt252, rule: ArgumentRule,
    ) -> u128;
    /// The expiry of the session as stored (extensions included); 0 when it is not stored in the
    /// current epoch (never stored, revoked, or of an earlier epoch).
    fn get_session_expiry(self: @TState, session_hash: felt252) -> u64;
}

/// SNIP-9 version 2: executing calls signed by the account and submitted by someone else.
#[starknet::interface]
pub trait ISRC9_V2<TState> {
    /// Runs `outside_execution.calls` if `signature` (owner or session) covers its SNIP-12 hash.
    fn execute_from_outside_v2(
        ref self: TState, outside_execution: OutsideExecution, signature: Span<felt252>,
    ) -> Array<Span<felt252>>;
    /// Whether `nonce` has not been used by an outside execution yet.
    fn is_valid_outside_execution_nonce(self: @TState, nonce: felt252) -> bool;
}

/// Everything the session account exposes, for dispatchers.
#[starknet::interface]
pub trait SessionAccountABI<TState> {
    fn __execute__(ref self: TState, calls: Array<Call>);
    fn __validate__(ref self: TState, calls: Array<Call>) -> felt252;
    fn is_valid_signature(self: @TState, hash: felt252, signature: Array<felt252>) -> felt252;
    fn __validate_declare__(self: @TState, class_hash: felt252) -> felt252;
    fn __validate_deploy__(
        self: @TState, class_hash: felt252, contract_address_salt: felt252, owner: OwnerKey,
    ) -> felt252;
    fn supports_interface(self: @TState, interface_id: felt252) -> bool;
    fn get_owner(self: @TState) -> felt252;
    fn get_owner_key(self: @TState) -> OwnerKey;
    fn set_owner(ref self: TState, new_owner: OwnerKey, signature: Array<felt252>);
    fn register_session(ref self: TState, session: Session, policy: Option<Policy>);
    fn revoke_session(ref self: TState, session_hash: felt252);
    fn revoke_all_sessions(ref self: TState);
    fn get_session_hash(self: @TState, session: Session) -> felt252;
    fn is_session_revoked(self: @TState, session_hash: felt252) -> bool;
    fn is_session_registered(self: @TState, session_hash: felt252) -> bool;
    fn is_session_cached(self: @TState, session_hash: felt252) -> bool;
    fn get_session_epoch(self: @TState) -> felt252;
    fn get_session_calls_left(self: @TState, session_hash: felt252) -> u64;
    fn get_session_fee_budget_left(self: @TState, session_hash: felt252) -> u128;
    fn get_session_spend_left(
        self: @TState, session_hash: felt252, token: ContractAddress, period: u64,
    ) -> u256;
    fn is_session_leaf_remembered(self: @TState, session_hash: felt252, leaf: felt252) -> bool;
    fn execute_from_outside_v2(
        ref self: TState, outside_execution: OutsideExecution, signature: Span<felt252>,
    ) -> Array<Span<felt252>>;
    fn is_valid_outside_execution_nonce(self: @TState, nonce: felt252) -> bool;
}
