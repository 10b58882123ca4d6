//! What the account owner does: authorize, register and revoke sessions.

use session_bindings::session_account::{self as bindings, SessionAccount as SessionAccountContract};
use session_core::{Session, StarkSignature};
use starknet::accounts::ConnectedAccount;
use starknet::core::types::{BlockId, BlockTag, Felt};
use starknet::signers::SigningKey;

use crate::deploy::wait_for_success;
use crate::SdkError;

/// The owner's authorization of `session` for `account` on `chain_id`: a signature of the session
/// hash. Nothing is sent; the session key's transactions carry it (or register it on-chain).
pub fn authorize_session(
    owner: &SigningKey,
    session: &Session,
    chain_id: Felt,
    account: Felt,
) -> Result<StarkSignature, SdkError> {
    let signature =
        owner.sign(&session.hash(chain_id, account)).map_err(|error| SdkError::Signing(error.to_string()))?;
    Ok(StarkSignature { r: signature.r, s: signature.s })
}

fn to_binding(session: &Session) -> bindings::Session {
    bindings::Session {
        session_key: session.session_key,
        expires_at: session.expires_at,
        allowed_methods_root: session.allowed_methods_root(),
        policy: session.policy,
        epoch: session.epoch,
    }
}

/// Session administration through an owner-signed account (e.g. a starknet-rs
/// `SingleOwnerAccount` with the owner key at the session account's address).
pub struct SessionAdmin<A: ConnectedAccount + Sync> {
    contract: SessionAccountContract<A>,
}

impl<A: ConnectedAccount + Sync> SessionAdmin<A> {
    /// Administers the session account that `owner_account` signs for.
    pub fn new(owner_account: A) -> Self {
        let address = owner_account.address();
        let mut contract = SessionAccountContract::new(address, owner_account);
        contract.set_block(BlockId::Tag(BlockTag::PreConfirmed));
        Self { contract }
    }

    /// Registers `session` on-chain, so its transactions need no owner authorization.
    pub async fn register_session(&self, session: &Session) -> Result<Felt, SdkError> {
        let sent = self.contract.register_session(&to_binding(session)).send().await;
        self.finish("register_session", sent).await
    }

    /// Revokes the session with this hash.
    pub async fn revoke_session(&self, session_hash: Felt) -> Result<Felt, SdkError> {
        let sent = self.contract.revoke_session(&session_hash).send().await;
        self.finish("revoke_session", sent).await
    }

    /// Revokes every session issued so far.
    pub async fn revoke_all_sessions(&self) -> Result<Felt, SdkError> {
        let sent = self.contract.revoke_all_sessions().send().await;
        self.finish("revoke_all_sessions", sent).await
    }

    /// The current session epoch (new sessions must carry it).
    pub async fn session_epoch(&self) -> Result<u128, SdkError> {
        self.view("get_session_epoch", self.contract.get_session_epoch().call().await)
    }

    /// Whether the session's authorization is stored on-chain for the current owner.
    pub async fn is_session_cached(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_cached", self.contract.is_session_cached(&session_hash).call().await)
    }

    /// Whether the session was revoked by hash.
    pub async fn is_session_revoked(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_revoked", self.contract.is_session_revoked(&session_hash).call().await)
    }

    fn view<T>(
        &self,
        entrypoint: &str,
        result: Result<T, session_bindings::cainome::cairo_serde::Error>,
    ) -> Result<T, SdkError> {
        result.map_err(|error| SdkError::Transaction {
            context: format!("calling {entrypoint}"),
            message: error.to_string(),
        })
    }

    async fn finish<E: std::fmt::Display>(
        &self,
        entrypoint: &str,
        sent: Result<starknet::core::types::InvokeTransactionResult, E>,
    ) -> Result<Felt, SdkError> {
        let sent = sent.map_err(|error| SdkError::Transaction {
            context: format!("sending {entrypoint}"),
            message: error.to_string(),
        })?;
        wait_for_success(self.contract.account.provider(), sent.transaction_hash).await?;
        Ok(sent.transaction_hash)
    }
}
