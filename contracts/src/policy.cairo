//! The pure rules of session policies: argument rules, the ERC-20 calls that move value, and a
//! transaction's maximum fee.
//!
//! Spending is read from calldata (not from balance changes): a call counts as moving value when
//! its selector is one of the ERC-20 entrypoints below, whatever contract it targets, and its
//! `u256` amount is counted against the target's spend limit. `approve` counts its full amount
//! (an allowance lets the spender move that much later), even when it lowers an allowance.
//! Limits: tokens with non-standard value entrypoints (e.g. `burn`, `permit`, `send`) are not
//! recognised — do not allow such methods in a session, or restrict them with argument rules.

use core::num::traits::{Bounded, CheckedAdd, SaturatingAdd, SaturatingMul};
use starknet::account::Call;
use starknet::ResourcesBounds;
use crate::errors::SessionErrors;
use crate::interfaces::{ArgumentRule, SpendLimit};

/// Resource name of L2 gas in a transaction's resource bounds (the tip is paid per L2 gas unit).
const L2_GAS: felt252 = 'L2_GAS';

/// Kind of an argument rule: the argument equals the single value.
pub const RULE_EQUAL: felt252 = 'equal';
/// Kind of an argument rule: the argument is one of the values.
pub const RULE_ONE_OF: felt252 = 'one of';
/// Kind of an argument rule: the felt argument, as an unsigned integer, is at most the bound.
pub const RULE_AT_MOST: felt252 = 'at most';
/// Kind of an argument rule: the `u256` argument (two felts) is at most the bound.
pub const RULE_AT_MOST_U256: felt252 = 'at most u256';
/// Kind of an argument rule: the argument, as an integer, is at least the bound (e.g. a swap's
/// minimum amount out: a slippage bound).
pub const RULE_AT_LEAST: felt252 = 'at least';
/// Kind of an argument rule: the `u256` argument (two felts) is at least the bound.
pub const RULE_AT_LEAST_U256: felt252 = 'at least u256';
/// Kind of an argument rule: the argument is none of the values.
pub const RULE_NOT_EQUAL: felt252 = 'not equal';
/// Kind of an argument rule: the `u256` arguments of all the session's calls of the method add up
/// to at most the bound — in total (no values), or per window (`values` = `[window seconds]`,
/// whole hours). Counted when the transaction is validated. E.g. the total `amount_in` a swap
/// method may spend, on any router.
pub const RULE_TOTAL_AT_MOST_U256: felt252 = 'total at most u256';

/// Panics with `Session: argument not allowed` unless `calldata` obeys every rule (and with
/// `Session: unknown argument rule` / `Session: malformed rule` for a rule that is neither).
pub fn assert_arguments_allowed(rules: Span<ArgumentRule>, calldata: Span<felt252>) {
    assert(arguments_allowed(rules, calldata), SessionErrors::ARGUMENT_NOT_ALLOWED);
}

/// Whether `calldata` obeys every rule (panics with `Session: unknown argument rule` /
/// `Session: malformed rule` for a rule that is neither).
pub fn arguments_allowed(rules: Span<ArgumentRule>, calldata: Span<felt252>) -> bool {
    for rule in rules {
        if !argument_obeys(rule, calldata) {
            return false;
        }
    }
    true
}

