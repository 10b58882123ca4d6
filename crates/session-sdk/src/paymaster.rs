//! Gasless session transactions through a SNIP-29 paymaster (`session-paymaster`, AVNU's
//! paymaster or any other SNIP-29 server that accepts `paymaster_executeDirectTransaction`).
//!
//! The flow of [`SessionAccount::send_via_paymaster`]: ask the paymaster to build the outside
//! execution (`paymaster_buildTransaction`), check that what it built is exactly the submitted
//! calls plus — when the user pays in a token — one fee transfer, run the session pre-flight on
//! all of it (the fee transfer must be allowed by the session and counts against its spend limit),
//! sign the outside execution with the session key, and hand the finished
//! `execute_from_outside_v2` call to `paymaster_executeDirectTransaction`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use session_core::paymaster::{
    check_built_transaction, execute_from_outside_call, BuildCheckError, BuildTransaction,
    BuildTransactionRequest, BuildTransactionResponse, DirectInvoke, DirectTransaction, ExecuteDirectRequest,
    ExecuteRequest, ExecuteResponse, ExecutionParameters, FeeMode, FeeTransfer, InvokeParameters,
    PaymasterErrorCode, TokenPrice, TrackingResponse, API_KEY_HEADER,
};
use session_core::{check_session_calls, SessionUsage, U256};
use starknet::accounts::{Account, ConnectedAccount};
use starknet::core::types::{Call, Felt, TransactionReceiptWithBlockInfo};
use starknet::providers::Provider;

use crate::deploy::wait_for_success;
use crate::{SdkError, SessionAccount};

/// What went wrong talking to a paymaster.
#[derive(Debug, thiserror::Error)]
pub enum PaymasterError {
    /// The paymaster answered with a JSON-RPC error.
    #[error("{method}: the paymaster refused: {message} (code {code}){}", detail(.data))]
    Rejected {
        /// The method called.
        method: String,
        /// The JSON-RPC code.
        code: i64,
        /// The code as a known SNIP-29 (or `session-paymaster`) error, if it is one.
        known: Option<PaymasterErrorCode>,
        /// The JSON-RPC message.
        message: String,
        /// The error's `data`, when the paymaster sent one.
        data: Option<Value>,
    },
    /// The paymaster could not be reached.
    #[error("{method}: cannot reach the paymaster at {url}: {source}")]
    Unreachable {
        /// The method called.
        method: String,
        /// The paymaster's URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The paymaster answered something that is not a JSON-RPC response of the right shape.
    #[error("{method}: the paymaster's answer is malformed: {reason}")]
    Malformed {
        /// The method called.
        method: String,
        /// What is wrong.
        reason: String,
    },
    /// What the paymaster built is not what was submitted: nothing was signed.
    #[error("refused to sign what the paymaster built: {0}")]
    BuildRefused(#[from] BuildCheckError),
}

fn detail(data: &Option<Value>) -> String {
    match data {
        Some(Value::String(text)) => format!(": {text}"),
        Some(other) => format!(": {other}"),
        None => String::new(),
    }
}

impl PaymasterError {
    /// The SNIP-29 error code, when the paymaster refused with a known one.
    pub fn code(&self) -> Option<PaymasterErrorCode> {
        match self {
            Self::Rejected { known, .. } => *known,
            _ => None,
        }
    }
}

/// A SNIP-29 JSON-RPC client; the API key goes in the `x-paymaster-api-key` header.
#[derive(Clone, Debug)]
pub struct PaymasterClient {
    url: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

impl PaymasterClient {
    /// A client of the paymaster at `url`, without an API key.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), api_key: None, http: reqwest::Client::new() }
    }

    /// The same client, sending `api_key` with every request.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The paymaster's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` with `params` (named, as SNIP-29 defines them).
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, PaymasterError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let mut request = self.http.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            request = request.header(API_KEY_HEADER, key);
        }
        let unreachable =
            |source| PaymasterError::Unreachable { method: method.to_owned(), url: self.url.clone(), source };
        let response: Value = request.send().await.map_err(unreachable)?.json().await.map_err(unreachable)?;
        let malformed = |reason: String| PaymasterError::Malformed { method: method.to_owned(), reason };
        if let Some(error) = response.get("error") {
            let code = error
                .get("code")
                .and_then(Value::as_i64)
                .ok_or_else(|| malformed(format!("error without a code: {error}")))?;
            return Err(PaymasterError::Rejected {
                method: method.to_owned(),
                code,
                known: PaymasterErrorCode::from_code(code),
                message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
                data: error.get("data").cloned(),
            });
        }
        let result =
            response.get("result").cloned().ok_or_else(|| malformed(format!("no result in {response}")))?;
        serde_json::from_value(result).map_err(|error| malformed(error.to_string()))
    }

    fn params(value: &impl Serialize) -> Value {
        serde_json::to_value(value).expect("SNIP-29 request types serialize to JSON")
    }

    /// `paymaster_isAvailable`.
    pub async fn is_available(&self) -> Result<bool, PaymasterError> {
        self.request("paymaster_isAvailable", json!([])).await
    }

    /// `paymaster_getSupportedTokens`.
    pub async fn supported_tokens(&self) -> Result<Vec<TokenPrice>, PaymasterError> {
        self.request("paymaster_getSupportedTokens", json!([])).await
    }

    /// `paymaster_buildTransaction`.
    pub async fn build_transaction(
        &self,
        request: &BuildTransactionRequest,
    ) -> Result<BuildTransactionResponse, PaymasterError> {
        self.request("paymaster_buildTransaction", Self::params(request)).await
    }

