//! Pre-flight: why the contract would reject a session's calls, before paying to find out.

use std::collections::BTreeMap;

use starknet_core::types::{Call, Felt, U256};

use crate::policy::{checked_add_u256, value_moved};
use crate::session::{AllowedMethod, CallRefusal, Session};
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
    /// A call's arguments break its method's rules (`Session: argument not allowed`).
    #[error("the arguments of selector {:#x} on contract {:#x} break the session's argument rules", .method.selector, .method.contract_address)]
    ArgumentNotAllowed {
        /// The call's contract and selector.
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
    /// A call moves value of a token the policy does not list (`Session: token not allowed`).
    #[error("the session may not move or approve any amount of token {token:#x}")]
    TokenNotAllowed {
        /// The token.
        token: Felt,
    },
    /// A value call's amount is missing or not a `u256` (`Session: bad amount`).
    #[error("the amount of a value call to token {token:#x} is missing or not a u256")]
    BadAmount {
        /// The token.
        token: Felt,
    },
    /// The calls would exceed a spend limit (`Session: spend limit exceeded`).
    #[error("moving {amount} of token {token:#x} exceeds the session's remaining allowance of {remaining}")]
    SpendLimitExceeded {
        /// The token.
        token: Felt,
        /// What the calls move.
        amount: U256,
        /// What the session may still move.
        remaining: U256,
    },
    /// The calls would take the session past its call limit (`Session: call limit reached`).
    #[error("{calls} more calls exceed the session's limit of {max} calls ({used} made)")]
    CallLimitReached {
        /// Calls in this transaction.
        calls: usize,
        /// Calls the session made so far.
        used: u64,
        /// The limit.
        max: u64,
    },
    /// The transaction's maximum fee is above the per-transaction cap (`Session: fee cap exceeded`).
    #[error("the transaction's maximum fee {max_fee} exceeds the session's cap of {cap} per transaction")]
    FeeCapExceeded {
        /// The transaction's maximum fee.
        max_fee: u128,
        /// The cap.
        cap: u128,
    },
    /// The transaction's maximum fee exceeds the remaining budget (`Session: fee budget exceeded`).
    #[error(
        "the transaction's maximum fee {max_fee} exceeds the session's remaining fee budget of {remaining}"
    )]
    FeeBudgetExceeded {
        /// The transaction's maximum fee.
        max_fee: u128,
        /// What is left of the budget.
        remaining: u128,
    },
}

/// What a session has used so far, as the account's views report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionUsage {
    /// Calls of successful executions (`get_session_call_count`; counted under a call limit).
    pub calls: u64,
    /// Maximum fees committed (`get_session_fees_committed`).
    pub fees_committed: u128,
    /// Value moved or approved per token (`get_session_spent`; for a limit per window, in the
    /// current window only); missing tokens: 0.
    pub spent: BTreeMap<Felt, U256>,
}

/// Checks what the contract checks of `calls` made by `session` from `account` at time `now`,
/// given what the session has used so far (signatures, revocation and epoch excepted: they
/// need the chain; fees: see [`check_session_fee`]).
pub fn check_session_calls(
    session: &Session,
    account: Felt,
    calls: &[Call],
    now: u64,
    usage: &SessionUsage,
) -> Result<(), PreflightError> {
    if calls.len() > MAX_SESSION_CALLS {
        return Err(PreflightError::TooManyCalls { count: calls.len() });
    }
    if now >= session.expires_at {
        return Err(PreflightError::Expired { expires_at: session.expires_at, now });
    }
    for call in calls {
        if call.to == account {
            return Err(PreflightError::CallToSelf { account });
        }
        match session.permission_for(call) {
            Ok(_) => {}
            Err(CallRefusal::MethodNotAllowed(method)) => {
                return Err(PreflightError::MethodNotAllowed { method })
            }
            Err(CallRefusal::ArgumentNotAllowed(method)) => {
                return Err(PreflightError::ArgumentNotAllowed { method })
            }
        }
    }
    let limits = session.policy().map(|policy| &policy.spend_limits);
    let mut moved: BTreeMap<Felt, U256> = BTreeMap::new();
    for call in calls {
        let Some(amount) = value_moved(call) else { continue };
        let amount = amount.map_err(|()| PreflightError::BadAmount { token: call.to })?;
        if !limits.is_some_and(|limits| limits.contains_key(&call.to)) {
            return Err(PreflightError::TokenNotAllowed { token: call.to });
        }
        let total = moved.entry(call.to).or_insert(U256::from(0u8));
        *total = checked_add_u256(*total, amount).unwrap_or(U256::from_words(u128::MAX, u128::MAX));
    }
    let Some(policy) = session.policy() else { return Ok(()) };
    if policy.max_calls != 0 && usage.calls.saturating_add(calls.len() as u64) > policy.max_calls {
        return Err(PreflightError::CallLimitReached {
            calls: calls.len(),
            used: usage.calls,
            max: policy.max_calls,
        });
    }
    for (token, amount) in moved {
        let limit = policy.spend_limits[&token].amount;
        let spent = usage.spent.get(&token).copied().unwrap_or(U256::from(0u8));
        let remaining = if spent >= limit { U256::from(0u8) } else { limit - spent };
        if amount > remaining {
            return Err(PreflightError::SpendLimitExceeded { token, amount, remaining });
        }
    }
    Ok(())
}

