//! The SDK's error type.

use starknet::core::types::Felt;

/// What can go wrong using the SDK.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    /// The node rejected or failed a request.
    #[error("{context}: {source}")]
    Provider {
        /// What was being done.
        context: String,
        /// The provider error.
        source: Box<starknet::providers::ProviderError>,
    },
    /// Sending a transaction failed (estimation, validation, or submission).
    #[error("{context}: {message}")]
    Transaction {
        /// What was being done.
        context: String,
        /// The account error, including any revert reason.
        message: String,
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
    /// A session could not be built.
    #[error(transparent)]
    Build(#[from] session_core::BuildError),
    /// A key could not be used.
    #[error(transparent)]
    Key(#[from] session_core::KeyError),
    /// A committed artifact is broken.
    #[error(transparent)]
    Artifact(#[from] session_bindings::ArtifactError),
    /// A signer failed.
    #[error("signing failed: {0}")]
    Signing(String),
}
