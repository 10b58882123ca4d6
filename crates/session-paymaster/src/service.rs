//! The paymaster itself: SNIP-29 methods, sponsorship rules, budgets, relayers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use session_core::paymaster::{
    any_caller, BuildTransaction, BuildTransactionRequest, BuildTransactionResponse, DirectTransaction,
    ExecutableTransaction, ExecuteDirectRequest, ExecuteRequest, ExecuteResponse, ExecutionParameters,
    FeeEstimate, FeeMode, FeeTransfer, PaymasterErrorCode, TimeBounds, TokenPrice, TrackingResponse,
    TrackingStatus, EXECUTE_FROM_OUTSIDE_V2,
};
use session_core::snip12::OutsideExecution;
use session_core::U256;
use session_sdk::{max_fee, with_fee_bounds, SdkError, FEE_MARGIN};
use starknet::accounts::{Account, AccountError, ExecutionEncoding, SingleOwnerAccount};
use starknet::core::types::{
    BlockId, BlockTag, BroadcastedInvokeTransactionV3, BroadcastedTransaction, Call, DataAvailabilityMode,
    ExecutionResult, FeeEstimate as NodeFeeEstimate, Felt, FunctionCall, ResourceBounds,
    ResourceBoundsMapping, SimulationFlagForEstimateFee, StarknetError, TransactionReceipt,
};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::{JsonRpcClient, Provider, ProviderError};
use starknet::signers::{LocalWallet, SigningKey};
use starknet_crypto::poseidon_hash_many;
use tokio::sync::Mutex;

use crate::config::{ApiKey, Config, RelayerConfig, Token};
use crate::metrics::Metrics;
use crate::store::{NewRequest, RequestRecord, RequestStatus, Reservation, Store, StoreError};

/// SRC-5 id of SNIP-9 version 2: accounts that answer it can run outside executions.
pub const SNIP9_V2_INTERFACE_ID: Felt =
    Felt::from_hex_unchecked("0x1d1144bb2138366ff28d8e9ab57456b1d332ac42196230c3a602003c89872");
/// STRK on every network (the fee token of v3 transactions).
pub const STRK: Felt =
    Felt::from_hex_unchecked("0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d");

type Rpc = JsonRpcClient<HttpTransport>;
type RelayerAccount = SingleOwnerAccount<Arc<Rpc>, LocalWallet>;

/// A JSON-RPC error the server answers with.
#[derive(Debug)]
pub struct RpcError {
    /// The JSON-RPC code.
    pub code: i64,
    /// The name shown in metrics and logs.
    pub name: &'static str,
    /// The message.
    pub message: String,
    /// More, in words.
    pub data: Option<String>,
}

impl RpcError {
    /// A SNIP-29 (or this server's) error with an explanation.
    pub fn paymaster(code: PaymasterErrorCode, data: impl Into<String>) -> Self {
        Self { code: code.code(), name: code.name(), message: code.message(), data: Some(data.into()) }
    }

    fn invalid_params(reason: impl Into<String>) -> Self {
        Self {
            code: -32602,
            name: "INVALID_PARAMS",
            message: "Invalid params".to_owned(),
            data: Some(reason.into()),
        }
    }

    fn method_not_found(method: &str) -> Self {
        Self {
            code: -32601,
            name: "METHOD_NOT_FOUND",
            message: "Method not found".to_owned(),
            data: Some(format!("{method} is not a method of this paymaster")),
        }
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        Self::paymaster(PaymasterErrorCode::UnknownError, error.to_string())
    }

    /// The JSON-RPC `error` object.
    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = json!(data);
        }
        error
    }
}

impl From<StoreError> for RpcError {
    fn from(error: StoreError) -> Self {
        Self::internal(error)
    }
}

/// Maps an estimation or submission failure to its SNIP-29 error.
fn execution_error(error: SdkError) -> RpcError {
    match error {
        SdkError::SessionUnauthorized { reason, .. } => {
            RpcError::paymaster(PaymasterErrorCode::InvalidSignature, reason)
        }
        other => RpcError::paymaster(PaymasterErrorCode::TransactionExecutionError, other.to_string()),
    }
}

