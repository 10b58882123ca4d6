//! SNIP-29 (the paymaster JSON-RPC API) as the SDK and `session-paymaster` speak it: the wire
//! types, the error codes, the SNIP-9 v2 typed data a paymaster returns for signing, and the
//! check a client runs before it signs anything a server built.
//!
//! A session account is sent through a paymaster as a SNIP-9 outside execution: the client signs
//! the outside execution with the session key and hands the finished `execute_from_outside_v2`
//! call to `paymaster_executeDirectTransaction` (a paymaster that only relays `[r, s]` signatures
//! cannot carry a session signature).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use starknet_core::types::{Call, Felt, U256};
use starknet_core::utils::get_selector_from_name;

use crate::snip12::{short_string, OutsideExecution, OUTSIDE_EXECUTION_DOMAIN_NAME};
use crate::typed_data::{chain_id_text, hex, starknet_domain_type};

/// The only `parameters.version` SNIP-29 defines.
pub const PARAMETERS_VERSION: &str = "0x1";
/// The HTTP header that carries a paymaster API key.
pub const API_KEY_HEADER: &str = "x-paymaster-api-key";
/// `execute_from_outside_v2`, the entrypoint a paymaster's relayer calls on the user's account.
pub const EXECUTE_FROM_OUTSIDE_V2: &str = "execute_from_outside_v2";

/// Who pays the gas: the paymaster (`sponsored`) or the user, in a token (`default`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FeeMode {
    /// The paymaster pays; the user pays nothing.
    Sponsored,
    /// The user pays the paymaster in `gas_token`, with one transfer appended to the calls.
    Default {
        /// The ERC-20 the fee is paid in.
        gas_token: Felt,
    },
}

/// The window in which the outside execution may run (Unix seconds, both exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBounds {
    /// The block time must be strictly after this.
    pub execute_after: u64,
    /// The block time must be strictly before this.
    pub execute_before: u64,
}

/// `parameters` of a SNIP-29 request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionParameters {
    /// Always [`PARAMETERS_VERSION`].
    pub version: String,
    /// Who pays the gas.
    pub fee_mode: FeeMode,
    /// When the execution may run; the paymaster picks a window when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_bounds: Option<TimeBounds>,
}

impl ExecutionParameters {
    /// Version-1 parameters with `fee_mode` and no time bounds.
    pub fn new(fee_mode: FeeMode) -> Self {
        Self { version: PARAMETERS_VERSION.to_owned(), fee_mode, time_bounds: None }
    }
}

/// The user's calls, as `paymaster_buildTransaction` takes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvokeParameters {
    /// The account that runs the calls.
    pub user_address: Felt,
    /// The calls, in order.
    pub calls: Vec<Call>,
}

/// `transaction` of `paymaster_buildTransaction` (only invokes: session accounts are deployed by
/// their owner).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BuildTransaction {
    /// Run calls from an existing account.
    Invoke {
        /// The account and its calls.
        invoke: InvokeParameters,
    },
}

/// `paymaster_buildTransaction` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildTransactionRequest {
    /// What to run.
    pub transaction: BuildTransaction,
    /// Who pays, and when it may run.
    pub parameters: ExecutionParameters,
}

/// A paymaster's fee quote; amounts in FRI and in the gas token's smallest unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeEstimate {
    /// FRI per whole gas token (10^decimals units); 10^18 for STRK.
    pub gas_token_price_in_strk: Felt,
    /// The estimated fee, in FRI.
    pub estimated_fee_in_strk: Felt,
    /// The estimated fee, in the gas token.
    pub estimated_fee_in_gas_token: Felt,
    /// The most the paymaster will charge, in FRI.
    pub suggested_max_fee_in_strk: Felt,
    /// The most the paymaster will charge, in the gas token (the appended transfer's amount).
    pub suggested_max_fee_in_gas_token: Felt,
}

