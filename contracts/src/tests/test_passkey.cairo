//! Passkey owners: WebAuthn assertions verified on-chain in full, and each way an assertion can be
//! wrong refused with its own reason. Assertions come from the vectors (Rust's software
//! authenticator, in the browser's format).

use starknet::storage::StoragePointerReadAccess;
use starknet::testing::{set_transaction_hash, set_version};
use crate::interfaces::{IOwner, ISRC6, ISRC9_V2, IDeployable, ISession, OutsideExecution, OwnerKey, Passkey};
use crate::presets::session_account::SessionAccount;
use super::common::{ACCOUNT_ADDRESS, as_account, as_protocol, call, setup, setup_owned_by, sign_with};
use super::vectors;

/// An account owned by the vectors' passkey.
fn passkey_account() -> SessionAccount::ContractState {
    setup_owned_by(OwnerKey::Passkey(vectors::passkey()))
}

/// Validates an empty transaction signed with `signature`.
fn validate(ref state: SessionAccount::ContractState, signature: Array<felt252>) {
    as_protocol();
    sign_with(signature);
    assert_eq!(state.__validate__(array![]), 'VALID');
}

#[test]
fn test_constructor_accepts_a_passkey_owner() {
    let mut state = SessionAccount::contract_state_for_testing();
    SessionAccount::constructor(ref state, OwnerKey::Passkey(vectors::passkey()));
    assert_eq!(state.get_owner(), vectors::PASSKEY_ID);
    let mut stored = array![];
    state.get_owner_key().serialize(ref stored);
    assert_eq!(stored, vectors::passkey_owner_felts(), "the stored key, as Rust encodes it");
}

#[test]
#[should_panic(expected: 'WebAuthn: bad public key')]
fn test_constructor_refuses_a_point_off_the_curve() {
    let mut state = SessionAccount::contract_state_for_testing();
    let Passkey { x, y, rp_id_hash, origin } = vectors::passkey();
    SessionAccount::constructor(ref state, OwnerKey::Passkey(Passkey { x, y: y + 1, rp_id_hash, origin }));
}

#[test]
#[should_panic(expected: 'WebAuthn: bad passkey')]
fn test_constructor_refuses_a_passkey_without_origin() {
    let mut state = SessionAccount::contract_state_for_testing();
    let Passkey { x, y, rp_id_hash, .. } = vectors::passkey();
    SessionAccount::constructor(ref state, OwnerKey::Passkey(Passkey { x, y, rp_id_hash, origin: "" }));
}

#[test]
fn test_a_passkey_signs_the_owners_transactions() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_tx());
    // A browser's extra clientDataJSON member is accepted.
    validate(ref state, vectors::passkey_sig_extra_member());
    // Execution takes the passkey's signature as the owner's (no session use to count).
    sign_with(vectors::passkey_sig_tx());
    state.__execute__(array![]);
}

#[test]
fn test_a_passkey_signs_declarations_and_its_deployment() {
    let mut state = passkey_account();
    sign_with(vectors::passkey_sig_tx());
    assert_eq!(state.__validate_declare__(0x1), 'VALID');
    assert_eq!(state.__validate_deploy__(0x1, 0x2, OwnerKey::Passkey(vectors::passkey())), 'VALID');
}

#[test]
fn test_is_valid_signature_accepts_the_passkey_owner_only() {
    let mut state = passkey_account();
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, vectors::passkey_sig_tx()), 'VALID');
    assert_eq!(state.is_valid_signature(vectors::TX_HASH + 1, vectors::passkey_sig_tx()), 0);
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, vectors::passkey_sig_other_origin()), 0);
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, array![r, s]), 0, "not a Stark owner any more");
    let mut truncated = vectors::passkey_sig_tx();
    let _ = truncated.pop_front();
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, truncated), 0, "malformed: 0, no panic");
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test_a_stark_signature_does_not_sign_for_a_passkey_owner() {
    let mut state = passkey_account();
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    validate(ref state, array![r, s]);
}

#[test]
#[should_panic(expected: 'Account: invalid signature')]
fn test_an_assertion_does_not_sign_for_a_stark_owner() {
    let mut state = setup();
    validate(ref state, vectors::passkey_sig_tx());
}

