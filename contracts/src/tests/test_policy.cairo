//! Policy rules: spend limits, default-deny of unlisted tokens, call limits, argument
//! rules and fee caps — each accepted at its limit and rejected one unit over. Argument rules
//! and fees are validation's; call and spend limits bind when the calls execute.

use core::num::traits::Bounded;
use starknet::ContractAddress;
use starknet::account::Call;
use starknet::storage::{StorageMapReadAccess, StorageMapWriteAccess};
use crate::storage::{Allowance, spend_key};
use starknet::testing::set_block_timestamp;
use crate::components::session::SessionComponent;
use crate::components::session::SessionComponent::InternalTrait;
use crate::interfaces::{ArgumentRule, ISRC6, ISession, Policy, SpendLimit};
use crate::policy::{
    RULE_AT_LEAST, RULE_AT_LEAST_U256, RULE_AT_MOST, RULE_EQUAL, RULE_NOT_EQUAL, RULE_ONE_OF,
    assert_arguments_allowed, assert_spend_limits_ordered, max_fee, value_moved,
};
use crate::presets::session_account::SessionAccount;
use super::common::{
    ACCOUNT_ADDRESS, as_account, as_protocol, assert_no_more_events, drop_events, first_entry_index,
    next_event, setup, sign_with, with_felt,
};
use crate::components::session::SessionComponent::Context;
use crate::signature::REMEMBER_LEAF;
use super::vectors;

const RECIPIENT: felt252 = 0xb0b;

/// An account on which the owner registered the policy session (so cached signatures work).
fn registered() -> SessionAccount::ContractState {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    drop_events();
    as_protocol();
    state
}

fn token_call(selector: felt252, calldata: Array<felt252>) -> Call {
    Call { to: vectors::TOKEN.try_into().unwrap(), selector, calldata: calldata.span() }
}

fn game_call(selector: felt252, calldata: Array<felt252>) -> Call {
    Call { to: vectors::GAME.try_into().unwrap(), selector, calldata: calldata.span() }
}

fn transfer(amount: felt252) -> Call {
    token_call(selector!("transfer"), array![RECIPIENT, amount, 0])
}

/// Validates `calls` with `signature` (as `__validate__`).
fn validate(ref state: SessionAccount::ContractState, signature: Array<felt252>, calls: Array<Call>) {
    sign_with(signature);
    assert_eq!(state.__validate__(calls), 'VALID');
}

/// Runs the execution-side policy accounting of `calls` (as `__execute__` does before the calls).
fn use_session(ref state: SessionAccount::ContractState, signature: Array<felt252>, calls: Array<Call>) {
    let used = state
        .session
        .session_use_of(signature.span(), vectors::CHAIN_ID, ACCOUNT_ADDRESS())
        .expect('not a session signature');
    state.session.use_session(used, calls.span(), starknet::get_block_timestamp());
}

/// Validates then accounts `calls` (what a transaction does before its calls run).
fn run(ref state: SessionAccount::ContractState, signature: Array<felt252>, calls: Array<Call>) {
    validate(ref state, signature.clone(), calls.clone());
    use_session(ref state, signature, calls);
}

/// What the policy session may still move of TOKEN (lifetime limit 1000).
fn token_left(state: @SessionAccount::ContractState) -> u256 {
    state.get_session_spend_left(vectors::POLICY_SESSION_HASH, token(vectors::TOKEN), 0)
}

fn token(address: felt252) -> ContractAddress {
    address.try_into().unwrap()
}

fn session_event(event: SessionComponent::Event) -> SessionAccount::Event {
    SessionAccount::Event::SessionEvent(event)
}

/// The `SessionSpent` event of the policy session spending TOKEN.
fn token_spent(amount: u128) -> SessionAccount::Event {
    session_event(
        SessionComponent::Event::SessionSpent(
            SessionComponent::SessionSpent {
                session_hash: vectors::POLICY_SESSION_HASH,
                token: vectors::TOKEN.try_into().unwrap(),
                amount,
            },
        ),
    )
}

/// The `SessionCharged` event of the policy session.
fn charged(calls: u32, fee: u128) -> SessionAccount::Event {
    session_event(
        SessionComponent::Event::SessionCharged(
            SessionComponent::SessionCharged { session_hash: vectors::POLICY_SESSION_HASH, calls, fee },
        ),
    )
}

// Spend limits (1000 of TOKEN).

