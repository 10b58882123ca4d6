//! A starknet-rs account that signs with a session key.

use async_trait::async_trait;
use session_core::{
    check_session_calls, snip12::session_key_message, AccountSignature, KeyError, PreflightError, Session,
    SessionKey, SessionSignature, StarkSignature,
};
use starknet::accounts::{Account, ConnectedAccount, ExecutionEncoder, RawDeclarationV3, RawExecutionV3};
use starknet::core::types::{BlockId, BlockTag, Call, Felt};
use starknet::providers::Provider;
use starknet::signers::SignerInteractivityContext;

/// Why a session transaction could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SessionSignError {
    /// The contract would reject these calls (method not allowed, call to self, too many calls…).
    #[error("the account would reject this session transaction: {0}")]
    Preflight(#[from] PreflightError),
    /// The session key failed to sign.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Sessions cannot declare classes.
    #[error("session keys cannot sign declare transactions")]
    DeclareNotAllowed,
}

/// A session account as seen by the session key: signs transactions within the session.
///
/// It sends the owner's authorization with every transaction until told the authorization is
/// stored on-chain ([`SessionAccount::use_on_chain_authorization`]), which makes signatures
/// two felts shorter and skips one signature check.
pub struct SessionAccount<P> {
    provider: P,
    address: Felt,
    chain_id: Felt,
    session: Session,
    session_hash: Felt,
    key: SessionKey,
    owner_authorization: Option<StarkSignature>,
    block_id: BlockId,
}

impl<P> SessionAccount<P> {
    /// A session account at `address` on `chain_id`, signing with `key` within `session`;
    /// `owner_authorization` is the owner's signature of the session hash, or `None` if the
    /// session is registered or cached on-chain.
    pub fn new(
        provider: P,
        address: Felt,
        chain_id: Felt,
        session: Session,
        key: SessionKey,
        owner_authorization: Option<StarkSignature>,
    ) -> Self {
        let session_hash = session.hash(chain_id, address);
        Self {
            provider,
            address,
            chain_id,
            session,
            session_hash,
            key,
            owner_authorization,
            block_id: BlockId::Tag(BlockTag::PreConfirmed),
        }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session hash (what the owner signed).
    pub fn session_hash(&self) -> Felt {
        self.session_hash
    }

    /// From now on, omit the owner authorization (the session is registered or cached on-chain).
    pub fn use_on_chain_authorization(&mut self) {
        self.owner_authorization = None;
    }

    /// The transaction signature for `calls` under `hash` (a transaction or SNIP-9 hash).
    pub fn sign_calls(&self, hash: Felt, calls: &[Call]) -> Result<Vec<Felt>, SessionSignError> {
        // Expiry is left to the contract: the chain's clock, not ours, decides.
        check_session_calls(&self.session, self.address, calls, 0)?;
        let proofs =
            self.session.proofs_for(calls).map_err(|method| PreflightError::MethodNotAllowed { method })?;
        let session_signature = self.key.sign(session_key_message(hash, self.session_hash))?;
        Ok(AccountSignature::Session(SessionSignature {
            session: self.session.to_felts(),
            owner_authorization: self.owner_authorization,
            session_signature,
            proofs,
        })
        .encode())
    }
}

impl<P> ExecutionEncoder for SessionAccount<P> {
    fn encode_calls(&self, calls: &[Call]) -> Vec<Felt> {
        session_core::snip12::serialize_calls(calls)
    }
}

#[async_trait]
impl<P: Provider + Send + Sync> Account for SessionAccount<P> {
    type SignError = SessionSignError;

    fn address(&self) -> Felt {
        self.address
    }

    fn chain_id(&self) -> Felt {
        self.chain_id
    }

    async fn sign_execution_v3(
        &self,
        execution: &RawExecutionV3,
        query_only: bool,
    ) -> Result<Vec<Felt>, Self::SignError> {
        let hash = execution.transaction_hash(self.chain_id, self.address, query_only, self);
        self.sign_calls(hash, execution.calls())
    }

    async fn sign_declaration_v3(
        &self,
        _declaration: &RawDeclarationV3,
        _query_only: bool,
    ) -> Result<Vec<Felt>, Self::SignError> {
        Err(SessionSignError::DeclareNotAllowed)
    }

    fn is_signer_interactive(&self, _context: SignerInteractivityContext<'_>) -> bool {
        false // a local key: fee estimation gets a real signature and runs full validation
    }
}

impl<P: Provider + Send + Sync> ConnectedAccount for SessionAccount<P> {
    type Provider = P;

    fn provider(&self) -> &Self::Provider {
        &self.provider
    }

    fn block_id(&self) -> BlockId {
        self.block_id
    }
}
