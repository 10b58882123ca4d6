//! A starknet-rs account that signs with a session key, and the SDK's own ways of sending through
//! it: single transactions, back-to-back sequences with local nonce tracking, and SNIP-9 payloads.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use session_core::snip12::{short_string, OutsideExecution, ANY_CALLER};
use session_core::{
    check_session_calls, check_session_fee, snip12::session_key_message, AccountSignature, AllowedMethod,
    CallPermission, KeyError, OwnerSignature, PreflightError, Session, SessionKey, SessionSignature,
    SessionUsage,
};
use starknet::accounts::{
    Account, AccountError, ConnectedAccount, ExecutionEncoder, ExecutionV3, RawDeclarationV3, RawExecutionV3,
};
use starknet::core::types::{BlockId, BlockTag, Call, FeeEstimate, Felt, TransactionReceiptWithBlockInfo};
use starknet::providers::{Provider, ProviderError};
use starknet::signers::SignerInteractivityContext;
use tokio::sync::Mutex;

use crate::audit::session_usage;
use crate::deploy::wait_for_success;
use crate::{SdkError, SessionFile};

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
    /// The session does not list this off-chain message kind.
    #[error("the session may not sign messages of type {type_hash:#x} in domain {domain_hash:#x}")]
    MessageNotAllowed {
        /// The message's SNIP-12 domain hash.
        domain_hash: Felt,
        /// The message's primary type hash.
        type_hash: Felt,
    },
}

/// How often one transaction of a sequence is re-sent when the node's answer was lost.
const MAX_RESENDS: u32 = 3;
/// How often one transaction of a sequence resyncs its nonce with the chain.
const MAX_NONCE_RESYNCS: u32 = 3;
/// Safety margin on estimated gas amounts and prices (the starknet-rs default).
pub const FEE_MARGIN: f64 = 1.5;

/// A session account as seen by the session key: signs transactions within the session.
///
/// It implements starknet-rs [`Account`], so cainome bindings and `execute_v3` work through it
/// unchanged. Its own [`send`](Self::send), [`execute`](Self::execute) and
/// [`send_sequence`](Self::send_sequence) add local nonce tracking and typed session errors.
///
/// It sends the owner's authorization with every transaction until told the authorization is
/// stored on-chain ([`SessionAccount::use_on_chain_authorization`]), which makes signatures
/// two felts shorter and skips one signature check.
///
/// # Example: execute within a session (runs against a local devnet)
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let devnet = local_devnet::Devnet::spawn().await?;
/// # let owner = starknet::signers::SigningKey::from_random();
/// # let funder = devnet.account(0);
/// # let account = session_sdk::deploy_session_account_via_udc(&funder, &session_sdk::OwnerSigner::owner_key(&owner), 1u8.into()).await?;
/// # devnet.mint(account, 1_000_000_000_000_000_000).await?;
/// # let game = session_sdk::deploy_contract(&funder, &session_sdk::bindings::counter_artifact()?, vec![], 1u8.into()).await?;
/// # let expires_at = devnet.latest_block_timestamp().await? + 3600;
/// # let chain_id = devnet.chain_id();
/// use session_sdk::protocol::{SessionBuilder, SessionKey};
/// use session_sdk::{authorize_session, SessionAccount};
/// use starknet::core::{types::Call, utils::get_selector_from_name};
///
/// let key = SessionKey::generate()?;
/// let session = SessionBuilder::new(key.public_key()).expires_at(expires_at).allow(game, "increase").build()?;
/// let authorization = authorize_session(&owner, &session, chain_id, account).await?;
/// let session_account = SessionAccount::new(devnet.provider(), account, chain_id, session, key, Some(authorization));
///
/// let increase = Call { to: game, selector: get_selector_from_name("increase")?, calldata: vec![3u8.into()] };
/// session_account.execute(vec![increase]).await?;
/// # Ok(()) }
/// ```
pub struct SessionAccount<P> {
    provider: P,
    address: Felt,
    chain_id: Felt,
    session: Session,
    session_hash: Felt,
    key: SessionKey,
    owner_authorization: Option<OwnerSignature>,
    pub(crate) preflight: bool,
    block_id: BlockId,
    /// The nonce of the next transaction, when known locally; `None` means ask the chain.
    next_nonce: Mutex<Option<Felt>>,
    /// How to sign: by reference once the session is stored on-chain, and which leaves it proved.
    signing: std::sync::Mutex<SigningState>,
}