#[test]
fn test_use_session_accepts_transfer_of_the_whole_limit() {
    let mut state = setup();
    run(ref state, vectors::sig_policy_full_transfer(), array![transfer(1000)]);
    assert_eq!(token_left(@state), 0);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_use_session_rejects_transfer_one_over_the_limit() {
    let mut state = setup();
    run(ref state, vectors::sig_policy_full_transfer(), array![transfer(1001)]);
}

#[test]
fn test_use_session_sums_calls_to_the_same_token() {
    let mut state = registered();
    run(ref state, vectors::sig_policy_cached_two_transfers(), array![transfer(500), transfer(500)]);
    assert_eq!(token_left(@state), 0);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_use_session_rejects_calls_summing_one_over_the_limit() {
    let mut state = registered();
    run(ref state, vectors::sig_policy_cached_two_transfers(), array![transfer(500), transfer(501)]);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_use_session_rejects_amount_with_a_high_word() {
    let mut state = registered();
    let huge = token_call(selector!("transfer"), array![RECIPIENT, 0, 1]);
    run(ref state, vectors::sig_policy_cached_transfer(), array![huge]);
}

#[test]
fn test_use_session_counts_spending() {
    let mut state = registered();
    use_session(ref state, vectors::sig_policy_cached_transfer(), array![transfer(999)]);
    assert_eq!(token_left(@state), 1);
    assert_eq!(next_event(), token_spent(999));
    assert_no_more_events();
    use_session(ref state, vectors::sig_policy_cached_transfer(), array![transfer(1)]);
    assert_eq!(token_left(@state), 0);
    assert_eq!(next_event(), token_spent(1));
    assert_eq!(next_event(), limit_reached(SessionComponent::SPEND_LIMIT, vectors::TOKEN));
    assert_no_more_events();
}

fn limit_reached(limit: felt252, token: felt252) -> SessionAccount::Event {
    session_event(
        SessionComponent::Event::SessionLimitReached(
            SessionComponent::SessionLimitReached {
                session_hash: vectors::POLICY_SESSION_HASH,
                limit,
                token: token.try_into().unwrap(),
                period: 0,
            },
        ),
    )
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_use_session_rejects_one_over_what_is_left() {
    let mut state = registered();
    use_session(ref state, vectors::sig_policy_cached_transfer(), array![transfer(999)]);
    use_session(ref state, vectors::sig_policy_cached_transfer(), array![transfer(2)]);
}

#[test]
fn test_approvals_and_transfers_from_count_against_the_limit() {
    let mut state = registered();
    let calls = array![
        game_call(selector!("increase"), array![10]), game_call(selector!("reset"), array![3]),
        token_call(selector!("approve"), array![vectors::SPENDER, 400, 0]),
        token_call(selector!("transfer_from"), array![0xa, 0xb, 500, 0]),
    ];
    run(ref state, vectors::sig_policy_cached_rules(), calls);
    assert_eq!(token_left(@state), 100);
}

#[test]
#[should_panic(expected: 'Session: bad amount')]
fn test_use_session_rejects_transfer_without_amount() {
    let mut state = registered();
    let short = token_call(selector!("transfer"), array![RECIPIENT, 5]);
    run(ref state, vectors::sig_policy_cached_transfer(), array![short]);
}

#[test]
#[should_panic(expected: 'Session: bad amount')]
fn test_use_session_rejects_amount_word_above_u128() {
    let mut state = registered();
    let bad = token_call(selector!("transfer"), array![RECIPIENT, 0x100000000000000000000000000000000, 0]);
    run(ref state, vectors::sig_policy_cached_transfer(), array![bad]);
}

// A limit per window (100 of DAILY_TOKEN per day, windows from the Unix epoch).

fn daily_transfer(amount: felt252) -> Call {
    Call {
        to: vectors::DAILY_TOKEN.try_into().unwrap(),
        selector: selector!("transfer"),
        calldata: array![RECIPIENT, amount, 0].span(),
    }
}

/// What the policy session may still move of DAILY_TOKEN today (100 per day).
fn daily_left(state: @SessionAccount::ContractState) -> u256 {
    state.get_session_spend_left(vectors::POLICY_SESSION_HASH, token(vectors::DAILY_TOKEN), 86400)
}

#[test]
fn test_a_window_limit_starts_again_in_the_next_window() {
    let mut state = registered();
    let day = vectors::NOW / 86400;
    assert_eq!(daily_left(@state), 100);
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(100)]);
    assert_eq!(daily_left(@state), 0);
    // The next day starts from the whole amount (the last second of this day is still full:
    // next test).
    set_block_timestamp((day + 1) * 86400);
    assert_eq!(daily_left(@state), 100);
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(60)]);
    assert_eq!(daily_left(@state), 40);
    let token = token(vectors::DAILY_TOKEN);
    let entry = state.session.Session_spending.read(spend_key(vectors::POLICY_SESSION_HASH, token.into(), 0));
    assert_eq!((entry.left, entry.window), (40, day + 1));
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_a_window_limit_refuses_one_over_within_the_window() {
    let mut state = registered();
    let day = vectors::NOW / 86400;
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(100)]);
    set_block_timestamp((day + 1) * 86400 - 1);
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(1)]);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_use_session_refuses_one_over_the_window_amount() {
    let mut state = registered();
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(60)]);
    use_session(ref state, vectors::sig_policy_cached_daily_transfer(), array![daily_transfer(41)]);
}

