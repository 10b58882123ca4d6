//! What the account owner does: authorize, register and revoke sessions.

use session_bindings::cainome::cairo_serde::{ContractAddress, U256 as CairoU256};
use session_bindings::session_account::{self as bindings, SessionAccount as SessionAccountContract};
use session_core::snip12::owner_rotation_hash;
use session_core::{Policy, Session, SessionBuilder, SessionKey, SpendLimit, StarkSignature, U256};
use starknet::accounts::{AccountError, ConnectedAccount, ExecutionEncoding, SingleOwnerAccount};
use starknet::core::types::{BlockId, BlockTag, Felt, StarknetError};
use starknet::providers::{Provider, ProviderError};
use starknet::signers::{LocalWallet, SigningKey};

use crate::deploy::wait_for_success;
use crate::{SdkError, SessionAccount};

/// The owner's authorization of `session` for `account` on `chain_id`: a signature of the session
/// hash. Nothing is sent; the session key's transactions carry it (or register it on-chain).
///
/// # Example: create a session (offline: one owner signature, no transaction)
///
/// ```
/// use session_sdk::protocol::{SessionBuilder, SessionKey};
/// use starknet::core::types::Felt;
/// use starknet::signers::SigningKey;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let owner = SigningKey::from_random();
/// let (chain_id, account, game) = (Felt::from_hex("0x534e5f5345504f4c4941")?, Felt::from(0x1234u32), Felt::from(0x5678u32));
///
/// let key = SessionKey::generate()?; // stays with the app; only its public key is authorized
/// let session = SessionBuilder::new(key.public_key())
///     .expires_at(1_900_000_000)
///     .allow(game, "increase")
///     .build()?;
/// let authorization = session_sdk::authorize_session(&owner, &session, chain_id, account)?;
///
/// let hash = session.hash(chain_id, account);
/// assert!(starknet::core::crypto::ecdsa_verify(&owner.verifying_key().scalar(), &hash,
///     &starknet::core::crypto::Signature { r: authorization.r, s: authorization.s })?);
/// # Ok(()) }
/// ```
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

/// Creates a session for `account`: generates its key, reads the account's current session epoch
/// (a session of any other epoch would be refused), lets `build` describe the session for that
/// key's public key, and has `owner` authorize it (one signature, offline; nothing is sent).
/// Returns the handle that holds the session key in memory and sends its transactions.
///
/// An account not deployed yet is in its first epoch (0). Save the session with
/// [`SessionAccount::to_file`] to use it from another process.
pub async fn create_session<P: Provider + Sync>(
    owner: &SigningKey,
    provider: P,
    account: Felt,
    chain_id: Felt,
    build: impl FnOnce(SessionBuilder) -> SessionBuilder,
) -> Result<SessionAccount<P>, SdkError> {
    let epoch = current_epoch(&provider, account).await?;
    let key = SessionKey::generate()?;
    let session = build(SessionBuilder::new(key.public_key()).epoch(epoch)).build()?;
    let authorization = authorize_session(owner, &session, chain_id, account)?;
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

/// The session account at `address` as its owner uses it: a starknet-rs `SingleOwnerAccount`
/// signing with `owner`, reading the pre-confirmed state (what [`SessionAdmin`] needs).
pub fn owner_account<P: Provider + Send + Sync>(
    provider: P,
    chain_id: Felt,
    address: Felt,
    owner: SigningKey,
) -> SingleOwnerAccount<P, LocalWallet> {
    let mut account = SingleOwnerAccount::new(
        provider,
        LocalWallet::from(owner),
        address,
        chain_id,
        ExecutionEncoding::New,
    );
    account.set_block_id(BlockId::Tag(BlockTag::PreConfirmed));
    account
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
    }
}

fn to_binding(session: &Session) -> bindings::Session {
    bindings::Session {
        session_key: session.session_key,
        expires_at: session.expires_at,
        allowed_methods_root: session.allowed_methods_root(),
        policy_hash: session.policy_hash(),
        epoch: session.epoch,
    }
}

/// Session administration through an owner-signed account (e.g. a starknet-rs
/// `SingleOwnerAccount` with the owner key at the session account's address).
///
/// # Example: revoke a session (runs against a local devnet)
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let devnet = local_devnet::Devnet::spawn().await?;
/// # let owner_key = starknet::signers::SigningKey::from_random();
/// # let account = session_sdk::deploy_session_account_via_udc(&devnet.account(0), owner_key.verifying_key().scalar(), 1u8.into()).await?;
/// # devnet.mint(account, 1_000_000_000_000_000_000).await?;
/// # let chain_id = devnet.chain_id();
/// # let session = session_sdk::protocol::SessionBuilder::new(7u8.into()).expires_at(2_000_000_000).allow(1u8.into(), "increase").build()?;
/// use session_sdk::SessionAdmin;
/// use starknet::accounts::{ExecutionEncoding, SingleOwnerAccount};
/// use starknet::signers::LocalWallet;
///
/// let owner = SingleOwnerAccount::new(devnet.provider(), LocalWallet::from(owner_key), account, chain_id, ExecutionEncoding::New);
/// let admin = SessionAdmin::new(owner);
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

    /// Revokes every session issued so far.
    pub async fn revoke_all_sessions(&self) -> Result<Felt, SdkError> {
        let sent = self.contract.revoke_all_sessions().send().await;
        self.finish("revoke_all_sessions", sent).await
    }

    /// Replaces the owner key with `new_owner` (which signs its acceptance). Every session ends
    /// (the rotation starts a new session epoch), whichever keys are involved.
    pub async fn rotate_owner(&self, new_owner: &SigningKey) -> Result<Felt, SdkError> {
        let account = &self.contract.account;
        let current = self.owner().await?;
        let new_public_key = new_owner.verifying_key().scalar();
        let hash = owner_rotation_hash(account.chain_id(), account.address(), current, new_public_key);
        let proof = new_owner.sign(&hash).map_err(|error| SdkError::Signing(error.to_string()))?;
        let sent = self.contract.set_owner(&new_public_key, &vec![proof.r, proof.s]).send().await;
        self.finish("set_owner", sent).await
    }

    /// The owner's public key.
    pub async fn owner(&self) -> Result<Felt, SdkError> {
        self.view("get_owner", self.contract.get_owner().call().await)
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
