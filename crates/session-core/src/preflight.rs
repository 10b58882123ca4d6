//! Pre-flight: why the contract would reject a session's calls, before paying to find out.

use std::collections::BTreeMap;

use starknet_core::types::{Call, Felt, U256};

use crate::policy::{checked_add_u256, value_moved, Policy, SpendLimit, U256_MAX};
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
    #[error("the arguments of selector {:#x} on contract {:#x} break the session's argument rules: {reason}", .method.selector, .method.contract_address)]
    ArgumentNotAllowed {
        /// The call's contract and selector.
        method: AllowedMethod,
        /// Which rule fails and why, in plain words.
        reason: String,
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
    #[error("moving {amount} of token {token:#x} exceeds what the session may still move {}: {remaining}", describe_period(*.period))]
    SpendLimitExceeded {
        /// The token.
        token: Felt,
        /// The period of the limit that binds (0: the session's lifetime).
        period: u64,
        /// What the calls move.
        amount: U256,
        /// What the session may still move.
        remaining: U256,
    },
    /// The calls would take the session past its call limit (`Session: call limit reached`).
    #[error("{calls} more calls exceed the session's limit of {max} calls{} ({used} made)", per_window(*window))]
    CallLimitReached {
        /// Calls in this transaction.
        calls: usize,
        /// Calls the session made so far (in the current window, for a limit per window).
        used: u64,
        /// The limit.
        max: u64,
        /// The limit's window in seconds (0: the session's lifetime).
        window: u64,
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

/// ` per hour`, ` per 6-hour window`, or nothing for a limit over the session's lifetime.
fn per_window(window: u64) -> String {
    match window {
        0 => String::new(),
        3600 => " per hour".into(),
        86_400 => " per day".into(),
        window if window.is_multiple_of(3600) => format!(" per {}-hour window", window / 3600),
        window => format!(" per {window}-second window"),
    }
}

/// "in total" or "in this 1-day window".
fn describe_period(period: u64) -> String {
    match period {
        0 => "in total".into(),
        period if period % 86_400 == 0 => format!("in this {}-day window", period / 86_400),
        period if period % 3600 == 0 => format!("in this {}-hour window", period / 3600),
        period => format!("in this {period}-second window"),
    }
}

/// What a session has used so far, as the account's views report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionUsage {
    /// Calls charged so far (the call limit minus `get_session_calls_left`).
    pub calls: u64,
    /// Maximum fees committed (the fee budget minus `get_session_fee_budget_left`).
    pub fees_committed: u128,
    /// Value moved or approved per (token, limit period) (the limit minus
    /// `get_session_spend_left`; for a limit per window, in the current window only); missing
    /// entries: 0.
    pub spent: BTreeMap<(Felt, u64), U256>,
}

/// What a session may still use of its limits (`None`: no such limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remaining {
    /// Calls left under the call limit.
    pub calls: Option<u64>,
    /// Fee left in the budget (FRI).
    pub fees: Option<u128>,
    /// Per spend limit that binds: the limit and what is left of it (in the current window).
    pub spend: Vec<(SpendLimit, U256)>,
}

impl SessionUsage {
    /// What `policy` leaves the session after this usage.
    pub fn remaining(&self, policy: &Policy) -> Remaining {
        let zero = U256::from(0u8);
        Remaining {
            calls: policy.max_calls.map(|max| max.saturating_sub(self.calls)),
            fees: policy.fee_budget.map(|budget| budget.saturating_sub(self.fees_committed)),
            spend: policy
                .spend_limits
                .iter()
                .filter(|limit| !limit.is_unlimited())
                .map(|limit| {
                    let spent = self.spent.get(&(limit.token, limit.period)).copied().unwrap_or(zero);
                    (*limit, if spent >= limit.amount { zero } else { limit.amount - spent })
                })
                .collect(),
        }
    }
}

impl Remaining {
    /// Whether a limit is used up: no call left, no fee left, or nothing left of a lifetime
    /// spend limit (a window limit refills in the next window).
    pub fn is_exhausted(&self) -> bool {
        self.calls == Some(0)
            || self.fees == Some(0)
            || self.spend.iter().any(|(limit, left)| limit.period == 0 && *left == U256::from(0u8))
    }
}