/// What `paymaster_buildTransaction` returns for an invoke.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BuildTransactionResponse {
    /// An outside execution to sign.
    Invoke {
        /// The SNIP-9 v2 outside execution as SNIP-12 typed data.
        typed_data: Value,
        /// The parameters the paymaster will execute with.
        parameters: ExecutionParameters,
        /// Its fee quote.
        fee: FeeEstimate,
    },
}

/// `transaction` of `paymaster_executeTransaction`: the signed typed data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecutableTransaction {
    /// A signed outside execution.
    Invoke {
        /// The account, the typed data it signed and the signature.
        invoke: ExecutableInvoke,
    },
}

/// A signed outside execution in typed-data form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutableInvoke {
    /// The account that signed.
    pub user_address: Felt,
    /// The typed data from `paymaster_buildTransaction`.
    pub typed_data: Value,
    /// The account's signature of it (for a session account: the whole session signature).
    pub signature: Vec<Felt>,
}

/// `paymaster_executeTransaction` parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecuteRequest {
    /// The signed transaction.
    pub transaction: ExecutableTransaction,
    /// The parameters it was built with.
    pub parameters: ExecutionParameters,
}

/// `transaction` of `paymaster_executeDirectTransaction`: a finished `execute_from_outside_v2` call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DirectTransaction {
    /// A client-built outside execution call.
    Invoke {
        /// The account and its signed call.
        invoke: DirectInvoke,
    },
}

/// A client-built, signed `execute_from_outside_v2` call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectInvoke {
    /// The account the call goes to.
    pub user_address: Felt,
    /// The `execute_from_outside_v2` call, signature included in its calldata.
    pub execute_from_outside_call: Call,
}

/// `paymaster_executeDirectTransaction` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecuteDirectRequest {
    /// The signed call.
    pub transaction: DirectTransaction,
    /// Who pays.
    pub parameters: ExecutionParameters,
}

/// What both execute methods return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecuteResponse {
    /// Follows the request across re-submissions (`paymaster_trackingIdToLatestHash`).
    pub tracking_id: Felt,
    /// The relayer's transaction.
    pub transaction_hash: Felt,
}

/// One token `paymaster_getSupportedTokens` lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrice {
    /// The ERC-20.
    pub token_address: Felt,
    /// Its decimals.
    pub decimals: u32,
    /// FRI per whole token (10^decimals units).
    pub price_in_strk: Felt,
}

/// Where the latest transaction of a tracking id stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    /// Sent, not yet final.
    Active,
    /// Included (succeeded or reverted: the fee was paid).
    Accepted,
    /// Will not be included.
    Dropped,
}

/// What `paymaster_trackingIdToLatestHash` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingResponse {
    /// The latest transaction sent for the id.
    pub transaction_hash: Felt,
    /// Its status.
    pub status: TrackingStatus,
}

/// SNIP-29's error codes, and the codes `session-paymaster` adds for its sponsorship rules
/// (170 and up). Messages read `An error occurred (NAME)`; `data` says more, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymasterErrorCode {
    /// 150: the user address is not an account the paymaster can use.
    InvalidAddress,
    /// 151: the gas token is not supported.
    TokenNotSupported,
    /// 153: the account rejected the signature.
    InvalidSignature,
    /// 154: the fee transfer is below what the transaction costs.
    MaxAmountTooLow,
    /// 156: the transaction would fail (`data` carries the revert reason).
    TransactionExecutionError,
    /// 157: the time bounds are invalid or expired.
    InvalidTimeBounds,
    /// 158: deployments are not supported.
    InvalidDeploymentData,
    /// 160: unknown tracking id.
    InvalidId,
    /// 163: anything else.
    UnknownError,
    /// 170: the `x-paymaster-api-key` header is missing or names no key.
    InvalidApiKey,
    /// 171: a call's contract or entrypoint is not sponsored by this key.
    CallNotSponsored,
    /// 172: the key's daily budget cannot cover this transaction.
    KeyBudgetExceeded,
    /// 173: the user's daily budget under this key cannot cover this transaction.
    UserBudgetExceeded,
    /// 174: the key sent more requests this minute than it may.
    RateLimited,
    /// 175: the transaction would cost more than the key's maximum fee per transaction.
    MaxFeeExceeded,
    /// 176: this key may not use this fee mode.
    FeeModeNotAllowed,
    /// 177: the outside execution's nonce was already submitted with different content.
    NonceAlreadyUsed,
}

