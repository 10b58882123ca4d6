//! What the account owner does: authorize, register and revoke sessions.

use async_trait::async_trait;
use session_bindings::cainome::cairo_serde::{CairoSerde, ContractAddress, U256 as CairoU256};
use session_bindings::session_account::{self as bindings, SessionAccount as SessionAccountContract};
use session_core::snip12::owner_rotation_hash;
use session_core::{OwnerKey, OwnerSignature, Policy, Session, SessionBuilder, SessionKey, SpendLimit, U256};
use starknet::accounts::{
    Account, AccountError, ConnectedAccount, ExecutionEncoder, RawDeclarationV3, RawExecutionV3,
};
use starknet::core::types::{BlockId, BlockTag, Call, Felt, StarknetError};
use starknet::providers::{Provider, ProviderError};
use starknet::signers::SignerInteractivityContext;

use crate::deploy::wait_for_success;
use crate::{OwnerSigner, SdkError, SessionAccount};

/// The owner's authorization of `session` for `account` on `chain_id`: a signature of the session
/// hash by a Stark key or a passkey (one tap). Nothing is sent; the session key's first
/// transaction carries it (or the owner registers the session on-chain).
///
/// # Example: create a session (offline: one owner signature, no transaction)
///
/// ```
/// use session_sdk::protocol::{SessionBuilder, SessionKey};
/// use starknet::core::types::Felt;
/// use starknet::signers::SigningKey;
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let owner = SigningKey::from_random();
/// let (chain_id, account, game) = (Felt::from_hex("0x534e5f5345504f4c4941")?, Felt::from(0x1234u32), Felt::from(0x5678u32));
///
/// let key = SessionKey::generate()?; // stays with the app; only its public key is authorized
/// let session = SessionBuilder::new(key.public_key())
///     .expires_at(1_900_000_000)
///     .allow(game, "increase")
///     .build()?;
/// let authorization = session_sdk::authorize_session(&owner, &session, chain_id, account).await?;
///
/// let hash = session.hash(chain_id, account);
/// let session_sdk::protocol::OwnerSignature::Stark { r, s } = authorization else { unreachable!() };
/// assert!(starknet::core::crypto::ecdsa_verify(&owner.verifying_key().scalar(), &hash,
///     &starknet::core::crypto::Signature { r, s })?);
/// # Ok(()) }
/// ```
pub async fn authorize_session(
    owner: &(impl OwnerSigner + ?Sized),
    session: &Session,
    chain_id: Felt,
    account: Felt,
) -> Result<OwnerSignature, SdkError> {
    owner.sign_owner_hash(session.hash(chain_id, account)).await
}

/// Creates a session for `account`: generates its key, reads the account's current session epoch
/// (a session of any other epoch would be refused), lets `build` describe the session for that
/// key's public key, and has `owner` authorize it (one signature, offline; nothing is sent).
/// Returns the handle that holds the session key in memory and sends its transactions.
///
/// An account not deployed yet is in its first epoch (0). Save the session with
/// [`SessionAccount::to_file`] to use it from another process.
pub async fn create_session<P: Provider + Sync>(
    owner: &(impl OwnerSigner + ?Sized),
    provider: P,
    account: Felt,
    chain_id: Felt,
    build: impl FnOnce(SessionBuilder) -> SessionBuilder,
) -> Result<SessionAccount<P>, SdkError> {
    let epoch = current_epoch(&provider, account).await?;
    let key = SessionKey::generate()?;
    let session = build(SessionBuilder::new(key.public_key()).epoch(epoch)).build()?;
    let authorization = authorize_session(owner, &session, chain_id, account).await?;
    Ok(SessionAccount::new(provider, account, chain_id, session, key, Some(authorization)))
}

