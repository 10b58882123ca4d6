//! Parsing of transaction signatures, total: every malformed input fails with a specific error.
//!
//! Owner signature: `[r, s]` (a Stark key), or `[WEBAUTHN_MAGIC, authenticator_data,
//! client_data_json, r.low, r.high, s.low, s.high]` (a passkey; both data as serialized
//! `ByteArray`s, see `webauthn`).
//!
//! Session signature, full form (carries the session; verifies and stores its authorization on
//! first use):
//! `[SESSION_MAGIC, session_key, expires_at, allowed_methods_root, policy_hash, epoch,
//!   auth_len, owner_signature…, session_r, session_s, (Policy)?, entry…]`
//! where `auth_len` is the length of the owner's signature of the session hash (in one of the two
//! owner formats), or 0 when the session's authorization is already stored on-chain (registered or
//! cached), and the serialized `Policy` is present exactly when `policy_hash` is not
//! `UNLIMITED_POLICY_HASH`.
//!
//! Session signature, by reference (a session stored on-chain, registered or cached):
//! `[SESSION_REF_MAGIC, session_hash, terms, session_key, session_r, session_s, (root, (entry…)?)?]`
//! where `terms` is the stored session's expiry and limit flags (`storage::session_terms`).
//! Without a root (6 felts), the root is the first call's leaf: a single-method session. Without
//! entries (7 felts), no call has argument rules and each call's leaf is the root or remembered.
//! Otherwise one entry per call.
//!
//! Entries (one per call, in call order): `header, proof…, (rules)?` where `header` is the proof's
//! length, plus `REMEMBER_LEAF` to have the account remember the leaf for the session once proven
//! (later calls of that method need no proof), plus `HAS_RULES` when the leaf has argument rules
//! (then the serialized `Span<ArgumentRule>` follows the proof). An empty proof means the leaf is
//! the root or already remembered.

use core::ec::stark_curve::ORDER;
use core::ecdsa::check_ecdsa_signature;
use crate::errors::{AccountErrors, SessionErrors};
use crate::interfaces::{ArgumentRule, Policy, Session};
use crate::snip12::UNLIMITED_POLICY_HASH;
use crate::webauthn::WebAuthnAssertion;

/// First felt of a full session signature.
pub const SESSION_MAGIC: felt252 = 'session-v3';
/// First felt of a by-reference session signature.
pub const SESSION_REF_MAGIC: felt252 = 'session-v3-ref';
/// First felt of a session key's signature of an off-chain message (`is_valid_signature`):
/// `[SESSION_MESSAGE_MAGIC, Session…, Span<AllowedMessage>, index, Span<fields>, r, s]`.
pub const SESSION_MESSAGE_MAGIC: felt252 = 'session-message-v1';
/// First felt of a passkey owner's signature (a WebAuthn assertion).
pub const WEBAUTHN_MAGIC: felt252 = 'webauthn-v1';
/// Most calls a session transaction may carry.
pub const MAX_SESSION_CALLS: u32 = 32;
/// Longest Merkle proof accepted (trees of up to 65,536 methods).
pub const MAX_PROOF_LENGTH: u32 = 16;
/// Entry header flag: remember the leaf for the session once proven.
pub const REMEMBER_LEAF: u32 = 0x100;
/// Entry header flag: the leaf has argument rules (they follow the proof).
pub const HAS_RULES: u32 = 0x200;

/// A Stark ECDSA signature.
#[derive(Copy, Drop, Debug, PartialEq)]
pub struct StarkSignature {
    /// `r`.
    pub r: felt252,
    /// `s`.
    pub s: felt252,
}

/// An owner's signature: a Stark key's, or a passkey's WebAuthn assertion.
#[derive(Clone, Drop, Debug, PartialEq)]
pub enum OwnerSignature {
    /// `[r, s]`.
    Stark: StarkSignature,
    /// A WebAuthn assertion whose challenge is the signed hash.
    WebAuthn: WebAuthnAssertion,
}

/// A parsed full-form session signature.
#[derive(Drop, Debug)]
pub struct SessionSignature {
    /// The session the transaction claims.
    pub session: Session,
    /// The owner's signature of the session hash, unless the authorization is stored on-chain.
    pub owner_authorization: Option<OwnerSignature>,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The session's policy (`None` when its `policy_hash` is the unlimited policy's), boxed:
    /// every signature form moves through one enum, which stays as small as its other variants.
    pub policy: Option<Box<Policy>>,
    /// One permission per call, in call order.
    pub permissions: Span<CallPermission>,
}

/// A parsed by-reference session signature.
#[derive(Copy, Drop, Debug)]
pub struct SessionRefSignature {
    /// The hash of the stored session.
    pub session_hash: felt252,
    /// The stored session's expiry and limit flags, as the account stored them.
    pub terms: felt252,
    /// The session's public key (checked against the stored binding).
    pub session_key: felt252,
    /// The session key's signature of `session_key_message(hash, session_hash)`.
    pub session_signature: StarkSignature,
    /// The allowed-methods root; `None`: it is the first call's leaf.
    pub root: Option<felt252>,
    /// One permission per call; `None`: no call has argument rules, and each call's leaf is the
    /// root or remembered.
    pub permissions: Option<Span<CallPermission>>,
}

/// What a session signature shows for one call: the allowed-method leaf's proof and rules.
#[derive(Copy, Drop, Debug)]
pub struct CallPermission {
    /// Merkle proof of the leaf (empty: the leaf is the root, or already remembered).
    pub proof: Span<felt252>,
    /// The leaf's argument rules (hashed into the leaf).
    pub rules: Span<ArgumentRule>,
    /// Remember the leaf for the session once proven.
    pub remember: bool,
}