impl PaymasterErrorCode {
    /// Every code, for tables and tests.
    pub const ALL: [Self; 17] = [
        Self::InvalidAddress,
        Self::TokenNotSupported,
        Self::InvalidSignature,
        Self::MaxAmountTooLow,
        Self::TransactionExecutionError,
        Self::InvalidTimeBounds,
        Self::InvalidDeploymentData,
        Self::InvalidId,
        Self::UnknownError,
        Self::InvalidApiKey,
        Self::CallNotSponsored,
        Self::KeyBudgetExceeded,
        Self::UserBudgetExceeded,
        Self::RateLimited,
        Self::MaxFeeExceeded,
        Self::FeeModeNotAllowed,
        Self::NonceAlreadyUsed,
    ];

    /// The JSON-RPC error code.
    pub fn code(self) -> i64 {
        match self {
            Self::InvalidAddress => 150,
            Self::TokenNotSupported => 151,
            Self::InvalidSignature => 153,
            Self::MaxAmountTooLow => 154,
            Self::TransactionExecutionError => 156,
            Self::InvalidTimeBounds => 157,
            Self::InvalidDeploymentData => 158,
            Self::InvalidId => 160,
            Self::UnknownError => 163,
            Self::InvalidApiKey => 170,
            Self::CallNotSponsored => 171,
            Self::KeyBudgetExceeded => 172,
            Self::UserBudgetExceeded => 173,
            Self::RateLimited => 174,
            Self::MaxFeeExceeded => 175,
            Self::FeeModeNotAllowed => 176,
            Self::NonceAlreadyUsed => 177,
        }
    }

    /// The code's name, as the message shows it.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidAddress => "INVALID_ADDRESS",
            Self::TokenNotSupported => "TOKEN_NOT_SUPPORTED",
            Self::InvalidSignature => "INVALID_SIGNATURE",
            Self::MaxAmountTooLow => "MAX_AMOUNT_TOO_LOW",
            Self::TransactionExecutionError => "TRANSACTION_EXECUTION_ERROR",
            Self::InvalidTimeBounds => "INVALID_TIME_BOUNDS",
            Self::InvalidDeploymentData => "INVALID_DEPLOYMENT_DATA",
            Self::InvalidId => "INVALID_ID",
            Self::UnknownError => "UNKNOWN_ERROR",
            Self::InvalidApiKey => "INVALID_API_KEY",
            Self::CallNotSponsored => "CALL_NOT_SPONSORED",
            Self::KeyBudgetExceeded => "KEY_BUDGET_EXCEEDED",
            Self::UserBudgetExceeded => "USER_BUDGET_EXCEEDED",
            Self::RateLimited => "RATE_LIMITED",
            Self::MaxFeeExceeded => "MAX_FEE_EXCEEDED",
            Self::FeeModeNotAllowed => "FEE_MODE_NOT_ALLOWED",
            Self::NonceAlreadyUsed => "NONCE_ALREADY_USED",
        }
    }

    /// The JSON-RPC message: `An error occurred (NAME)`.
    pub fn message(self) -> String {
        format!("An error occurred ({})", self.name())
    }

    /// The code with this JSON-RPC number, if it is one of ours.
    pub fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.code() == code)
    }
}

