use starknet::storage::{StorageMapReadAccess, StoragePointerWriteAccess};
use crate::storage::{session_terms, unpack_record};
use starknet::testing::{set_block_timestamp, set_caller_address, set_transaction_hash, set_version};
use crate::components::session::SessionComponent;
use crate::interfaces::{ISRC6, ISession};
use crate::presets::session_account::SessionAccount;
use super::common::{
    as_account, as_contract, as_protocol, assert_no_more_events, call, next_event, setup, sign_with,
    with_felt,
};
use super::vectors;

fn increase() -> starknet::account::Call {
    call(vectors::GAME, selector!("increase"))
}

fn get() -> starknet::account::Call {
    call(vectors::GAME, selector!("get"))
}

fn session_event(event: SessionComponent::Event) -> SessionAccount::Event {
    SessionAccount::Event::SessionEvent(event)
}

/// Executes a zero-call session transaction with `signature` (the execution-side rules).
fn execute_session(ref state: SessionAccount::ContractState, signature: Array<felt252>) {
    sign_with(signature);
    as_protocol();
    state.__execute__(array![]);
}

#[test]
fn test___validate___accepts_authorized_session_with_allowed_call() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

#[test]
fn test___validate___accepts_several_allowed_calls() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_two_calls());
    assert_eq!(state.__validate__(array![increase(), get()]), 'VALID');
}

#[test]
fn test___validate___accepts_single_method_session_with_empty_proof() {
    let mut state = setup();
    sign_with(vectors::sig_single_full_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test___validate___rejects_method_outside_the_tree() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::TOKEN, selector!("burn"))]);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test___validate___rejects_allowed_selector_on_other_contract() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::TOKEN, selector!("increase"))]);
}

#[test]
#[should_panic(expected: 'Session: call to self')]
fn test___validate___rejects_call_to_the_account() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::ACCOUNT, selector!("increase"))]);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test___validate___rejects_missing_entry() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase(), increase()]);
}

#[test]
#[should_panic(expected: 'Session: too many calls')]
fn test___validate___rejects_too_many_calls() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    let mut calls = array![];
    for _ in 0..33_u32 {
        calls.append(increase());
    }
    state.__validate__(calls);
}

