//! Off-chain messages a session key signs for the account (`is_valid_signature`): only of the
//! (domain, type) kinds its owner listed, only while the session is stored, usable and unpaused.

use starknet::testing::set_block_timestamp;
use crate::interfaces::{ISRC6, ISession};
use crate::presets::session_account::SessionAccount;
use crate::components::session::SessionComponent;
use super::common::{as_account, next_event, setup, with_felt};
use super::vectors;

/// Where a message signature lists its session's first allowed message's domain:
/// `[magic, Session (6 felts), list length, domain, type, …]`.
const FIRST_LISTED_DOMAIN: u32 = 8;

/// An account on which the owner registered the `orders` session.
fn orders_account() -> SessionAccount::ContractState {
    let mut state = setup();
    as_account();
    state.register_session(vectors::orders_session(), None);
    state
}

#[test]
fn test_a_session_signs_an_order_of_a_listed_kind() {
    let state = orders_account();
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 'VALID');
}

#[test]
fn test_a_message_of_a_type_the_session_does_not_list_is_refused() {
    let state = orders_account();
    let signature = vectors::sig_other_type_message();
    assert_eq!(state.is_valid_signature(vectors::OTHER_TYPE_MESSAGE_HASH, signature), 0);
}

#[test]
fn test_the_listed_type_under_another_domain_is_refused() {
    let state = orders_account();
    assert_eq!(
        state.is_valid_signature(vectors::OTHER_DOMAIN_MESSAGE_HASH, vectors::sig_other_domain_message()), 0,
    );
    // Listing the other domain instead changes the list the owner signed.
    let relisted = with_felt(vectors::sig_other_domain_message(), FIRST_LISTED_DOMAIN, 0xd0a12);
    let relisted = with_felt(relisted, FIRST_LISTED_DOMAIN + 2, 0);
    assert_eq!(state.is_valid_signature(vectors::OTHER_DOMAIN_MESSAGE_HASH, relisted), 0);
}

#[test]
fn test_a_transaction_hash_is_not_a_message() {
    let state = orders_account();
    // The account recomputes the message hash: a transaction's hash never matches.
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, vectors::sig_order_message()), 0);
    // The session key's transaction digest of the same hash is not a message signature.
    assert_eq!(
        state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message_tx_digest()), 0,
    );
    // Nor is a session transaction signature.
    assert_eq!(state.is_valid_signature(vectors::TX_HASH, vectors::sig_main_ref_increase()), 0);
}

#[test]
fn test_a_session_never_stored_signs_no_message() {
    let state = setup();
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 0);
}

#[test]
fn test_a_revoked_paused_or_ended_session_signs_no_message() {
    let mut state = orders_account();
    state.pause_session(vectors::ORDERS_SESSION_HASH);
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 0);
    state.resume_session(vectors::ORDERS_SESSION_HASH);
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 'VALID');
    state.revoke_session(vectors::ORDERS_SESSION_HASH);
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 0);
}

#[test]
fn test_an_expired_session_signs_no_message() {
    let state = orders_account();
    set_block_timestamp(vectors::EXPIRES_AT - 1);
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 'VALID');
    set_block_timestamp(vectors::EXPIRES_AT);
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 0);
}

#[test]
fn test_revoke_all_ends_message_signing() {
    let mut state = orders_account();
    state.revoke_all_sessions();
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, vectors::sig_order_message()), 0);
}

#[test]
fn test_a_truncated_message_signature_is_refused_without_panicking() {
    let state = orders_account();
    let mut truncated = vectors::sig_order_message();
    let _ = truncated.pop_front();
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, truncated), 0);
    let mut short = array![];
    let full = vectors::sig_order_message();
    for i in 0..full.len() - 1 {
        short.append(*full.at(i));
    }
    assert_eq!(state.is_valid_signature(vectors::ORDER_MESSAGE_HASH, short), 0);
}

#[test]
fn test_registration_tells_auditors_which_messages_a_session_may_sign() {
    let _state = orders_account();
    let event = next_event();
    if let SessionAccount::Event::SessionEvent(SessionComponent::Event::SessionRegistered(registered)) = event {
        assert_eq!(registered.allowed_messages_hash, vectors::orders_session().allowed_messages_hash);
    } else {
        panic!("expected SessionRegistered");
    }
}
