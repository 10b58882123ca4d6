//! What the account stores per session, each packed into one storage slot: a stored session is
//! checked with one read, and each limit is counted with one read and one write.
//!
//! Limits are stored as what is *left* (calls, fee budget, spending), so counting needs no
//! second read of the limit itself; calls and fees, both charged in validation, share a slot.

use starknet::storage_access::StorePacking;
use crate::snip12::poseidon_3;

const TWO_POW_64: u128 = 0x10000000000000000;
const TWO_POW_72: u128 = 0x1000000000000000000;
const TWO_POW_96: u128 = 0x1000000000000000000000000;
const TWO_POW_104: u128 = 0x100000000000000000000000000;
const TWO_POW_128: felt252 = 0x100000000000000000000000000000000;
const TWO_POW_200: felt252 = 0x100000000000000000000000000000000000000000000000000;

/// Limit flag: the session has a call limit.
pub const HAS_CALL_LIMIT: u128 = 1;
/// Limit flag: the session has a fee cap per transaction.
pub const HAS_FEE_CAP: u128 = 2;
/// Limit flag: the session has a fee budget.
pub const HAS_FEE_BUDGET: u128 = 4;
/// Limit flag: the session lists spend limits (without, no call may move value).
pub const HAS_SPEND_LIMITS: u128 = 8;
/// Limit flag: the session may not be used before its policy's `valid_after`.
pub const HAS_START: u128 = 16;
/// Limit flag: the call limit and fee budget apply per window (`limits_window`).
pub const HAS_LIMITS_WINDOW: u128 = 32;
/// Every limit flag.
pub const LIMIT_FLAGS: u128 = 63;
/// Record flag (above the limit flags, never in a signature's terms): the owner paused the
/// session. A paused record matches no by-reference signature.
pub const PAUSED: u128 = 64;

/// The record of a session revoked by its hash (stored or not).
pub const REVOKED_RECORD: felt252 = 1;

/// A session stored on-chain (registered, or cached by its first use), under its hash:
/// `binding + 2^128 × (terms + 2^72 × authorized_in)` where `terms` is
/// `expires_at + 2^64 × limit_flags` (what by-reference signatures carry). 0: never stored;
/// `REVOKED_RECORD`: revoked.
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct SessionRecord {
    /// `session_binding(session_hash, session_key, allowed_methods_root)`.
    pub binding: u128,
    /// Unix time from which the session no longer works.
    pub expires_at: u64,
    /// The limit flags (`HAS_CALL_LIMIT`, …), and `PAUSED` when the owner paused the session.
    pub limits: u128,
    /// 1 + the account's epoch count when the owner's authorization was verified: the
    /// authorization stands only while the account is in that epoch.
    pub authorized_in: u32,
}

/// The stored felt of a session record.
pub fn pack_record(record: SessionRecord) -> felt252 {
    record_felt(record.binding, session_terms(record.expires_at, record.limits), record.authorized_in)
}

/// The record felt of this binding, terms (below 2^72) and authorization mark: what a
/// by-reference signature's fields must reproduce exactly.
pub fn record_felt(binding: u128, terms: u128, authorized_in: u32) -> felt252 {
    let high: felt252 = terms.into() + TWO_POW_72.into() * authorized_in.into();
    binding.into() + TWO_POW_128 * high
}

/// The record stored as `value` (not 0 nor `REVOKED_RECORD`).
pub fn unpack_record(value: felt252) -> SessionRecord {
    let value: u256 = value.into();
    let (authorized_in, terms) = DivRem::div_rem(value.high, TWO_POW_72.try_into().unwrap());
    let (expires_at, limits) = split_terms(terms);
    SessionRecord {
        binding: value.low, expires_at, limits, authorized_in: authorized_in.try_into().unwrap(),
    }
}

/// The terms of a session expiring at `expires_at` with these limit flags: `expires_at + 2^64 ×
/// limits`.
pub fn session_terms(expires_at: u64, limits: u128) -> u128 {
    expires_at.into() + limits * TWO_POW_64
}

/// `(expires_at, limit flags)` of terms below 2^72.
pub fn split_terms(terms: u128) -> (u64, u128) {
    let (limits, expires_at) = DivRem::div_rem(terms, TWO_POW_64.try_into().unwrap());
    (expires_at.try_into().unwrap(), limits)
}

/// Terms as a signature carries them: `None` unless below 2^72 with only limit flags.
pub fn terms_of(value: felt252) -> Option<u128> {
    let terms: u128 = value.try_into()?;
    if terms >= TWO_POW_64 * (LIMIT_FLAGS + 1) {
        return None;
    }
    Some(terms)
}

