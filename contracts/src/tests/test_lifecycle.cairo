//! The owner pauses, resumes and extends a stored session; its counters and its record stay.

use starknet::account::Call;
use starknet::testing::set_block_timestamp;
use crate::components::session::SessionComponent;
use crate::components::session::SessionComponent::InternalTrait;
use crate::interfaces::{ISRC6, ISession};
use crate::presets::session_account::SessionAccount;
use super::common::{as_account, as_protocol, call, drop_events, next_event, setup, sign_with, with_felt};
use super::vectors;

fn increase() -> Call {
    call(vectors::GAME, selector!("increase"))
}

/// An account on which the `main` session's first transaction stored it.
fn cached() -> SessionAccount::ContractState {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase()]);
    drop_events();
    state
}

fn validate(ref state: SessionAccount::ContractState, signature: Array<felt252>) {
    as_protocol();
    sign_with(signature);
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

fn session_event(event: SessionComponent::Event) -> SessionAccount::Event {
    SessionAccount::Event::SessionEvent(event)
}

/// The `main` session's by-reference signature carrying `expires_at` in its terms (the session has
/// no limits: its terms are its expiry). The session key signs the transaction and the session
/// hash, not the terms.
fn reference_expiring_at(expires_at: u64) -> Array<felt252> {
    with_felt(vectors::sig_main_ref_increase(), 2, expires_at.into())
}

#[test]
fn test_a_paused_session_resumes_as_it_was() {
    let mut state = cached();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
    assert!(state.is_session_paused(vectors::MAIN_SESSION_HASH));
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH), "still stored");
    let paused = SessionComponent::SessionPaused { session_hash: vectors::MAIN_SESSION_HASH };
    assert_eq!(next_event(), session_event(SessionComponent::Event::SessionPaused(paused)));
    state.resume_session(vectors::MAIN_SESSION_HASH);
    assert!(!state.is_session_paused(vectors::MAIN_SESSION_HASH));
    let resumed = SessionComponent::SessionResumed { session_hash: vectors::MAIN_SESSION_HASH };
    assert_eq!(next_event(), session_event(SessionComponent::Event::SessionResumed(resumed)));
    validate(ref state, vectors::sig_main_ref_increase());
}

#[test]
#[should_panic(expected: 'Session: paused')]
fn test_a_paused_session_is_refused_by_reference() {
    let mut state = cached();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
    validate(ref state, vectors::sig_main_ref_increase());
}