/// What the account knows of the session's on-chain state, to sign as briefly as it can.
#[derive(Clone, Debug, Default)]
struct SigningState {
    /// The session is stored on-chain (registered, or cached by an accepted transaction): sign
    /// by reference (6 felts for a single-method session) instead of carrying the session.
    by_reference: bool,
    /// Leaves the account remembers for the session (their calls need no proof).
    remembered: std::collections::BTreeSet<Felt>,
    /// The stored expiry, when the owner extended the session past its signed one.
    extended_to: Option<u64>,
}

impl<P> SessionAccount<P> {
    /// A session account at `address` on `chain_id`, signing with `key` within `session`;
    /// `owner_authorization` is the owner's signature of the session hash (its first transaction
    /// carries it and stores the session), or `None` if the session is registered or cached
    /// on-chain (transactions then name it by hash). After the first transaction the SDK sends
    /// is accepted, it signs by reference too.
    pub fn new(
        provider: P,
        address: Felt,
        chain_id: Felt,
        session: Session,
        key: SessionKey,
        owner_authorization: Option<OwnerSignature>,
    ) -> Self {
        let session_hash = session.hash(chain_id, address);
        let by_reference = owner_authorization.is_none();
        Self {
            provider,
            address,
            chain_id,
            session,
            session_hash,
            key,
            owner_authorization,
            preflight: true,
            block_id: BlockId::Tag(BlockTag::PreConfirmed),
            next_nonce: Mutex::new(None),
            signing: std::sync::Mutex::new(SigningState { by_reference, ..SigningState::default() }),
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

    /// From now on, sign by reference to the session stored on-chain (it is registered, or
    /// cached by an earlier transaction). The SDK's own sends switch by themselves after the first
    /// accepted transaction; [`refresh_from_chain`](Self::refresh_from_chain) asks the chain.
    pub fn use_on_chain_authorization(&mut self) {
        self.signing_state().by_reference = true;
    }

    /// Whether transactions name the stored session by hash (rather than carrying it).
    pub fn signs_by_reference(&self) -> bool {
        self.signing_state().by_reference
    }

    fn signing_state(&self) -> std::sync::MutexGuard<'_, SigningState> {
        // A poisoned lock only means another thread panicked while holding plain data.
        self.signing.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that a transaction of `calls` passed validation: the session is stored, and the
    /// leaves its signature asked the account to remember are remembered.
    pub(crate) fn mark_validated(&self, calls: &[Call]) {
        let mut state = self.signing_state();
        state.by_reference = true;
        let Ok(permissions) = self.session.permissions_for(calls) else {
            return;
        };
        let entries = self.session.entries_for(calls, permissions, &state.remembered);
        for (call, entry) in calls.iter().zip(entries) {
            if let (true, Ok((leaf, _))) = (entry.remember, self.session.leaf_for(call)) {
                state.remembered.insert(leaf);
            }
        }
    }

    /// Turns the pre-flight check (on by default) off or on. Off, calls outside the session are
    /// signed with empty proofs and reach the chain: only for showing that the account itself
    /// enforces the session.
    pub fn set_preflight_checks(&mut self, enabled: bool) {
        self.preflight = enabled;
    }

    /// The transaction signature for `calls` under `hash` (a transaction or SNIP-9 hash).
    ///
    /// With pre-flight checks on, refuses calls the session can never make (method, arguments,
    /// unlisted token, more than a whole spend limit); what is left of the limits is checked by
    /// [`send`](Self::send), which reads the session's usage from the chain.
    pub fn sign_calls(&self, hash: Felt, calls: &[Call]) -> Result<Vec<Felt>, SessionSignError> {
        if self.preflight {
            // Expiry is left to the contract: the chain's clock, not ours, decides.
            check_session_calls(&self.session, self.address, calls, 0, &SessionUsage::default())?;
        }
        let permissions: Vec<CallPermission> = calls
            .iter()
            .map(|call| {
                // Without pre-flight, a call breaking its method's rules presents the method's
                // first leaf and an uncovered call an empty proof: the chain judges them.
                self.session.permission_for(call).unwrap_or_else(|_| {
                    let method = AllowedMethod { contract_address: call.to, selector: call.selector };
                    self.session.first_permission_of(method).unwrap_or(CallPermission {
                        proof: vec![],
                        rules: vec![],
                        remember: false,
                    })
                })
            })
            .collect();
        let session_signature = self.key.sign(session_key_message(hash, self.session_hash))?;
        let state = self.signing_state().clone();
        let entries = self.session.entries_for(calls, permissions, &state.remembered);
        if !state.by_reference {
            return Ok(AccountSignature::Session(SessionSignature {
                session: self.session.to_felts(),
                owner_authorization: self.owner_authorization.clone(),
                session_signature,
                policy: self.session.policy_felts(),
                calls: entries,
            })
            .encode());
        }
        let mut reference =
            self.session.reference_signature(self.session_hash, session_signature, calls, entries);
        if let Some(expires_at) = state.extended_to {
            reference.terms = self.session.terms_with_expiry(expires_at);
        }
        Ok(AccountSignature::SessionRef(reference).encode())
    }

    /// This session as a [`SessionFile`], its key encrypted with `password`, to save and reopen
    /// in another process; `entrypoint_names` names selectors for people reading the file.
    pub fn to_file(
        &self,
        password: &str,
        entrypoint_names: &BTreeMap<Felt, String>,
    ) -> Result<SessionFile, SdkError> {
        SessionFile::new(
            self.chain_id,
            self.address,
            &self.session,
            self.owner_authorization.clone(),
            &self.key,
            password,
            entrypoint_names,
        )
    }

    /// The session key's signature of an off-chain message for the account, of a kind the
    /// session lists (`message`: its SNIP-12 domain hash and primary type hash), whose struct is
    /// `poseidon(type_hash, fields…)`: what the account's `is_valid_signature` accepts while the
    /// session is stored (registered, or cached by a transaction), unpaused and unexpired — e.g. a
    /// DEX order a bot signs. Returns the message hash and the signature.
    pub fn sign_message(
        &self,
        message: session_core::AllowedMessage,
        fields: &[Felt],
    ) -> Result<(Felt, Vec<Felt>), SessionSignError> {
        if !self.session.allowed_messages().contains(&message) {
            return Err(SessionSignError::MessageNotAllowed {
                domain_hash: message.domain_hash,
                type_hash: message.type_hash,
            });
        }
        Ok(self.session.sign_message(&self.key, self.chain_id, self.address, message, fields)?)
    }

    /// What the session has used of its limits so far (calls, fees, spending), read from the
    /// account (all zero for a session without a policy).
    ///
    /// # Example: a session limited to 2 moves and 1 STRK of fees (runs against a local devnet)
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let devnet = local_devnet::Devnet::spawn().await?;
    /// # let owner = starknet::signers::SigningKey::from_random();
    /// # let funder = devnet.account(0);
    /// # let account = session_sdk::deploy_session_account_via_udc(&funder, &session_sdk::OwnerSigner::owner_key(&owner), 1u8.into()).await?;
    /// # devnet.mint(account, 10_000_000_000_000_000_000).await?;
    /// # let game = session_sdk::deploy_contract(&funder, &session_sdk::bindings::counter_artifact()?, vec![], 1u8.into()).await?;
    /// # let expires_at = devnet.latest_block_timestamp().await? + 3600;
    /// use session_sdk::protocol::{Policy, PreflightError};
    /// use session_sdk::SdkError;
    /// use starknet::core::{types::Call, utils::get_selector_from_name};
    ///
    /// let limits = Policy { max_calls: Some(2), fee_budget: Some(1_000_000_000_000_000_000), ..Policy::default() };
    /// let session = session_sdk::create_session(&owner, devnet.provider(), account, devnet.chain_id(), |s| {
    ///     s.expires_at(expires_at).allow(game, "increase").policy(limits)
    /// }).await?;
    /// let increase = Call { to: game, selector: get_selector_from_name("increase")?, calldata: vec![1u8.into()] };
    /// session.execute(vec![increase.clone(), increase.clone()]).await?;
    /// assert_eq!(session.usage().await?.calls, 2);
    /// let refused = session.execute(vec![increase]).await;
    /// assert!(matches!(refused, Err(SdkError::Preflight(PreflightError::CallLimitReached { .. }))));
    /// # Ok(()) }
    /// ```
    pub async fn usage(&self) -> Result<SessionUsage, SdkError>
    where
        P: Provider + Sync,
    {
        session_usage(&self.provider, self.address, &self.session, self.session_hash).await
    }

    /// Reads the session's on-chain state and signs accordingly: by reference once it is stored
    /// (registered or cached), with the expiry the owner extended it to, if any.
    pub async fn refresh_from_chain(&self) -> Result<(), SdkError>
    where
        P: Provider + Sync,
    {
        let mut reader =
            session_bindings::session_account::SessionAccountReader::new(self.address, &self.provider);
        reader.set_block(self.block_id);
        let stored_expiry = reader
            .get_session_expiry(&self.session_hash)
            .call()
            .await
            .map_err(|error| SdkError::from_call("get_session_expiry", self.address, error))?;
        let mut state = self.signing_state();
        if stored_expiry != 0 {
            state.by_reference = true;
            state.extended_to = (stored_expiry != self.session.expires_at).then_some(stored_expiry);
        }
        Ok(())
    }

    /// A SNIP-9 outside execution of `calls`, signed by the session key, that a relayer may
    /// submit strictly between the two Unix times.
    ///
    /// WARNING: with `caller` `None` the payload names `ANY_CALLER`: **anyone** who sees it (a
    /// relayer, a paymaster, whoever it is sent through) may submit it, once, within its window.
    /// The session rules still bind its calls, but pass the relayer's address when only that
    /// relayer should be able to submit it.
    pub fn sign_outside_execution(
        &self,
        calls: Vec<Call>,
        caller: Option<Felt>,
        execute_after: u64,
        execute_before: u64,
    ) -> Result<SignedOutsideExecution, SdkError> {
        let execution = OutsideExecution {
            caller: caller.unwrap_or(short_string(ANY_CALLER)),
            nonce: session_core::random_felt()?,
            execute_after,
            execute_before,
            calls,
        };
        let hash = execution.message_hash(self.chain_id, self.address);
        let signature = self.sign_calls(hash, &execution.calls)?;
        Ok(SignedOutsideExecution { account: self.address, execution, signature })
    }
}

/// A session-signed SNIP-9 outside execution, ready for a relayer or paymaster.
#[derive(Clone, Debug)]
pub struct SignedOutsideExecution {
    /// The session account that runs the calls.
    pub account: Felt,
    /// What was signed.
    pub execution: OutsideExecution,
    /// The session signature.
    pub signature: Vec<Felt>,
}

impl SignedOutsideExecution {
    /// The `execute_from_outside_v2` call a relayer puts in its own transaction.
    pub fn call(&self) -> Call {
        session_core::paymaster::execute_from_outside_call(self.account, &self.execution, &self.signature)
    }

    /// Submits it from `relayer` (which pays the fee) and waits until it succeeds.
    pub async fn submit<A: ConnectedAccount + Sync>(
        &self,
        relayer: &A,
    ) -> Result<TransactionReceiptWithBlockInfo, SdkError> {
        let sent = relayer
            .execute_v3(vec![self.call()])
            .send()
            .await
            .map_err(|error| SdkError::from_account("relaying an outside execution", error))?;
        wait_for_success(relayer.provider(), sent.transaction_hash).await
    }
}

impl<P: Provider + Send + Sync> SessionAccount<P> {
    /// Estimates the fee of a session transaction of `calls` (runs full validation).
    pub async fn estimate(&self, calls: Vec<Call>) -> Result<FeeEstimate, SdkError> {
        self.execute_v3(calls)
            .estimate_fee()
            .await
            .map_err(|error| SdkError::from_session_account("estimating the fee", error))
    }

    /// A dry run: the pre-flight check (with the session's usage read from the chain) and the fee
    /// estimate of a session transaction of `calls`, whose maximum fee must fit the session's fee
    /// cap and budget. Nothing is sent.
    pub async fn check_and_estimate(&self, calls: Vec<Call>) -> Result<FeeEstimate, SdkError> {
        let usage =
            if self.session.policy().is_unlimited() { SessionUsage::default() } else { self.usage().await? };
        if self.preflight {
            check_session_calls(&self.session, self.address, &calls, 0, &usage)?;
        }
        let fee = self.estimate(calls).await?;
        if self.preflight {
            check_session_fee(&self.session, max_fee(&fee, 1.0), usage.fees_committed)?;
        }
        Ok(fee)
    }

    /// Sends one session transaction of `calls` without waiting for it; returns its hash.
    /// The pre-flight check runs first: nothing is sent if it fails.
    pub async fn send(&self, calls: Vec<Call>) -> Result<Felt, SdkError> {
        let mut next_nonce = self.next_nonce.lock().await;
        self.submit(&calls, &mut next_nonce, &mut None).await
    }

    /// Sends one session transaction of `calls` and waits until it succeeds.
    pub async fn execute(&self, calls: Vec<Call>) -> Result<TransactionReceiptWithBlockInfo, SdkError> {
        let hash = self.send(calls).await?;
        wait_for_success(&self.provider, hash).await
    }

    /// Sends one transaction per batch of calls, back to back, without waiting for any to be
    /// accepted; returns their hashes in order.
    ///
    /// Guarantees: transactions go out in order with consecutive nonces tracked locally (one
    /// nonce query per sequence, not per transaction). A transaction whose submission got no
    /// answer is re-sent identically (same nonce, same hash), so it is never included twice. If
    /// the node says a nonce is already used (another sender used this account), the nonce is
    /// re-read from the chain and only that transaction is rebuilt. On any other refusal the
    /// sequence stops with [`SdkError::SequenceInterrupted`], whose `sent` lists exactly the
    /// transactions submitted; none of the later ones was sent. Sequences on one
    /// `SessionAccount` never interleave. Submitted is not yet accepted: wait on the hashes
    /// (e.g. [`wait_for_success`]) to know each outcome.
    ///
    /// Speed: the fee is estimated once per shape of calls (targets, entrypoints, calldata
    /// lengths) and signing form, and those bounds (with the usual margin) reused for the next
    /// transactions of the same shape; a transaction the node refuses with reused bounds is
    /// re-estimated and sent again, once.
    ///
    /// Limits: the pre-flight check reads the session's usage before each transaction, and
    /// transactions of the sequence still pending are not in it yet; a sequence can therefore
    /// submit more than a limit allows; the account then reverts the excess when it executes (each
    /// reverted transaction pays its fee, within the session's fee cap and budget).
    pub async fn send_sequence(&self, batches: Vec<Vec<Call>>) -> Result<Vec<Felt>, SdkError> {
        let mut next_nonce = self.next_nonce.lock().await;
        let total = batches.len();
        let mut sent = Vec::with_capacity(total);
        let mut estimate = None;
        for calls in batches {
            match self.submit(&calls, &mut next_nonce, &mut estimate).await {
                Ok(hash) => sent.push(hash),
                Err(error) => {
                    return Err(SdkError::SequenceInterrupted { sent, total, source: Box::new(error) })
                }
            }
        }
        Ok(sent)
    }

    /// Submits one transaction at the locally tracked nonce, resyncing it when the node refuses.
    async fn submit(
        &self,
        calls: &[Call],
        next_nonce: &mut Option<Felt>,
        estimate: &mut Option<ReusableEstimate>,
    ) -> Result<Felt, SdkError> {
        let mut fees_committed = None;
        if self.preflight {
            let usage = if self.session.policy().is_unlimited() {
                SessionUsage::default()
            } else {
                self.usage().await?
            };
            check_session_calls(&self.session, self.address, calls, 0, &usage)?;
            fees_committed = Some(usage.fees_committed);
        }
        let mut resyncs = 0;
        loop {
            let nonce = match *next_nonce {
                Some(nonce) => nonce,
                None => self.get_nonce().await.map_err(|source| SdkError::Provider {
                    context: "reading the nonce".into(),
                    source: Box::new(source),
                })?,
            };
            match self.submit_at(calls, nonce, fees_committed, estimate).await {
                Ok(hash) => {
                    *next_nonce = Some(nonce + Felt::ONE);
                    self.mark_validated(calls);
                    return Ok(hash);
                }
                Err(SdkError::InvalidNonce { .. }) if resyncs < MAX_NONCE_RESYNCS => {
                    resyncs += 1;
                    *next_nonce = None;
                }
                Err(error) => {
                    *next_nonce = None;
                    return Err(error);
                }
            }
        }
    }

    /// Estimates (or reuses `estimate` when it is of the same shape), signs and sends one
    /// transaction with `nonce`; a submission whose answer is lost is checked by hash and re-sent
    /// identically, and one refused with reused bounds is re-estimated and sent again. With
    /// `fees_committed` (pre-flight on), the resource bounds must fit the session's fee cap and
    /// remaining budget: the safety margin is dropped if that makes them fit, else nothing is sent.
    async fn submit_at(
        &self,
        calls: &[Call],
        nonce: Felt,
        fees_committed: Option<u128>,
        estimate: &mut Option<ReusableEstimate>,
    ) -> Result<Felt, SdkError> {
        let shape = ReusableEstimate::shape_of(calls, self.signs_by_reference());
        if let Some(reusable) = estimate.as_ref().filter(|reusable| reusable.shape == shape) {
            let fee = reusable.fee.clone();
            match self.send_with_fee(calls, nonce, fees_committed, &fee).await {
                Ok(hash) => return Ok(hash),
                Err(error @ (SdkError::InvalidNonce { .. } | SdkError::Preflight(_))) => return Err(error),
                Err(_) => *estimate = None, // perhaps the reused bounds: estimate afresh, once
            }
        }
        let fee = self
            .execute_v3(calls.to_vec())
            .nonce(nonce)
            .estimate_fee()
            .await
            .map_err(|error| SdkError::from_session_account("estimating the fee", error))?;
        *estimate = Some(ReusableEstimate { shape, fee: fee.clone() });
        self.send_with_fee(calls, nonce, fees_committed, &fee).await
    }

    /// Signs and sends one transaction with bounds from `fee` (times the margin that fits the
    /// session's fee limits).
    async fn send_with_fee(
        &self,
        calls: &[Call],
        nonce: Felt,
        fees_committed: Option<u128>,
        fee: &FeeEstimate,
    ) -> Result<Felt, SdkError> {
        let fee = fee.clone();
        let mut margin = FEE_MARGIN;
        if let Some(committed) = fees_committed {
            if check_session_fee(&self.session, max_fee(&fee, margin), committed).is_err() {
                margin = 1.0;
            }
            check_session_fee(&self.session, max_fee(&fee, margin), committed)?;
        }
        let prepared = self.execute_v3(calls.to_vec()).nonce(nonce);
        let prepared = with_fee_bounds(prepared, &fee, margin).prepared().expect("every fee field is set");
        let hash = prepared.transaction_hash(false);
        let mut resends = 0;
        loop {
            match prepared.send().await {
                Ok(sent) => return Ok(sent.transaction_hash),
                Err(AccountError::Provider(ProviderError::Other(_) | ProviderError::RateLimited))
                    if resends < MAX_RESENDS =>
                {
                    resends += 1;
                    if self.provider.get_transaction_status(hash).await.is_ok() {
                        return Ok(hash); // the node has it: the answer was lost, not the transaction
                    }
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(resends))).await;
                }
                Err(error) => {
                    return Err(SdkError::from_session_account("sending a session transaction", error))
                }
            }
        }
    }
}