/// The SNIP-9 v2 types as typed-data JSON declares them.
fn outside_execution_types() -> Value {
    json!({
        "StarknetDomain": starknet_domain_type(),
        "OutsideExecution": [
            { "name": "Caller", "type": "ContractAddress" },
            { "name": "Nonce", "type": "felt" },
            { "name": "Execute After", "type": "u128" },
            { "name": "Execute Before", "type": "u128" },
            { "name": "Calls", "type": "Call*" }
        ],
        "Call": [
            { "name": "To", "type": "ContractAddress" },
            { "name": "Selector", "type": "selector" },
            { "name": "Calldata", "type": "felt*" }
        ]
    })
}

/// Why typed data is not a SNIP-9 v2 outside execution for this account's chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TypedDataError {
    /// The types are not exactly SNIP-9 v2's.
    #[error("the typed data does not declare exactly the SNIP-9 v2 OutsideExecution types")]
    Types,
    /// The domain is not `Account.execute_from_outside` version 2 revision 1 on this chain.
    #[error("the typed data's domain is {found}, not SNIP-9 v2 on chain {chain_id:#x}")]
    Domain {
        /// The domain found, as JSON.
        found: String,
        /// The chain the client is on.
        chain_id: Felt,
    },
    /// A message field is missing or not a number.
    #[error("the typed data's message field {field:?} is missing or malformed")]
    Field {
        /// The field's name.
        field: String,
    },
}

fn felt_value(value: &Value) -> Option<Felt> {
    match value {
        Value::String(text) if text.starts_with("0x") => Felt::from_hex(text).ok(),
        Value::String(text) => Felt::from_dec_str(text).ok(),
        Value::Number(number) => number.as_u64().map(Felt::from),
        _ => None,
    }
}

fn field<'a>(object: &'a Value, name: &str) -> Result<&'a Value, TypedDataError> {
    object.get(name).ok_or_else(|| TypedDataError::Field { field: name.to_owned() })
}

fn felt_field(object: &Value, name: &str) -> Result<Felt, TypedDataError> {
    felt_value(field(object, name)?).ok_or_else(|| TypedDataError::Field { field: name.to_owned() })
}

fn u64_field(object: &Value, name: &str) -> Result<u64, TypedDataError> {
    u64::try_from(felt_field(object, name)?).map_err(|_| TypedDataError::Field { field: name.to_owned() })
}

/// A `selector` value: hex or decimal, or an entrypoint name (typed data may carry either).
fn selector_field(object: &Value, name: &str) -> Result<Felt, TypedDataError> {
    let value = field(object, name)?;
    if let Some(felt) = felt_value(value) {
        return Ok(felt);
    }
    value
        .as_str()
        .and_then(|text| get_selector_from_name(text).ok())
        .ok_or_else(|| TypedDataError::Field { field: name.to_owned() })
}

impl OutsideExecution {
    /// This outside execution as SNIP-12 typed data (what a paymaster's `buildTransaction`
    /// returns and a wallet displays); its message hash is [`OutsideExecution::message_hash`].
    pub fn typed_data(&self, chain_id: Felt) -> Value {
        let calls: Vec<Value> = self
            .calls
            .iter()
            .map(|call| {
                json!({
                    "To": hex(call.to),
                    "Selector": hex(call.selector),
                    "Calldata": call.calldata.iter().map(|felt| hex(*felt)).collect::<Vec<_>>()
                })
            })
            .collect();
        json!({
            "types": outside_execution_types(),
            "primaryType": "OutsideExecution",
            "domain": {
                "name": OUTSIDE_EXECUTION_DOMAIN_NAME,
                "version": "2",
                "chainId": chain_id_text(chain_id),
                "revision": "1"
            },
            "message": {
                "Caller": hex(self.caller),
                "Nonce": hex(self.nonce),
                "Execute After": hex(self.execute_after.into()),
                "Execute Before": hex(self.execute_before.into()),
                "Calls": calls
            }
        })
    }

