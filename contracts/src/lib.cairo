//! Session-key account for Starknet.
//!
//! A user authorizes a session once (the owner signs its SNIP-12 hash); a short-lived session key
//! then signs many transactions, only for the contracts and entrypoints the owner allowed (a
//! Merkle tree of methods), until the session expires or the owner revokes it. A session can never
//! call the account itself; an optional policy caps spending per token, transactions and fees. See `presets::session_account::SessionAccount`.

pub mod components;
pub mod counter;
pub mod errors;
pub mod interfaces;
pub mod mocks;
pub mod policy;
pub mod presets;
pub mod signature;
pub mod snip12;
pub mod storage;
pub mod webauthn;

#[cfg(test)]
mod tests;