#[test]
#[should_panic(expected: 'WebAuthn: invalid signature')]
fn test_the_passkey_of_another_account_is_refused() {
    // Another account's passkey: the P-256 generator as public key, same RP ID and origin.
    let Passkey { rp_id_hash, origin, .. } = vectors::passkey();
    let other = Passkey {
        x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
        y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5,
        rp_id_hash,
        origin,
    };
    let mut state = setup_owned_by(OwnerKey::Passkey(other));
    validate(ref state, vectors::passkey_sig_tx());
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong challenge')]
fn test_an_assertion_of_another_transaction_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_other_tx());
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong challenge')]
fn test_a_fee_estimate_assertion_does_not_validate_the_real_transaction() {
    let mut state = passkey_account();
    set_version(0x100000000000000000000000000000003);
    set_transaction_hash(vectors::QUERY_TX_HASH);
    validate(ref state, vectors::passkey_sig_query_tx());
    set_version(3);
    set_transaction_hash(vectors::TX_HASH);
    validate(ref state, vectors::passkey_sig_query_tx());
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong origin')]
fn test_an_assertion_from_another_origin_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_other_origin());
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong origin')]
fn test_an_origin_extending_the_passkeys_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_longer_origin());
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong RP ID')]
fn test_an_assertion_for_another_relying_party_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_other_rp());
}

#[test]
#[should_panic(expected: 'WebAuthn: user not verified')]
fn test_an_assertion_without_user_verification_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_no_uv());
}

#[test]
#[should_panic(expected: 'WebAuthn: user not present')]
fn test_an_assertion_without_user_presence_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_no_up());
}

#[test]
#[should_panic(expected: 'WebAuthn: bad client data')]
fn test_client_data_with_a_reordered_challenge_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_reordered());
}

#[test]
#[should_panic(expected: 'WebAuthn: bad client data')]
fn test_client_data_with_a_repeated_challenge_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_repeated_challenge());
}

#[test]
#[should_panic(expected: 'WebAuthn: cross-origin')]
fn test_a_cross_origin_assertion_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_cross_origin());
}

#[test]
#[should_panic(expected: 'WebAuthn: not webauthn.get')]
fn test_a_registrations_client_data_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_create());
}

#[test]
#[should_panic(expected: 'WebAuthn: high s')]
fn test_a_high_s_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_high_s());
}

#[test]
#[should_panic(expected: 'WebAuthn: r or s out of range')]
fn test_an_out_of_range_s_is_refused() {
    let mut state = passkey_account();
    let mut signature = vectors::passkey_sig_tx();
    // [.., r.low, r.high, s.low, s.high]: s = 0.
    let length = signature.len();
    let mut zero_s = array![];
    for i in 0..length {
        zero_s.append(if i >= length - 2 {
            0
        } else {
            *signature.at(i)
        });
    }
    signature = zero_s;
    validate(ref state, signature);
}

#[test]
#[should_panic(expected: 'WebAuthn: auth data too short')]
fn test_truncated_authenticator_data_is_refused() {
    let mut state = passkey_account();
    validate(ref state, vectors::passkey_sig_truncated());
}

#[test]
#[should_panic(expected: 'WebAuthn: malformed assertion')]
fn test_a_truncated_assertion_is_refused() {
    let mut state = passkey_account();
    // Without its last felt (`s.high`) the assertion no longer parses.
    let full = vectors::passkey_sig_tx();
    let mut truncated = array![];
    for i in 0..full.len() - 1 {
        truncated.append(*full.at(i));
    }
    validate(ref state, truncated);
}

// Sessions authorized by a passkey.

#[test]
fn test_a_passkey_authorizes_a_session_once_then_it_runs_by_reference() {
    let mut state = passkey_account();
    let increase = call(vectors::GAME, selector!("increase"));
    sign_with(vectors::sig_main_full_increase_passkey());
    assert_eq!(state.__validate__(array![increase]), 'VALID');
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH));
    // Later transactions never touch the owner: by reference, as under a Stark owner.
    sign_with(vectors::sig_main_ref_increase());
    assert_eq!(state.__validate__(array![increase]), 'VALID');
}

