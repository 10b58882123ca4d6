use starknet::testing::{set_caller_address, set_transaction_hash, set_version};
use crate::components::owner::OwnerComponent;
use crate::components::session::SessionComponent;
use crate::counter::{ICounterDispatcher, ICounterDispatcherTrait};
use crate::interfaces::{
    IDeployable, IOwner, ISESSION_ID, ISRC5, ISRC5_ID, ISRC6, ISRC6_ID, ISRC9_V2_ID, ISession,
};
use crate::presets::session_account::SessionAccount;
use super::common::{
    ACCOUNT_ADDRESS, as_account, as_contract, as_protocol, assert_no_more_events, call,
    deploy_counter, next_event, setup, sign_with,
};
use crate::interfaces::OwnerKey;
use super::vectors;

fn owner_tx_signature() -> Array<felt252> {
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    array![r, s]
}

#[test]
fn test___validate___accepts_owner_signature() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    assert_eq!(state.__validate__(array![call(vectors::GAME, selector!("reset"))]), 'VALID');
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test___validate___rejects_owner_signature_of_another_transaction() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    set_transaction_hash(vectors::TX_HASH + 1);
    state.__validate__(array![]);
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test___validate___rejects_signature_of_another_key() {
    let mut state = setup();
    // The owner's authorization of a session is a valid owner signature, but of another hash.
    let (r, s) = vectors::MAIN_AUTHORIZATION;
    sign_with(array![r, s]);
    state.__validate__(array![]);
}

#[test]
fn test___execute___runs_calls_atomically_in_order() {
    let mut state = setup();
    let counter = deploy_counter();
    let increase = |amount: felt252| starknet::account::Call {
        to: counter, selector: selector!("increase"), calldata: array![amount].span(),
    };
    sign_with(owner_tx_signature());
    as_protocol();
    state.__execute__(array![increase(2), increase(40)]);
    assert_eq!(ICounterDispatcher { contract_address: counter }.get(ACCOUNT_ADDRESS()), 42);
}

#[test]
#[should_panic]
fn test___execute___fails_whole_multicall_when_one_call_fails() {
    let mut state = setup();
    let counter = deploy_counter();
    let increase = |amount: felt252| starknet::account::Call {
        to: counter, selector: selector!("increase"), calldata: array![amount].span(),
    };
    sign_with(owner_tx_signature());
    as_protocol();
    state.__execute__(array![increase(1), increase(0xffffffffffffffff)]);
}

#[test]
#[should_panic(expected: 'Account: invalid caller')]
fn test___execute___rejects_non_protocol_caller() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    set_caller_address(0x123.try_into().unwrap());
    state.__execute__(array![]);
}

#[test]
#[should_panic(expected: 'Account: invalid tx version')]
fn test___execute___rejects_old_transaction_versions() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    set_version(1);
    state.__execute__(array![]);
}

#[test]
fn test___execute___accepts_query_version_for_fee_estimation() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    set_version(0x100000000000000000000000000000003);
    state.__execute__(array![]);
}

#[test]
fn test_is_valid_signature_accepts_only_the_owner() {
    let mut state = setup();
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, owner_tx_signature()), 'VALID');
    assert_eq!(state.is_valid_signature(vectors::TX_HASH + 1, owner_tx_signature()), 0);
    let mut three = owner_tx_signature();
    three.append(0);
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, three), 0);
    // A full, valid session signature never passes as an account signature.
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, vectors::sig_main_full_increase()), 0);
}

#[test]
fn test___validate_declare___and_deploy_accept_the_owner() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    assert_eq!(state.__validate_declare__(0x1), 'VALID');
    assert_eq!(state.__validate_deploy__(0x1, 0x2, OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY)), 'VALID');
}

#[test]
#[should_panic(expected: 'Account: invalid caller')]
fn test___validate_declare___rejects_a_contract_caller() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    as_contract(vectors::GAME);
    state.__validate_declare__(0x1);
}

#[test]
#[should_panic(expected: 'Account: invalid caller')]
fn test___validate_deploy___rejects_a_contract_caller() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    as_contract(vectors::GAME);
    state.__validate_deploy__(0x1, 0x2, OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY));
}

#[test]
#[should_panic(expected: 'Account: invalid tx version')]
fn test___validate___rejects_old_transaction_versions() {
    let mut state = setup();
    sign_with(owner_tx_signature());
    set_version(1);
    state.__validate__(array![]);
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test___validate_declare___rejects_sessions() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_no_calls());
    state.__validate_declare__(0x1);
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test___validate_deploy___rejects_wrong_signature() {
    let mut state = setup();
    let (r, s) = vectors::MAIN_AUTHORIZATION;
    sign_with(array![r, s]);
    state.__validate_deploy__(0x1, 0x2, OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY));
}