struct Relayer {
    account: RelayerAccount,
    lock: Mutex<()>,
}

/// The paymaster: configuration, database, node and relayers.
pub struct Paymaster {
    config: Config,
    store: Store,
    provider: Arc<Rpc>,
    chain_id: Felt,
    relayers: Vec<Relayer>,
    next_relayer: AtomicUsize,
    fee_recipient: Felt,
    /// The server's counters.
    pub metrics: Metrics,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

fn params<T: DeserializeOwned>(params: Value) -> Result<T, RpcError> {
    // SNIP-29 names its parameters; a one-element positional array is accepted too.
    let params = match params {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    };
    serde_json::from_value(params).map_err(|error| RpcError::invalid_params(error.to_string()))
}

fn actual_fee(receipt: &TransactionReceipt) -> Felt {
    match receipt {
        TransactionReceipt::Invoke(receipt) => receipt.actual_fee.amount,
        TransactionReceipt::L1Handler(receipt) => receipt.actual_fee.amount,
        TransactionReceipt::Declare(receipt) => receipt.actual_fee.amount,
        TransactionReceipt::Deploy(receipt) => receipt.actual_fee.amount,
        TransactionReceipt::DeployAccount(receipt) => receipt.actual_fee.amount,
    }
}

fn u128_of(felt: Felt) -> u128 {
    u128::try_from(felt).unwrap_or(u128::MAX)
}

/// Asks devnet for its predeployed accounts (the relayers when none are configured).
async fn devnet_relayers(rpc_url: &str) -> anyhow::Result<Vec<RelayerConfig>> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "devnet_getPredeployedAccounts", "params": {} });
    let response: Value = reqwest::Client::new().post(rpc_url).json(&body).send().await?.json().await?;
    let accounts = response.get("result").and_then(Value::as_array).ok_or_else(|| {
        anyhow::anyhow!("no relayers configured and {rpc_url} is not a devnet that lists its accounts")
    })?;
    accounts
        .iter()
        .map(|account| {
            let felt = |name: &str| {
                account
                    .get(name)
                    .and_then(Value::as_str)
                    .and_then(|text| Felt::from_hex(text).ok())
                    .ok_or_else(|| anyhow::anyhow!("devnet account without {name}"))
            };
            Ok(RelayerConfig { address: felt("address")?, private_key: felt("private_key")? })
        })
        .collect()
}

impl Paymaster {
    /// Connects to the node and the database, and resumes this instance's unfinished requests.
    pub async fn start(config: Config) -> anyhow::Result<Arc<Self>> {
        let url = url::Url::parse(&config.rpc_url)?;
        let provider = Arc::new(JsonRpcClient::new(HttpTransport::new(url)));
        let chain_id = provider.chain_id().await?;
        let relayer_configs = if config.relayers.is_empty() {
            devnet_relayers(&config.rpc_url).await?
        } else {
            config.relayers.clone()
        };
        anyhow::ensure!(!relayer_configs.is_empty(), "no relayer accounts");
        let relayers: Vec<Relayer> = relayer_configs
            .iter()
            .map(|relayer| {
                let signer = LocalWallet::from(SigningKey::from_secret_scalar(relayer.private_key));
                let mut account = SingleOwnerAccount::new(
                    provider.clone(),
                    signer,
                    relayer.address,
                    chain_id,
                    ExecutionEncoding::New,
                );
                account.set_block_id(BlockId::Tag(BlockTag::PreConfirmed));
                Relayer { account, lock: Mutex::new(()) }
            })
            .collect();
        let store = Store::connect(&config.database_url).await?;
        let fee_recipient = config.fee_recipient.unwrap_or(relayer_configs[0].address);
        let paymaster = Arc::new(Self {
            config,
            store,
            provider,
            chain_id,
            relayers,
            next_relayer: AtomicUsize::new(0),
            fee_recipient,
            metrics: Metrics::default(),
        });
        paymaster.resync_relayers().await?;
        paymaster.clone().resume().await?;
        Ok(paymaster)
    }

    /// The database (for operators and tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The address that receives fees paid in tokens.
    pub fn fee_recipient(&self) -> Felt {
        self.fee_recipient
    }

