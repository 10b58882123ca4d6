use starknet::storage::StoragePointerWriteAccess;
use starknet::testing::{set_block_timestamp, set_caller_address};
use crate::components::outside_execution::OutsideExecutionComponent;
use crate::interfaces::{IOwner, ISRC9_V2, ISession, OutsideExecution};
use crate::presets::session_account::SessionAccount;
use super::common::{
    as_account, assert_no_more_events, call, drop_events, next_event, setup,
};
use crate::interfaces::OwnerKey;
use super::vectors;

fn nonce_used(session_hash: felt252) -> SessionAccount::Event {
    SessionAccount::Event::OutsideExecutionEvent(
        OutsideExecutionComponent::Event::OutsideExecutionUsed(
            OutsideExecutionComponent::OutsideExecutionUsed { nonce: vectors::OE_NONCE, session_hash },
        ),
    )
}

/// The empty outside execution whose window surrounds the main session's expiry.
fn at_expiry() -> OutsideExecution {
    OutsideExecution {
        caller: 'ANY_CALLER'.try_into().unwrap(),
        nonce: vectors::OE_NONCE,
        execute_after: vectors::OE_AT_EXPIRY_AFTER,
        execute_before: vectors::OE_AT_EXPIRY_BEFORE,
        calls: array![].span(),
    }
}

fn execution(calls: Span<starknet::account::Call>) -> OutsideExecution {
    OutsideExecution {
        caller: 'ANY_CALLER'.try_into().unwrap(),
        nonce: vectors::OE_NONCE,
        execute_after: vectors::NOW - 100,
        execute_before: vectors::NOW + 100,
        calls,
    }
}

fn empty() -> OutsideExecution {
    execution(array![].span())
}

#[test]
fn test_execute_from_outside_v2_accepts_owner_signature_and_uses_nonce() {
    let mut state = setup();
    set_caller_address(0x4e1a7e4.try_into().unwrap());
    assert!(state.is_valid_outside_execution_nonce(vectors::OE_NONCE));
    let results = state
        .execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
    assert_eq!(results.len(), 0);
    assert!(!state.is_valid_outside_execution_nonce(vectors::OE_NONCE));
    // Auditors see each nonce used, and who signed (0: the owner).
    assert_eq!(next_event(), nonce_used(0));
    assert_no_more_events();
}

#[test]
fn test_execute_from_outside_v2_accepts_session_signature_and_caches() {
    let mut state = setup();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH));
    let _cached = next_event();
    assert_eq!(next_event(), nonce_used(vectors::MAIN_SESSION_HASH));
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'SNIP9: nonce already used')]
fn test_execute_from_outside_v2_rejects_session_signed_replay() {
    let mut state = setup();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
}

