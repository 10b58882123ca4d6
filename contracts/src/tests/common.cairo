//! Fixtures: an account state at the vectors' address, chain, time and transaction.

use starknet::account::Call;
use starknet::testing::{
    set_block_number, set_block_timestamp, set_caller_address, set_chain_id, set_contract_address,
    set_signature, set_transaction_hash, set_version,
};
use starknet::{ContractAddress, SyscallResultTrait};
use crate::components::session::SessionComponent;
use crate::presets::session_account::SessionAccount;
use crate::interfaces::OwnerKey;
use super::vectors::{ACCOUNT, BLOCK_NUMBER, CHAIN_ID, NOW, OWNER_PUBLIC_KEY, TX_HASH};

/// The account's address in the vectors.
pub fn ACCOUNT_ADDRESS() -> ContractAddress {
    ACCOUNT.try_into().unwrap()
}

/// An account owned by the vectors' owner key, seen from a transaction at the vectors' time.
pub fn setup() -> SessionAccount::ContractState {
    setup_owned_by(OwnerKey::Stark(OWNER_PUBLIC_KEY))
}

/// An account owned by `owner`, deployed at the vectors' address, seen from a transaction at the
/// vectors' time.
pub fn setup_owned_by(owner: OwnerKey) -> SessionAccount::ContractState {
    set_contract_address(ACCOUNT_ADDRESS());
    set_chain_id(CHAIN_ID);
    set_block_timestamp(NOW);
    set_block_number(BLOCK_NUMBER);
    set_transaction_hash(TX_HASH);
    set_version(3);
    set_caller_address(0.try_into().unwrap());
    let mut state = SessionAccount::contract_state_for_testing();
    SessionAccount::constructor(ref state, owner);
    drop_events();
    state
}

/// Sets the transaction signature.
pub fn sign_with(signature: Array<felt252>) {
    set_signature(signature.span());
}

/// Makes the following calls come from the account itself (as in an owner multicall).
pub fn as_account() {
    set_caller_address(ACCOUNT_ADDRESS());
}

/// Makes the following calls come from the protocol (as `__execute__`).
pub fn as_protocol() {
    set_caller_address(0.try_into().unwrap());
}

/// A call without calldata.
pub fn call(to: felt252, selector: felt252) -> Call {
    Call { to: to.try_into().unwrap(), selector, calldata: array![].span() }
}

/// Makes the following calls come from another contract (e.g. one a session transaction called).
pub fn as_contract(address: felt252) {
    set_caller_address(address.try_into().unwrap());
}

/// Discards the account's pending events.
pub fn drop_events() {
    while starknet::testing::pop_log_raw(ACCOUNT_ADDRESS()).is_some() {}
}

/// The next event the account emitted.
pub fn next_event() -> SessionAccount::Event {
    starknet::testing::pop_log(ACCOUNT_ADDRESS()).expect('no event')
}

/// The account's next event that is not per-transaction accounting (`SessionCharged`,
/// `SessionSpent`): for tests about other events.
pub fn next_non_accounting_event() -> SessionAccount::Event {
    loop {
        let event = next_event();
        match @event {
            SessionAccount::Event::SessionEvent(SessionComponent::Event::SessionCharged(_)) |
            SessionAccount::Event::SessionEvent(SessionComponent::Event::SessionSpent(_)) => {},
            _ => { break event; },
        }
    }
}

/// Asserts the account emitted nothing more.
pub fn assert_no_more_events() {
    assert!(starknet::testing::pop_log_raw(ACCOUNT_ADDRESS()).is_none(), "unexpected event");
}

/// Deploys a Counter (a real call target) and returns its address.
pub fn deploy_counter() -> ContractAddress {
    let (address, _) = starknet::syscalls::deploy_syscall(
        crate::counter::Counter::TEST_CLASS_HASH.try_into().unwrap(), 0, array![].span(), false,
    )
        .unwrap_syscall();
    address
}

/// A copy of `felts` with index `index` replaced by `value`.
pub fn with_felt(felts: Array<felt252>, index: u32, value: felt252) -> Array<felt252> {
    let mut out = array![];
    let mut i = 0;
    for felt in felts.span() {
        out.append(if i == index {
            value
        } else {
            *felt
        });
        i += 1;
    }
    out
}

/// Index of the first call's entry header in a cached-form signature of the vectors' policy
/// session: magic, 6 session felts, auth length 0, session r and s, then the policy.
pub fn first_entry_index() -> u32 {
    let mut policy = array![];
    super::vectors::policy().serialize(ref policy);
    10 + policy.len()
}
