//! User-facing failures: one clear line, a hint, and an exit code that tells usage errors from
//! chain rejections.

use session_sdk::{KeystoreError, SdkError};

/// Exit code: the command succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit code: an unexpected failure (a bug, or an environment problem).
pub const EXIT_INTERNAL: u8 = 1;
/// Exit code: bad input (arguments, files, passwords) — fix the command and retry.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the session rules or the chain refused (pre-flight, rejected or reverted transaction).
pub const EXIT_REJECTED: u8 = 3;
/// Exit code: the node could not be reached or failed.
pub const EXIT_NETWORK: u8 = 4;

/// Bad input the user can fix, with a hint on how.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    message: String,
    hint: Option<String>,
}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage(message: impl Into<String>, hint: Option<&str>) -> anyhow::Error {
    UsageError { message: message.into(), hint: hint.map(str::to_owned) }.into()
}

/// The exit code and hint for `error`, from the first cause that classifies it.
pub fn classify(error: &anyhow::Error) -> (u8, Option<String>) {
    for cause in error.chain() {
        if let Some(usage) = cause.downcast_ref::<UsageError>() {
            return (EXIT_USAGE, usage.hint.clone());
        }
        if let Some(error) = cause.downcast_ref::<KeystoreError>() {
            return classify_keystore(error);
        }
        if let Some(error) = cause.downcast_ref::<SdkError>() {
            return classify_sdk(error);
        }
    }
    (EXIT_INTERNAL, None)
}

fn classify_keystore(error: &KeystoreError) -> (u8, Option<String>) {
    let hint = match error {
        KeystoreError::WrongPassword { .. } => {
            "check the password (STARK_SESSION_OWNER_PASSWORD / STARK_SESSION_PASSWORD, or the prompt)"
        }
        KeystoreError::AlreadyExists(_) => "choose another file name; keys are never overwritten",
        _ => "check the file path",
    };
    (EXIT_USAGE, Some(hint.into()))
}

fn classify_sdk(error: &SdkError) -> (u8, Option<String>) {
    let (code, hint) = match error {
        SdkError::Preflight(_) | SdkError::PolicyViolation { .. } => {
            (EXIT_REJECTED, "the session does not allow this call; create a session that allows it")
        }
        SdkError::SessionLimitReached { .. } => {
            (EXIT_REJECTED, "the session used up a limit; the owner can create a new session")
        }
        SdkError::SessionExpired { .. } => (EXIT_REJECTED, "the session has expired; create a new one"),
        SdkError::SessionRevoked { .. } => {
            (EXIT_REJECTED, "the owner revoked this session; create a new one")
        }
        SdkError::SessionUnauthorized { .. } => {
            (EXIT_REJECTED, "the session was not authorized by the account's current owner key")
        }
        SdkError::SequenceInterrupted { source, .. } => return classify_sdk(source),
        SdkError::Reverted { .. } | SdkError::Transaction { .. } | SdkError::InvalidNonce { .. } => {
            (EXIT_REJECTED, "the chain refused the transaction; the message above says why")
        }
        SdkError::Provider { .. } | SdkError::ReceiptTimeout { .. } => {
            (EXIT_NETWORK, "is the node at --rpc-url (or --network) reachable?")
        }
        SdkError::Keystore(error) => return classify_keystore(error),
        SdkError::SessionFile(_) | SdkError::Build(_) | SdkError::Key(_) => {
            (EXIT_USAGE, "check the session file and arguments")
        }
        SdkError::Artifact(_) | SdkError::Signing(_) => (EXIT_INTERNAL, "this is a bug; please report it"),
    };
    (code, Some(hint.into()))
}
