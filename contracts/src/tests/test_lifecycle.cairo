//! The owner pauses, resumes and extends a stored session; its counters and its record stay.

use starknet::account::Call;
use starknet::testing::set_block_timestamp;
use crate::components::session::SessionComponent;
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