    /// Today's UTC day number (budgets reset at midnight UTC).
    pub fn today() -> i64 {
        i64::try_from(unix_now() / 86_400).unwrap_or(i64::MAX)
    }

    async fn chain_nonce(&self, address: Felt) -> Option<u64> {
        let nonce = self.provider.get_nonce(BlockId::Tag(BlockTag::PreConfirmed), address).await.ok()?;
        u64::try_from(nonce).ok()
    }

    /// Sets every relayer's next nonce to the chain's (after a restart the database may lag).
    async fn resync_relayers(&self) -> anyhow::Result<()> {
        for relayer in &self.relayers {
            let address = relayer.account.address();
            let _guard = relayer.lock.lock().await;
            let lease = self.store.lease_relayer(address, self.chain_nonce(address)).await?;
            let chain = self.chain_nonce(address).await.unwrap_or(lease.nonce);
            self.store.finish_lease(lease, chain).await?;
        }
        Ok(())
    }

    /// Settles or resubmits this instance's requests a crash left unfinished.
    async fn resume(self: Arc<Self>) -> anyhow::Result<()> {
        for record in self.store.unsettled(&self.config.instance_id).await? {
            if let Some(hash) = record.transaction_hash {
                if self.provider.get_transaction_receipt(hash).await.is_ok() {
                    self.settle_when_included(&record, hash).await;
                    continue;
                }
            }
            tracing::info!(tracking_id = %format!("{:#x}", record.tracking_id), "resubmitting a request left unfinished by a restart");
            let call = Call {
                to: record.user_address,
                selector: get_selector_from_name(EXECUTE_FROM_OUTSIDE_V2)?,
                calldata: record.calldata.clone(),
            };
            match self.estimate(&call).await {
                Ok(fee) => {
                    if let Err(error) = self.clone().submit(&record, call, &fee).await {
                        tracing::warn!(error = %error.message, "a resumed request could not be resubmitted");
                    }
                }
                Err(error) => {
                    tracing::warn!(error = ?error.data, "a resumed request can no longer run; released");
                    self.store.settle(&record, RequestStatus::Dropped, None).await?;
                }
            }
        }
        Ok(())
    }

    /// Handles one JSON-RPC call.
    pub async fn handle(
        self: &Arc<Self>,
        method: &str,
        params_value: Value,
        api_key: Option<&str>,
    ) -> Result<Value, RpcError> {
        match method {
            "paymaster_isAvailable" => Ok(json!(self.provider.chain_id().await.is_ok())),
            "paymaster_getSupportedTokens" => Ok(json!(self.supported_tokens())),
            "paymaster_buildTransaction" => {
                let key = self.authorize(api_key).await?;
                let request: BuildTransactionRequest = params(params_value)?;
                Ok(serde_json::to_value(self.build(&key, request).await?).map_err(RpcError::internal)?)
            }
            "paymaster_executeTransaction" => {
                let key = self.authorize(api_key).await?;
                let request: ExecuteRequest = params(params_value)?;
                let ExecutableTransaction::Invoke { invoke } = request.transaction;
                let execution = OutsideExecution::from_typed_data(&invoke.typed_data, self.chain_id)
                    .map_err(|error| RpcError::invalid_params(error.to_string()))?;
                let call = session_core::paymaster::execute_from_outside_call(
                    invoke.user_address,
                    &execution,
                    &invoke.signature,
                );
                Ok(json!(self.execute(&key, invoke.user_address, call, &request.parameters).await?))
            }
            "paymaster_executeDirectTransaction" => {
                let key = self.authorize(api_key).await?;
                let request: ExecuteDirectRequest = params(params_value)?;
                let DirectTransaction::Invoke { invoke } = request.transaction;
                Ok(json!(
                    self.execute(
                        &key,
                        invoke.user_address,
                        invoke.execute_from_outside_call,
                        &request.parameters
                    )
                    .await?
                ))
            }
            "paymaster_trackingIdToLatestHash" => {
                #[derive(serde::Deserialize)]
                struct Params {
                    tracking_id: Felt,
                }
                let tracking_id = match &params_value {
                    Value::Array(items) if items.len() == 1 && items[0].is_string() => {
                        serde_json::from_value(items[0].clone())
                            .map_err(|error| RpcError::invalid_params(error.to_string()))?
                    }
                    _ => params::<Params>(params_value)?.tracking_id,
                };
                Ok(json!(self.tracking(tracking_id).await?))
            }
            other => Err(RpcError::method_not_found(other)),
        }
    }