// Default deny: tokens without a limit move nothing.

#[test]
#[should_panic(expected: 'Session: token not allowed')]
fn test_use_session_rejects_value_call_on_unlisted_token() {
    let mut state = registered();
    let approve = game_call(selector!("approve"), array![vectors::SPENDER, 1, 0]);
    run(ref state, vectors::sig_policy_cached_unlisted_approve(), array![approve]);
}

#[test]
#[should_panic(expected: 'Session: token not allowed')]
fn test_use_session_rejects_value_call_of_session_without_policy() {
    let mut state = setup();
    run(ref state, vectors::sig_main_full_transfer(), array![transfer(1)]);
}

#[test]
fn test_value_moved_recognises_both_name_styles() {
    let amount = array![RECIPIENT, 7, 0];
    let from = array![0xa, RECIPIENT, 8, 0];
    assert_eq!(value_moved(@token_call(selector!("transfer"), amount.clone())), Some(7));
    assert_eq!(value_moved(@token_call(selector!("approve"), amount.clone())), Some(7));
    assert_eq!(value_moved(@token_call(selector!("increase_allowance"), amount.clone())), Some(7));
    assert_eq!(value_moved(@token_call(selector!("increaseAllowance"), amount.clone())), Some(7));
    assert_eq!(value_moved(@token_call(selector!("transfer_from"), from.clone())), Some(8));
    assert_eq!(value_moved(@token_call(selector!("transferFrom"), from)), Some(8));
    assert_eq!(value_moved(@token_call(selector!("balance_of"), amount)), None);
}

// Call limit (5).

fn get_call() -> Array<Call> {
    array![game_call(selector!("get"), array![])]
}

#[test]
fn test___validate___charges_calls_up_to_the_limit() {
    let mut state = registered();
    assert_eq!(state.get_session_calls_left(vectors::POLICY_SESSION_HASH), 5);
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(1, 1, vectors::SPENDER, 1));
    assert_eq!(state.get_session_calls_left(vectors::POLICY_SESSION_HASH), 1);
    assert_eq!(next_event(), charged(4, 0));
    validate(ref state, vectors::sig_policy_cached_get(), get_call());
    assert_eq!(state.get_session_calls_left(vectors::POLICY_SESSION_HASH), 0);
    assert_eq!(next_event(), charged(1, 0));
    assert_eq!(next_event(), limit_reached(SessionComponent::CALL_LIMIT, 0));
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'Session: call limit reached')]
fn test___validate___rejects_calls_over_the_limit() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(1, 1, vectors::SPENDER, 1));
    validate(ref state, vectors::sig_policy_cached_two_transfers(), array![transfer(1), transfer(1)]);
}

#[test]
fn test_use_session_does_not_count_calls() {
    // Calls are charged in validation (a reverted transaction used them); execution counts
    // spending only.
    let mut state = registered();
    use_session(ref state, vectors::sig_policy_cached_get(), get_call());
    assert_eq!(state.get_session_calls_left(vectors::POLICY_SESSION_HASH), 5);
    assert_no_more_events();
}

#[test]
fn test_sessions_without_policy_are_not_counted() {
    let mut state = setup();
    run(ref state, vectors::sig_main_full_no_calls(), array![]);
    assert_eq!(state.get_session_calls_left(vectors::MAIN_SESSION_HASH), 0);
    assert_no_more_events_after_caching();
}

/// Asserts the account emitted nothing after the session's `SessionCached`.
fn assert_no_more_events_after_caching() {
    match next_event() {
        SessionAccount::Event::SessionEvent(SessionComponent::Event::SessionCached(_)) => {},
        _ => panic!("expected SessionCached"),
    }
    assert_no_more_events();
}