    /// `paymaster_executeTransaction` (typed data and signature; for accounts whose signature the
    /// paymaster passes through unchanged).
    pub async fn execute_transaction(
        &self,
        request: &ExecuteRequest,
    ) -> Result<ExecuteResponse, PaymasterError> {
        self.request("paymaster_executeTransaction", Self::params(request)).await
    }

    /// `paymaster_executeDirectTransaction` (a finished `execute_from_outside_v2` call).
    pub async fn execute_direct_transaction(
        &self,
        request: &ExecuteDirectRequest,
    ) -> Result<ExecuteResponse, PaymasterError> {
        self.request("paymaster_executeDirectTransaction", Self::params(request)).await
    }

    /// `paymaster_trackingIdToLatestHash`.
    pub async fn tracking_id_to_latest_hash(
        &self,
        tracking_id: Felt,
    ) -> Result<TrackingResponse, PaymasterError> {
        self.request("paymaster_trackingIdToLatestHash", json!({ "tracking_id": tracking_id })).await
    }
}

/// How a session transaction goes through a paymaster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymasterFee {
    /// Who pays the gas.
    pub mode: FeeMode,
    /// The most the user accepts to pay in the gas token (`default` mode); `None` accepts the
    /// paymaster's quote (the session's spend limit still bounds it).
    pub max_fee_in_gas_token: Option<U256>,
}

impl PaymasterFee {
    /// The paymaster pays.
    pub fn sponsored() -> Self {
        Self { mode: FeeMode::Sponsored, max_fee_in_gas_token: None }
    }

    /// The user pays in `gas_token`, at most `max_fee` of it when given.
    pub fn in_token(gas_token: Felt, max_fee: Option<U256>) -> Self {
        Self { mode: FeeMode::Default { gas_token }, max_fee_in_gas_token: max_fee }
    }
}

/// A session transaction a paymaster accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymasterSubmission {
    /// The paymaster's tracking id and its relayer's transaction.
    pub response: ExecuteResponse,
    /// The fee transfer the user signed (`default` mode).
    pub fee_transfer: Option<FeeTransfer>,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

impl<P: Provider + Send + Sync> SessionAccount<P> {
    /// Sends `calls` through `paymaster` as a session-signed SNIP-9 outside execution, and
    /// returns once the paymaster accepted it (its relayer's transaction is submitted).
    ///
    /// Nothing is signed unless what the paymaster built is exactly `calls`, in order, plus at
    /// most one transfer of the gas token (only when the user pays in a token), of at most
    /// `fee.max_fee_in_gas_token`; the session pre-flight (usage read from the chain) then runs
    /// on all of it, so a fee transfer the session does not allow, or that would exceed its
    /// spend limit, is refused here rather than by the chain.
    pub async fn send_via_paymaster(
        &self,
        paymaster: &PaymasterClient,
        calls: Vec<Call>,
        fee: &PaymasterFee,
    ) -> Result<PaymasterSubmission, SdkError> {
        let usage = if self.session().policy().is_unlimited() {
            SessionUsage::default()
        } else {
            self.usage().await?
        };
        if self.preflight {
            check_session_calls(self.session(), self.address(), &calls, 0, &usage)?;
        }
        let request = BuildTransactionRequest {
            transaction: BuildTransaction::Invoke {
                invoke: InvokeParameters { user_address: self.address(), calls: calls.clone() },
            },
            parameters: ExecutionParameters::new(fee.mode.clone()),
        };
        let BuildTransactionResponse::Invoke { typed_data, parameters, .. } =
            paymaster.build_transaction(&request).await?;
        let (execution, fee_transfer) = check_built_transaction(
            &typed_data,
            self.chain_id(),
            &calls,
            &fee.mode,
            fee.max_fee_in_gas_token,
            unix_now(),
        )
        .map_err(PaymasterError::from)?;
        if self.preflight {
            check_session_calls(self.session(), self.address(), &execution.calls, 0, &usage)?;
        }
        let hash = execution.message_hash(self.chain_id(), self.address());
        let signature = self.sign_calls(hash, &execution.calls)?;
        let direct = ExecuteDirectRequest {
            transaction: DirectTransaction::Invoke {
                invoke: DirectInvoke {
                    user_address: self.address(),
                    execute_from_outside_call: execute_from_outside_call(
                        self.address(),
                        &execution,
                        &signature,
                    ),
                },
            },
            parameters,
        };
        let response = paymaster.execute_direct_transaction(&direct).await?;
        Ok(PaymasterSubmission { response, fee_transfer })
    }

    /// [`send_via_paymaster`](Self::send_via_paymaster), then waits until the relayer's
    /// transaction succeeds; the session signs by reference afterwards.
    pub async fn execute_via_paymaster(
        &self,
        paymaster: &PaymasterClient,
        calls: Vec<Call>,
        fee: &PaymasterFee,
    ) -> Result<(PaymasterSubmission, TransactionReceiptWithBlockInfo), SdkError> {
        let submission = self.send_via_paymaster(paymaster, calls.clone(), fee).await?;
        let receipt = wait_for_success(self.provider(), submission.response.transaction_hash).await?;
        let mut signed = calls;
        signed.extend(submission.fee_transfer.map(|transfer| transfer.call()));
        self.mark_validated(&signed);
        Ok((submission, receipt))
    }
}