    fn supported_tokens(&self) -> Vec<TokenPrice> {
        self.config
            .tokens
            .iter()
            .map(|token| TokenPrice {
                token_address: token.address,
                decimals: token.decimals,
                price_in_strk: Felt::from(token.price_in_strk),
            })
            .collect()
    }

    /// The key named by the header, with this minute's request counted against it.
    async fn authorize(&self, api_key: Option<&str>) -> Result<ApiKey, RpcError> {
        let Some(secret) = api_key else {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidApiKey,
                "the x-paymaster-api-key header is missing",
            ));
        };
        let Some(key) = self.config.api_keys.get(secret) else {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidApiKey,
                "the x-paymaster-api-key header names no key of this paymaster",
            ));
        };
        let minute = i64::try_from(unix_now() / 60).unwrap_or(i64::MAX);
        let count = self.store.count_request(&key.name, minute).await?;
        if u64::try_from(count).unwrap_or(u64::MAX) > key.requests_per_minute {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::RateLimited,
                format!("key {:?} may send {} requests per minute", key.name, key.requests_per_minute),
            ));
        }
        Ok(key.clone())
    }

    fn token(&self, address: Felt) -> Result<&Token, RpcError> {
        self.config.tokens.iter().find(|token| token.address == address).ok_or_else(|| {
            RpcError::paymaster(
                PaymasterErrorCode::TokenNotSupported,
                format!("{address:#x} is not a gas token of this paymaster"),
            )
        })
    }

    fn check_fee_mode(&self, key: &ApiKey, mode: &FeeMode) -> Result<Option<&Token>, RpcError> {
        match mode {
            FeeMode::Sponsored if key.sponsored => Ok(None),
            FeeMode::Default { gas_token } if key.pay_in_token => self.token(*gas_token).map(Some),
            FeeMode::Sponsored => Err(RpcError::paymaster(
                PaymasterErrorCode::FeeModeNotAllowed,
                format!("key {:?} does not sponsor transactions (fee mode sponsored)", key.name),
            )),
            FeeMode::Default { .. } => Err(RpcError::paymaster(
                PaymasterErrorCode::FeeModeNotAllowed,
                format!("key {:?} does not accept fees in tokens (fee mode default)", key.name),
            )),
        }
    }

    fn check_calls(key: &ApiKey, calls: &[Call]) -> Result<(), RpcError> {
        if calls.is_empty() {
            return Err(RpcError::invalid_params("no calls"));
        }
        for call in calls {
            if !key.rules.allows(call.to, call.selector) {
                let entrypoint = key
                    .rules
                    .name_of(call.selector)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("selector {:#x}", call.selector));
                return Err(RpcError::paymaster(
                    PaymasterErrorCode::CallNotSponsored,
                    format!("key {:?} does not sponsor {entrypoint} on {:#x}", key.name, call.to),
                ));
            }
        }
        Ok(())
    }

    async fn block_time(&self) -> Result<u64, RpcError> {
        session_sdk::latest_block_timestamp(self.provider.as_ref()).await.map_err(RpcError::internal)
    }

    /// Whether the account answers the SNIP-9 v2 SRC-5 id (how this paymaster detects accounts
    /// it can relay for, session accounts included).
    async fn check_account(&self, user: Felt) -> Result<(), RpcError> {
        let call = FunctionCall {
            contract_address: user,
            entry_point_selector: get_selector_from_name("supports_interface").map_err(RpcError::internal)?,
            calldata: vec![SNIP9_V2_INTERFACE_ID],
        };
        match self.provider.call(call, BlockId::Tag(BlockTag::PreConfirmed)).await {
            Ok(result) if result.first() == Some(&Felt::ONE) => Ok(()),
            Ok(_) => Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidAddress,
                format!("{user:#x} does not support SNIP-9 v2 outside execution (SRC-5)"),
            )),
            Err(_) => Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidAddress,
                format!("{user:#x} is not a deployed account with SRC-5"),
            )),
        }
    }

    /// A quote for `calls` from `user`: simulated without validation, plus the configured
    /// overhead for the signature checks the simulation skips.
    async fn quote(&self, user: Felt, calls: &[Call]) -> Result<u128, RpcError> {
        let nonce = self
            .provider
            .get_nonce(BlockId::Tag(BlockTag::PreConfirmed), user)
            .await
            .map_err(RpcError::internal)?;
        let zero = ResourceBounds { max_amount: 0, max_price_per_unit: 0 };
        let transaction = BroadcastedInvokeTransactionV3 {
            sender_address: user,
            calldata: session_core::snip12::serialize_calls(calls),
            signature: vec![],
            nonce,
            resource_bounds: ResourceBoundsMapping {
                l1_gas: zero.clone(),
                l1_data_gas: zero.clone(),
                l2_gas: zero,
            },
            tip: 0,
            paymaster_data: vec![],
            account_deployment_data: vec![],
            nonce_data_availability_mode: DataAvailabilityMode::L1,
            fee_data_availability_mode: DataAvailabilityMode::L1,
            is_query: true,
        };
        let estimates = self
            .provider
            .estimate_fee(
                [BroadcastedTransaction::Invoke(transaction)],
                [SimulationFlagForEstimateFee::SkipValidate],
                BlockId::Tag(BlockTag::PreConfirmed),
            )
            .await
            .map_err(|error| execution_error(SdkError::from_provider("simulating the calls", error)))?;
        let estimate =
            estimates.first().ok_or_else(|| RpcError::internal("the node returned no estimate"))?;
        let overhead =
            u128::from(self.config.validation_overhead_l2_gas).saturating_mul(estimate.l2_gas_price);
        Ok(estimate.overall_fee.saturating_add(overhead))
    }

    async fn build(
        &self,
        key: &ApiKey,
        request: BuildTransactionRequest,
    ) -> Result<BuildTransactionResponse, RpcError> {
        let BuildTransaction::Invoke { invoke } = request.transaction;
        let token = self.check_fee_mode(key, &request.parameters.fee_mode)?;
        Self::check_calls(key, &invoke.calls)?;
        self.check_account(invoke.user_address).await?;
        let now = self.block_time().await?;
        let bounds = match request.parameters.time_bounds {
            Some(bounds) => {
                if bounds.execute_before <= now.max(bounds.execute_after)
                    || bounds.execute_before > now + self.config.execution_window_seconds
                {
                    return Err(RpcError::paymaster(
                        PaymasterErrorCode::InvalidTimeBounds,
                        format!(
                            "execute_before must be after now ({now}) and within {} s",
                            self.config.execution_window_seconds
                        ),
                    ));
                }
                bounds
            }
            None => TimeBounds {
                execute_after: now.saturating_sub(3600),
                execute_before: now + self.config.execution_window_seconds,
            },
        };
        let estimate = self.quote(invoke.user_address, &invoke.calls).await?;
        let suggested = estimate.saturating_mul(2);
        let (price, estimated_in_token, suggested_in_token) = match token {
            Some(token) => {
                let convert =
                    |fri| token.from_fri(fri).ok_or_else(|| RpcError::internal("fee conversion overflow"));
                (token.price_in_strk, convert(estimate)?, convert(suggested)?)
            }
            None => (10u128.pow(18), estimate, suggested),
        };
        let mut calls = invoke.calls;
        if let Some(token) = token {
            calls.push(
                FeeTransfer {
                    token: token.address,
                    recipient: self.fee_recipient,
                    amount: U256::from(suggested_in_token),
                }
                .call(),
            );
        }
        let execution = OutsideExecution {
            caller: any_caller(),
            nonce: session_core::random_felt().map_err(RpcError::internal)?,
            execute_after: bounds.execute_after,
            execute_before: bounds.execute_before,
            calls,
        };
        Ok(BuildTransactionResponse::Invoke {
            typed_data: execution.typed_data(self.chain_id),
            parameters: ExecutionParameters { time_bounds: Some(bounds), ..request.parameters },
            fee: FeeEstimate {
                gas_token_price_in_strk: Felt::from(price),
                estimated_fee_in_strk: Felt::from(estimate),
                estimated_fee_in_gas_token: Felt::from(estimated_in_token),
                suggested_max_fee_in_strk: Felt::from(suggested),
                suggested_max_fee_in_gas_token: Felt::from(suggested_in_token),
            },
        })
    }

    /// The relayer's fee estimate for `call` (runs the session's full validation).
    ///
    /// The estimate runs with a relayer leased like a submission leases it (this instance's lock,
    /// and the database row every instance locks) and with the leased nonce, so no transaction
    /// moves that relayer's nonce meanwhile. A nonce the chain disagrees with (a transaction sent
    /// from the relayer outside the paymaster) is resynced and the estimate retried.
    async fn estimate(&self, call: &Call) -> Result<NodeFeeEstimate, RpcError> {
        let mut attempt = 0;
        loop {
            let (relayer, _guard) = self.relayer().await;
            let address = relayer.account.address();
            let lease = self.store.lease_relayer(address, self.chain_nonce(address)).await?;
            let nonce = lease.nonce;
            let estimate =
                relayer.account.execute_v3(vec![call.clone()]).nonce(Felt::from(nonce)).estimate_fee().await;
            match estimate
                .map_err(|error| SdkError::from_account("estimating the relayer transaction", error))
            {
                Ok(fee) => {
                    self.store.finish_lease(lease, nonce).await?;
                    return Ok(fee);
                }
                Err(SdkError::InvalidNonce { .. }) if attempt < 3 => {
                    attempt += 1;
                    let chain = self.chain_nonce(address).await.unwrap_or(nonce);
                    tracing::warn!(relayer = %format!("{address:#x}"), nonce, chain, "relayer nonce out of sync; resynced");
                    self.store.finish_lease(lease, chain).await?;
                }
                Err(error) => {
                    self.store.finish_lease(lease, nonce).await?;
                    return Err(execution_error(error));
                }
            }
        }
    }

    async fn execute(
        self: &Arc<Self>,
        key: &ApiKey,
        user: Felt,
        call: Call,
        parameters: &ExecutionParameters,
    ) -> Result<ExecuteResponse, RpcError> {
        let token = self.check_fee_mode(key, &parameters.fee_mode)?;
        if call.to != user
            || call.selector != get_selector_from_name(EXECUTE_FROM_OUTSIDE_V2).map_err(RpcError::internal)?
        {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidAddress,
                format!("the call must be {EXECUTE_FROM_OUTSIDE_V2} on the user's account {user:#x}"),
            ));
        }
        let (execution, _signature) = OutsideExecution::from_calldata(&call.calldata)
            .map_err(|error| RpcError::invalid_params(error.to_string()))?;
        let fee_transfer = match token {
            Some(token) => {
                let transfer = execution
                    .calls
                    .last()
                    .and_then(|last| FeeTransfer::from_call(last, token.address))
                    .filter(|transfer| transfer.recipient == self.fee_recipient)
                    .ok_or_else(|| {
                        RpcError::paymaster(
                            PaymasterErrorCode::MaxAmountTooLow,
                            format!(
                                "the last call must transfer the fee in {:#x} to {:#x}",
                                token.address, self.fee_recipient
                            ),
                        )
                    })?;
                Some((token, transfer))
            }
            None => None,
        };
        let sponsored_calls = &execution.calls[..execution.calls.len() - usize::from(fee_transfer.is_some())];
        Self::check_calls(key, sponsored_calls)?;
        let now = self.block_time().await?;
        if execution.execute_before <= now {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::InvalidTimeBounds,
                format!("the outside execution expired at {} (now {now})", execution.execute_before),
            ));
        }
        let content_hash = poseidon_hash_many(&call.calldata);
        // A repeat of a request already recorded is answered from the record, before estimating
        // (its nonce is used on chain once it ran, so estimating it again would fail).
        if let Some(answer) = self.repeat(user, execution.nonce, content_hash).await? {
            return Ok(answer);
        }
        let fee = self.estimate(&call).await?;
        let max_charge = max_fee(&fee, FEE_MARGIN);
        if max_charge > key.max_fee_per_transaction {
            return Err(RpcError::paymaster(
                PaymasterErrorCode::MaxFeeExceeded,
                format!("this transaction may cost up to {max_charge} FRI; key {:?} allows {} FRI per transaction", key.name, key.max_fee_per_transaction),
            ));
        }
        if let Some((token, transfer)) = &fee_transfer {
            // The user pays the estimated fee; the margin up to the maximum is the paymaster's risk.
            let required = token
                .from_fri(fee.overall_fee)
                .ok_or_else(|| RpcError::internal("fee conversion overflow"))?;
            if transfer.amount < U256::from(required) {
                return Err(RpcError::paymaster(
                    PaymasterErrorCode::MaxAmountTooLow,
                    format!("the fee transfer of {} is below the {required} this transaction is estimated to cost", transfer.amount),
                ));
            }
        }
        let record = NewRequest {
            tracking_id: session_core::random_felt().map_err(RpcError::internal)?,
            api_key: &key.name,
            user_address: user,
            outside_nonce: execution.nonce,
            content_hash,
            calldata: &call.calldata,
            day: Self::today(),
            reserved: max_charge,
        };
        let now_seconds = i64::try_from(unix_now()).unwrap_or(i64::MAX);
        match self
            .store
            .reserve(&record, key.daily_budget, key.user_daily_budget, &self.config.instance_id, now_seconds)
            .await?
        {
            Reservation::Done => {}
            Reservation::KeyBudget { committed } => {
                return Err(RpcError::paymaster(
                    PaymasterErrorCode::KeyBudgetExceeded,
                    format!("key {:?} has {} of its {} FRI daily budget left; this transaction may cost {max_charge}", key.name, key.daily_budget.saturating_sub(committed), key.daily_budget),
                ))
            }
            Reservation::UserBudget { committed } => {
                return Err(RpcError::paymaster(
                    PaymasterErrorCode::UserBudgetExceeded,
                    format!("account {user:#x} has {} of its {} FRI daily budget left under key {:?}; this transaction may cost {max_charge}", key.user_daily_budget.saturating_sub(committed), key.user_daily_budget, key.name),
                ))
            }
            Reservation::Duplicate => {
                return self
                    .repeat(user, execution.nonce, content_hash)
                    .await?
                    .ok_or_else(|| RpcError::internal("a concurrent request vanished"))
            }
        }
        let (recorded, tracking_id) = (record.record(), record.tracking_id);
        let hash = self.clone().submit(&recorded, call, &fee).await?;
        Ok(ExecuteResponse { tracking_id, transaction_hash: hash })
    }

    /// The answer to a request already recorded for (user, nonce): the same content gets the
    /// same tracking id and transaction; other content is refused.
    async fn repeat(
        &self,
        user: Felt,
        nonce: Felt,
        content_hash: Felt,
    ) -> Result<Option<ExecuteResponse>, RpcError> {
        for _ in 0..200 {
            let Some(existing) = self.store.find(user, nonce).await? else { return Ok(None) };
            if existing.content_hash != content_hash {
                return Err(RpcError::paymaster(
                    PaymasterErrorCode::NonceAlreadyUsed,
                    format!("outside execution nonce {nonce:#x} of {user:#x} was already submitted with other calls"),
                ));
            }
            match (existing.status, existing.transaction_hash) {
                (RequestStatus::Dropped, _) => {
                    return Err(RpcError::paymaster(
                        PaymasterErrorCode::TransactionExecutionError,
                        "this outside execution was submitted before and could not be sent",
                    ))
                }
                (_, Some(hash)) => {
                    return Ok(Some(ExecuteResponse {
                        tracking_id: existing.tracking_id,
                        transaction_hash: hash,
                    }))
                }
                // Another request with this content is being sent right now: wait for its hash.
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        Err(RpcError::internal("the same outside execution is still being sent; ask again"))
    }

    /// Takes a free relayer (or waits for the next one in turn).
    async fn relayer(&self) -> (&Relayer, tokio::sync::MutexGuard<'_, ()>) {
        let start = self.next_relayer.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.relayers.len() {
            let relayer = &self.relayers[(start + offset) % self.relayers.len()];
            if let Ok(guard) = relayer.lock.try_lock() {
                return (relayer, guard);
            }
        }
        let relayer = &self.relayers[start % self.relayers.len()];
        (relayer, relayer.lock.lock().await)
    }

    /// Sends a recorded request from a relayer, with the relayer's nonce tracked in the
    /// database; records the transaction hash before sending it. Returns the hash.
    async fn submit(
        self: Arc<Self>,
        record: &RequestRecord,
        call: Call,
        fee: &NodeFeeEstimate,
    ) -> Result<Felt, RpcError> {
        for _attempt in 0..3 {
            let (relayer, _guard) = self.relayer().await;
            let address = relayer.account.address();
            let lease = self.store.lease_relayer(address, self.chain_nonce(address)).await?;
            let nonce = lease.nonce;
            let prepared = with_fee_bounds(
                relayer.account.execute_v3(vec![call.clone()]).nonce(Felt::from(nonce)),
                fee,
                FEE_MARGIN,
            )
            .prepared()
            .map_err(RpcError::internal)?;
            let hash = prepared.transaction_hash(false);
            self.store.mark_submitted(record.tracking_id, address, nonce, hash).await?;
            match prepared.send().await {
                Ok(_) => {
                    self.store.finish_lease(lease, nonce + 1).await?;
                    let paymaster = self.clone();
                    let record = record.clone();
                    tokio::spawn(async move { paymaster.settle_when_included(&record, hash).await });
                    return Ok(hash);
                }
                Err(AccountError::Provider(ProviderError::StarknetError(
                    StarknetError::InvalidTransactionNonce(_),
                ))) => {
                    let chain = self.chain_nonce(address).await.unwrap_or(nonce);
                    tracing::warn!(relayer = %format!("{address:#x}"), nonce, chain, "relayer nonce out of sync; resynced");
                    self.store.finish_lease(lease, chain).await?;
                }
                Err(error) => {
                    self.store.finish_lease(lease, nonce).await?;
                    self.store.settle(record, RequestStatus::Dropped, None).await?;
                    return Err(execution_error(SdkError::from_account(
                        "sending the relayer transaction",
                        error,
                    )));
                }
            }
        }
        self.store.settle(record, RequestStatus::Dropped, None).await?;
        Err(RpcError::internal("the relayers' nonces kept changing; not sent"))
    }

    /// Waits for the transaction's receipt and charges its actual fee (exactly once).
    async fn settle_when_included(&self, record: &RequestRecord, hash: Felt) {
        for _ in 0..1200 {
            if let Ok(receipt) = self.provider.get_transaction_receipt(hash).await {
                let fee = u128_of(actual_fee(&receipt.receipt));
                let (status, outcome) = match receipt.receipt.execution_result() {
                    ExecutionResult::Succeeded => (RequestStatus::Accepted, "accepted"),
                    ExecutionResult::Reverted { .. } => (RequestStatus::Reverted, "reverted"),
                };
                match self.store.settle(record, status, Some(fee)).await {
                    Ok(true) => self.metrics.settled(&record.api_key, outcome, fee),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(%error, "settling a request failed; it resumes at the next start")
                    }
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tracing::warn!(hash = %format!("{hash:#x}"), "no receipt after 120 s; the request resumes at the next start");
    }

    async fn tracking(&self, tracking_id: Felt) -> Result<TrackingResponse, RpcError> {
        let record = self.store.request(tracking_id).await?.ok_or_else(|| {
            RpcError::paymaster(
                PaymasterErrorCode::InvalidId,
                format!("no request has tracking id {tracking_id:#x}"),
            )
        })?;
        let status = match record.status {
            RequestStatus::Reserved | RequestStatus::Submitted => TrackingStatus::Active,
            RequestStatus::Accepted | RequestStatus::Reverted => TrackingStatus::Accepted,
            RequestStatus::Dropped => TrackingStatus::Dropped,
        };
        Ok(TrackingResponse { transaction_hash: record.transaction_hash.unwrap_or(Felt::ZERO), status })
    }
}
