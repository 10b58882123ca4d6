//! By-reference signatures (`SESSION_REF_MAGIC`) and the leaves a session remembers: each rule
//! accepting what it should and refusing, with its own reason, what an attacker would try.

use starknet::account::Call;
use starknet::storage::StorageMapReadAccess;
use starknet::testing::{set_block_timestamp, set_contract_address, set_transaction_hash};
use crate::components::session::SessionComponent::InternalTrait;
use crate::interfaces::{IOwner, ISRC6, ISession};
use crate::presets::session_account::SessionAccount;
use crate::signature::SESSION_REF_MAGIC;
use crate::storage::{LIMIT_FLAGS, session_terms};
use super::common::{
    ACCOUNT_ADDRESS, as_account, as_protocol, call, drop_events, setup, sign_with, with_felt,
};
use crate::interfaces::OwnerKey;
use super::vectors;

fn increase() -> Call {
    call(vectors::GAME, selector!("increase"))
}

fn transfer(amount: felt252) -> Call {
    Call {
        to: vectors::TOKEN.try_into().unwrap(),
        selector: selector!("transfer"),
        calldata: array![0xb0b, amount, 0].span(),
    }
}

/// Validates `calls` with `signature` as the protocol does.
fn validate(ref state: SessionAccount::ContractState, signature: Array<felt252>, calls: Array<Call>) {
    as_protocol();
    sign_with(signature);
    assert_eq!(state.__validate__(calls), 'VALID');
}

/// An account whose first `main` transaction stored the session (the owner's authorization,
/// verified once).
fn main_cached() -> SessionAccount::ContractState {
    let mut state = setup();
    validate(ref state, vectors::sig_main_full_increase(), array![increase()]);
    drop_events();
    state
}

/// The increase leaf (no rules): the same in every session that allows the method.
fn increase_leaf() -> felt252 {
    crate::snip12::allowed_method_leaf(
        vectors::GAME.try_into().unwrap(), selector!("increase"), array![].span(),
    )
}

#[test]
fn test_short_reference_validates_a_single_method_session() {
    let mut state = setup();
    validate(ref state, vectors::sig_single_full_increase(), array![increase()]);
    let short = vectors::sig_single_ref_increase();
    assert_eq!(short.len(), 6);
    validate(ref state, short, array![increase()]);
    validate(ref state, vectors::sig_single_ref_two_increases(), array![increase(), increase()]);
}

#[test]
fn test_long_reference_proves_a_method_of_a_larger_tree() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
    // Proven but not asked to remember: nothing stored.
    assert!(!state.is_session_leaf_remembered(vectors::MAIN_SESSION_HASH, increase_leaf()));
}