/// Checks a session transaction's maximum fee against the session's fee cap and the budget left
/// after `fees_committed`, as `__validate__` does.
pub fn check_session_fee(
    session: &Session,
    max_fee: u128,
    fees_committed: u128,
) -> Result<(), PreflightError> {
    let Some(policy) = session.policy() else { return Ok(()) };
    if policy.max_fee_per_tx != 0 && max_fee > policy.max_fee_per_tx {
        return Err(PreflightError::FeeCapExceeded { max_fee, cap: policy.max_fee_per_tx });
    }
    if policy.fee_budget != 0 {
        let remaining = policy.fee_budget.saturating_sub(fees_committed);
        if max_fee > remaining {
            return Err(PreflightError::FeeBudgetExceeded { max_fee, remaining });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use starknet_core::utils::get_selector_from_name;

    use super::*;
    use crate::{ArgumentRule, Policy, SessionBuilder};

    const ACCOUNT: Felt = Felt::from_hex_unchecked("0xacc");
    const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");
    const TOKEN: Felt = Felt::from_hex_unchecked("0x70ce");
    const OTHER_TOKEN: Felt = Felt::from_hex_unchecked("0x70cf");

    fn call(to: Felt, name: &str) -> Call {
        Call { to, selector: get_selector_from_name(name).unwrap(), calldata: vec![] }
    }

    fn transfer(token: Felt, amount: u64) -> Call {
        Call {
            calldata: vec![Felt::from(0xb0bu64), Felt::from(amount), Felt::ZERO],
            ..call(token, "transfer")
        }
    }

    fn session() -> Session {
        SessionBuilder::new(Felt::ONE).expires_at(1_000).allow(GAME, "increase").build().unwrap()
    }

    fn policy_session() -> Session {
        SessionBuilder::new(Felt::ONE)
            .expires_at(1_000)
            .allow(GAME, "increase")
            .allow(TOKEN, "transfer")
            .allow(OTHER_TOKEN, "transfer")
            .allow_with_rules(
                TOKEN,
                "approve",
                vec![ArgumentRule::Equal { index: 0, value: Felt::from(0x5e11u64) }],
            )
            .policy(Policy {
                max_fee_per_tx: 100,
                fee_budget: 250,
                max_calls: 2,
                spend_limits: [(TOKEN, U256::from(1_000u64).into())].into(),
            })
            .build()
            .unwrap()
    }

    fn none() -> SessionUsage {
        SessionUsage::default()
    }

    #[test]
    fn accepts_allowed_calls_before_expiry() {
        assert_eq!(check_session_calls(&session(), ACCOUNT, &[call(GAME, "increase")], 999, &none()), Ok(()));
    }

    #[test]
    fn names_each_reason_for_rejection() {
        let s = session();
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(GAME, "increase")], 1_000, &none()),
            Err(PreflightError::Expired { expires_at: 1_000, now: 1_000 })
        );
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(GAME, "reset")], 0, &none()),
            Err(PreflightError::MethodNotAllowed {
                method: AllowedMethod {
                    contract_address: GAME,
                    selector: get_selector_from_name("reset").unwrap()
                }
            })
        );
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(ACCOUNT, "increase")], 0, &none()),
            Err(PreflightError::CallToSelf { account: ACCOUNT })
        );
        let many = vec![call(GAME, "increase"); 33];
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &many, 0, &none()),
            Err(PreflightError::TooManyCalls { count: 33 })
        );
        let printed =
            check_session_calls(&s, ACCOUNT, &[call(GAME, "reset")], 0, &none()).unwrap_err().to_string();
        assert!(printed.contains("0x6a3e"), "{printed}");
    }

    #[test]
    fn spend_limits_accept_the_limit_and_refuse_one_unit_over() {
        let s = policy_session();
        let half = transfer(TOKEN, 500);
        assert_eq!(check_session_calls(&s, ACCOUNT, &[half.clone(), half.clone()], 0, &none()), Ok(()));
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[half.clone(), transfer(TOKEN, 501)], 0, &none()),
            Err(PreflightError::SpendLimitExceeded {
                token: TOKEN,
                amount: U256::from(1_001u64),
                remaining: U256::from(1_000u64)
            })
        );
        let used = SessionUsage { spent: [(TOKEN, U256::from(999u64))].into(), ..none() };
        assert_eq!(check_session_calls(&s, ACCOUNT, &[transfer(TOKEN, 1)], 0, &used), Ok(()));
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[transfer(TOKEN, 2)], 0, &used),
            Err(PreflightError::SpendLimitExceeded {
                token: TOKEN,
                amount: U256::from(2u64),
                remaining: U256::from(1u64)
            })
        );
    }

    #[test]
    fn unlisted_tokens_move_nothing_even_without_a_policy() {
        assert_eq!(
            check_session_calls(&policy_session(), ACCOUNT, &[transfer(OTHER_TOKEN, 1)], 0, &none()),
            Err(PreflightError::TokenNotAllowed { token: OTHER_TOKEN })
        );
        let no_policy =
            SessionBuilder::new(Felt::ONE).expires_at(1_000).allow(TOKEN, "transfer").build().unwrap();
        assert_eq!(
            check_session_calls(&no_policy, ACCOUNT, &[transfer(TOKEN, 0)], 0, &none()),
            Err(PreflightError::TokenNotAllowed { token: TOKEN })
        );
        assert_eq!(
            check_session_calls(&policy_session(), ACCOUNT, &[call(TOKEN, "transfer")], 0, &none()),
            Err(PreflightError::BadAmount { token: TOKEN })
        );
    }

    #[test]
    fn call_limit_and_argument_rules() {
        let s = policy_session();
        let once = SessionUsage { calls: 1, ..none() };
        assert_eq!(check_session_calls(&s, ACCOUNT, &[call(GAME, "increase")], 0, &once), Ok(()));
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[call(GAME, "increase"), call(GAME, "increase")], 0, &once),
            Err(PreflightError::CallLimitReached { calls: 2, used: 1, max: 2 })
        );
        let approve = |spender: u64| Call {
            calldata: vec![Felt::from(spender), Felt::ONE, Felt::ZERO],
            ..call(TOKEN, "approve")
        };
        assert_eq!(check_session_calls(&s, ACCOUNT, &[approve(0x5e11)], 0, &none()), Ok(()));
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[approve(0x5e12)], 0, &none()),
            Err(PreflightError::ArgumentNotAllowed {
                method: AllowedMethod {
                    contract_address: TOKEN,
                    selector: get_selector_from_name("approve").unwrap()
                }
            })
        );
    }

    #[test]
    fn fee_cap_and_budget() {
        let s = policy_session();
        assert_eq!(check_session_fee(&s, 100, 150), Ok(()));
        assert_eq!(
            check_session_fee(&s, 101, 0),
            Err(PreflightError::FeeCapExceeded { max_fee: 101, cap: 100 })
        );
        assert_eq!(
            check_session_fee(&s, 100, 151),
            Err(PreflightError::FeeBudgetExceeded { max_fee: 100, remaining: 99 })
        );
        assert_eq!(check_session_fee(&session(), u128::MAX, 0), Ok(()));
    }
}