    /// Reads typed data back, refusing anything but SNIP-9 v2 on `chain_id` with exactly its
    /// types: a client recomputes the hash it signs from what this returns, never trusting a
    /// hash a server sent.
    pub fn from_typed_data(typed_data: &Value, chain_id: Felt) -> Result<Self, TypedDataError> {
        if typed_data.get("types") != Some(&outside_execution_types())
            || typed_data.get("primaryType").and_then(Value::as_str) != Some("OutsideExecution")
        {
            return Err(TypedDataError::Types);
        }
        let domain = typed_data.get("domain").cloned().unwrap_or(Value::Null);
        let text = |name: &str| {
            domain.get(name).map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
        };
        let chain = text("chainId").unwrap_or_default();
        let chain_matches =
            chain == chain_id_text(chain_id) || Felt::from_hex(&chain).is_ok_and(|felt| felt == chain_id);
        if text("name").as_deref() != Some(OUTSIDE_EXECUTION_DOMAIN_NAME)
            || text("version").as_deref() != Some("2")
            || text("revision").as_deref() != Some("1")
            || !chain_matches
        {
            return Err(TypedDataError::Domain { found: domain.to_string(), chain_id });
        }
        let message = field(typed_data, "message")?;
        let calls = field(message, "Calls")?
            .as_array()
            .ok_or_else(|| TypedDataError::Field { field: "Calls".to_owned() })?
            .iter()
            .map(|call| {
                let calldata = field(call, "Calldata")?
                    .as_array()
                    .ok_or_else(|| TypedDataError::Field { field: "Calldata".to_owned() })?
                    .iter()
                    .map(|felt| {
                        felt_value(felt).ok_or_else(|| TypedDataError::Field { field: "Calldata".to_owned() })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Call {
                    to: felt_field(call, "To")?,
                    selector: selector_field(call, "Selector")?,
                    calldata,
                })
            })
            .collect::<Result<Vec<_>, TypedDataError>>()?;
        Ok(Self {
            caller: felt_field(message, "Caller")?,
            nonce: felt_field(message, "Nonce")?,
            execute_after: u64_field(message, "Execute After")?,
            execute_before: u64_field(message, "Execute Before")?,
            calls,
        })
    }

    /// Reads `execute_from_outside_v2` calldata back into the execution and its signature.
    pub fn from_calldata(calldata: &[Felt]) -> Result<(Self, Vec<Felt>), CalldataError> {
        let mut reader = calldata.iter().copied();
        let mut next = || reader.next().ok_or(CalldataError::TooShort);
        let caller = next()?;
        let nonce = next()?;
        let execute_after = u64::try_from(next()?).map_err(|_| CalldataError::TimeBound)?;
        let execute_before = u64::try_from(next()?).map_err(|_| CalldataError::TimeBound)?;
        let count = usize::try_from(next()?).map_err(|_| CalldataError::Length)?;
        if count > calldata.len() {
            return Err(CalldataError::Length);
        }
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let to = next()?;
            let selector = next()?;
            let length = usize::try_from(next()?).map_err(|_| CalldataError::Length)?;
            if length > calldata.len() {
                return Err(CalldataError::Length);
            }
            let data = (0..length).map(|_| next()).collect::<Result<Vec<_>, _>>()?;
            calls.push(Call { to, selector, calldata: data });
        }
        let length = usize::try_from(next()?).map_err(|_| CalldataError::Length)?;
        if length > calldata.len() {
            return Err(CalldataError::Length);
        }
        let signature = (0..length).map(|_| next()).collect::<Result<Vec<_>, _>>()?;
        if reader.next().is_some() {
            return Err(CalldataError::TrailingData);
        }
        Ok((Self { caller, nonce, execute_after, execute_before, calls }, signature))
    }
}

/// Why calldata is not an `execute_from_outside_v2` call's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalldataError {
    /// It ends early.
    #[error("the outside execution calldata ends early")]
    TooShort,
    /// A length does not fit what follows.
    #[error("the outside execution calldata has a length that does not fit")]
    Length,
    /// A time bound is not a u64.
    #[error("the outside execution calldata has a time bound beyond u64")]
    TimeBound,
    /// Felts follow the signature.
    #[error("the outside execution calldata has data after the signature")]
    TrailingData,
}