fn argument_obeys(rule: @ArgumentRule, calldata: Span<felt252>) -> bool {
    let kind = *rule.kind;
    let values = *rule.values;
    let bound = *rule.bound;
    if kind == RULE_EQUAL || kind == RULE_ONE_OF || kind == RULE_NOT_EQUAL {
        assert(bound == 0 && !values.is_empty(), SessionErrors::MALFORMED_RULE);
        assert(kind == RULE_ONE_OF || values.len() == 1, SessionErrors::MALFORMED_RULE);
        let Some(argument) = calldata.get(*rule.index) else {
            return false;
        };
        let argument = *argument.unbox();
        let mut listed = false;
        for value in values {
            if *value == argument {
                listed = true;
                break;
            }
        }
        return listed != (kind == RULE_NOT_EQUAL);
    }
    if kind == RULE_TOTAL_AT_MOST_U256 {
        assert(bound.high == 0 && values.len() <= 1, SessionErrors::MALFORMED_RULE);
        if let Some(window) = values.get(0) {
            let window: u64 = (*window.unbox()).try_into().expect(SessionErrors::MALFORMED_RULE);
            assert(window != 0 && window % 3600 == 0, SessionErrors::MALFORMED_RULE);
            assert(window < 0x100000000, SessionErrors::WINDOW_TOO_LONG);
        }
        // One call alone within the bound; the session's total is counted by the account.
        return match read_u256(calldata, *rule.index) {
            Some(argument) => argument <= bound,
            None => false,
        };
    }
    assert(values.is_empty(), SessionErrors::MALFORMED_RULE);
    if kind == RULE_AT_MOST || kind == RULE_AT_LEAST {
        return match calldata.get(*rule.index) {
            Some(argument) => {
                let argument: u256 = (*argument.unbox()).into();
                if kind == RULE_AT_MOST {
                    argument <= bound
                } else {
                    argument >= bound
                }
            },
            None => false,
        };
    }
    assert(kind == RULE_AT_MOST_U256 || kind == RULE_AT_LEAST_U256, SessionErrors::UNKNOWN_RULE);
    match read_u256(calldata, *rule.index) {
        Some(argument) => if kind == RULE_AT_MOST_U256 {
            argument <= bound
        } else {
            argument >= bound
        },
        None => false,
    }
}

/// Panics with `Session: spend limits unordered` unless the spend limits are strictly increasing
/// by (token, period): no limit appears twice, and each has its own counter.
pub fn assert_spend_limits_ordered(limits: Span<SpendLimit>) {
    let mut previous: Option<@SpendLimit> = None;
    for limit in limits {
        if let Some(before) = previous {
            let (token, before_token): (felt252, felt252) = ((*limit.token).into(), (*before.token).into());
            let (token, before_token): (u256, u256) = (token.into(), before_token.into());
            assert(
                token > before_token || (token == before_token && *limit.period > *before.period),
                SessionErrors::SPEND_LIMITS_UNORDERED,
            );
        }
        previous = Some(limit);
    }
}

/// Whether a spend limit never binds (its amount is `u256` max): such a limit is not accounted.
pub fn is_unlimited(limit: @SpendLimit) -> bool {
    *limit.amount == Bounded::MAX
}

/// The amount a call moves or approves if it is an ERC-20 value call (`transfer`,
/// `transfer_from`/`transferFrom`, `approve`, `increase_allowance`/`increaseAllowance`), else
/// `None`. Panics with `Session: bad amount` when such a call's amount is missing or invalid.
pub fn value_moved(call: @Call) -> Option<u256> {
    let amount_index = value_amount_index(*call.selector)?;
    Some(read_u256(*call.calldata, amount_index).expect(SessionErrors::BAD_AMOUNT))
}

/// The calldata index of the amount of an ERC-20 value entrypoint, `None` for other selectors.
fn value_amount_index(selector: felt252) -> Option<u32> {
    if selector == selector!("transfer")
        || selector == selector!("approve")
        || selector == selector!("increase_allowance")
        || selector == selector!("increaseAllowance") {
        Some(1)
    } else if selector == selector!("transfer_from") || selector == selector!("transferFrom") {
        Some(2)
    } else {
        None
    }
}

/// The most a transaction with these resource bounds and tip can pay:
/// `Σ max_amount × max_price_per_unit + tip × max L2 gas`, saturated at `u128` max (more than
/// any fee cap or budget the account counts).
pub fn max_fee(resource_bounds: Span<ResourcesBounds>, tip: u128) -> u128 {
    let mut total: u128 = 0;
    for bounds in resource_bounds {
        let mut price = *bounds.max_price_per_unit;
        if *bounds.resource == L2_GAS {
            price = price.saturating_add(tip);
        }
        let amount: u128 = (*bounds.max_amount).into();
        total = total.saturating_add(amount.saturating_mul(price));
    }
    total
}

/// The `u256` at `calldata[index]` (low) and `calldata[index + 1]` (high), if both are `u128`s.
pub fn read_u256(calldata: Span<felt252>, index: u32) -> Option<u256> {
    let low: u128 = (*calldata.get(index)?.unbox()).try_into()?;
    let high: u128 = (*calldata.get(index.checked_add(1)?)?.unbox()).try_into()?;
    Some(u256 { low, high })
}
