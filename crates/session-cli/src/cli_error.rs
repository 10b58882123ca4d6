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

/// A refusal the CLI itself makes before sending (exit 3), already worded for people.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    message: String,
    hint: Option<String>,
}

/// A [`Refusal`] as an `anyhow::Error`.
pub fn refusal(message: impl Into<String>, hint: Option<&str>) -> anyhow::Error {
    Refusal { message: message.into(), hint: hint.map(str::to_owned) }.into()
}

/// Revert reasons and node messages people meet, with what they mean.
const KNOWN_REASONS: &[(&str, &str)] = &[
    (
        "Account: invalid signature",
        "the signature is not the account owner's: is this keystore the account's owner key?",
    ),
    ("Session: already registered", "this session is already registered on-chain"),
    ("Session: already revoked", "this session is already revoked"),
    (
        "Failed to deserialize param",
        "wrong calldata: the entrypoint could not read its arguments (too few, or not the types it expects)",
    ),
    ("Input too short for arguments", "wrong calldata: too few arguments for this entrypoint"),
    ("Session: invalid session sig", "the session key did not sign this transaction (wrong session file?)"),
    ("Session: invalid authorization", "the session's authorization is not the current owner's signature"),
    ("Session: stale epoch", "every session of this epoch was ended by a revoke-all or an owner rotation"),
];

/// The error and its causes on one line, leaving out causes the text already shows, with the
/// meaning of a known revert reason added.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    let line = line.replace('\n', " ");
    match KNOWN_REASONS.iter().find(|(needle, _)| line.contains(needle)) {
        Some((_, meaning)) if !line.contains(meaning) => format!("{line} — {meaning}"),
        _ => line,
    }
}

/// The exit code and hint for `error`, from the first cause that classifies it.
pub fn classify(error: &anyhow::Error) -> (u8, Option<String>) {
    for cause in error.chain() {
        if let Some(usage) = cause.downcast_ref::<UsageError>() {
            return (EXIT_USAGE, usage.hint.clone());
        }
        if let Some(refusal) = cause.downcast_ref::<Refusal>() {
            return (EXIT_REJECTED, refusal.hint.clone());
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
        SdkError::SessionNotYetValid { .. } => {
            (EXIT_REJECTED, "the session starts later (see `session inspect`); try again then")
        }
        SdkError::SessionPaused { .. } => {
            (EXIT_REJECTED, "the owner paused this session; `session resume` resumes it")
        }
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
            (EXIT_NETWORK, "is the node at --rpc-url (or --network / STARKNET_RPC) reachable?")
        }
        SdkError::ContractNotFound { .. } => (EXIT_USAGE, "check the address and the network"),
        SdkError::EntrypointNotFound { .. } => {
            (EXIT_USAGE, "give the address of a session account (see `account show`)")
        }
        SdkError::Keystore(error) => return classify_keystore(error),
        SdkError::SessionFile(_) | SdkError::AccountFile(_) | SdkError::Build(_) | SdkError::Key(_) => {
            (EXIT_USAGE, "check the file and the arguments")
        }
        SdkError::Signing(_) => (EXIT_USAGE, "the owner's key or passkey could not sign; check it"),
        SdkError::Artifact(_) | SdkError::Decode { .. } => (EXIT_INTERNAL, "this is a bug; please report it"),
        SdkError::Paymaster(session_sdk::PaymasterError::Unreachable { .. }) => {
            (EXIT_NETWORK, "is the paymaster at --paymaster running?")
        }
        SdkError::Paymaster(session_sdk::PaymasterError::Rejected { code: 170, .. }) => {
            (EXIT_USAGE, "set SESSION_PAYMASTER_API_KEY to a key of this paymaster")
        }
        SdkError::Paymaster(_) => (
            EXIT_REJECTED,
            "the paymaster refused, or built something other than these calls; nothing was signed",
        ),
    };
    (code, Some(hint.into()))
}
