//! SNIP-12 revision 1 hashing of sessions and outside executions, and the `merkletree` proofs of
//! allowed methods. Byte-for-byte what starknet.js signs (see `tests/vectors/`).

use core::hash::HashStateTrait;
use core::poseidon::{hades_permutation, poseidon_hash_span};
use starknet::ContractAddress;
use starknet::account::Call;
use crate::interfaces::{OutsideExecution, Session};

/// `starknet_keccak` of the revision 1 domain type.
pub const STARKNET_DOMAIN_TYPE_HASH: felt252 = selector!(
    "\"StarknetDomain\"(\"name\":\"shortstring\",\"version\":\"shortstring\",\"chainId\":\"shortstring\",\"revision\":\"shortstring\")",
);
/// `starknet_keccak` of the session type (its `merkletree` leaf type is not appended).
pub const SESSION_TYPE_HASH: felt252 = selector!(
    "\"Session\"(\"Session Key\":\"felt\",\"Expires At\":\"timestamp\",\"Allowed Methods\":\"merkletree\",\"Policy\":\"felt\",\"Epoch\":\"u128\")",
);
/// `starknet_keccak` of the allowed-method leaf type.
pub const ALLOWED_METHOD_TYPE_HASH: felt252 = selector!(
    "\"Allowed Method\"(\"Contract Address\":\"ContractAddress\",\"Selector\":\"selector\",\"Argument Rules\":\"felt\")",
);
/// `starknet_keccak` of the SNIP-9 v2 outside execution type (with its `Call` type appended).
pub const OUTSIDE_EXECUTION_TYPE_HASH: felt252 = selector!(
    "\"OutsideExecution\"(\"Caller\":\"ContractAddress\",\"Nonce\":\"felt\",\"Execute After\":\"u128\",\"Execute Before\":\"u128\",\"Calls\":\"Call*\")\"Call\"(\"To\":\"ContractAddress\",\"Selector\":\"selector\",\"Calldata\":\"felt*\")",
);
/// `starknet_keccak` of the SNIP-9 `Call` type.
pub const CALL_TYPE_HASH: felt252 = selector!(
    "\"Call\"(\"To\":\"ContractAddress\",\"Selector\":\"selector\",\"Calldata\":\"felt*\")",
);

/// Domain name of session authorizations.
pub const SESSION_DOMAIN_NAME: felt252 = 'Session Account';
/// Domain version of session authorizations (the integer 1).
pub const SESSION_DOMAIN_VERSION: felt252 = 1;
/// Domain name of SNIP-9 outside executions.
pub const OUTSIDE_EXECUTION_DOMAIN_NAME: felt252 = 'Account.execute_from_outside';
/// Domain version of SNIP-9 version 2 (the integer 2).
pub const OUTSIDE_EXECUTION_DOMAIN_VERSION: felt252 = 2;
/// SNIP-12 revision.
pub const REVISION: felt252 = 1;

/// The revision 1 domain hash.
pub fn domain_hash(name: felt252, version: felt252, chain_id: felt252) -> felt252 {
    poseidon_hash_span(array![STARKNET_DOMAIN_TYPE_HASH, name, version, chain_id, REVISION].span())
}

/// The message hash a signer signs: binds the domain (and chain) and the account.
pub fn message_hash(domain_hash: felt252, account: ContractAddress, struct_hash: felt252) -> felt252 {
    poseidon_hash_span(array!['StarkNet Message', domain_hash, account.into(), struct_hash].span())
}

/// Struct hash of a session.
pub fn session_struct_hash(session: @Session) -> felt252 {
    let expires_at: felt252 = (*session.expires_at).into();
    let epoch: felt252 = (*session.epoch).into();
    poseidon_hash_span(
        array![
            SESSION_TYPE_HASH, *session.session_key, expires_at, *session.allowed_methods_root,
            *session.policy, epoch,
        ]
            .span(),
    )
}