// Argument rules: increase(x ≤ 10), reset(x ∈ {1, 2, 3}), approve(spender == SPENDER),
// transfer_from(amount ≤ 500 as u256).

fn rule_calls(increase: felt252, reset: felt252, spender: felt252, amount: felt252) -> Array<Call> {
    array![
        game_call(selector!("increase"), array![increase]), game_call(selector!("reset"), array![reset]),
        token_call(selector!("approve"), array![spender, 1, 0]),
        token_call(selector!("transfer_from"), array![0xa, 0xb, amount, 0]),
    ]
}

#[test]
fn test___validate___accepts_arguments_at_their_bounds() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(10, 1, vectors::SPENDER, 500));
    // Each validation charges its 4 calls to the limit of 5: give the other bounds calls again.
    let allowance = state.session.Session_allowances.read(vectors::POLICY_SESSION_HASH);
    state.session.Session_allowances.write(vectors::POLICY_SESSION_HASH, Allowance { calls_left: 5, ..allowance });
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(0, 3, vectors::SPENDER, 0));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_argument_above_at_most() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(11, 1, vectors::SPENDER, 500));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_argument_outside_one_of() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(10, 4, vectors::SPENDER, 500));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_argument_other_than_equal() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(10, 1, vectors::SPENDER + 1, 500));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_u256_argument_one_over() {
    let mut state = registered();
    validate(ref state, vectors::sig_policy_cached_rules(), rule_calls(10, 1, vectors::SPENDER, 501));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_missing_argument() {
    let mut state = registered();
    let mut calls = rule_calls(10, 1, vectors::SPENDER, 500);
    let _ = calls.pop_front();
    let mut short = array![game_call(selector!("increase"), array![])];
    for call in calls {
        short.append(call);
    }
    validate(ref state, vectors::sig_policy_cached_rules(), short);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test___validate___rejects_loosened_rules() {
    let mut state = registered();
    // The first call's proof, then its rule 'at most' 10 on argument 0:
    // [count 1, kind 'at most', index 0, no values, bound low 10, bound high 0].
    // Raising the bound changes the leaf.
    let signature = vectors::sig_policy_cached_rules();
    let start = first_entry_index();
    let header: u32 = (*signature.at(start)).try_into().unwrap();
    let loosened = with_felt(signature, start + 1 + header % REMEMBER_LEAF + 4, 1000);
    validate(ref state, loosened, rule_calls(1000, 1, vectors::SPENDER, 500));
}

// A trading bot's rules, signed by the owner: increase(x ≥ 5, x ≠ 7), transfer_from(amount ≥ 100
// as u256, at most 1,000 a day in total): lower bounds (a swap's minimum amount out), refused
// values, and a total over the session's calls.

fn bot_calls(increase: felt252, amount: felt252) -> Array<Call> {
    array![
        game_call(selector!("increase"), array![increase]),
        token_call(selector!("transfer_from"), array![0xa, 0xb, amount, 0]),
    ]
}

#[test]
fn test___validate___accepts_lower_bounds_at_their_bound() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 100));
}

#[test]
fn test___validate___accepts_arguments_above_lower_bounds() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(8, 1000));
}

#[test]
fn test___validate___counts_a_rule_total_up_to_its_bound() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 400));
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 600)); // 1,000: the bound
    // transfer_from's leaf and its `total at most u256` rule, as the session lists them.
    let (_, _, serialized, leaf, _) = *vectors::bot_methods().at(1);
    let mut serialized = serialized;
    let rules: Span<ArgumentRule> = Serde::deserialize(ref serialized).unwrap();
    let mut total_rule = *rules.at(0);
    for rule in rules {
        if *rule.kind == 'total at most u256' {
            total_rule = *rule;
        }
    }
    assert_eq!(total_rule.kind, 'total at most u256');
    assert_eq!(state.get_session_rule_total(vectors::BOT_SESSION_HASH, leaf, total_rule), 1000);
    // The next day's window starts from 0.
    set_block_timestamp(vectors::NOW + 86_400);
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 1000));
}

#[test]
#[should_panic(expected: 'Session: rule total exceeded')]
fn test___validate___rejects_one_unit_past_a_rule_total() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 400));
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 601));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_an_argument_one_below_at_least() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(4, 100));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_a_u256_argument_one_below_at_least() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(5, 99));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test___validate___rejects_a_value_a_not_equal_rule_refuses() {
    let mut state = setup();
    validate(ref state, vectors::sig_bot_full_rules(), bot_calls(7, 100));
}

