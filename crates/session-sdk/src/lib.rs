//! The session-key SDK: deploy a session account, let its owner authorize (or register, revoke)
//! sessions, and send transactions signed by a session key through starknet-rs.
//!
//! The whole flow against a local devnet (this example runs in the test suite):
//!
//! ```
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use session_sdk::protocol::{SessionBuilder, SessionKey};
//! use session_sdk::{bindings, OwnerAccount, OwnerSigner, SdkError, SessionAccount, SessionAdmin};
//! use starknet::core::{types::{Call, Felt}, utils::get_selector_from_name};
//! use starknet::signers::SigningKey;
//!
//! let devnet = local_devnet::Devnet::spawn().await?; // a throwaway chain with funded accounts
//! let (provider, chain_id, funder) = (devnet.provider(), devnet.chain_id(), devnet.account(0));
//!
//! // Deploy: declare the class, fund the counterfactual address, DEPLOY_ACCOUNT signed by the owner
//! // (a Stark key here; a passkey is a `SoftwarePasskey` or the browser's, through the same trait).
//! let owner = SigningKey::from_random();
//! session_sdk::declare_if_needed(&funder, &bindings::session_account_artifact()?).await?;
//! let account = session_sdk::session_account_address(&owner.owner_key(), Felt::ONE)?;
//! devnet.mint(account, 1_000_000_000_000_000_000).await?;
//! session_sdk::deploy_session_account(provider.clone(), chain_id, &owner, Felt::ONE).await?;
//! let game = session_sdk::deploy_contract(&funder, &bindings::counter_artifact()?, vec![], Felt::ONE).await?;
//!
//! // Create: the owner signs the session once, offline.
//! let key = SessionKey::generate()?;
//! let expires_at = devnet.latest_block_timestamp().await? + 3600;
//! let session = SessionBuilder::new(key.public_key()).expires_at(expires_at).allow(game, "increase").build()?;
//! let authorization = session_sdk::authorize_session(&owner, &session, chain_id, account).await?;
//! let session_account = SessionAccount::new(provider.clone(), account, chain_id, session, key, Some(authorization));
//!
//! // Execute: the session key signs; no owner involvement.
//! let increase = Call { to: game, selector: get_selector_from_name("increase")?, calldata: vec![Felt::ONE] };
//! session_account.execute(vec![increase.clone()]).await?;
//!
//! // Revoke: the owner's account revokes it; the chain then rejects the session.
//! SessionAdmin::new(OwnerAccount::new(provider, chain_id, account, owner)).revoke_session(session_account.session_hash()).await?;
//! let refused = session_account.execute(vec![increase]).await;
//! assert!(matches!(refused, Err(SdkError::SessionRevoked { .. })));
//! # Ok(()) }
//! ```
//!
//! Bindings of your own contracts need no other dependency than this SDK: its re-exported
//! `cainome` and `starknet` are what `abigen!` expands to, and the bindings run through a session:
//!
//! ```no_run
//! use session_sdk::{cainome, starknet};
//!
//! cainome::rs::abigen!(
//!     Game,
//!     r#"[{"type":"function","name":"increase","inputs":[{"name":"amount","type":"core::integer::u64"}],"outputs":[],"state_mutability":"external"}]"#
//! );
//!
//! # async fn play(session: session_sdk::SessionAccount<starknet::providers::JsonRpcClient<starknet::providers::jsonrpc::HttpTransport>>, game: starknet::core::types::Felt) -> Result<(), session_sdk::SdkError> {
//! let sent = Game::new(game, &session).increase(&1).send().await
//!     .map_err(|error| session_sdk::SdkError::from_session_account("increase", error))?;
//! # Ok(()) }
//! ```
//!
//! Owner keys are kept in starkli-compatible encrypted keystores ([`load_keystore`],
//! [`save_keystore`]); a session key is only ever written out encrypted, inside a
//! [`SessionFile`].

#![deny(missing_docs)]

mod account;
mod account_file;
mod audit;
mod deploy;
mod error;
mod keystore;
mod owner;
mod owner_signer;
mod paymaster;
mod session_file;

/// The generated contract bindings and artifacts (with an ERC-20 binding, `bindings::erc20`).
pub use session_bindings as bindings;
/// The cainome runtime generated bindings use: `use session_sdk::{cainome, starknet};` lets
/// `cainome::rs::abigen!` generate bindings of your own contracts without more dependencies.
pub use session_bindings::cainome;
/// The session protocol (hashes, trees, signatures, keys).
pub use session_core as protocol;
/// The starknet-rs version this SDK is built on (providers, accounts, types).
pub use starknet;

pub use account::{
    max_fee, with_fee_bounds, SessionAccount, SessionSignError, SignedOutsideExecution, FEE_MARGIN,
};
pub use account_file::{AccountFile, AccountFileError};
pub use audit::{
    account_history, account_state, latest_block_timestamp, session_status, session_usage, AccountHistory,
    AccountState, EventUsage, LimitReached, SessionRecord, SessionStatus, SpendEvent,
};
pub use deploy::{
    declare_if_needed, deploy_contract, deploy_session_account, deploy_session_account_via_udc,
    is_class_declared, session_account_address, wait_for_success, STRK_TOKEN,
};
pub use error::SdkError;
pub use keystore::{load_keystore, save_keystore, EncryptedSecret, KeystoreError};
pub use owner::{authorize_session, create_session, current_epoch, OwnerAccount, SessionAdmin};
pub use owner_signer::{load_owner_signer, AssertionSource, ExternalPasskey, OwnerSigner, SoftwarePasskey};
pub use paymaster::{PaymasterClient, PaymasterError, PaymasterFee, PaymasterSubmission};
pub use session_file::{SessionFile, SessionFileError, SessionFileMethod, SESSION_FILE_FORMAT};