/// A parsed transaction signature.
#[derive(Drop, Debug)]
pub enum AccountSignature {
    /// Signed by the owner.
    Owner: OwnerSignature,
    /// Signed by a session key, carrying the session.
    Session: SessionSignature,
    /// Signed by a session key, naming a session stored on-chain.
    SessionRef: SessionRefSignature,
}

/// Parses the signature of a transaction (or outside execution) of `call_count` calls; panics
/// with a specific error when it is malformed.
pub fn parse_signature(signature: Span<felt252>, call_count: u32) -> AccountSignature {
    if signature.len() == 2 {
        return AccountSignature::Owner(
            OwnerSignature::Stark(StarkSignature { r: *signature[0], s: *signature[1] }),
        );
    }
    let mut rest = signature;
    let magic = match rest.pop_front() {
        Some(magic) => *magic,
        None => core::panic_with_felt252(AccountErrors::INVALID_SIGNATURE_FORMAT),
    };
    if magic == SESSION_REF_MAGIC {
        return AccountSignature::SessionRef(parse_ref_body(ref rest, call_count));
    }
    if magic == WEBAUTHN_MAGIC {
        let assertion = parse_assertion(rest).expect(crate::errors::WebAuthnErrors::MALFORMED);
        return AccountSignature::Owner(OwnerSignature::WebAuthn(assertion));
    }
    assert(magic == SESSION_MAGIC, AccountErrors::INVALID_SIGNATURE_FORMAT);
    AccountSignature::Session(parse_session_body(ref rest, call_count))
}

/// An owner's signature in one of its two formats (`None` for anything else, never a panic: for
/// `is_valid_signature`).
pub fn parse_owner_signature(signature: Span<felt252>) -> Option<OwnerSignature> {
    if signature.len() == 2 {
        return Some(OwnerSignature::Stark(StarkSignature { r: *signature[0], s: *signature[1] }));
    }
    let mut rest = signature;
    if *rest.pop_front()? != WEBAUTHN_MAGIC {
        return None;
    }
    Some(OwnerSignature::WebAuthn(parse_assertion(rest)?))
}

/// A serialized `WebAuthnAssertion` and nothing more.
fn parse_assertion(felts: Span<felt252>) -> Option<WebAuthnAssertion> {
    let mut rest = felts;
    let assertion: WebAuthnAssertion = Serde::deserialize(ref rest)?;
    if !rest.is_empty() {
        return None;
    }
    Some(assertion)
}

fn parse_session_body(ref rest: Span<felt252>, call_count: u32) -> SessionSignature {
    let session = Session {
        session_key: take(ref rest),
        expires_at: take(ref rest).try_into().expect(SessionErrors::MALFORMED_SIGNATURE),
        allowed_methods_root: take(ref rest),
        policy_hash: take(ref rest),
        epoch: take(ref rest),
        allowed_messages_hash: take(ref rest),
    };
    let length = take_u32(ref rest);
    let owner_authorization = if length == 0 {
        None
    } else {
        assert(length <= rest.len(), SessionErrors::MALFORMED_SIGNATURE);
        let authorization = rest.slice(0, length);
        rest = rest.slice(length, rest.len() - length);
        Some(parse_owner_signature(authorization).expect(SessionErrors::BAD_AUTHORIZATION))
    };
    let session_signature = StarkSignature { r: take(ref rest), s: take(ref rest) };
    let policy = if session.policy_hash == UNLIMITED_POLICY_HASH {
        None
    } else {
        Some(BoxTrait::new(Serde::<Policy>::deserialize(ref rest).expect(SessionErrors::MALFORMED_SIGNATURE)))
    };
    let permissions = parse_permissions(ref rest, call_count);
    SessionSignature { session, owner_authorization, session_signature, policy, permissions }
}

fn parse_ref_body(ref rest: Span<felt252>, call_count: u32) -> SessionRefSignature {
    let session_hash = take(ref rest);
    let terms = take(ref rest);
    let session_key = take(ref rest);
    let session_signature = StarkSignature { r: take(ref rest), s: take(ref rest) };
    let (root, permissions) = if rest.is_empty() {
        (None, None)
    } else {
        let root = take(ref rest);
        if rest.is_empty() {
            (Some(root), None)
        } else {
            (Some(root), Some(parse_permissions(ref rest, call_count)))
        }
    };
    SessionRefSignature { session_hash, terms, session_key, session_signature, root, permissions }
}

/// One permission per call, then nothing left.
fn parse_permissions(ref rest: Span<felt252>, call_count: u32) -> Span<CallPermission> {
    assert(call_count <= MAX_SESSION_CALLS, SessionErrors::TOO_MANY_CALLS);
    let mut permissions = array![];
    for _ in 0..call_count {
        let header = take_u32(ref rest);
        assert(header < 2 * HAS_RULES, SessionErrors::MALFORMED_SIGNATURE);
        let length = header % REMEMBER_LEAF;
        assert(length <= MAX_PROOF_LENGTH, SessionErrors::PROOF_TOO_LONG);
        assert(length <= rest.len(), SessionErrors::MALFORMED_SIGNATURE);
        let proof = rest.slice(0, length);
        rest = rest.slice(length, rest.len() - length);
        let rules: Span<ArgumentRule> = if (header & HAS_RULES) != 0 {
            let rules: Span<ArgumentRule> = Serde::deserialize(ref rest)
                .expect(SessionErrors::MALFORMED_SIGNATURE);
            assert(!rules.is_empty(), SessionErrors::MALFORMED_SIGNATURE);
            rules
        } else {
            array![].span()
        };
        let remember = (header & REMEMBER_LEAF) != 0;
        permissions.append(CallPermission { proof, rules, remember });
    }
    assert(rest.is_empty(), SessionErrors::MALFORMED_SIGNATURE);
    permissions.span()
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