/// A fee estimate reused for the next transactions of a sequence with the same shape.
pub(crate) struct ReusableEstimate {
    shape: (bool, Vec<(Felt, Felt, usize)>),
    fee: FeeEstimate,
}

impl ReusableEstimate {
    /// What makes two transactions cost alike: the signing form, and each call's target,
    /// entrypoint and calldata length.
    fn shape_of(calls: &[Call], by_reference: bool) -> (bool, Vec<(Felt, Felt, usize)>) {
        (by_reference, calls.iter().map(|call| (call.to, call.selector, call.calldata.len())).collect())
    }
}

fn gas_with_margin(gas: u64, margin: f64) -> u64 {
    (gas as f64 * margin) as u64 // float-to-int casts saturate
}

fn price_with_margin(price: u128, margin: f64) -> u128 {
    (price as f64 * margin) as u128
}

/// `execution` with resource bounds of `fee`'s amounts and prices times `margin`, and no tip.
pub fn with_fee_bounds<'a, A>(
    execution: ExecutionV3<'a, A>,
    fee: &FeeEstimate,
    margin: f64,
) -> ExecutionV3<'a, A> {
    execution
        .l1_gas(gas_with_margin(fee.l1_gas_consumed, margin))
        .l1_gas_price(price_with_margin(fee.l1_gas_price, margin))
        .l2_gas(gas_with_margin(fee.l2_gas_consumed, margin))
        .l2_gas_price(price_with_margin(fee.l2_gas_price, margin))
        .l1_data_gas(gas_with_margin(fee.l1_data_gas_consumed, margin))
        .l1_data_gas_price(price_with_margin(fee.l1_data_gas_price, margin))
        .tip(0)
}

/// The most a transaction with the estimate's amounts and prices (times `margin`) can pay, as
/// the account computes it from the resource bounds of [`with_fee_bounds`] (no tip).
pub fn max_fee(fee: &FeeEstimate, margin: f64) -> u128 {
    [
        (fee.l1_gas_consumed, fee.l1_gas_price),
        (fee.l2_gas_consumed, fee.l2_gas_price),
        (fee.l1_data_gas_consumed, fee.l1_data_gas_price),
    ]
    .into_iter()
    .map(|(amount, price)| {
        u128::from(gas_with_margin(amount, margin)).saturating_mul(price_with_margin(price, margin))
    })
    .fold(0u128, u128::saturating_add)
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