#[test]
#[should_panic(expected: 'Session: paused')]
fn test_a_paused_session_is_refused_with_its_authorization() {
    let mut state = cached();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
    validate(ref state, vectors::sig_main_full_increase());
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_only_the_owner_pauses_a_session() {
    let mut state = cached();
    as_protocol();
    state.pause_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_only_the_owner_extends_a_session() {
    let mut state = cached();
    as_protocol();
    state.extend_session(vectors::MAIN_SESSION_HASH, vectors::EXPIRES_AT + 1);
}

#[test]
#[should_panic(expected: 'Session: not authorized')]
fn test_a_session_never_stored_cannot_be_paused() {
    let mut state = setup();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Session: already paused')]
fn test_a_session_is_paused_once() {
    let mut state = cached();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
    state.pause_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Session: not paused')]
fn test_a_running_session_cannot_be_resumed() {
    let mut state = cached();
    as_account();
    state.resume_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_a_revoked_session_cannot_be_resumed_or_extended() {
    let mut state = cached();
    as_account();
    state.pause_session(vectors::MAIN_SESSION_HASH);
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    state.resume_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_a_session_of_an_earlier_epoch_cannot_be_extended() {
    let mut state = cached();
    as_account();
    state.revoke_all_sessions();
    state.extend_session(vectors::MAIN_SESSION_HASH, vectors::EXPIRES_AT + 1);
}

#[test]
fn test_an_extended_session_runs_past_its_signed_expiry_by_reference() {
    let mut state = cached();
    let later = vectors::EXPIRES_AT + 3600;
    as_account();
    state.extend_session(vectors::MAIN_SESSION_HASH, later);
    assert_eq!(state.get_session_expiry(vectors::MAIN_SESSION_HASH), later);
    let extended = SessionComponent::SessionExtended { session_hash: vectors::MAIN_SESSION_HASH, expires_at: later };
    assert_eq!(next_event(), session_event(SessionComponent::Event::SessionExtended(extended)));
    // One second before the new expiry, after the signed one: validation and execution accept it.
    set_block_timestamp(later - 1);
    validate(ref state, reference_expiring_at(later));
    state.__execute__(array![]);
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_an_extended_session_ends_at_its_new_expiry() {
    let mut state = cached();
    let later = vectors::EXPIRES_AT + 3600;
    as_account();
    state.extend_session(vectors::MAIN_SESSION_HASH, later);
    set_block_timestamp(later);
    validate(ref state, reference_expiring_at(later));
}

#[test]
#[should_panic(expected: 'Session: terms mismatch')]
fn test_an_extended_session_refuses_its_old_terms() {
    let mut state = cached();
    as_account();
    state.extend_session(vectors::MAIN_SESSION_HASH, vectors::EXPIRES_AT + 3600);
    validate(ref state, vectors::sig_main_ref_increase());
}

#[test]
#[should_panic(expected: 'Session: not an extension')]
fn test_an_extension_must_be_later() {
    let mut state = cached();
    as_account();
    state.extend_session(vectors::MAIN_SESSION_HASH, vectors::EXPIRES_AT);
}

#[test]
fn test_expiry_and_pause_views_of_sessions_not_stored() {
    let mut state = cached();
    assert_eq!(state.get_session_expiry(vectors::MAIN_SESSION_HASH), vectors::EXPIRES_AT);
    assert_eq!(state.get_session_expiry(vectors::MAIN_SESSION_HASH + 1), 0);
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    assert_eq!(state.get_session_expiry(vectors::MAIN_SESSION_HASH), 0);
    assert!(!state.is_session_paused(vectors::MAIN_SESSION_HASH));
}

// A subscription: usable from a day after `NOW` (`valid_after`), 2 calls and 1,000 FRI of fees per
// hour (`limits_window`), 100 of the token a day.

fn start() -> u64 {
    vectors::NOW + 86_400
}

fn validate_subscription(ref state: SessionAccount::ContractState, calls: Array<Call>) {
    as_protocol();
    sign_with(
        if calls.len() == 2 {
            vectors::sig_subscription_full_increase_twice()
        } else {
            vectors::sig_subscription_full_increase()
        },
    );
    assert_eq!(state.__validate__(calls), 'VALID');
}

#[test]
#[should_panic(expected: 'Session: not yet valid')]
fn test_a_session_is_refused_an_hour_before_its_valid_after() {
    let mut state = setup();
    // Validation sees time floored to the hour: an hour before, it surely is too early.
    set_block_timestamp(start() - 3600);
    validate_subscription(ref state, array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: not yet valid')]
fn test_a_session_executes_only_from_its_valid_after_to_the_second() {
    let mut state = setup();
    set_block_timestamp(start() - 1);
    validate_subscription(ref state, array![increase()]); // within the hour: validation lets it pass
    state.__execute__(array![]); // execution checks the exact time
}

#[test]
fn test_a_session_runs_from_its_valid_after() {
    let mut state = setup();
    set_block_timestamp(start());
    validate_subscription(ref state, array![increase()]);
    state.__execute__(array![]);
    assert_eq!(state.get_session_valid_after(vectors::SUBSCRIPTION_SESSION_HASH), start());
}

/// The first whole hour (windows are aligned to the Unix epoch) after the subscription starts.
fn first_hour() -> u64 {
    (start() / 3600 + 1) * 3600
}

#[test]
fn test_a_call_limit_per_window_starts_whole_in_each_window() {
    let mut state = setup();
    set_block_timestamp(first_hour());
    validate_subscription(ref state, array![increase(), increase()]); // 2 calls: the hour's limit
    assert_eq!(state.get_session_calls_left(vectors::SUBSCRIPTION_SESSION_HASH), 0);
    set_block_timestamp(first_hour() + 3600);
    assert_eq!(state.get_session_calls_left(vectors::SUBSCRIPTION_SESSION_HASH), 2, "a new hour");
    validate_subscription(ref state, array![increase()]);
    assert_eq!(state.get_session_calls_left(vectors::SUBSCRIPTION_SESSION_HASH), 1);
}

#[test]
#[should_panic(expected: 'Session: call limit reached')]
fn test_a_call_limit_per_window_refuses_one_call_past_it_in_the_window() {
    let mut state = setup();
    set_block_timestamp(first_hour());
    validate_subscription(ref state, array![increase(), increase()]);
    set_block_timestamp(first_hour() + 3599); // the same hour
    validate_subscription(ref state, array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: bad limits window')]
fn test_a_calls_and_fees_window_must_be_whole_hours() {
    let mut state = setup();
    let policy = crate::interfaces::Policy {
        max_fee_per_tx: core::num::traits::Bounded::MAX,
        fee_budget: core::num::traits::Bounded::MAX,
        max_calls: 2,
        spend_limits: array![].span(),
        valid_after: 0,
        limits_window: 5400,
    };
    let mut session = vectors::main_session();
    session.policy_hash = crate::snip12::policy_struct_hash(@policy);
    as_account();
    state.register_session(session, Some(policy));
}

/// The subscription registered by the owner, and what its signature says a transaction uses.
fn registered_subscription() -> (SessionAccount::ContractState, SessionComponent::SessionUse) {
    let mut state = setup();
    as_account();
    state.register_session(vectors::subscription_session(), Some(vectors::subscription_policy()));
    let used = state
        .session
        .session_use_of(
            vectors::sig_subscription_full_increase().span(), vectors::CHAIN_ID, super::common::ACCOUNT_ADDRESS(),
        )
        .expect('not a session signature');
    (state, used)
}

#[test]
fn test_a_fee_budget_per_window_starts_whole_in_each_window() {
    let (mut state, used) = registered_subscription();
    state.session.charge(used, 0, Some(600), first_hour());
    state.session.charge(used, 0, Some(400), first_hour() + 3599); // 1,000: the hour's budget
    set_block_timestamp(first_hour() + 3599);
    assert_eq!(state.get_session_fee_budget_left(vectors::SUBSCRIPTION_SESSION_HASH), 0);
    state.session.charge(used, 0, Some(1000), first_hour() + 3600); // a new hour
}

#[test]
#[should_panic(expected: 'Session: fee budget exceeded')]
fn test_a_fee_budget_per_window_refuses_one_fri_past_it_in_the_window() {
    let (mut state, used) = registered_subscription();
    state.session.charge(used, 0, Some(600), first_hour());
    state.session.charge(used, 0, Some(401), first_hour() + 3599);
}