// The policy itself.

#[test]
#[should_panic(expected: 'Session: policy mismatch')]
fn test___validate___rejects_altered_policy() {
    let mut state = registered();
    // Cached form: policy felts start at index 9; max_calls is the third.
    let altered = with_felt(vectors::sig_policy_cached_get(), 11, 1000);
    validate(ref state, altered, array![game_call(selector!("get"), array![])]);
}

// Fee cap (1000 per transaction) and budget (2500).

/// Resource bounds whose maximum fee is `fee` (L2 gas `fee` at price 1).
fn bounds(fee: u64) -> Span<starknet::ResourcesBounds> {
    array![starknet::ResourcesBounds { resource: 'L2_GAS', max_amount: fee, max_price_per_unit: 1 }]
        .span()
}

fn charge(ref state: SessionAccount::ContractState, max_fee: u64) {
    let signature = vectors::sig_policy_cached_get();
    state
        .session
        .validate_transaction(
            context(), array![game_call(selector!("get"), array![])].span(), signature.span(),
            bounds(max_fee), 0,
        );
}

fn context() -> Context {
    Context {
        hash: vectors::TX_HASH,
        chain_id: vectors::CHAIN_ID,
        account: ACCOUNT_ADDRESS(),
        now: vectors::NOW,
    }
}

fn fee_committed(max_fee: u128) -> SessionAccount::Event {
    charged(1, max_fee)
}

#[test]
fn test_validate_transaction_charges_the_budget_up_to_its_end() {
    let mut state = registered();
    charge(ref state, 1000);
    charge(ref state, 1000);
    charge(ref state, 500);
    assert_eq!(state.get_session_fee_budget_left(vectors::POLICY_SESSION_HASH), 0);
    // Each charge is an event, so auditors can rebuild the budget from events alone.
    assert_eq!(next_event(), fee_committed(1000));
    assert_eq!(next_event(), fee_committed(1000));
    assert_eq!(next_event(), fee_committed(500));
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'Session: fee cap exceeded')]
fn test_validate_transaction_rejects_fee_one_over_the_cap() {
    let mut state = registered();
    charge(ref state, 1001);
}

#[test]
#[should_panic(expected: 'Session: fee budget exceeded')]
fn test_validate_transaction_rejects_fee_one_over_the_budget() {
    let mut state = registered();
    charge(ref state, 1000);
    charge(ref state, 1000);
    charge(ref state, 501);
}

#[test]
fn test_validate_transaction_ignores_fees_of_owner_and_policy_free_sessions() {
    let mut state = setup();
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    let huge = bounds(0xffffffffffffffff);
    state.session.validate_transaction(context(), array![].span(), array![r, s].span(), huge, 0);
    let signature = vectors::sig_main_full_no_calls();
    state.session.validate_transaction(context(), array![].span(), signature.span(), huge, 0);
    assert_eq!(state.get_session_fee_budget_left(vectors::MAIN_SESSION_HASH), 0);
    assert_no_more_events_after_caching();
}

#[test]
fn test_max_fee_sums_every_resource_and_the_tip_on_l2_gas() {
    let bounds = array![
        starknet::ResourcesBounds { resource: 'L1_GAS', max_amount: 10, max_price_per_unit: 3 },
        starknet::ResourcesBounds { resource: 'L2_GAS', max_amount: 100, max_price_per_unit: 2 },
        starknet::ResourcesBounds { resource: 'L1_DATA_GAS', max_amount: 5, max_price_per_unit: 7 },
    ];
    assert_eq!(max_fee(bounds.span(), 0), 30 + 200 + 35);
    assert_eq!(max_fee(bounds.span(), 4), 30 + 200 + 35 + 400);
}

#[test]
fn test_max_fee_saturates_above_u128() {
    let max: u128 = Bounded::MAX;
    let huge = array![
        starknet::ResourcesBounds { resource: 'L2_GAS', max_amount: 2, max_price_per_unit: max / 2 + 1 },
    ];
    assert_eq!(max_fee(huge.span(), 0), max);
    let huge_tip = array![
        starknet::ResourcesBounds { resource: 'L2_GAS', max_amount: 1, max_price_per_unit: max },
    ];
    assert_eq!(max_fee(huge_tip.span(), 1), max);
}