/// The session epoch of `account` (0 for an account not deployed yet: its first epoch).
pub async fn current_epoch<P: Provider + Sync>(provider: &P, account: Felt) -> Result<Felt, SdkError> {
    match provider.get_class_hash_at(BlockId::Tag(BlockTag::PreConfirmed), account).await {
        Err(ProviderError::StarknetError(StarknetError::ContractNotFound)) => Ok(Felt::ZERO),
        Err(source) => Err(SdkError::Provider {
            context: format!("reading the class of {account:#x}"),
            source: Box::new(source),
        }),
        Ok(_) => Ok(crate::account_state(provider, account).await?.session_epoch),
    }
}

/// The session account as its owner uses it: a starknet-rs account whose transactions `signer`
/// signs (a Stark key, or a passkey with one assertion per transaction), reading the pre-confirmed
/// state. Cainome bindings, `execute_v3` and [`SessionAdmin`] work through it.
pub struct OwnerAccount<P, S> {
    provider: P,
    signer: S,
    address: Felt,
    chain_id: Felt,
    block_id: BlockId,
}

impl<P, S: OwnerSigner> OwnerAccount<P, S> {
    /// The session account at `address` on `chain_id`, signed for by `signer`.
    pub fn new(provider: P, chain_id: Felt, address: Felt, signer: S) -> Self {
        Self { provider, signer, address, chain_id, block_id: BlockId::Tag(BlockTag::PreConfirmed) }
    }

    /// Who signs.
    pub fn signer(&self) -> &S {
        &self.signer
    }
}

impl<P, S> ExecutionEncoder for OwnerAccount<P, S> {
    fn encode_calls(&self, calls: &[Call]) -> Vec<Felt> {
        session_core::snip12::serialize_calls(calls)
    }
}

#[async_trait]
impl<P: Provider + Send + Sync, S: OwnerSigner> Account for OwnerAccount<P, S> {
    type SignError = SdkError;

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
    ) -> Result<Vec<Felt>, SdkError> {
        let hash = execution.transaction_hash(self.chain_id, self.address, query_only, self);
        Ok(self.signer.sign_owner_hash(hash).await?.encode())
    }

    async fn sign_declaration_v3(
        &self,
        declaration: &RawDeclarationV3,
        query_only: bool,
    ) -> Result<Vec<Felt>, SdkError> {
        let hash = declaration.transaction_hash(self.chain_id, self.address, query_only);
        Ok(self.signer.sign_owner_hash(hash).await?.encode())
    }

    fn is_signer_interactive(&self, _context: SignerInteractivityContext<'_>) -> bool {
        self.signer.is_interactive()
    }
}

impl<P: Provider + Send + Sync, S: OwnerSigner> ConnectedAccount for OwnerAccount<P, S> {
    type Provider = P;

    fn provider(&self) -> &P {
        &self.provider
    }

    fn block_id(&self) -> BlockId {
        self.block_id
    }
}

/// An owner key as the generated binding types carry it (the same serialization as the
/// account's constructor calldata).
pub(crate) fn owner_key_to_binding(owner: &OwnerKey) -> Result<bindings::OwnerKey, SdkError> {
    bindings::OwnerKey::cairo_deserialize(&owner.to_felts(), 0).map_err(|error| SdkError::Decode {
        context: "encoding the owner key".into(),
        reason: error.to_string(),
    })
}

/// An owner key from the generated binding type (e.g. `get_owner_key`'s answer).
pub(crate) fn owner_key_from_binding(owner: &bindings::OwnerKey) -> Result<OwnerKey, SdkError> {
    OwnerKey::from_felts(&bindings::OwnerKey::cairo_serialize(owner)).map_err(|error| SdkError::Decode {
        context: "reading the owner key".into(),
        reason: error.to_string(),
    })
}

/// A policy as the generated binding types carry it (no limit: the type's maximum).
pub(crate) fn policy_to_binding(policy: &Policy) -> bindings::Policy {
    bindings::Policy {
        max_fee_per_tx: policy.max_fee_per_tx.unwrap_or(u128::MAX),
        fee_budget: policy.fee_budget.unwrap_or(u128::MAX),
        max_calls: policy.max_calls.unwrap_or(u64::MAX),
        spend_limits: policy
            .spend_limits
            .iter()
            .map(|limit| bindings::SpendLimit {
                token: ContractAddress(limit.token),
                amount: CairoU256 { low: limit.amount.low(), high: limit.amount.high() },
                period: limit.period,
            })
            .collect(),
        valid_after: policy.valid_after,
        limits_window: policy.limits_window,
    }
}