#[test]
fn test_execute_from_outside_v2_accepts_a_session_until_its_exact_expiry() {
    let mut state = setup();
    set_block_timestamp(vectors::EXPIRES_AT - 1);
    state.execute_from_outside_v2(at_expiry(), vectors::oe_at_expiry_session_signature().span());
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_execute_from_outside_v2_rejects_a_session_at_its_exact_expiry() {
    let mut state = setup();
    // The outside execution's own window is still open; the session's expiry binds.
    set_block_timestamp(vectors::EXPIRES_AT);
    state.execute_from_outside_v2(at_expiry(), vectors::oe_at_expiry_session_signature().span());
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_execute_from_outside_v2_session_revoke_all_applies() {
    let mut state = setup();
    as_account();
    state.revoke_all_sessions();
    drop_events();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_execute_from_outside_v2_session_ends_with_owner_rotation() {
    let mut state = setup();
    as_account();
    let (r, s) = vectors::OWNER_ROTATION_SIGNATURE;
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), array![r, s]);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
}

#[test]
#[should_panic(expected: 'SNIP9: nonce already used')]
fn test_execute_from_outside_v2_rejects_replay() {
    let mut state = setup();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
    state.execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test_execute_from_outside_v2_rejects_wrong_owner_signature() {
    let mut state = setup();
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    state.execute_from_outside_v2(empty(), array![r, s].span());
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test_execute_from_outside_v2_signature_covers_the_calls() {
    let mut state = setup();
    // The owner signed an execution without calls; adding one changes the hash.
    let widened = execution(array![call(vectors::GAME, selector!("increase"))].span());
    state.execute_from_outside_v2(widened, vectors::oe_empty_owner_signature().span());
}

#[test]
#[should_panic(expected: 'Session: call to self')]
fn test_execute_from_outside_v2_session_cannot_call_the_account() {
    let mut state = setup();
    let self_call = execution(array![call(vectors::ACCOUNT, selector!("revoke_all_sessions"))].span());
    state.execute_from_outside_v2(self_call, vectors::oe_self_call_session_signature().span());
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_execute_from_outside_v2_session_method_policy_applies() {
    let mut state = setup();
    let forbidden = execution(array![call(vectors::TOKEN, selector!("burn"))].span());
    state.execute_from_outside_v2(forbidden, vectors::oe_forbidden_session_signature().span());
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_execute_from_outside_v2_session_revocation_applies() {
    let mut state = setup();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_session_signature().span());
}

#[test]
#[should_panic(expected: 'SNIP9: invalid caller')]
fn test_execute_from_outside_v2_enforces_designated_caller() {
    let mut state = setup();
    let mut restricted = empty();
    restricted.caller = 0x4e1a7e4.try_into().unwrap();
    set_caller_address(0xbad.try_into().unwrap());
    state.execute_from_outside_v2(restricted, vectors::oe_empty_owner_signature().span());
}

#[test]
#[should_panic(expected: 'SNIP9: too early')]
fn test_execute_from_outside_v2_rejects_before_window() {
    let mut state = setup();
    set_block_timestamp(vectors::NOW - 100);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
}

#[test]
#[should_panic(expected: 'SNIP9: too late')]
fn test_execute_from_outside_v2_rejects_after_window() {
    let mut state = setup();
    set_block_timestamp(vectors::NOW + 100);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
}

#[test]
#[should_panic(expected: 'SNIP9: reentrant call')]
fn test_execute_from_outside_v2_rejects_reentry() {
    let mut state = setup();
    // As if a call of a running outside execution called back into the account.
    state.outside_execution.OutsideExecution_executing.write(true);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_owner_signature().span());
}

// By reference: a relayer's transaction naming a session stored earlier.

/// An account on which the owner registered the main session.
fn main_stored() -> SessionAccount::ContractState {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), None);
    set_caller_address(0x4e1a7e4.try_into().unwrap());
    drop_events();
    state
}

#[test]
fn test_execute_from_outside_v2_accepts_a_reference_to_a_stored_session() {
    let mut state = main_stored();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_reference_signature().span());
    assert!(!state.is_valid_outside_execution_nonce(vectors::OE_NONCE));
    assert_eq!(next_event(), nonce_used(vectors::MAIN_SESSION_HASH));
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'Session: not authorized')]
fn test_execute_from_outside_v2_rejects_a_reference_to_a_session_never_stored() {
    let mut state = setup();
    state.execute_from_outside_v2(empty(), vectors::oe_empty_reference_signature().span());
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_execute_from_outside_v2_rejects_a_reference_at_the_exact_expiry() {
    let mut state = main_stored();
    set_block_timestamp(vectors::EXPIRES_AT);
    state.execute_from_outside_v2(at_expiry(), vectors::oe_at_expiry_reference_signature().span());
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_execute_from_outside_v2_rejects_a_reference_to_a_revoked_session() {
    let mut state = main_stored();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    state.execute_from_outside_v2(empty(), vectors::oe_empty_reference_signature().span());
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_execute_from_outside_v2_reference_method_policy_applies() {
    let mut state = main_stored();
    let forbidden = execution(array![call(vectors::TOKEN, selector!("burn"))].span());
    state.execute_from_outside_v2(forbidden, vectors::oe_forbidden_reference_signature().span());
}