#[test]
#[should_panic(expected: 'Session: fee budget exceeded')]
fn test_validate_transaction_refuses_a_saturated_fee() {
    let mut state = registered();
    let max: u128 = Bounded::MAX;
    let huge = array![
        starknet::ResourcesBounds { resource: 'L2_GAS', max_amount: 3, max_price_per_unit: max / 2 },
    ];
    // Over the cap too; the budget's check comes second, so raise the cap out of the way.
    state.session.Session_fee_caps.write(vectors::POLICY_SESSION_HASH, max);
    let signature = vectors::sig_policy_cached_get();
    state
        .session
        .validate_transaction(
            context(), array![game_call(selector!("get"), array![])].span(), signature.span(),
            huge.span(), 0,
        );
}

// The policy in events, and registration checks it.

fn policy_published() -> SessionAccount::Event {
    SessionAccount::Event::SessionEvent(
        SessionComponent::Event::SessionPolicyPublished(
            SessionComponent::SessionPolicyPublished {
                session_hash: vectors::POLICY_SESSION_HASH, policy: vectors::policy(),
            },
        ),
    )
}

#[test]
fn test_register_session_publishes_the_policy() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    let _registered = next_event();
    assert_eq!(next_event(), policy_published());
    assert_no_more_events();
}

#[test]
fn test_first_use_publishes_the_policy_with_the_cached_authorization() {
    let mut state = setup();
    validate(ref state, vectors::sig_policy_full_transfer(), array![transfer(1)]);
    match next_event() {
        SessionAccount::Event::SessionEvent(SessionComponent::Event::SessionCached(cached)) => {
            assert_eq!(cached.policy_hash, vectors::POLICY_HASH);
        },
        _ => panic!("expected SessionCached"),
    }
    assert_eq!(next_event(), policy_published());
    assert_eq!(next_event(), charged(1, 0));
    use_session(ref state, vectors::sig_policy_full_transfer(), array![transfer(1)]);
    assert_eq!(next_event(), token_spent(1));
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'Session: policy mismatch')]
fn test_register_session_rejects_missing_policy() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), None);
}

#[test]
#[should_panic(expected: 'Session: policy mismatch')]
fn test_register_session_rejects_another_policy() {
    let mut state = setup();
    as_account();
    let mut looser = vectors::policy();
    looser.max_calls = 1000;
    state.register_session(vectors::policy_session(), Some(looser));
}

#[test]
#[should_panic(expected: 'Session: policy mismatch')]
fn test_register_session_rejects_policy_for_session_without_one() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), Some(vectors::policy()));
}

// Several limits for one token ("100 per day and 1,000 in total"), each with its own counter.

fn two_limits_registered() -> SessionAccount::ContractState {
    let mut state = setup();
    as_account();
    state.register_session(vectors::two_limits_session(), Some(vectors::two_limits_policy()));
    drop_events();
    as_protocol();
    state
}

/// The two-limits session spends `amount` of TOKEN at `day` (validated, then executed).
fn spend_on_day(ref state: SessionAccount::ContractState, day: u64, amount: felt252) {
    set_block_timestamp(day * 86400 + 3600);
    run(ref state, vectors::sig_two_limits_cached_transfer(), array![transfer(amount)]);
}