/// The session hash: the message hash the owner signs to authorize `session` for `account`.
pub fn session_hash(session: @Session, chain_id: felt252, account: ContractAddress) -> felt252 {
    let domain = domain_hash(SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION, chain_id);
    message_hash(domain, account, session_struct_hash(session))
}

/// The `merkletree` leaf of an allowed method whose argument rules hash to `rules_hash`.
pub fn allowed_method_leaf(
    contract_address: ContractAddress, selector: felt252, rules_hash: felt252,
) -> felt252 {
    poseidon_hash_span(
        array![ALLOWED_METHOD_TYPE_HASH, contract_address.into(), selector, rules_hash].span(),
    )
}

/// The `Argument Rules` field of a leaf: 0 without rules, else the Poseidon hash of the
/// serialized `Span<ArgumentRule>` (its length first).
pub fn argument_rules_hash(rules_felts: Span<felt252>) -> felt252 {
    if rules_felts.len() <= 1 {
        return 0;
    }
    poseidon_hash_span(rules_felts)
}

/// The `Policy` field of a session: the Poseidon hash of the serialized `Policy`.
pub fn policy_hash(policy_felts: Span<felt252>) -> felt252 {
    poseidon_hash_span(policy_felts)
}

/// Hash of a `merkletree` node's children: `poseidon_hash(min, max)`, i.e. the Hades
/// permutation's first output with capacity 2 (not `poseidon_hash_span([a, b])`).
pub fn merkle_pair_hash(a: felt252, b: felt252) -> felt252 {
    let (a_big, b_big): (u256, u256) = (a.into(), b.into());
    let (low, high) = if a_big < b_big {
        (a, b)
    } else {
        (b, a)
    };
    let (hash, _, _) = hades_permutation(low, high, 2);
    hash
}

/// Whether `proof` links `leaf` to `root` (an empty proof means the leaf is the root).
pub fn verify_merkle_proof(leaf: felt252, mut proof: Span<felt252>, root: felt252) -> bool {
    let mut node = leaf;
    for sibling in proof {
        node = merkle_pair_hash(node, *sibling);
    }
    node == root
}

/// Struct hash of one SNIP-9 call.
fn call_hash(call: @Call) -> felt252 {
    poseidon_hash_span(
        array![CALL_TYPE_HASH, (*call.to).into(), *call.selector, poseidon_hash_span(*call.calldata)]
            .span(),
    )
}

/// The SNIP-9 v2 message hash of an outside execution for `account`.
pub fn outside_execution_hash(
    outside_execution: @OutsideExecution, chain_id: felt252, account: ContractAddress,
) -> felt252 {
    let mut call_hashes = array![];
    for call in *outside_execution.calls {
        call_hashes.append(call_hash(call));
    }
    let execute_after: felt252 = (*outside_execution.execute_after).into();
    let execute_before: felt252 = (*outside_execution.execute_before).into();
    let struct_hash = poseidon_hash_span(
        array![
            OUTSIDE_EXECUTION_TYPE_HASH, (*outside_execution.caller).into(), *outside_execution.nonce,
            execute_after, execute_before, poseidon_hash_span(call_hashes.span()),
        ]
            .span(),
    );
    let domain = domain_hash(
        OUTSIDE_EXECUTION_DOMAIN_NAME, OUTSIDE_EXECUTION_DOMAIN_VERSION, chain_id,
    );
    message_hash(domain, account, struct_hash)
}

/// What the session key signs for a transaction or outside execution: binds the hash being
/// authorized (transaction hash or outside-execution hash) to the session.
pub fn session_key_message(authorized_hash: felt252, session_hash: felt252) -> felt252 {
    poseidon_hash_span(array![authorized_hash, session_hash].span())
}

/// What a new owner key signs to accept ownership of `account` from `current_owner`.
pub fn owner_rotation_hash(
    chain_id: felt252, account: ContractAddress, current_owner: felt252, new_owner: felt252,
) -> felt252 {
    core::poseidon::PoseidonTrait::new()
        .update('accept_ownership')
        .update(chain_id)
        .update(account.into())
        .update(current_owner)
        .update(new_owner)
        .finalize()
}
