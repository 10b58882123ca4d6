//! Pre-flight: why the contract would reject a session's calls, before paying to find out.

use starknet_core::types::{Call, Felt};

use crate::session::{AllowedMethod, Session};
use crate::signature::MAX_SESSION_CALLS;

/// A reason the account would reject a session transaction (its revert reason in brackets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    /// A call is outside the allowed methods (`Session: method not allowed`).
    #[error("session does not allow calling selector {:#x} on contract {:#x}", .method.selector, .method.contract_address)]
    MethodNotAllowed {
        /// The disallowed call's contract and selector.
        method: AllowedMethod,
    },
    /// The session has expired (`Session: expired`).
    #[error("session expired at {expires_at} (now {now})")]
    Expired {
        /// Expiry.
        expires_at: u64,
        /// The time checked against.
        now: u64,
    },
    /// A call targets the account itself (`Session: call to self`).
    #[error("sessions may never call the account itself ({account:#x})")]
    CallToSelf {
        /// The account.
        account: Felt,
    },
    /// Too many calls (`Session: too many calls`).
    #[error("{count} calls exceed the maximum of {MAX_SESSION_CALLS} per session transaction")]
    TooManyCalls {
        /// Calls sent.
        count: usize,
    },
    /// The session uses a policy the contract does not enforce (`Session: unsupported policy`).
    #[error("policy {policy:#x} is not supported (only 0)")]
    UnsupportedPolicy {
        /// The policy field.
        policy: Felt,
    },
}

/// Checks what the contract checks of `calls` made by `session` from `account` at time `now`
/// (signatures, revocation and epoch excepted: they need the chain).
pub fn check_session_calls(
    session: &Session,
    account: Felt,
    calls: &[Call],
    now: u64,
) -> Result<(), PreflightError> {
    if calls.len() > MAX_SESSION_CALLS {
        return Err(PreflightError::TooManyCalls { count: calls.len() });
    }
    if session.policy != Felt::ZERO {
        return Err(PreflightError::UnsupportedPolicy { policy: session.policy });
    }
    if now >= session.expires_at {
        return Err(PreflightError::Expired { expires_at: session.expires_at, now });
    }
    for call in calls {
        if call.to == account {
            return Err(PreflightError::CallToSelf { account });
        }
        if session.proof(call.to, call.selector).is_none() {
            return Err(PreflightError::MethodNotAllowed {
                method: AllowedMethod { contract_address: call.to, selector: call.selector },
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use starknet_core::utils::get_selector_from_name;

    use super::*;
    use crate::SessionBuilder;

    const ACCOUNT: Felt = Felt::from_hex_unchecked("0xacc");
    const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");

    fn call(to: Felt, name: &str) -> Call {
        Call { to, selector: get_selector_from_name(name).unwrap(), calldata: vec![] }
    }

    fn session() -> Session {
        SessionBuilder::new(Felt::ONE).expires_at(1_000).allow(GAME, "increase").build().unwrap()
    }

    #[test]
    fn accepts_allowed_calls_before_expiry() {
        assert_eq!(check_session_calls(&session(), ACCOUNT, &[call(GAME, "increase")], 999), Ok(()));
    }

    #[test]
    fn names_each_reason_for_rejection() {
        let s = session();
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(GAME, "increase")], 1_000),
            Err(PreflightError::Expired { expires_at: 1_000, now: 1_000 })
        );
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(GAME, "reset")], 0),
            Err(PreflightError::MethodNotAllowed {
                method: AllowedMethod {
                    contract_address: GAME,
                    selector: get_selector_from_name("reset").unwrap()
                }
            })
        );
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(ACCOUNT, "increase")], 0),
            Err(PreflightError::CallToSelf { account: ACCOUNT })
        );
        let many = vec![call(GAME, "increase"); 33];
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &many, 0),
            Err(PreflightError::TooManyCalls { count: 33 })
        );
        let with_policy = SessionBuilder::new(Felt::ONE)
            .expires_at(1_000)
            .policy(Felt::TWO)
            .allow(GAME, "increase")
            .build()
            .unwrap();
        assert_eq!(
            check_session_calls(&with_policy, ACCOUNT, &[call(GAME, "increase")], 0),
            Err(PreflightError::UnsupportedPolicy { policy: Felt::TWO })
        );
        let printed = check_session_calls(&s, ACCOUNT, &[call(GAME, "reset")], 0).unwrap_err().to_string();
        assert!(printed.contains("0x6a3e"), "{printed}");
    }
}
