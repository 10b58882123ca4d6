//! Declaring and deploying the session account, and waiting for transactions.

use std::time::Duration;

use async_trait::async_trait;
use session_bindings::ContractArtifact;
use session_core::OwnerKey;
use starknet::accounts::{
    AccountFactory, AccountFactoryError, ConnectedAccount, PreparedAccountDeploymentV3,
    RawAccountDeploymentV3,
};
use starknet::contract::{ContractFactory, UdcSelector};
use starknet::core::types::{
    BlockId, BlockTag, ExecutionResult, Felt, StarknetError, TransactionReceiptWithBlockInfo,
};
use starknet::core::utils::get_contract_address;
use starknet::providers::{Provider, ProviderError};

use crate::{OwnerSigner, SdkError};

/// The STRK fee token (same address on mainnet, Sepolia and devnet).
pub const STRK_TOKEN: Felt =
    Felt::from_hex_unchecked("0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d");

const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits for a transaction's receipt; a revert is an error carrying its reason.
pub async fn wait_for_success<P: Provider>(
    provider: &P,
    hash: Felt,
) -> Result<TransactionReceiptWithBlockInfo, SdkError> {
    let started = std::time::Instant::now();
    loop {
        match provider.get_transaction_receipt(hash).await {
            Ok(receipt) => {
                if let ExecutionResult::Reverted { reason } = receipt.receipt.execution_result() {
                    return Err(match SdkError::rejected(format!("transaction {hash:#x}"), reason.clone()) {
                        SdkError::Transaction { message, .. } => SdkError::Reverted { hash, reason: message },
                        session_rejection => session_rejection,
                    });
                }
                return Ok(receipt);
            }
            Err(ProviderError::StarknetError(StarknetError::TransactionHashNotFound)) => {
                if started.elapsed() > RECEIPT_TIMEOUT {
                    return Err(SdkError::ReceiptTimeout { hash, seconds: RECEIPT_TIMEOUT.as_secs() });
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(source) => {
                return Err(SdkError::Provider {
                    context: format!("receipt of {hash:#x}"),
                    source: Box::new(source),
                })
            }
        }
    }
}

/// Whether the class `class_hash` is declared on the network (pre-confirmed state).
pub async fn is_class_declared<P: Provider>(provider: &P, class_hash: Felt) -> Result<bool, SdkError> {
    match provider.get_class(BlockId::Tag(BlockTag::PreConfirmed), class_hash).await {
        Ok(_) => Ok(true),
        Err(ProviderError::StarknetError(StarknetError::ClassHashNotFound)) => Ok(false),
        Err(source) => Err(SdkError::Provider {
            context: format!("looking up class {class_hash:#x}"),
            source: Box::new(source),
        }),
    }
}

/// Declares `artifact` with `account` unless the class is already declared; returns its class hash.
pub async fn declare_if_needed<A: ConnectedAccount + Sync>(
    account: &A,
    artifact: &ContractArtifact,
) -> Result<Felt, SdkError> {
    let provider = account.provider();
    if is_class_declared(provider, artifact.class_hash).await? {
        return Ok(artifact.class_hash);
    }
    let declared = account
        .declare_v3(artifact.class.clone(), artifact.compiled_class_hash)
        .send()
        .await
        .map_err(|error| SdkError::from_account("declaring the class", error))?;
    wait_for_success(provider, declared.transaction_hash).await?;
    Ok(artifact.class_hash)
}

/// Deploys a contract of `artifact` (declaring it first if needed) through the Universal Deployer,
/// paid by `funder`; returns its address.
pub async fn deploy_contract<A: ConnectedAccount + Sync>(
    funder: &A,
    artifact: &ContractArtifact,
    constructor_calldata: Vec<Felt>,
    salt: Felt,
) -> Result<Felt, SdkError> {
    let class_hash = declare_if_needed(funder, artifact).await?;
    let factory = ContractFactory::new_with_udc(class_hash, funder, UdcSelector::New);
    let deployment = factory.deploy_v3(constructor_calldata, salt, false);
    let address = deployment.deployed_address();
    let sent = deployment.send().await.map_err(|error| SdkError::from_account("deploying", error))?;
    wait_for_success(funder.provider(), sent.transaction_hash).await?;
    Ok(address)
}

/// The address of the session account owned by `owner` deployed with `salt` by a `DEPLOY_ACCOUNT`
/// transaction (its counterfactual address: fund it before deploying).
pub fn session_account_address(owner: &OwnerKey, salt: Felt) -> Result<Felt, SdkError> {
    let class_hash = session_bindings::session_account_artifact()?.class_hash;
    Ok(get_contract_address(salt, class_hash, &owner.to_felts(), Felt::ZERO))
}

/// The `DEPLOY_ACCOUNT` side of the session account: its constructor calldata is the owner key,
/// and the owner (Stark key or passkey) signs the deployment.
struct SessionAccountFactory<'a, P, S: ?Sized> {
    class_hash: Felt,
    chain_id: Felt,
    calldata: Vec<Felt>,
    owner: &'a S,
    provider: P,
}

#[async_trait]
impl<P: Provider + Send + Sync, S: OwnerSigner + ?Sized> AccountFactory for SessionAccountFactory<'_, P, S> {
    type Provider = P;
    type SignError = SdkError;

    fn class_hash(&self) -> Felt {
        self.class_hash
    }

    fn calldata(&self) -> Vec<Felt> {
        self.calldata.clone()
    }

    fn chain_id(&self) -> Felt {
        self.chain_id
    }

    fn provider(&self) -> &P {
        &self.provider
    }

    fn is_signer_interactive(&self) -> bool {
        self.owner.is_interactive()
    }

    fn block_id(&self) -> BlockId {
        BlockId::Tag(BlockTag::PreConfirmed)
    }

    async fn sign_deployment_v3(
        &self,
        deployment: &RawAccountDeploymentV3,
        query_only: bool,
    ) -> Result<Vec<Felt>, SdkError> {
        let hash =
            PreparedAccountDeploymentV3::from_raw(deployment.clone(), self).transaction_hash(query_only);
        Ok(self.owner.sign_owner_hash(hash).await?.encode())
    }
}