#[test]
#[should_panic(expected: 'Session: invalid session sig')]
fn test___validate___rejects_session_signature_of_another_transaction() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    set_transaction_hash(vectors::TX_HASH + 1);
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: invalid authorization')]
fn test___validate___rejects_authorization_not_signed_by_owner() {
    let mut state = setup();
    // index 8 = owner r, 9 = owner s: put the owner's transaction signature there instead.
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    let signature = with_felt(with_felt(vectors::sig_main_full_increase(), 8, r), 9, s);
    sign_with(signature);
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: invalid authorization')]
fn test___validate___rejects_widened_session() {
    let mut state = setup();
    // Changing the root (index 3) changes the session hash the owner signed.
    sign_with(with_felt(vectors::sig_main_full_increase(), 3, vectors::TOKEN));
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test___validate___rejects_expired_session() {
    let mut state = setup();
    set_block_timestamp(vectors::EXPIRES_AT);
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: invalid authorization')]
fn test___validate___rejects_extended_expiry() {
    let mut state = setup();
    set_block_timestamp(vectors::EXPIRES_AT);
    // Pushing the expiry (index 2) forward changes the session hash the owner signed.
    sign_with(with_felt(vectors::sig_main_full_increase(), 2, vectors::EXPIRES_AT.into() + 3600));
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test___validate___rejects_policy_field_without_its_policy() {
    let mut state = setup();
    sign_with(with_felt(vectors::sig_main_full_increase(), 4, 1));
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: zero session key')]
fn test___validate___rejects_zero_session_key() {
    let mut state = setup();
    sign_with(with_felt(vectors::sig_main_full_increase(), 1, 0));
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: not authorized')]
fn test___validate___rejects_cached_form_before_caching() {
    let mut state = setup();
    sign_with(vectors::sig_main_cached_increase());
    state.__validate__(array![increase()]);
}

#[test]
fn test___validate___caches_session_on_first_use() {
    let mut state = setup();
    assert!(!state.is_session_cached(vectors::MAIN_SESSION_HASH));
    sign_with(vectors::sig_main_full_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH));
    assert!(!state.is_session_registered(vectors::MAIN_SESSION_HASH));
    let expected = session_event(
        SessionComponent::Event::SessionCached(
            SessionComponent::SessionCached {
                session_hash: vectors::MAIN_SESSION_HASH,
                session_key: vectors::SESSION_PUBLIC_KEY,
                expires_at: vectors::EXPIRES_AT,
                allowed_methods_root: vectors::main_session().allowed_methods_root,
                policy_hash: vectors::UNLIMITED_POLICY_HASH,
                epoch: 0,
                allowed_messages_hash: vectors::main_session().allowed_messages_hash,
            },
        ),
    );
    assert_eq!(next_event(), expected);
    // What the record binds: the session's key and root, salted by its hash.
    let record = unpack_record(state.session.Session_records.read(vectors::MAIN_SESSION_HASH));
    assert_eq!(record.binding, vectors::MAIN_BINDING);
    assert_eq!(session_terms(record.expires_at, record.limits).into(), vectors::MAIN_TERMS);
    assert_eq!(record.authorized_in, 1);
    // A second full-form use does not cache again.
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
    assert_no_more_events();
    // The stored forms now validate: full without authorization, and by reference.
    sign_with(vectors::sig_main_cached_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
    sign_with(vectors::sig_main_ref_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

#[test]
fn test___execute___accepts_session_until_exact_expiry() {
    let mut state = setup();
    set_block_timestamp(vectors::EXPIRES_AT - 1);
    execute_session(ref state, vectors::sig_main_full_no_calls());
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test___execute___rejects_session_expired_at_exact_time() {
    let mut state = setup();
    // Inside __validate__ the timestamp is floored to the hour, so validation at
    // EXPIRES_AT - 1 passes; execution sees the exact time.
    set_block_timestamp(vectors::EXPIRES_AT - 1);
    sign_with(vectors::sig_main_full_no_calls());
    assert_eq!(state.__validate__(array![]), 'VALID');
    set_block_timestamp(vectors::EXPIRES_AT);
    execute_session(ref state, vectors::sig_main_full_no_calls());
}

#[test]
fn test_register_session_authorizes_the_short_form() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), None);
    assert!(state.is_session_registered(vectors::MAIN_SESSION_HASH));
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH));
    let main = vectors::main_session();
    let expected = session_event(
        SessionComponent::Event::SessionRegistered(
            SessionComponent::SessionRegistered {
                session_hash: vectors::MAIN_SESSION_HASH,
                session_key: main.session_key,
                expires_at: main.expires_at,
                allowed_methods_root: main.allowed_methods_root,
                policy_hash: vectors::UNLIMITED_POLICY_HASH,
                epoch: 0,
                allowed_messages_hash: main.allowed_messages_hash,
            },
        ),
    );
    assert_eq!(next_event(), expected);
    as_protocol();
    sign_with(vectors::sig_main_cached_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_register_session_rejects_other_callers() {
    let mut state = setup();
    set_caller_address(vectors::GAME.try_into().unwrap());
    state.register_session(vectors::main_session(), None);
}

#[test]
#[should_panic(expected: 'Session: already registered')]
fn test_register_session_rejects_duplicates() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), None);
    state.register_session(vectors::main_session(), None);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_register_session_rejects_other_epochs() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::next_epoch_session(), None);
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_register_session_rejects_expired() {
    let mut state = setup();
    as_account();
    set_block_timestamp(vectors::EXPIRES_AT);
    state.register_session(vectors::main_session(), None);
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_register_session_rejects_revoked() {
    let mut state = setup();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    state.register_session(vectors::main_session(), None);
}

#[test]
fn test_revoke_session_emits_and_marks() {
    let mut state = setup();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    assert!(state.is_session_revoked(vectors::MAIN_SESSION_HASH));
    assert!(!state.is_session_revoked(vectors::SINGLE_SESSION_HASH));
    let expected = session_event(
        SessionComponent::Event::SessionRevoked(
            SessionComponent::SessionRevoked { session_hash: vectors::MAIN_SESSION_HASH },
        ),
    );
    assert_eq!(next_event(), expected);
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_revoke_session_stops_full_form() {
    let mut state = setup();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    as_protocol();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_revoke_session_stops_cached_session_at_once() {
    let mut state = setup();
    execute_session(ref state, vectors::sig_main_full_no_calls());
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    as_protocol();
    sign_with(vectors::sig_main_cached_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: already revoked')]
fn test_revoke_session_twice() {
    let mut state = setup();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    state.revoke_session(vectors::MAIN_SESSION_HASH);
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_revoke_session_rejects_other_callers() {
    let mut state = setup();
    set_caller_address(vectors::GAME.try_into().unwrap());
    state.revoke_session(vectors::MAIN_SESSION_HASH);
}

#[test]
fn test_revoke_all_sessions_starts_new_epoch() {
    let mut state = setup();
    as_account();
    assert_eq!(state.get_session_epoch(), 0);
    state.revoke_all_sessions();
    // Derived from the revoking transaction (hash and block): unknown before it exists.
    assert_eq!(state.get_session_epoch(), vectors::NEXT_EPOCH);
    let expected = session_event(
        SessionComponent::Event::AllSessionsRevoked(
            SessionComponent::AllSessionsRevoked { new_epoch: vectors::NEXT_EPOCH },
        ),
    );
    assert_eq!(next_event(), expected);
    // Sessions issued for the new epoch work.
    as_protocol();
    sign_with(vectors::sig_next_epoch_full_increase());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_revoke_all_sessions_refuses_authorizations_pre_signed_for_the_next_epoch() {
    // With a counter epoch, a phished authorization for "current + 1" lay dormant until the
    // owner's emergency revoke-all woke it.
    let mut state = setup();
    as_account();
    state.revoke_all_sessions();
    as_protocol();
    sign_with(vectors::sig_guessed_epoch_full_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_revoke_all_sessions_stops_cached_sessions() {
    let mut state = setup();
    execute_session(ref state, vectors::sig_main_full_no_calls());
    as_account();
    state.revoke_all_sessions();
    assert!(!state.is_session_cached(vectors::MAIN_SESSION_HASH));
    as_protocol();
    sign_with(vectors::sig_main_cached_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test___validate___rejects_future_epoch() {
    let mut state = setup();
    sign_with(vectors::sig_next_epoch_full_increase());
    state.__validate__(array![increase()]);
}

// Validation entrypoints run only for the protocol, in version 3 transactions.

#[test]
#[should_panic(expected: 'Account: invalid caller')]
fn test___validate___rejects_a_contract_calling_it_during_execution() {
    // A contract the session transaction calls could call `__validate__` again: the signature
    // still verifies against the running transaction, and each call charged the fee budget.
    let mut state = setup();
    as_contract(vectors::GAME);
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Account: invalid tx version')]
fn test___validate___rejects_session_signatures_in_old_transaction_versions() {
    let mut state = setup();
    set_version(1);
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: invalid session sig')]
fn test___validate___a_fee_estimate_signature_does_not_validate_the_real_transaction() {
    let mut state = setup();
    // Fee estimation: the query version, whose transaction hash differs; the session key
    // signed that hash.
    set_version(0x100000000000000000000000000000003);
    set_transaction_hash(vectors::QUERY_TX_HASH);
    sign_with(vectors::sig_main_full_increase_query());
    assert_eq!(state.__validate__(array![increase()]), 'VALID');
    // The same signature replayed in the real transaction (version 3, its own hash).
    set_version(3);
    set_transaction_hash(vectors::TX_HASH);
    state.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_revoke_all_sessions_rejects_other_callers() {
    let mut state = setup();
    set_caller_address(vectors::GAME.try_into().unwrap());
    state.revoke_all_sessions();
}

#[test]
fn test_get_session_hash_matches_rust() {
    let mut state = setup();
    assert_eq!(state.get_session_hash(vectors::main_session()), vectors::MAIN_SESSION_HASH);
}

#[test]
fn test_epoch_storage_is_what_the_view_reads() {
    let mut state = setup();
    state.session.Session_epoch.write(7);
    assert_eq!(state.get_session_epoch(), 7);
}