impl std::fmt::Display for SessionUsage {
    /// `3 calls, 12000 FRI of fees committed, 100 of token 0x… in total, 20 of token 0x… in this 1-day window`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} calls, {} FRI of fees committed", self.calls, self.fees_committed)?;
        for ((token, period), amount) in &self.spent {
            write!(f, ", {amount} of token {token:#x} {}", describe_period(*period))?;
        }
        Ok(())
    }
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
            Err(CallRefusal::ArgumentNotAllowed { method, reason }) => {
                return Err(PreflightError::ArgumentNotAllowed { method, reason })
            }
        }
    }
    let policy = session.policy();
    let mut moved: BTreeMap<Felt, U256> = BTreeMap::new();
    for call in calls {
        let Some(amount) = value_moved(call) else { continue };
        let amount = amount.map_err(|()| PreflightError::BadAmount { token: call.to })?;
        if policy.limits_of(call.to).next().is_none() {
            return Err(PreflightError::TokenNotAllowed { token: call.to });
        }
        let total = moved.entry(call.to).or_insert(U256::from(0u8));
        *total = checked_add_u256(*total, amount).unwrap_or(U256_MAX);
    }
    if let Some(max) = policy.max_calls {
        if usage.calls.saturating_add(calls.len() as u64) > max {
            return Err(PreflightError::CallLimitReached {
                calls: calls.len(),
                used: usage.calls,
                max,
                window: policy.limits_window,
            });
        }
    }
    for (token, amount) in moved {
        for limit in policy.limits_of(token).filter(|limit| !limit.is_unlimited()) {
            let spent = usage.spent.get(&(token, limit.period)).copied().unwrap_or(U256::from(0u8));
            let remaining = if spent >= limit.amount { U256::from(0u8) } else { limit.amount - spent };
            if amount > remaining {
                return Err(PreflightError::SpendLimitExceeded {
                    token,
                    period: limit.period,
                    amount,
                    remaining,
                });
            }
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
    let policy = session.policy();
    if let Some(cap) = policy.max_fee_per_tx.filter(|cap| max_fee > *cap) {
        return Err(PreflightError::FeeCapExceeded { max_fee, cap });
    }
    if let Some(budget) = policy.fee_budget {
        let remaining = budget.saturating_sub(fees_committed);
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
    use crate::{ArgumentRule, Policy, SessionBuilder, SpendLimit};

    const ACCOUNT: Felt = Felt::from_hex_unchecked("0xacc");
    const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");
    const TOKEN: Felt = Felt::from_hex_unchecked("0x70ce");
    const OTHER_TOKEN: Felt = Felt::from_hex_unchecked("0x70cf");
    const UNLIMITED_TOKEN: Felt = Felt::from_hex_unchecked("0x70d0");

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
            .allow(UNLIMITED_TOKEN, "approve")
            .allow_with_rules(
                TOKEN,
                "approve",
                vec![ArgumentRule::Equal { index: 0, value: Felt::from(0x5e11u64) }],
            )
            .policy(Policy {
                max_fee_per_tx: Some(100),
                fee_budget: Some(250),
                max_calls: Some(2),
                spend_limits: vec![
                    SpendLimit::lifetime(TOKEN, U256::from(1_000u64)),
                    SpendLimit::per_window(TOKEN, U256::from(600u64), 86_400),
                    SpendLimit::unlimited(UNLIMITED_TOKEN),
                ],
                ..Policy::default()
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
        let half = transfer(TOKEN, 300);
        assert_eq!(check_session_calls(&s, ACCOUNT, &[half.clone(), half.clone()], 0, &none()), Ok(()));
        // The daily limit (600) binds before the lifetime one (1000).
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[half.clone(), transfer(TOKEN, 301)], 0, &none()),
            Err(PreflightError::SpendLimitExceeded {
                token: TOKEN,
                period: 86_400,
                amount: U256::from(601u64),
                remaining: U256::from(600u64)
            })
        );
        // A new day refills the daily limit, but not the lifetime one.
        let used = SessionUsage {
            spent: [((TOKEN, 0), U256::from(999u64)), ((TOKEN, 86_400), U256::from(0u64))].into(),
            ..none()
        };
        assert_eq!(check_session_calls(&s, ACCOUNT, &[transfer(TOKEN, 1)], 0, &used), Ok(()));
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[transfer(TOKEN, 2)], 0, &used),
            Err(PreflightError::SpendLimitExceeded {
                token: TOKEN,
                period: 0,
                amount: U256::from(2u64),
                remaining: U256::from(1u64)
            })
        );
        let printed =
            check_session_calls(&s, ACCOUNT, &[transfer(TOKEN, 2)], 0, &used).unwrap_err().to_string();
        assert!(printed.contains("in total: 1"), "{printed}");
    }

    #[test]
    fn remaining_limits_and_a_readable_usage() {
        let s = policy_session();
        let used = SessionUsage {
            calls: 2,
            fees_committed: 50,
            spent: [((TOKEN, 0), U256::from(1_000u64)), ((TOKEN, 86_400), U256::from(100u64))].into(),
        };
        let remaining = used.remaining(s.policy());
        assert_eq!((remaining.calls, remaining.fees), (Some(0), Some(200)));
        assert_eq!(remaining.spend.len(), 2, "the unlimited token has nothing to count");
        assert_eq!(remaining.spend[0].1, U256::from(0u8));
        assert_eq!(remaining.spend[1].1, U256::from(500u64));
        assert!(remaining.is_exhausted());
        assert!(!SessionUsage::default().remaining(s.policy()).is_exhausted());
        assert_eq!(
            used.to_string(),
            "2 calls, 50 FRI of fees committed, 1000 of token 0x70ce in total, 100 of token 0x70ce in this 1-day window"
        );
    }

    #[test]
    fn an_unlimited_token_is_never_counted() {
        let s = policy_session();
        let infinite_approval = Call {
            calldata: vec![Felt::from(0x5e11u64), Felt::from(u128::MAX), Felt::from(u128::MAX)],
            ..call(UNLIMITED_TOKEN, "approve")
        };
        let used = SessionUsage { spent: [((UNLIMITED_TOKEN, 0), U256_MAX)].into(), ..none() };
        assert_eq!(
            check_session_calls(&s, ACCOUNT, &[infinite_approval.clone(), infinite_approval], 0, &used),
            Ok(())
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
            Err(PreflightError::CallLimitReached { calls: 2, used: 1, max: 2, window: 0 })
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
                },
                reason: "argument 0 is 0x5e12, but must be 0x5e11".into()
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