/// Deploys the session account of `owner` (a Stark key or a passkey) at
/// [`session_account_address`] with a `DEPLOY_ACCOUNT` v3 transaction signed by the owner and paid
/// from that address's own (pre-funded) STRK. The class must already be declared on the network
/// ([`declare_if_needed`]). Returns the address.
pub async fn deploy_session_account<P: Provider + Send + Sync>(
    provider: P,
    chain_id: Felt,
    owner: &(impl OwnerSigner + ?Sized),
    salt: Felt,
) -> Result<Felt, SdkError> {
    let factory = SessionAccountFactory {
        class_hash: session_bindings::session_account_artifact()?.class_hash,
        chain_id,
        calldata: owner.owner_key().to_felts(),
        owner,
        provider,
    };
    let deployment = factory.deploy_v3(salt);
    let address = deployment.address();
    let sent = deployment.send().await.map_err(|error| match error {
        AccountFactoryError::Provider(error) => SdkError::from_provider("deploying the account", error),
        AccountFactoryError::Signing(error) => error,
        other => SdkError::rejected("deploying the account", other.to_string()),
    })?;
    wait_for_success(factory.provider(), sent.transaction_hash).await?;
    Ok(address)
}

/// Deploys a session account owned by `owner` (a Stark key or a passkey) through the Universal
/// Deployer, paid by `funder` (declaring the class first if needed); returns its address. Fund it
/// (STRK) before it sends its own transactions.
pub async fn deploy_session_account_via_udc<A: ConnectedAccount + Sync>(
    funder: &A,
    owner: &OwnerKey,
    salt: Felt,
) -> Result<Felt, SdkError> {
    let artifact = session_bindings::session_account_artifact()?;
    deploy_contract(funder, &artifact, owner.to_felts(), salt).await
}