#[test]
#[should_panic(expected: 'Session: not authorized')]
fn test_reference_to_a_session_never_stored() {
    let mut state = setup();
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: not authorized')]
fn test_reference_to_another_accounts_session() {
    let _stored_here = main_cached();
    // Another account (same owner key): its storage has no record of the session.
    set_contract_address(0xa11ce.try_into().unwrap());
    let mut other = SessionAccount::contract_state_for_testing();
    SessionAccount::constructor(ref other, OwnerKey::Stark(vectors::OWNER_PUBLIC_KEY));
    sign_with(vectors::sig_main_ref_increase());
    other.__validate__(array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: revoked')]
fn test_reference_to_a_revoked_session() {
    let mut state = main_cached();
    as_account();
    state.revoke_session(vectors::MAIN_SESSION_HASH);
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_reference_after_revoke_all() {
    let mut state = main_cached();
    as_account();
    state.revoke_all_sessions();
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_reference_after_owner_rotation() {
    let mut state = main_cached();
    as_account();
    let (r, s) = vectors::OWNER_ROTATION_SIGNATURE;
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), array![r, s]);
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_reference_to_an_expired_session() {
    let mut state = main_cached();
    set_block_timestamp(vectors::EXPIRES_AT);
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
fn test_reference_executes_until_the_exact_expiry() {
    let mut state = main_cached();
    set_block_timestamp(vectors::EXPIRES_AT - 1);
    sign_with(vectors::sig_main_ref_no_calls());
    as_protocol();
    state.__execute__(array![]);
}

#[test]
#[should_panic(expected: 'Session: expired')]
fn test_reference_execution_checks_the_exact_expiry() {
    // Validation sees the hour-floored clock; execution the exact one.
    let mut state = main_cached();
    set_block_timestamp(vectors::EXPIRES_AT);
    sign_with(vectors::sig_main_ref_no_calls());
    as_protocol();
    state.__execute__(array![]);
}

#[test]
#[should_panic(expected: 'Session: terms mismatch')]
fn test_reference_with_a_later_expiry() {
    let mut state = main_cached();
    let later: felt252 = session_terms(vectors::EXPIRES_AT + 3600, 0).into();
    validate(ref state, with_felt(vectors::sig_main_ref_increase(), 2, later), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: terms mismatch')]
fn test_reference_with_terms_beyond_the_expiry_and_flags() {
    // Only `expires_at + 2^64 × flags` is a valid terms felt: nothing may spill into the bits the
    // record keeps for the epoch.
    let mut state = main_cached();
    let spilled = vectors::MAIN_TERMS + 0x1000000000000000000; // + 2^72
    validate(ref state, with_felt(vectors::sig_main_ref_increase(), 2, spilled), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: terms mismatch')]
fn test_reference_hiding_the_sessions_limits() {
    // Execution counts what the terms' flags name: clearing them would skip the counters.
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    let no_limits: felt252 = session_terms(vectors::EXPIRES_AT, 0).into();
    assert!(vectors::POLICY_TERMS != no_limits);
    validate(ref state, with_felt(vectors::sig_policy_ref_transfer(), 2, no_limits), array![transfer(1)]);
}

#[test]
#[should_panic(expected: 'Session: reference mismatch')]
fn test_reference_with_another_session_key() {
    let mut state = main_cached();
    let signature = with_felt(vectors::sig_main_ref_increase(), 3, vectors::OWNER_PUBLIC_KEY);
    validate(ref state, signature, array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: reference mismatch')]
fn test_reference_with_another_root() {
    // A wider tree of the attacker's: its proofs would verify against its own root.
    let mut state = main_cached();
    let signature = with_felt(vectors::sig_main_ref_increase(), 6, vectors::policy_session().allowed_methods_root);
    validate(ref state, signature, array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: reference mismatch')]
fn test_short_reference_to_a_multi_method_session() {
    // The short form takes the first call's leaf as the root: not main's.
    let mut state = main_cached();
    let long = vectors::sig_main_ref_increase();
    let short = array![
        SESSION_REF_MAGIC, vectors::MAIN_SESSION_HASH, vectors::MAIN_TERMS, *long.at(3), *long.at(4),
        *long.at(5),
    ];
    validate(ref state, short, array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: reference mismatch')]
fn test_short_reference_to_another_method() {
    let mut state = setup();
    validate(ref state, vectors::sig_single_full_increase(), array![increase()]);
    validate(ref state, vectors::sig_single_ref_increase(), array![call(vectors::GAME, selector!("get"))]);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_short_reference_with_a_second_method() {
    let mut state = setup();
    validate(ref state, vectors::sig_single_full_increase(), array![increase()]);
    validate(
        ref state,
        vectors::sig_single_ref_two_increases(),
        array![increase(), call(vectors::GAME, selector!("get"))],
    );
}

#[test]
#[should_panic(expected: 'Session: invalid session sig')]
fn test_reference_signed_for_another_transaction() {
    let mut state = main_cached();
    set_transaction_hash(vectors::TX_HASH + 1);
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: call to self')]
fn test_reference_calling_the_account() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase(), array![call(vectors::ACCOUNT, selector!("increase"))]);
}

// Remembered leaves.

#[test]
fn test_a_remembered_leaf_needs_no_proof() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase_remember(), array![increase()]);
    assert!(state.is_session_leaf_remembered(vectors::MAIN_SESSION_HASH, increase_leaf()));
    let key = crate::snip12::poseidon_2(vectors::MAIN_SESSION_HASH, increase_leaf());
    assert!(state.session.Session_remembered_leaves.read(key));
    validate(ref state, vectors::sig_main_ref_increase_remembered(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_a_leaf_proven_without_remember_still_needs_its_proof() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase(), array![increase()]);
    validate(ref state, vectors::sig_main_ref_increase_remembered(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_a_remembered_leaf_does_not_serve_another_session() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase_remember(), array![increase()]);
    as_account();
    state.register_session(vectors::two_limits_session(), Some(vectors::two_limits_policy()));
    // The same leaf (same contract, selector, no rules), claimed by another session.
    validate(ref state, vectors::sig_two_limits_ref_increase_unproven(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_remembered_leaves_end_with_revoke_all() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase_remember(), array![increase()]);
    as_account();
    state.revoke_all_sessions();
    validate(ref state, vectors::sig_main_ref_increase_remembered(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_remembered_leaves_end_with_an_owner_rotation() {
    let mut state = main_cached();
    validate(ref state, vectors::sig_main_ref_increase_remember(), array![increase()]);
    as_account();
    let (r, s) = vectors::OWNER_ROTATION_SIGNATURE;
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), array![r, s]);
    validate(ref state, vectors::sig_main_ref_increase_remembered(), array![increase()]);
}

#[test]
#[should_panic(expected: 'Session: method not allowed')]
fn test_a_first_use_cannot_claim_remembered_leaves() {
    // The full form's first use: nothing is remembered for a session stored just now.
    let mut state = setup();
    let signature = vectors::sig_main_full_increase();
    let mut proof_length = 0;
    for (_, selector, _, _, proof) in vectors::main_methods() {
        if selector == selector!("increase") {
            proof_length = proof.len();
        }
    }
    assert!(proof_length > 0, "main's increase needs a proof");
    // The call's entry is last: its header, then the proof. Replace it by an empty one.
    let entry = signature.len() - 1 - proof_length;
    let mut without_proof = array![];
    for i in 0..entry {
        without_proof.append(*signature.at(i));
    }
    without_proof.append(0);
    validate(ref state, without_proof, array![increase()]);
}

// Limits through references: validation reads the stored counters, execution counts.

#[test]
fn test_reference_counts_spending_at_execution() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    validate(ref state, vectors::sig_policy_ref_transfer(), array![transfer(400)]);
    let used = state
        .session
        .session_use_of(vectors::sig_policy_ref_transfer().span(), vectors::CHAIN_ID, ACCOUNT_ADDRESS())
        .expect('not a session signature');
    assert_eq!(used.session_hash, vectors::POLICY_SESSION_HASH);
    assert_eq!(used.expires_at, vectors::EXPIRES_AT);
    assert!(used.limits != 0 && (used.limits & LIMIT_FLAGS) == used.limits);
    state.session.use_session(used, array![transfer(400)].span(), vectors::NOW);
    let token: starknet::ContractAddress = vectors::TOKEN.try_into().unwrap();
    assert_eq!(state.get_session_spend_left(vectors::POLICY_SESSION_HASH, token, 0), 600);
}

#[test]
#[should_panic(expected: 'Session: spend limit exceeded')]
fn test_reference_refuses_one_over_the_spend_limit() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    validate(ref state, vectors::sig_policy_ref_transfer(), array![transfer(1001)]);
    sign_with(vectors::sig_policy_ref_transfer());
    // The call itself would fail in this test (no token deployed): the limit refuses first.
    state.__execute__(array![transfer(1001)]);
}

#[test]
fn test_reference_with_argument_rules() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    validate(ref state, vectors::sig_policy_ref_rules(), rule_calls(10));
}

#[test]
#[should_panic(expected: 'Session: argument not allowed')]
fn test_reference_refuses_an_argument_one_over_its_rule() {
    let mut state = setup();
    as_account();
    state.register_session(vectors::policy_session(), Some(vectors::policy()));
    validate(ref state, vectors::sig_policy_ref_rules(), rule_calls(11));
}

fn rule_calls(increase: felt252) -> Array<Call> {
    let game = vectors::GAME.try_into().unwrap();
    let token = vectors::TOKEN.try_into().unwrap();
    array![
        Call { to: game, selector: selector!("increase"), calldata: array![increase].span() },
        Call { to: game, selector: selector!("reset"), calldata: array![3].span() },
        Call { to: token, selector: selector!("approve"), calldata: array![vectors::SPENDER, 1, 0].span() },
        Call { to: token, selector: selector!("transfer_from"), calldata: array![0xa, 0xb, 500, 0].span() },
    ]
}