/// What a stored session's record binds its by-reference signatures to: the low 128 bits of
/// `poseidon(session_hash, session_key, allowed_methods_root)`. The session hash, which commits to
/// the key and root through the owner's signature, salts it, so a second key or root matching it
/// takes about 2^128 hashes for each session (no collision search across sessions helps).
pub fn session_binding(session_hash: felt252, session_key: felt252, root: felt252) -> u128 {
    let hash: u256 = poseidon_3(session_hash, session_key, root).into();
    hash.low
}

/// What a session may still use of its call limit and fee budget (one slot: both are charged
/// when a transaction is validated), in the current window for limits per window.
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct Allowance {
    /// Calls left (for a session with a call limit).
    pub calls_left: u64,
    /// Fees left (for a session with a fee budget).
    pub fee_budget_left: u128,
    /// For limits per window: the window the amounts left are for (`time / window length`).
    pub window: u32,
    /// For limits per window: the window's length in hours (0: limits over the lifetime).
    pub window_hours: u32,
}

const TWO_POW_192: felt252 = 0x1000000000000000000000000000000000000000000000000;
const TWO_POW_224: felt252 = 0x100000000000000000000000000000000000000000000000000000000;

impl AllowancePacking of StorePacking<Allowance, felt252> {
    fn pack(value: Allowance) -> felt252 {
        value.fee_budget_left.into()
            + TWO_POW_128 * value.calls_left.into()
            + TWO_POW_192 * value.window.into()
            + TWO_POW_224 * value.window_hours.into()
    }

    fn unpack(value: felt252) -> Allowance {
        let value: u256 = value.into();
        let (windowing, calls_left) = DivRem::div_rem(value.high, TWO_POW_64.try_into().unwrap());
        let (window_hours, window) = DivRem::div_rem(windowing, 0x100000000_u128.try_into().unwrap());
        Allowance {
            calls_left: calls_left.try_into().unwrap(),
            fee_budget_left: value.low,
            window: window.try_into().unwrap(),
            window_hours: window_hours.try_into().unwrap(),
        }
    }
}

/// A session's call limit and fee budget, what each window starts with (for limits per window).
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct LimitMaxima {
    /// The call limit.
    pub max_calls: u64,
    /// The fee budget.
    pub fee_budget: u128,
}

impl LimitMaximaPacking of StorePacking<LimitMaxima, felt252> {
    fn pack(value: LimitMaxima) -> felt252 {
        value.fee_budget.into() + TWO_POW_128 * value.max_calls.into()
    }

    fn unpack(value: felt252) -> LimitMaxima {
        let value: u256 = value.into();
        LimitMaxima { max_calls: value.high.try_into().unwrap(), fee_budget: value.low }
    }
}

/// The storage key of a session's spend limit `index` of `token`.
pub fn spend_key(session_hash: felt252, token: felt252, index: u32) -> felt252 {
    poseidon_3(session_hash, token, index.into())
}

/// One spend limit of a (session, token), by its index among the token's limits, with what is
/// left of it.
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct SpendEntry {
    /// What may still move (in `window`, for a limit per window).
    pub left: u128,
    /// The window `left` is for (block time / period; 0 for a lifetime limit).
    pub window: u64,
    /// 0: for the session's lifetime; else the window length in seconds.
    pub period: u32,
    /// How many limits the token has (kept in every entry; index 0 is read first).
    pub count: u8,
    /// The limit never binds: nothing is counted.
    pub unlimited: bool,
}

impl SpendEntryPacking of StorePacking<SpendEntry, felt252> {
    fn pack(value: SpendEntry) -> felt252 {
        // Felt arithmetic: every field is bounded, the sum stays below 2^233.
        let unlimited: felt252 = if value.unlimited {
            TWO_POW_104.into()
        } else {
            0
        };
        let high: felt252 = value.window.into()
            + TWO_POW_64.into() * value.period.into()
            + TWO_POW_96.into() * value.count.into()
            + unlimited;
        value.left.into() + TWO_POW_128 * high
    }

    fn unpack(value: felt252) -> SpendEntry {
        let value: u256 = value.into();
        let (above_window, window) = DivRem::div_rem(value.high, TWO_POW_64.try_into().unwrap());
        let (above_period, period) = DivRem::div_rem(above_window, 0x100000000);
        SpendEntry {
            left: value.low,
            window: window.try_into().unwrap(),
            period: period.try_into().unwrap(),
            count: (above_period & 0xff).try_into().unwrap(),
            unlimited: above_period >= 0x100,
        }
    }
}
