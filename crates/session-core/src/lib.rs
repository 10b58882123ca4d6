//! The Rust side of the session account's protocol: exactly the hashes, Merkle proofs and
//! signature encodings the Cairo contract checks. No network or file I/O.
//!
//! - [`Session`] / [`SessionBuilder`]: what the owner authorizes (key, expiry, allowed methods,
//!   policy, epoch), normalised so the same permissions always give the same Merkle root.
//! - [`snip12`]: SNIP-12 revision 1 hashes (session, allowed-method leaves, SNIP-9 outside execution).
//! - [`MethodTree`]: the SNIP-12 `merkletree` of allowed methods and its proofs.
//! - [`AccountSignature`]: encoding and decoding of owner and session signatures.
//! - [`Policy`] / [`ArgumentRule`]: spend, call and fee limits, and rules on arguments.
//! - [`Session::typed_data`]: the SNIP-12 typed data a wallet displays and signs.
//! - [`preflight`]: why the contract would reject a session's calls, before sending them.
//! - [`paymaster`]: SNIP-29 wire types and the check a client runs on what a paymaster built.
//! - [`SessionKey`]: a session private key that is zeroized on drop and never printed.
//!
//! Shared vectors in `tests/vectors/` pin these against the contract's Cairo tests.

#![deny(missing_docs)]

mod keys;
mod merkle;
mod owner;
pub mod paymaster;
pub mod policy;
pub mod preflight;
mod session;
mod signature;
pub mod snip12;
mod typed_data;
pub mod webauthn;

pub use keys::{random_felt, KeyError, SessionKey};
pub use merkle::MethodTree;
pub use owner::{OwnerKey, OwnerSignature, WEBAUTHN_MAGIC};
pub use policy::{parse_u256, ArgumentRule, Policy, PolicyError, SpendLimit, MAX_WINDOW_SECONDS, U256_MAX};
pub use preflight::{check_session_calls, check_session_fee, PreflightError, Remaining, SessionUsage};
pub use session::{
    session_binding, AllowedMessage, AllowedMethod, BuildError, CallPermission, CallRefusal,
    MethodPermission, Session, SessionBuilder, HAS_CALL_LIMIT, HAS_FEE_BUDGET, HAS_FEE_CAP,
    HAS_LIMITS_WINDOW, HAS_SPEND_LIMITS, HAS_START, REMEMBER_FROM_PROOF_LENGTH,
};
pub use signature::{
    AccountSignature, DecodeError, SessionRefSignature, SessionSignature, StarkSignature, HAS_RULES,
    MAX_PROOF_LENGTH, MAX_SESSION_CALLS, REMEMBER_LEAF, SESSION_MAGIC, SESSION_REF_MAGIC,
};
pub use starknet_core::types::{Call, Felt, U256};
pub use typed_data::session_types;