/// The fee transfer a paymaster appended: `gas_token.transfer(recipient, amount)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeTransfer {
    /// The gas token.
    pub token: Felt,
    /// Who receives the fee.
    pub recipient: Felt,
    /// How much, in the token's smallest unit.
    pub amount: U256,
}

impl FeeTransfer {
    /// The call.
    pub fn call(&self) -> Call {
        Call {
            to: self.token,
            selector: get_selector_from_name("transfer").expect("a valid entrypoint name"),
            calldata: vec![self.recipient, Felt::from(self.amount.low()), Felt::from(self.amount.high())],
        }
    }

    /// Reads a call back as a fee transfer of `token`, if it is one.
    pub fn from_call(call: &Call, token: Felt) -> Option<Self> {
        let transfer = get_selector_from_name("transfer").expect("a valid entrypoint name");
        if call.to != token || call.selector != transfer || call.calldata.len() != 3 {
            return None;
        }
        let low = u128::try_from(call.calldata[1]).ok()?;
        let high = u128::try_from(call.calldata[2]).ok()?;
        Some(Self { token, recipient: call.calldata[0], amount: U256::from_words(low, high) })
    }
}

/// Why a client refuses to sign what a paymaster built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildCheckError {
    /// The typed data is not a SNIP-9 v2 outside execution on this chain.
    #[error(transparent)]
    TypedData(#[from] TypedDataError),
    /// A submitted call was changed, dropped or reordered.
    #[error("the paymaster changed call {index}: it is not the call submitted")]
    CallChanged {
        /// Its index.
        index: usize,
    },
    /// More than one call was added, or a call was added in sponsored mode.
    #[error("the paymaster added {added} call(s); at most one fee transfer is allowed in {mode} mode")]
    CallsAdded {
        /// How many calls were added.
        added: usize,
        /// The fee mode requested.
        mode: &'static str,
    },
    /// The added call is not a transfer of the gas token.
    #[error("the call the paymaster added is not a transfer of the gas token {token:#x}")]
    NotAFeeTransfer {
        /// The gas token requested.
        token: Felt,
    },
    /// The fee transfer asks for more than the client allows.
    #[error("the paymaster's fee transfer of {amount} exceeds the maximum of {max} the client allows")]
    FeeTooHigh {
        /// What it asks.
        amount: U256,
        /// The most the client allows.
        max: U256,
    },
    /// The time bounds are not the ones requested, or already over.
    #[error("the paymaster's time bounds ({execute_after}, {execute_before}) are not valid now ({now})")]
    TimeBounds {
        /// Lower bound.
        execute_after: u64,
        /// Upper bound.
        execute_before: u64,
        /// The client's clock.
        now: u64,
    },
}

/// Checks what a paymaster built before the client signs it: the calls are exactly `submitted`,
/// in order, plus — only in `default` fee mode — at most one transfer of the gas token, of at
/// most `max_fee` (in the token's smallest unit), appended last; the window includes `now`.
/// Returns the outside execution to sign (its hash recomputed locally) and the fee transfer.
pub fn check_built_transaction(
    typed_data: &Value,
    chain_id: Felt,
    submitted: &[Call],
    fee_mode: &FeeMode,
    max_fee: Option<U256>,
    now: u64,
) -> Result<(OutsideExecution, Option<FeeTransfer>), BuildCheckError> {
    let execution = OutsideExecution::from_typed_data(typed_data, chain_id)?;
    for (index, call) in submitted.iter().enumerate() {
        if execution.calls.get(index) != Some(call) {
            return Err(BuildCheckError::CallChanged { index });
        }
    }
    let added = &execution.calls[submitted.len().min(execution.calls.len())..];
    let transfer = match (fee_mode, added) {
        (_, []) => None,
        (FeeMode::Default { gas_token }, [fee]) => {
            let transfer = FeeTransfer::from_call(fee, *gas_token)
                .ok_or(BuildCheckError::NotAFeeTransfer { token: *gas_token })?;
            if let Some(max) = max_fee {
                if transfer.amount > max {
                    return Err(BuildCheckError::FeeTooHigh { amount: transfer.amount, max });
                }
            }
            Some(transfer)
        }
        (FeeMode::Sponsored, added) => {
            return Err(BuildCheckError::CallsAdded { added: added.len(), mode: "sponsored" })
        }
        (FeeMode::Default { .. }, added) => {
            return Err(BuildCheckError::CallsAdded { added: added.len(), mode: "default" })
        }
    };
    if !(execution.execute_after < now && now < execution.execute_before) {
        return Err(BuildCheckError::TimeBounds {
            execute_after: execution.execute_after,
            execute_before: execution.execute_before,
            now,
        });
    }
    Ok((execution, transfer))
}