#[test]
fn test_two_limits_of_one_token_count_separately() {
    let mut state = two_limits_registered();
    let token = token(vectors::TOKEN);
    let first_day = vectors::NOW / 86400;
    for day in 0..9_u64 {
        spend_on_day(ref state, first_day + day, 100);
    }
    let hash = vectors::TWO_LIMITS_SESSION_HASH;
    assert_eq!(state.get_session_spend_left(hash, token, 0), 100);
    assert_eq!(state.get_session_spend_left(hash, token, 86400), 0);
    spend_on_day(ref state, first_day + 9, 60);
    assert_eq!(state.get_session_spend_left(hash, token, 0), 40);
    assert_eq!(state.get_session_spend_left(hash, token, 86400), 40);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_a_lifetime_limit_binds_although_a_daily_limit_refills() {
    // Before spend limits had a counter each, the daily entry reset the counter the lifetime entry
    // used, so "100 per day and 1,000 in total" let 100 through every day until expiry.
    let mut state = two_limits_registered();
    let first_day = vectors::NOW / 86400;
    for day in 0..10_u64 {
        spend_on_day(ref state, first_day + day, 100);
    }
    set_block_timestamp((first_day + 10) * 86400 + 3600);
    assert_eq!(state.get_session_spend_left(vectors::TWO_LIMITS_SESSION_HASH, token(vectors::TOKEN), 86400), 100);
    run(ref state, vectors::sig_two_limits_cached_transfer(), array![transfer(1)]);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_a_daily_limit_binds_under_a_larger_lifetime_limit() {
    let mut state = two_limits_registered();
    spend_on_day(ref state, vectors::NOW / 86400, 100);
    use_session(ref state, vectors::sig_two_limits_cached_transfer(), array![transfer(1)]);
}

#[test]
fn test_spend_left_is_zero_for_a_token_or_period_without_a_limit() {
    let state = registered();
    let hash = vectors::POLICY_SESSION_HASH;
    assert_eq!(state.get_session_spend_left(hash, token(vectors::GAME), 0), 0);
    assert_eq!(state.get_session_spend_left(hash, token(vectors::TOKEN), 86400), 0);
}

#[test]
#[should_panic(expected: 'Session: window too long')]
fn test_register_session_rejects_a_window_of_2_pow_32_seconds() {
    let mut state = setup();
    as_account();
    let policy = Policy {
        max_fee_per_tx: Bounded::MAX,
        fee_budget: Bounded::MAX,
        max_calls: Bounded::MAX,
        spend_limits: array![
            SpendLimit { token: token(vectors::TOKEN), amount: 1, period: 0x100000000 },
        ]
            .span(),
        valid_after: 0,
        limits_window: 0,
    };
    let mut session = vectors::two_limits_session();
    session.policy_hash = crate::snip12::policy_struct_hash(@policy);
    state.register_session(session, Some(policy));
}

#[test]
#[should_panic(expected: 'Session: spend limits unordered')]
fn test_register_session_rejects_a_token_listed_twice() {
    let mut state = setup();
    as_account();
    state
        .register_session(
            vectors::duplicate_limits_session(), Some(vectors::duplicate_limits_policy()),
        );
}

#[test]
#[should_panic(expected: 'Session: spend limits unordered')]
fn test___validate___rejects_a_token_listed_twice() {
    let mut state = setup();
    validate(ref state, vectors::sig_duplicate_limits_full_transfer(), array![transfer(1)]);
}

fn limit(token: felt252, period: u64) -> SpendLimit {
    SpendLimit { token: token.try_into().unwrap(), amount: 1, period }
}

#[test]
fn test_spend_limits_must_increase_by_token_then_period() {
    assert_spend_limits_ordered(array![].span());
    assert_spend_limits_ordered(
        array![limit(0x70ce, 0), limit(0x70ce, 3600), limit(0x70cf, 0)].span(),
    );
}

#[test]
#[should_panic(expected: 'Session: spend limits unordered')]
fn test_spend_limits_out_of_order_are_refused() {
    assert_spend_limits_ordered(array![limit(0x70cf, 0), limit(0x70ce, 0)].span());
}

#[test]
#[should_panic(expected: 'Session: spend limits unordered')]
fn test_spend_limits_with_one_period_twice_are_refused() {
    assert_spend_limits_ordered(array![limit(0x70ce, 3600), limit(0x70ce, 3600)].span());
}

// An unlimited token: never counted, so an infinite approval does not lock it.

fn unlimited_call(selector: felt252, calldata: Array<felt252>) -> Call {
    Call { to: vectors::UNLIMITED_TOKEN.try_into().unwrap(), selector, calldata: calldata.span() }
}

#[test]
fn test_an_infinite_approval_of_an_unlimited_token_costs_nothing_and_locks_nothing() {
    let mut state = registered();
    let max: u128 = Bounded::MAX;
    let approve = unlimited_call(
        selector!("approve"), array![vectors::SPENDER, max.into(), max.into()],
    );
    validate(ref state, vectors::sig_policy_cached_unlimited_approve(), array![approve]);
    drop_events();
    use_session(ref state, vectors::sig_policy_cached_unlimited_approve(), array![approve]);
    // Before: the approval saturated the token's counter and every later value call failed.
    let token = token(vectors::UNLIMITED_TOKEN);
    assert_eq!(state.get_session_spend_left(vectors::POLICY_SESSION_HASH, token, 0), Bounded::MAX);
    assert_no_more_events(); // no SessionSpent: nothing is accounted
    let transfer_more = unlimited_call(selector!("transfer"), array![RECIPIENT, 5, 0]);
    validate(ref state, vectors::sig_policy_cached_unlimited_transfer(), array![transfer_more]);
    use_session(ref state, vectors::sig_policy_cached_unlimited_transfer(), array![transfer_more]);
    use_session(ref state, vectors::sig_policy_cached_unlimited_approve(), array![approve]);
}

// Argument rules that are not rules the contract knows.

fn rule(kind: felt252, values: Span<felt252>, bound: u256) -> ArgumentRule {
    ArgumentRule { kind, index: 0, values, bound }
}

#[test]
fn test_argument_rules_accept_what_they_allow() {
    let calldata = array![7].span();
    assert_arguments_allowed(array![rule(RULE_EQUAL, array![7].span(), 0)].span(), calldata);
    assert_arguments_allowed(array![rule(RULE_ONE_OF, array![1, 7].span(), 0)].span(), calldata);
    assert_arguments_allowed(array![rule(RULE_AT_MOST, array![].span(), 7)].span(), calldata);
    assert_arguments_allowed(array![rule(RULE_AT_LEAST, array![].span(), 7)].span(), calldata);
    assert_arguments_allowed(array![rule(RULE_NOT_EQUAL, array![8].span(), 0)].span(), calldata);
    // A u256 (low, high) = 2^128 + 7 is at least 2^128 + 7, and more than any felt-sized bound.
    let wide = array![7, 1].span();
    assert_arguments_allowed(array![rule(RULE_AT_LEAST_U256, array![].span(), 0x100000000000000000000000000000007)].span(), wide);
}

#[test]
fn test_lower_bounds_refuse_one_unit_below_and_a_missing_argument() {
    let below = |kind: felt252, bound: u256, calldata: Span<felt252>| -> bool {
        let rules = array![rule(kind, array![].span(), bound)].span();
        crate::policy::arguments_allowed(rules, calldata)
    };
    assert!(!below(RULE_AT_LEAST, 8, array![7].span()));
    assert!(!below(RULE_AT_LEAST, 1, array![].span()), "a missing argument is refused");
    assert!(!below(RULE_AT_LEAST_U256, 0x100000000000000000000000000000008, array![7, 1].span()));
    assert!(!below(RULE_AT_LEAST_U256, 1, array![7].span()), "half a u256 is refused");
    let not_equal = array![rule(RULE_NOT_EQUAL, array![7].span(), 0)].span();
    assert!(!crate::policy::arguments_allowed(not_equal, array![7].span()));
    assert!(!crate::policy::arguments_allowed(not_equal, array![].span()), "a missing argument is refused");
}

#[test]
#[should_panic(expected: 'Session: malformed rule')]
fn test_argument_rules_refuse_not_equal_with_two_values() {
    assert_arguments_allowed(array![rule(RULE_NOT_EQUAL, array![7, 8].span(), 0)].span(), array![9].span());
}

#[test]
#[should_panic(expected: 'Session: malformed rule')]
fn test_argument_rules_refuse_a_lower_bound_with_values() {
    assert_arguments_allowed(array![rule(RULE_AT_LEAST, array![1].span(), 7)].span(), array![7].span());
}

#[test]
#[should_panic(expected: 'Session: unknown argument rule')]
fn test_argument_rules_refuse_an_unknown_kind() {
    assert_arguments_allowed(array![rule('greater than', array![].span(), 7)].span(), array![8].span());
}

#[test]
#[should_panic(expected: 'Session: malformed rule')]
fn test_argument_rules_refuse_equal_with_two_values() {
    assert_arguments_allowed(array![rule(RULE_EQUAL, array![7, 8].span(), 0)].span(), array![8].span());
}

#[test]
#[should_panic(expected: 'Session: malformed rule')]
fn test_argument_rules_refuse_a_bound_with_values() {
    assert_arguments_allowed(array![rule(RULE_AT_MOST, array![1].span(), 7)].span(), array![7].span());
}

#[test]
fn test_charge_without_a_fee_charges_calls_only() {
    // What an outside execution charges: its calls, and no fee (its relayer pays it).
    let mut state = registered();
    let used = state
        .session
        .session_use_of(vectors::sig_policy_cached_get().span(), vectors::CHAIN_ID, ACCOUNT_ADDRESS())
        .expect('not a session signature');
    state.session.charge(used, 3, None, vectors::NOW);
    assert_eq!(state.get_session_calls_left(vectors::POLICY_SESSION_HASH), 2);
    assert_eq!(state.get_session_fee_budget_left(vectors::POLICY_SESSION_HASH), 2500);
    assert_eq!(next_event(), charged(3, 0));
    assert_no_more_events();
}