#[test]
fn test_supports_interface() {
    let mut state = setup();
    assert!(state.supports_interface(ISRC5_ID));
    assert!(state.supports_interface(ISRC6_ID));
    assert!(state.supports_interface(ISRC9_V2_ID));
    assert!(state.supports_interface(ISESSION_ID));
    assert!(!state.supports_interface(0x1234));
}

#[test]
fn test_constructor_sets_owner_and_emits() {
    let mut state = SessionAccount::contract_state_for_testing();
    starknet::testing::set_contract_address(ACCOUNT_ADDRESS());
    SessionAccount::constructor(ref state, OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY));
    assert_eq!(state.get_owner(), vectors::OWNER_PUBLIC_KEY);
    let expected = SessionAccount::Event::OwnerEvent(
        OwnerComponent::Event::OwnerChanged(
            OwnerComponent::OwnerChanged { old_owner: 0, new_owner: vectors::OWNER_PUBLIC_KEY },
        ),
    );
    assert_eq!(next_event(), expected);
}

#[test]
#[should_panic(expected: 'Account: zero owner key')]
fn test_constructor_rejects_zero_owner() {
    let mut state = SessionAccount::contract_state_for_testing();
    SessionAccount::constructor(ref state, OwnerKey::Stark(0));
}

fn rotation_signature() -> Array<felt252> {
    let (r, s) = vectors::OWNER_ROTATION_SIGNATURE;
    array![r, s]
}

#[test]
fn test_set_owner_rotates_and_emits() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
    assert_eq!(state.get_owner(), vectors::NEW_OWNER_PUBLIC_KEY);
    let expected = SessionAccount::Event::OwnerEvent(
        OwnerComponent::Event::OwnerChanged(
            OwnerComponent::OwnerChanged {
                old_owner: vectors::OWNER_PUBLIC_KEY, new_owner: vectors::NEW_OWNER_PUBLIC_KEY,
            },
        ),
    );
    assert_eq!(next_event(), expected);
    // Every session ends with the old key: a new epoch starts.
    let new_epoch = SessionAccount::Event::SessionEvent(
        SessionComponent::Event::AllSessionsRevoked(
            SessionComponent::AllSessionsRevoked { new_epoch: vectors::NEXT_EPOCH },
        ),
    );
    assert_eq!(next_event(), new_epoch);
    assert_eq!(state.get_session_epoch(), vectors::NEXT_EPOCH);
    assert_no_more_events();
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test_set_owner_old_owner_signature_stops_working() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
    as_protocol();
    sign_with(owner_tx_signature());
    state.__validate__(array![]);
}

#[test]
#[should_panic(expected: 'Account: unauthorized')]
fn test_set_owner_rejects_other_callers() {
    let mut state = setup();
    set_caller_address(0x123.try_into().unwrap());
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
}

#[test]
#[should_panic(expected: 'Account: bad new owner sig')]
fn test_set_owner_rejects_unproven_new_key() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), owner_tx_signature());
}

#[test]
#[should_panic(expected: 'Account: zero owner key')]
fn test_set_owner_rejects_zero_key() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Stark(0), rotation_signature());
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_set_owner_ends_registered_sessions() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), None);
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
    assert!(!state.is_session_cached(vectors::MAIN_SESSION_HASH));
    as_protocol();
    sign_with(vectors::sig_main_cached_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_set_owner_ends_sessions_authorized_by_the_old_key() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
    as_protocol();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

fn rotation_back_signature() -> Array<felt252> {
    let (r, s) = vectors::OWNER_ROTATION_BACK_SIGNATURE;
    array![r, s]
}

/// Registers the main session, caches nothing else, then rotates the owner A → B → A.
fn rotated_back() -> SessionAccount::ContractState {
    let mut state = setup();
    as_account();
    state.register_session(vectors::main_session(), None);
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), rotation_signature());
    state.set_owner(OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY), rotation_back_signature());
    assert_eq!(state.get_owner(), vectors::OWNER_PUBLIC_KEY);
    as_protocol();
    state
}

#[test]
fn test_rotating_the_owner_back_keeps_its_registrations_ended() {
    let state = rotated_back();
    // Registered by A, and A owns the account again: still not registered (another epoch).
    assert!(!state.is_session_registered(vectors::MAIN_SESSION_HASH));
    assert!(!state.is_session_cached(vectors::MAIN_SESSION_HASH));
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_rotating_the_owner_back_does_not_revive_registered_sessions() {
    let mut state = rotated_back();
    sign_with(vectors::sig_main_cached_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_rotating_the_owner_back_does_not_revive_authorizations_in_transactions() {
    let mut state = rotated_back();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

#[test]
fn test_the_owner_rotated_back_registers_a_session_of_the_new_epoch_afresh() {
    let mut state = rotated_back();
    // The main session (old epoch) cannot be registered again either.
    let epoch = state.get_session_epoch();
    assert_ne!(epoch, 0);
    assert_ne!(epoch, vectors::NEXT_EPOCH);
}