/// The `execute_from_outside_v2` call that runs `execution` on `account` with `signature`.
pub fn execute_from_outside_call(account: Felt, execution: &OutsideExecution, signature: &[Felt]) -> Call {
    Call {
        to: account,
        selector: get_selector_from_name(EXECUTE_FROM_OUTSIDE_V2).expect("a valid entrypoint name"),
        calldata: execution.calldata(signature),
    }
}

/// `ANY_CALLER`, the caller a paymaster with several relayers names.
pub fn any_caller() -> Felt {
    short_string(crate::snip12::ANY_CALLER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: Felt = Felt::from_hex_unchecked("0x534e5f5345504f4c4941");
    const TOKEN: Felt = Felt::from_hex_unchecked("0x70");
    const RECIPIENT: Felt = Felt::from_hex_unchecked("0x99");

    fn game_call(value: u64) -> Call {
        Call {
            to: Felt::from(0x50u8),
            selector: get_selector_from_name("increase").unwrap(),
            calldata: vec![value.into()],
        }
    }

    fn built(calls: Vec<Call>) -> Value {
        OutsideExecution {
            caller: any_caller(),
            nonce: Felt::from(7u8),
            execute_after: 10,
            execute_before: 1000,
            calls,
        }
        .typed_data(CHAIN)
    }

    fn fee(amount: u64) -> Call {
        FeeTransfer { token: TOKEN, recipient: RECIPIENT, amount: U256::from(amount) }.call()
    }

    #[test]
    fn typed_data_round_trips_and_keeps_the_hash() {
        let execution = OutsideExecution {
            caller: any_caller(),
            nonce: Felt::from(42u8),
            execute_after: 1,
            execute_before: 2_000_000_000,
            calls: vec![game_call(3), fee(5)],
        };
        let typed_data = execution.typed_data(CHAIN);
        assert_eq!(typed_data["domain"]["chainId"], "SN_SEPOLIA");
        let back = OutsideExecution::from_typed_data(&typed_data, CHAIN).unwrap();
        assert_eq!(back, execution);
        assert_eq!(back.message_hash(CHAIN, Felt::ONE), execution.message_hash(CHAIN, Felt::ONE));
    }

    #[test]
    fn calldata_round_trips_with_the_signature() {
        let execution = OutsideExecution {
            caller: any_caller(),
            nonce: Felt::TWO,
            execute_after: 5,
            execute_before: 9,
            calls: vec![game_call(1), fee(2)],
        };
        let signature = vec![Felt::from(11u8), Felt::from(12u8), Felt::from(13u8)];
        let (back, back_signature) =
            OutsideExecution::from_calldata(&execution.calldata(&signature)).unwrap();
        assert_eq!((back, back_signature), (execution.clone(), signature.clone()));
        let mut long = execution.calldata(&signature);
        long.push(Felt::ONE);
        assert_eq!(OutsideExecution::from_calldata(&long), Err(CalldataError::TrailingData));
        let short = execution.calldata(&signature);
        assert_eq!(OutsideExecution::from_calldata(&short[..short.len() - 1]), Err(CalldataError::TooShort));
    }

    #[test]
    fn a_build_with_the_submitted_calls_and_one_fee_transfer_is_accepted() {
        let mode = FeeMode::Default { gas_token: TOKEN };
        let (execution, transfer) = check_built_transaction(
            &built(vec![game_call(1), fee(500)]),
            CHAIN,
            &[game_call(1)],
            &mode,
            Some(U256::from(500u32)),
            100,
        )
        .unwrap();
        assert_eq!(execution.calls.len(), 2);
        assert_eq!(transfer.unwrap().amount, U256::from(500u32));
        let (_, none) = check_built_transaction(
            &built(vec![game_call(1)]),
            CHAIN,
            &[game_call(1)],
            &FeeMode::Sponsored,
            None,
            100,
        )
        .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn tampered_builds_are_refused() {
        let mode = FeeMode::Default { gas_token: TOKEN };
        let check = |calls: Vec<Call>, mode: &FeeMode| {
            check_built_transaction(
                &built(calls),
                CHAIN,
                &[game_call(1)],
                mode,
                Some(U256::from(500u32)),
                100,
            )
        };
        assert_eq!(check(vec![game_call(2)], &mode).unwrap_err(), BuildCheckError::CallChanged { index: 0 });
        assert_eq!(check(vec![], &mode).unwrap_err(), BuildCheckError::CallChanged { index: 0 });
        assert_eq!(
            check(vec![game_call(1), fee(1)], &FeeMode::Sponsored).unwrap_err(),
            BuildCheckError::CallsAdded { added: 1, mode: "sponsored" }
        );
        assert_eq!(
            check(vec![game_call(1), fee(1), fee(1)], &mode).unwrap_err(),
            BuildCheckError::CallsAdded { added: 2, mode: "default" }
        );
        assert_eq!(
            check(vec![game_call(1), game_call(9)], &mode).unwrap_err(),
            BuildCheckError::NotAFeeTransfer { token: TOKEN }
        );
        assert_eq!(
            check(vec![game_call(1), fee(501)], &mode).unwrap_err(),
            BuildCheckError::FeeTooHigh { amount: U256::from(501u32), max: U256::from(500u32) }
        );
        let mut other_types = built(vec![game_call(1)]);
        other_types["types"]["Call"][0]["name"] = json!("Target");
        assert_eq!(
            check_built_transaction(&other_types, CHAIN, &[game_call(1)], &FeeMode::Sponsored, None, 100)
                .unwrap_err(),
            BuildCheckError::TypedData(TypedDataError::Types)
        );
        let mut other_chain = built(vec![game_call(1)]);
        other_chain["domain"]["chainId"] = json!("SN_MAIN");
        assert!(matches!(
            check_built_transaction(&other_chain, CHAIN, &[game_call(1)], &FeeMode::Sponsored, None, 100),
            Err(BuildCheckError::TypedData(TypedDataError::Domain { .. }))
        ));
        assert!(matches!(
            check_built_transaction(
                &built(vec![game_call(1)]),
                CHAIN,
                &[game_call(1)],
                &FeeMode::Sponsored,
                None,
                1000
            ),
            Err(BuildCheckError::TimeBounds { .. })
        ));
    }

    #[test]
    fn error_codes_are_distinct_and_named() {
        let codes: std::collections::BTreeSet<i64> =
            PaymasterErrorCode::ALL.iter().map(|code| code.code()).collect();
        assert_eq!(codes.len(), PaymasterErrorCode::ALL.len());
        assert_eq!(PaymasterErrorCode::from_code(172), Some(PaymasterErrorCode::KeyBudgetExceeded));
        assert_eq!(PaymasterErrorCode::InvalidApiKey.message(), "An error occurred (INVALID_API_KEY)");
    }
}
