//! Parsing of transaction signatures, total: every malformed input fails with a specific error.
//!
//! Owner signature: `[r, s]`.
//!
//! Session signature:
//! `[SESSION_MAGIC, session_key, expires_at, allowed_methods_root, policy_hash, epoch,
//!   auth_len, (owner_r, owner_s)?, session_r, session_s, (Policy)?,
//!   n_calls, (proof_len, proof…, rules…)…]`
//! where `auth_len` is 2 with the owner's signature of the session hash, or 0 when the session's
//! authorization is already stored on-chain (registered or cached); the serialized `Policy` is
//! present exactly when the session's `policy_hash` is not `UNLIMITED_POLICY_HASH`; and each call
//! has its Merkle proof followed by its leaf's serialized `Span<ArgumentRule>` (a single 0 when it
//! has none).

use core::ec::stark_curve::ORDER;
use core::ecdsa::check_ecdsa_signature;
use crate::errors::{AccountErrors, SessionErrors};
use crate::interfaces::{ArgumentRule, Policy, Session};
use crate::snip12::UNLIMITED_POLICY_HASH;

/// First felt of a session signature.
pub const SESSION_MAGIC: felt252 = 'session-v3';
/// Most calls a session transaction may carry.
pub const MAX_SESSION_CALLS: u32 = 32;
/// Longest Merkle proof accepted (trees of up to 65,536 methods).
pub const MAX_PROOF_LENGTH: u32 = 16;

/// A Stark ECDSA signature.
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct StarkSignature {
    /// `r`.
    pub r: felt252,
    /// `s`.
    pub s: felt252,
}

/// A parsed session signature.
#[derive(Copy, Drop, Debug)]
pub struct SessionSignature {
    /// The session the transaction claims.
    pub session: Session,
    /// The owner's signature of the session hash, unless the authorization is stored on-chain.
    pub owner_authorization: Option<StarkSignature>,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The session's policy (`None` when its `policy_hash` is the unlimited policy's).
    pub policy: Option<Policy>,
    /// One permission per call, in call order.
    pub permissions: Span<CallPermission>,
}

/// What a session signature shows for one call: the allowed-method leaf's proof and rules.
#[derive(Copy, Drop, Debug)]
pub struct CallPermission {
    /// Merkle proof of the leaf.
    pub proof: Span<felt252>,
    /// The leaf's argument rules (hashed into the leaf).
    pub rules: Span<ArgumentRule>,
}

/// A parsed transaction signature.
#[derive(Copy, Drop, Debug)]
pub enum AccountSignature {
    /// Signed by the owner key.
    Owner: StarkSignature,
    /// Signed by a session key.
    Session: SessionSignature,
}

/// Parses a transaction signature; panics with a specific error when it is malformed.
pub fn parse_signature(signature: Span<felt252>) -> AccountSignature {
    if signature.len() == 2 {
        return AccountSignature::Owner(StarkSignature { r: *signature[0], s: *signature[1] });
    }
    let mut rest = signature;
    match rest.pop_front() {
        Some(magic) => assert(*magic == SESSION_MAGIC, AccountErrors::INVALID_SIGNATURE_FORMAT),
        None => core::panic_with_felt252(AccountErrors::INVALID_SIGNATURE_FORMAT),
    }
    AccountSignature::Session(parse_session_body(ref rest))
}

fn parse_session_body(ref rest: Span<felt252>) -> SessionSignature {
    let session: Session = Serde::deserialize(ref rest).expect(SessionErrors::MALFORMED_SIGNATURE);
    let owner_authorization = match take(ref rest) {
        0 => None,
        2 => Some(StarkSignature { r: take(ref rest), s: take(ref rest) }),
        _ => core::panic_with_felt252(SessionErrors::BAD_AUTHORIZATION_LENGTH),
    };
    let session_signature = StarkSignature { r: take(ref rest), s: take(ref rest) };
    let policy = if session.policy_hash == UNLIMITED_POLICY_HASH {
        None
    } else {
        Some(Serde::<Policy>::deserialize(ref rest).expect(SessionErrors::MALFORMED_SIGNATURE))
    };
    let call_count = take_u32(ref rest);
    assert(call_count <= MAX_SESSION_CALLS, SessionErrors::TOO_MANY_CALLS);
    let mut permissions = array![];
    for _ in 0..call_count {
        let length = take_u32(ref rest);
        assert(length <= MAX_PROOF_LENGTH, SessionErrors::PROOF_TOO_LONG);
        assert(length <= rest.len(), SessionErrors::MALFORMED_SIGNATURE);
        let proof = rest.slice(0, length);
        rest = rest.slice(length, rest.len() - length);
        let rules: Span<ArgumentRule> = Serde::deserialize(ref rest)
            .expect(SessionErrors::MALFORMED_SIGNATURE);
        permissions.append(CallPermission { proof, rules });
    }
    assert(rest.is_empty(), SessionErrors::MALFORMED_SIGNATURE);
    SessionSignature {
        session, owner_authorization, session_signature, policy, permissions: permissions.span(),
    }
}

fn take(ref rest: Span<felt252>) -> felt252 {
    *rest.pop_front().expect(SessionErrors::MALFORMED_SIGNATURE)
}

fn take_u32(ref rest: Span<felt252>) -> u32 {
    take(ref rest).try_into().expect(SessionErrors::MALFORMED_SIGNATURE)
}

/// Whether `signature` is `public_key`'s valid Stark ECDSA signature of `hash`, with `r` and
/// `s` in `[1, curve order)`.
pub fn is_valid_stark_signature(hash: felt252, public_key: felt252, signature: StarkSignature) -> bool {
    let order: u256 = ORDER.into();
    let (r, s): (u256, u256) = (signature.r.into(), signature.s.into());
    if r == 0 || s == 0 || r >= order || s >= order {
        return false;
    }
    check_ecdsa_signature(hash, public_key, signature.r, signature.s)
}