/// A policy from the generated binding types (e.g. a `SessionPolicyPublished` event), every
/// spend limit kept in its signed order.
pub(crate) fn policy_from_binding(policy: &bindings::Policy) -> Policy {
    Policy {
        max_fee_per_tx: (policy.max_fee_per_tx != u128::MAX).then_some(policy.max_fee_per_tx),
        fee_budget: (policy.fee_budget != u128::MAX).then_some(policy.fee_budget),
        max_calls: (policy.max_calls != u64::MAX).then_some(policy.max_calls),
        spend_limits: policy
            .spend_limits
            .iter()
            .map(|limit| SpendLimit {
                token: limit.token.0,
                amount: U256::from_words(limit.amount.low, limit.amount.high),
                period: limit.period,
            })
            .collect(),
        valid_after: policy.valid_after,
        limits_window: policy.limits_window,
    }
}

fn to_binding(session: &Session) -> bindings::Session {
    bindings::Session {
        session_key: session.session_key,
        expires_at: session.expires_at,
        allowed_methods_root: session.allowed_methods_root(),
        policy_hash: session.policy_hash(),
        epoch: session.epoch,
        allowed_messages_hash: session.allowed_messages_hash(),
    }
}

/// Session administration through an owner-signed account (an [`OwnerAccount`], or any starknet-rs
/// account that signs for the session account's owner).
///
/// # Example: revoke a session (runs against a local devnet)
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let devnet = local_devnet::Devnet::spawn().await?;
/// # let owner_key = starknet::signers::SigningKey::from_random();
/// # let account = session_sdk::deploy_session_account_via_udc(&devnet.account(0), &session_sdk::OwnerSigner::owner_key(&owner_key), 1u8.into()).await?;
/// # devnet.mint(account, 1_000_000_000_000_000_000).await?;
/// # let chain_id = devnet.chain_id();
/// # let session = session_sdk::protocol::SessionBuilder::new(7u8.into()).expires_at(2_000_000_000).allow(1u8.into(), "increase").build()?;
/// use session_sdk::{OwnerAccount, SessionAdmin};
///
/// let admin = SessionAdmin::new(OwnerAccount::new(devnet.provider(), chain_id, account, owner_key));
/// let session_hash = session.hash(chain_id, account);
/// admin.revoke_session(session_hash).await?;
/// assert!(admin.is_session_revoked(session_hash).await?);
/// # Ok(()) }
/// ```
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
        let policy = (!session.policy().is_unlimited()).then(|| policy_to_binding(session.policy()));
        let sent = self.contract.register_session(&to_binding(session), &policy).send().await;
        self.finish("register_session", sent).await
    }

    /// Revokes the session with this hash.
    pub async fn revoke_session(&self, session_hash: Felt) -> Result<Felt, SdkError> {
        let sent = self.contract.revoke_session(&session_hash).send().await;
        self.finish("revoke_session", sent).await
    }

    /// Pauses a stored session (registered, or cached by its first transaction): its
    /// transactions fail with [`SdkError::SessionPaused`] until [`resume_session`](Self::resume_session);
    /// its counters are kept.
    pub async fn pause_session(&self, session_hash: Felt) -> Result<Felt, SdkError> {
        let sent = self.contract.pause_session(&session_hash).send().await;
        self.finish("pause_session", sent).await
    }

    /// Resumes a paused session, its counters as they were.
    pub async fn resume_session(&self, session_hash: Felt) -> Result<Felt, SdkError> {
        let sent = self.contract.resume_session(&session_hash).send().await;
        self.finish("resume_session", sent).await
    }

    /// Moves a stored session's expiry later, to `expires_at` (Unix seconds), keeping its limits
    /// and counters. The session's key keeps working by reference with the new expiry
    /// ([`SessionAccount::refresh_from_chain`] picks it up).
    pub async fn extend_session(&self, session_hash: Felt, expires_at: u64) -> Result<Felt, SdkError> {
        let sent = self.contract.extend_session(&session_hash, &expires_at).send().await;
        self.finish("extend_session", sent).await
    }

    /// Whether the owner paused the session.
    pub async fn is_session_paused(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_paused", self.contract.is_session_paused(&session_hash).call().await)
    }

    /// The session's expiry as stored on-chain (extensions included); 0 when it is not stored in
    /// the current epoch.
    pub async fn session_expiry(&self, session_hash: Felt) -> Result<u64, SdkError> {
        self.view("get_session_expiry", self.contract.get_session_expiry(&session_hash).call().await)
    }

    /// Revokes every session issued so far.
    pub async fn revoke_all_sessions(&self) -> Result<Felt, SdkError> {
        let sent = self.contract.revoke_all_sessions().send().await;
        self.finish("revoke_all_sessions", sent).await
    }

    /// Replaces the owner with `new_owner`'s key (a Stark key or a passkey), which signs its
    /// acceptance. Every session ends (the rotation starts a new session epoch), whichever keys
    /// are involved.
    pub async fn rotate_owner(&self, new_owner: &(impl OwnerSigner + ?Sized)) -> Result<Felt, SdkError> {
        let account = &self.contract.account;
        let current = self.owner().await?;
        let new_key = new_owner.owner_key();
        let hash = owner_rotation_hash(account.chain_id(), account.address(), current, new_key.id());
        let proof = new_owner.sign_owner_hash(hash).await?.encode();
        let sent = self.contract.set_owner(&owner_key_to_binding(&new_key)?, &proof).send().await;
        self.finish("set_owner", sent).await
    }

    /// The owner's id: its Stark public key, or its passkey's id.
    pub async fn owner(&self) -> Result<Felt, SdkError> {
        self.view("get_owner", self.contract.get_owner().call().await)
    }

    /// The owner's key (a Stark key or a passkey).
    pub async fn owner_key(&self) -> Result<OwnerKey, SdkError> {
        owner_key_from_binding(&self.view("get_owner_key", self.contract.get_owner_key().call().await)?)
    }

    /// The current session epoch (new sessions must carry it).
    pub async fn session_epoch(&self) -> Result<Felt, SdkError> {
        self.view("get_session_epoch", self.contract.get_session_epoch().call().await)
    }

    /// Whether the session's authorization is stored on-chain for the current epoch.
    pub async fn is_session_cached(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_cached", self.contract.is_session_cached(&session_hash).call().await)
    }

    /// Whether the session was revoked by hash.
    pub async fn is_session_revoked(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_revoked", self.contract.is_session_revoked(&session_hash).call().await)
    }

    /// Whether the session is registered on-chain (`register_session`) in the current epoch.
    pub async fn is_session_registered(&self, session_hash: Felt) -> Result<bool, SdkError> {
        self.view("is_session_registered", self.contract.is_session_registered(&session_hash).call().await)
    }

    fn view<T>(
        &self,
        entrypoint: &str,
        result: Result<T, session_bindings::cainome::cairo_serde::Error>,
    ) -> Result<T, SdkError> {
        result.map_err(|error| SdkError::from_call(entrypoint, self.contract.address, error))
    }

    async fn finish(
        &self,
        entrypoint: &str,
        sent: Result<starknet::core::types::InvokeTransactionResult, AccountError<A::SignError>>,
    ) -> Result<Felt, SdkError> {
        let sent = sent.map_err(|error| SdkError::from_account(format!("sending {entrypoint}"), error))?;
        wait_for_success(self.contract.account.provider(), sent.transaction_hash).await?;
        Ok(sent.transaction_hash)
    }
}
