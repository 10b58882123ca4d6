//! The SDK's error type, and how chain rejections are recognised.

use session_core::PreflightError;
use starknet::accounts::AccountError;
use starknet::core::types::{Felt, StarknetError};
use starknet::providers::ProviderError;

use crate::account::SessionSignError;

/// What can go wrong using the SDK. Session rejections by the chain get their own variants, so a
/// caller can tell "ask the owner for a new session" from "retry later".
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The pre-flight check refused the calls; nothing was sent.
    #[error("not sent: {0}")]
    Preflight(#[from] PreflightError),
    /// The account rejected a call the session does not allow (method, arguments, token,
    /// self-call, too many calls, fee above the cap).
    #[error("{context}: the session does not allow this call ({reason})")]
    PolicyViolation {
        /// What was being done.
        context: String,
        /// The account's revert reason.
        reason: String,
    },
    /// The account refused because the session used up a limit (spending, transactions, fee
    /// budget): the owner must issue a new session.
    #[error("{context}: the session reached a limit ({reason})")]
    SessionLimitReached {
        /// What was being done.
        context: String,
        /// The account's revert reason.
        reason: String,
    },
    /// The account rejected the session as expired.
    #[error("{context}: the session has expired")]
    SessionExpired {
        /// What was being done.
        context: String,
    },
    /// The session's policy starts later (`valid_after`).
    #[error("{context}: the session is not valid yet (its policy starts later)")]
    SessionNotYetValid {
        /// What was being done.
        context: String,
    },
    /// The owner paused the session (`SessionAdmin::resume_session` resumes it, counters kept).
    #[error("{context}: the session is paused by the owner")]
    SessionPaused {
        /// What was being done.
        context: String,
    },
    /// The account rejected the session as revoked (by its hash, or by revoke-all).
    #[error("{context}: the session was revoked ({reason})")]
    SessionRevoked {
        /// What was being done.
        context: String,
        /// The account's revert reason (`Session: revoked` or `Session: stale epoch`).
        reason: String,
    },
    /// The account rejected the session's authorization or signature (wrong owner, key, or chain).
    #[error("{context}: the session is not authorized ({reason})")]
    SessionUnauthorized {
        /// What was being done.
        context: String,
        /// The account's revert reason.
        reason: String,
    },
    /// The transaction's nonce was already used or is too far ahead.
    #[error("{context}: invalid nonce ({message})")]
    InvalidNonce {
        /// What was being done.
        context: String,
        /// The node's message.
        message: String,
    },
    /// The node rejected or failed a request.
    #[error("{context}: {source}")]
    Provider {
        /// What was being done.
        context: String,
        /// The provider error.
        source: Box<ProviderError>,
    },
    /// The node refused a transaction or call for another reason (validation, fee, balance).
    #[error("{context}: {message}")]
    Transaction {
        /// What was being done.
        context: String,
        /// The innermost revert reason when there is one, else the node's message.
        message: String,
    },
    /// No contract is deployed at the address.
    #[error("no contract is deployed at {address:#x}")]
    ContractNotFound {
        /// The address.
        address: Felt,
    },
    /// The contract at the address has no such entrypoint (e.g. it is not a session account).
    #[error("{address:#x} has no `{entrypoint}` entrypoint: is it the right contract?")]
    EntrypointNotFound {
        /// The address.
        address: Felt,
        /// The entrypoint that is missing.
        entrypoint: String,
    },
    /// A transaction was included but reverted.
    #[error("transaction {hash:#x} reverted: {reason}")]
    Reverted {
        /// The transaction hash.
        hash: Felt,
        /// The revert reason.
        reason: String,
    },
    /// No receipt appeared in time.
    #[error("transaction {hash:#x} has no receipt after {seconds} s")]
    ReceiptTimeout {
        /// The transaction hash.
        hash: Felt,
        /// How long we waited.
        seconds: u64,
    },
    /// A sequence stopped part-way; the first `sent` transactions were submitted, the rest were not.
    #[error("sequence stopped after {} of {total} transactions: {source}", sent.len())]
    SequenceInterrupted {
        /// Hashes of the transactions submitted, in order.
        sent: Vec<Felt>,
        /// How many transactions the sequence had.
        total: usize,
        /// Why the next one could not be sent.
        source: Box<SdkError>,
    },
    /// A session could not be built.
    #[error(transparent)]
    Build(#[from] session_core::BuildError),
    /// A key could not be used.
    #[error(transparent)]
    Key(#[from] session_core::KeyError),
    /// A committed artifact is broken.
    #[error(transparent)]
    Artifact(#[from] session_bindings::ArtifactError),
    /// A keystore or session file could not be read, written or decrypted.
    #[error(transparent)]
    Keystore(#[from] crate::keystore::KeystoreError),
    /// A session file cannot be used.
    #[error(transparent)]
    SessionFile(#[from] crate::session_file::SessionFileError),
    /// An account file cannot be used.
    #[error(transparent)]
    AccountFile(#[from] crate::account_file::AccountFileError),
    /// An owner key or signature could not be encoded or decoded.
    #[error("{context}: {reason}")]
    Decode {
        /// What was being encoded or decoded.
        context: String,
        /// What is wrong.
        reason: String,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// A paymaster refused, was unreachable, or built something the client would not sign.
    #[error(transparent)]
    Paymaster(#[from] crate::paymaster::PaymasterError),
}

/// Revert reasons of the session account, mapped to the variant a caller matches on.
const REJECTIONS: &[(&str, Rejection)] = &[
    ("Session: expired", Rejection::Expired),
    ("Session: revoked", Rejection::Revoked),
    ("Session: stale epoch", Rejection::Revoked),
    ("Session: paused", Rejection::Paused),
    ("Session: not yet valid", Rejection::NotYetValid),
    ("Session: method not allowed", Rejection::Policy),
    ("Session: call to self", Rejection::Policy),
    ("Session: too many calls", Rejection::Policy),
    ("Session: argument not allowed", Rejection::Policy),
    ("Session: token not allowed", Rejection::Policy),
    ("Session: bad amount", Rejection::Policy),
    ("Session: fee cap exceeded", Rejection::Policy),
    ("Session: unknown argument rule", Rejection::Policy),
    ("Session: malformed rule", Rejection::Policy),
    ("Session: spend limits unordered", Rejection::Policy),
    ("Session: spend limit exceeded", Rejection::Limit),
    ("Session: call limit reached", Rejection::Limit),
    ("Session: rule total exceeded", Rejection::Limit),
    ("Session: fee budget exceeded", Rejection::Limit),
    ("Session: policy mismatch", Rejection::Unauthorized),
    ("Session: not authorized", Rejection::Unauthorized),
    ("Session: invalid authorization", Rejection::Unauthorized),
    ("Session: invalid session sig", Rejection::Unauthorized),
];

#[derive(Clone, Copy)]
enum Rejection {
    Expired,
    Revoked,
    Paused,
    NotYetValid,
    Policy,
    Limit,
    Unauthorized,
}

impl SdkError {
    /// The error for a node's or account's refusal `message` while doing `context`: a session
    /// rejection when the message carries one of the account's session revert reasons, else the
    /// innermost revert reason (the node nests one error per contract call).
    pub(crate) fn rejected(context: impl Into<String>, message: String) -> Self {
        let context = context.into();
        let found = REJECTIONS.iter().find(|(reason, _)| message.contains(reason));
        let message = innermost_revert_reason(&message).unwrap_or(message);
        match found {
            Some((_, Rejection::Expired)) => SdkError::SessionExpired { context },
            Some((_, Rejection::Paused)) => SdkError::SessionPaused { context },
            Some((_, Rejection::NotYetValid)) => SdkError::SessionNotYetValid { context },
            Some(&(reason, Rejection::Revoked)) => {
                SdkError::SessionRevoked { context, reason: reason.into() }
            }
            Some(&(reason, Rejection::Policy)) => {
                SdkError::PolicyViolation { context, reason: reason.into() }
            }
            Some(&(reason, Rejection::Limit)) => {
                SdkError::SessionLimitReached { context, reason: reason.into() }
            }
            Some(&(reason, Rejection::Unauthorized)) => {
                SdkError::SessionUnauthorized { context, reason: reason.into() }
            }
            None => SdkError::Transaction { context, message },
        }
    }

    /// The error for a failed starknet-rs account operation while doing `context` — what a
    /// transaction sent through generated bindings (`contract.method(..).send()`) returns: session
    /// rejections get their own variants, like the SDK's own sends.
    pub fn from_account<S: std::fmt::Display>(context: impl Into<String>, error: AccountError<S>) -> Self {
        match error {
            AccountError::Provider(error) => SdkError::from_provider(context, error),
            other => SdkError::rejected(context, format!("{other}")),
        }
    }

    /// The error for a node's answer to a transaction or call while doing `context`: a nonce
    /// refusal, a session rejection (by its revert reason), another refusal (with its innermost
    /// revert reason), or a failed request.
    pub fn from_provider(context: impl Into<String>, error: ProviderError) -> Self {
        let context = context.into();
        match error {
            ProviderError::StarknetError(StarknetError::InvalidTransactionNonce(message)) => {
                SdkError::InvalidNonce { context, message }
            }
            // Revert reasons are inside the error data, which only the Debug form shows.
            ProviderError::StarknetError(error) => {
                let message = format!("{error:?}");
                // Nodes word it differently: "Invalid transaction nonce", "nonce is invalid".
                let lower = message.to_lowercase();
                if lower.contains("nonce") && lower.contains("invalid") {
                    return SdkError::InvalidNonce { context, message };
                }
                SdkError::rejected(context, message)
            }
            source => SdkError::Provider { context, source: Box::new(source) },
        }
    }

    /// The error for a failed operation of a [`crate::SessionAccount`] — also what a transaction
    /// sent through generated bindings with a session account as their account returns
    /// (`contract.method(..).send()`): a pre-flight refusal keeps its type, the chain's session
    /// rejections get their own variants.
    pub fn from_session_account(context: impl Into<String>, error: AccountError<SessionSignError>) -> Self {
        match error {
            AccountError::Signing(error) => error.into(),
            other => SdkError::from_account(context, other),
        }
    }

    /// The error for a failed view call `entrypoint` of `contract` through generated bindings
    /// (`contract.view(..).call()`): an unreachable node is [`SdkError::Provider`], a missing
    /// contract or entrypoint is named.
    pub fn from_call(
        entrypoint: &str,
        contract: Felt,
        error: session_bindings::cainome::cairo_serde::Error,
    ) -> Self {
        use session_bindings::cainome::cairo_serde::Error as CallError;
        let context = format!("calling {entrypoint} on {contract:#x}");
        match error {
            CallError::Provider(ProviderError::StarknetError(StarknetError::ContractNotFound)) => {
                SdkError::ContractNotFound { address: contract }
            }
            CallError::Provider(ProviderError::StarknetError(StarknetError::EntrypointNotFound)) => {
                SdkError::EntrypointNotFound { address: contract, entrypoint: entrypoint.to_owned() }
            }
            CallError::Provider(ProviderError::StarknetError(error)) => {
                let message = format!("{error:?}");
                let lower = message.to_lowercase();
                if lower.contains("entry point") && lower.contains("not found")
                    || lower.contains("entrypoint_not_found")
                    || lower.contains("entry_point_not_found")
                {
                    SdkError::EntrypointNotFound { address: contract, entrypoint: entrypoint.to_owned() }
                } else {
                    SdkError::rejected(context, message)
                }
            }
            CallError::Provider(source) => SdkError::Provider { context, source: Box::new(source) },
            other => SdkError::Transaction { context, message: other.to_string() },
        }
    }
}

/// The innermost revert reason in a node's (possibly nested) error message: the last short string
/// the node decoded, as it prints them (`0x… ('Session: expired')`), or its last "Failure reason".
pub(crate) fn innermost_revert_reason(message: &str) -> Option<String> {
    let decoded = message
        .match_indices("('")
        .filter_map(|(start, _)| {
            let rest = &message[start + 2..];
            rest.find("')").map(|end| rest[..end].to_owned())
        })
        .filter(|reason| !reason.is_empty())
        .last();
    decoded.or_else(|| {
        message.rfind("Failure reason:").map(|start| {
            let rest = message[start + "Failure reason:".len()..].trim_start();
            let rest = rest.strip_prefix("\\n").unwrap_or(rest);
            let line = rest.split(['\n', '"']).next().unwrap_or(rest);
            line.split("\\n").next().unwrap_or(line).trim().to_owned()
        })
    })
}

impl From<SessionSignError> for SdkError {
    fn from(error: SessionSignError) -> Self {
        match error {
            SessionSignError::Preflight(error) => SdkError::Preflight(error),
            SessionSignError::Key(error) => SdkError::Key(error),
            SessionSignError::DeclareNotAllowed | SessionSignError::MessageNotAllowed { .. } => {
                SdkError::Signing(error.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_revert_reason_is_found_in_a_nested_error() {
        let nested = r#"TransactionExecutionError(Nested(InnerContractExecutionError { error: Nested(InnerContractExecutionError { error: Message("Error in contract (contract address: 0x1):\n0x4163 ('Account: invalid caller').\n") }) }))"#;
        assert_eq!(innermost_revert_reason(nested).as_deref(), Some("Account: invalid caller"));
        let rejected = SdkError::rejected("sending", nested.to_owned());
        assert_eq!(rejected.to_string(), "sending: Account: invalid caller");
        assert_eq!(innermost_revert_reason("no reason here"), None);
    }
}
