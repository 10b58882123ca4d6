//! The session-key SDK: deploy a session account, let its owner authorize (or register, revoke)
//! sessions, and send transactions signed by a session key through starknet-rs.
//!
//! ```no_run
//! # async fn example(provider: starknet::providers::JsonRpcClient<starknet::providers::jsonrpc::HttpTransport>,
//! #     account: starknet::core::types::Felt, chain_id: starknet::core::types::Felt,
//! #     owner: starknet::signers::SigningKey, game: starknet::core::types::Felt) -> Result<(), session_sdk::SdkError> {
//! use session_core::{SessionBuilder, SessionKey};
//! use starknet::accounts::Account;
//! let key = SessionKey::generate()?;
//! let session = SessionBuilder::new(key.public_key()).expires_at(1_900_000_000).allow(game, "increase").build()?;
//! let authorization = session_sdk::authorize_session(&owner, &session, chain_id, account)?;
//! let session_account = session_sdk::SessionAccount::new(provider, account, chain_id, session, key, Some(authorization));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod account;
mod deploy;
mod error;
mod owner;

/// The generated contract bindings and artifacts.
pub use session_bindings as bindings;
/// The session protocol (hashes, trees, signatures, keys).
pub use session_core as protocol;

pub use account::{SessionAccount, SessionSignError};
pub use deploy::{declare_if_needed, deploy_contract, deploy_session_account, wait_for_success, STRK_TOKEN};
pub use error::SdkError;
pub use owner::{authorize_session, SessionAdmin};