#[test]
#[should_panic(expected: 'Session: invalid authorization')]
fn test_a_passkey_authorization_does_not_authorize_for_a_stark_owner() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase_passkey());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

#[test]
fn test_a_passkey_registers_a_session() {
    let mut state = passkey_account();
    as_account();
    state.register_session(vectors::main_session(), None);
    assert!(state.is_session_registered(vectors::MAIN_SESSION_HASH));
}

#[test]
fn test_a_passkey_signs_an_outside_execution() {
    let mut state = passkey_account();
    let empty = OutsideExecution {
        caller: 'ANY_CALLER'.try_into().unwrap(),
        nonce: vectors::OE_NONCE,
        execute_after: vectors::NOW - 100,
        execute_before: vectors::NOW + 100,
        calls: array![].span(),
    };
    let results = state.execute_from_outside_v2(empty, vectors::passkey_sig_oe_empty().span());
    assert_eq!(results.len(), 0);
}

// Rotations between a Stark key and a passkey.

#[test]
fn test_a_stark_owner_rotates_to_a_passkey_and_sessions_end() {
    let mut state = setup();
    sign_with(vectors::sig_main_full_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
    assert!(state.is_session_cached(vectors::MAIN_SESSION_HASH));
    as_account();
    state.set_owner(OwnerKey::Passkey(vectors::passkey()), vectors::passkey_sig_rotation_to_passkey());
    assert_eq!(state.get_owner(), vectors::PASSKEY_ID);
    assert!(!state.is_session_cached(vectors::MAIN_SESSION_HASH), "the rotation ended every session");
    validate(ref state, vectors::passkey_sig_tx());
}

#[test]
fn test_a_passkey_owner_rotates_to_a_stark_key() {
    let mut state = passkey_account();
    as_account();
    let (r, s) = vectors::ROTATION_FROM_PASSKEY_SIGNATURE;
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), array![r, s]);
    assert_eq!(state.get_owner(), vectors::NEW_OWNER_PUBLIC_KEY);
    assert_eq!(state.owner.Owner_public_key.read(), vectors::NEW_OWNER_PUBLIC_KEY);
}

#[test]
#[should_panic(expected: 'Session: stale epoch')]
fn test_sessions_of_a_passkey_rotated_away_end() {
    let mut state = passkey_account();
    sign_with(vectors::sig_main_full_increase_passkey());
    as_protocol();
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
    as_account();
    let (r, s) = vectors::ROTATION_FROM_PASSKEY_SIGNATURE;
    state.set_owner(OwnerKey::Stark(vectors::NEW_OWNER_PUBLIC_KEY), array![r, s]);
    as_protocol();
    sign_with(vectors::sig_main_ref_increase());
    state.__validate__(array![call(vectors::GAME, selector!("increase"))]);
}

#[test]
#[should_panic(expected: 'WebAuthn: wrong challenge')]
fn test_a_rotation_to_a_passkey_needs_its_assertion_over_the_rotation() {
    let mut state = setup();
    as_account();
    state.set_owner(OwnerKey::Passkey(vectors::passkey()), vectors::passkey_sig_tx());
}

#[test]
fn test_the_passkey_id_is_rusts() {
    assert_eq!(crate::snip12::passkey_id(@vectors::passkey()), vectors::PASSKEY_ID);
    let _ = ACCOUNT_ADDRESS();
}

// What a real browser sends.

#[test]
fn test_chromiums_assertion_is_accepted_as_the_browser_sent_it() {
    // Chromium's virtual authenticator: clientDataJSON in the browser's field order with
    // `crossOrigin: false`, base64url without padding, a DER signature normalized to low s.
    let mut state = setup_owned_by(OwnerKey::Passkey(vectors::browser_passkey()));
    assert_eq!(
        state.is_valid_signature(vectors::BROWSER_CHALLENGE_HASH, vectors::browser_signature()), 'VALID',
    );
    assert_eq!(state.is_valid_signature(vectors::BROWSER_CHALLENGE_HASH + 1, vectors::browser_signature()), 0);
    set_transaction_hash(vectors::BROWSER_CHALLENGE_HASH);
    validate(ref state, vectors::browser_signature());
}
