//! SNIP-12 revision 1 hashing of sessions and outside executions, and the `merkletree` proofs of
//! allowed methods. Byte-for-byte what starknet.js signs (see `tests/vectors/`).

use core::hash::HashStateTrait;
use core::poseidon::{hades_permutation, poseidon_hash_span};
use starknet::ContractAddress;
use starknet::account::Call;
use crate::interfaces::{
    AllowedMessage, ArgumentRule, OutsideExecution, Passkey, Policy, Session, SpendLimit,
};

/// `starknet_keccak` of the revision 1 domain type.
pub const STARKNET_DOMAIN_TYPE_HASH: felt252 = selector!(
    "\"StarknetDomain\"(\"name\":\"shortstring\",\"version\":\"shortstring\",\"chainId\":\"shortstring\",\"revision\":\"shortstring\")",
);
/// `starknet_keccak` of the session type, with the types it references appended in name order
/// (its `merkletree` leaf type is not appended).
pub const SESSION_TYPE_HASH: felt252 = selector!(
    "\"Session\"(\"Session Key\":\"felt\",\"Expires At\":\"timestamp\",\"Allowed Methods\":\"merkletree\",\"Policy\":\"Policy\",\"Epoch\":\"felt\",\"Allowed Messages\":\"Allowed Message*\")\"Allowed Message\"(\"Domain Hash\":\"felt\",\"Type Hash\":\"felt\")\"Policy\"(\"Max Fee Per Transaction\":\"u128\",\"Fee Budget\":\"u128\",\"Max Calls\":\"u128\",\"Spend Limits\":\"Spend Limit*\",\"Valid After\":\"timestamp\",\"Calls And Fees Window\":\"u128\")\"Spend Limit\"(\"Token Amount\":\"TokenAmount\",\"Window Seconds\":\"u128\")\"TokenAmount\"(\"token_address\":\"ContractAddress\",\"amount\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")",
);
/// `starknet_keccak` of one allowed message kind's type.
pub const ALLOWED_MESSAGE_TYPE_HASH: felt252 = selector!(
    "\"Allowed Message\"(\"Domain Hash\":\"felt\",\"Type Hash\":\"felt\")",
);
/// `starknet_keccak` of the policy type (what a wallet displays as the session's limits).
pub const POLICY_TYPE_HASH: felt252 = selector!(
    "\"Policy\"(\"Max Fee Per Transaction\":\"u128\",\"Fee Budget\":\"u128\",\"Max Calls\":\"u128\",\"Spend Limits\":\"Spend Limit*\",\"Valid After\":\"timestamp\",\"Calls And Fees Window\":\"u128\")\"Spend Limit\"(\"Token Amount\":\"TokenAmount\",\"Window Seconds\":\"u128\")\"TokenAmount\"(\"token_address\":\"ContractAddress\",\"amount\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")",
);
/// `starknet_keccak` of one spend limit's type.
pub const SPEND_LIMIT_TYPE_HASH: felt252 = selector!(
    "\"Spend Limit\"(\"Token Amount\":\"TokenAmount\",\"Window Seconds\":\"u128\")\"TokenAmount\"(\"token_address\":\"ContractAddress\",\"amount\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")",
);
/// `starknet_keccak` of SNIP-12's preset `TokenAmount` type.
pub const TOKEN_AMOUNT_TYPE_HASH: felt252 = selector!("\"TokenAmount\"(\"token_address\":\"ContractAddress\",\"amount\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")");
/// `starknet_keccak` of SNIP-12's preset `u256` type.
pub const U256_TYPE_HASH: felt252 = selector!("\"u256\"(\"low\":\"u128\",\"high\":\"u128\")");
/// `starknet_keccak` of the allowed-method leaf type.
pub const ALLOWED_METHOD_TYPE_HASH: felt252 = selector!(
    "\"Allowed Method\"(\"Contract Address\":\"ContractAddress\",\"Selector\":\"selector\",\"Argument Rules\":\"Argument Rule*\")\"Argument Rule\"(\"Kind\":\"shortstring\",\"Argument Index\":\"u128\",\"Values\":\"felt*\",\"Bound\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")",
);
/// `starknet_keccak` of an argument rule's type.
pub const ARGUMENT_RULE_TYPE_HASH: felt252 = selector!(
    "\"Argument Rule\"(\"Kind\":\"shortstring\",\"Argument Index\":\"u128\",\"Values\":\"felt*\",\"Bound\":\"u256\")\"u256\"(\"low\":\"u128\",\"high\":\"u128\")",
);
/// `poseidon_hash_span([])`: the `Argument Rules` encoding of a method without rules.
pub const EMPTY_ARRAY_HASH: felt252 =
    0x2272be0f580fd156823304800919530eaa97430e972d7213ee13f4fbf7a5dbc;
/// The struct hash of the policy without limits (every field at its maximum, no spend limit):
/// sessions with it need not send their policy.
pub const UNLIMITED_POLICY_HASH: felt252 =
    0x245cbea356a6b68b09e885f7fb8c9af814a3780d6d7f81023d8ce056a5faf5a;
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
    poseidon_5(STARKNET_DOMAIN_TYPE_HASH, name, version, chain_id, REVISION)
}

/// The message hash a signer signs: binds the domain (and chain) and the account.
pub fn message_hash(domain_hash: felt252, account: ContractAddress, struct_hash: felt252) -> felt252 {
    poseidon_4('StarkNet Message', domain_hash, account.into(), struct_hash)
}

/// Struct hash of a session.
pub fn session_struct_hash(session: @Session) -> felt252 {
    let expires_at: felt252 = (*session.expires_at).into();
    poseidon_hash_span(
        array![
            SESSION_TYPE_HASH, *session.session_key, expires_at, *session.allowed_methods_root,
            *session.policy_hash, *session.epoch, *session.allowed_messages_hash,
        ]
            .span(),
    )
}

/// The SNIP-12 hash of an `Allowed Message*` list (what `Session.allowed_messages_hash` holds).
pub fn allowed_messages_hash(messages: Span<AllowedMessage>) -> felt252 {
    let mut hashes = array![];
    for message in messages {
        hashes.append(poseidon_3(ALLOWED_MESSAGE_TYPE_HASH, *message.domain_hash, *message.type_hash));
    }
    poseidon_hash_span(hashes.span())
}

/// What a session key signs to sign the off-chain message `message_hash` for the session
/// `session_hash`: domain-separated from its transaction signatures.
pub fn session_message_digest(message_hash: felt252, session_hash: felt252) -> felt252 {
    poseidon_3('session message', message_hash, session_hash)
}

/// The session hash: the message hash the owner signs to authorize `session` for `account`.
pub fn session_hash(session: @Session, chain_id: felt252, account: ContractAddress) -> felt252 {
    let domain = domain_hash(SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION, chain_id);
    message_hash(domain, account, session_struct_hash(session))
}

/// Struct hash of SNIP-12's preset `u256`.
pub fn u256_struct_hash(value: u256) -> felt252 {
    poseidon_3(U256_TYPE_HASH, value.low.into(), value.high.into())
}

/// Struct hash of a spend limit: its `Token Amount` (SNIP-12's `TokenAmount`) and window.
pub fn spend_limit_struct_hash(limit: @SpendLimit) -> felt252 {
    let token_amount = poseidon_3(
        TOKEN_AMOUNT_TYPE_HASH, (*limit.token).into(), u256_struct_hash(*limit.amount),
    );
    let period: felt252 = (*limit.period).into();
    poseidon_3(SPEND_LIMIT_TYPE_HASH, token_amount, period)
}

/// The `Policy` field of a session: the SNIP-12 struct hash of the policy.
pub fn policy_struct_hash(policy: @Policy) -> felt252 {
    let mut limits = array![];
    for limit in *policy.spend_limits {
        limits.append(spend_limit_struct_hash(limit));
    }
    let max_calls: felt252 = (*policy.max_calls).into();
    let valid_after: felt252 = (*policy.valid_after).into();
    let limits_window: felt252 = (*policy.limits_window).into();
    poseidon_hash_span(
        array![
            POLICY_TYPE_HASH, (*policy.max_fee_per_tx).into(), (*policy.fee_budget).into(), max_calls,
            poseidon_hash_span(limits.span()), valid_after, limits_window,
        ]
            .span(),
    )
}

/// Struct hash of an argument rule.
pub fn argument_rule_struct_hash(rule: @ArgumentRule) -> felt252 {
    let index: felt252 = (*rule.index).into();
    poseidon_5(
        ARGUMENT_RULE_TYPE_HASH,
        *rule.kind,
        index,
        poseidon_hash_span(*rule.values),
        u256_struct_hash(*rule.bound),
    )
}

/// The `merkletree` leaf of an allowed method with these argument rules (none: any arguments).
pub fn allowed_method_leaf(
    contract_address: ContractAddress, selector: felt252, rules: Span<ArgumentRule>,
) -> felt252 {
    let rules_hash = if rules.is_empty() {
        EMPTY_ARRAY_HASH
    } else {
        let mut rule_hashes = array![];
        for rule in rules {
            rule_hashes.append(argument_rule_struct_hash(rule));
        }
        poseidon_hash_span(rule_hashes.span())
    };
    poseidon_4(ALLOWED_METHOD_TYPE_HASH, contract_address.into(), selector, rules_hash)
}

/// The session epoch that follows `previous` when a revoke-all or an owner rotation runs in the
/// transaction `transaction_hash` of block `block_number`: unpredictable before that transaction
/// exists, so no authorization can be signed for it in advance.
pub fn next_epoch(previous: felt252, transaction_hash: felt252, block_number: u64) -> felt252 {
    poseidon_4('session epoch', previous, transaction_hash, block_number.into())
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
    poseidon_4(CALL_TYPE_HASH, (*call.to).into(), *call.selector, poseidon_hash_span(*call.calldata))
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
    let struct_hash = poseidon_6(
        OUTSIDE_EXECUTION_TYPE_HASH,
        (*outside_execution.caller).into(),
        *outside_execution.nonce,
        execute_after,
        execute_before,
        poseidon_hash_span(call_hashes.span()),
    );
    let domain = domain_hash(
        OUTSIDE_EXECUTION_DOMAIN_NAME, OUTSIDE_EXECUTION_DOMAIN_VERSION, chain_id,
    );
    message_hash(domain, account, struct_hash)
}

/// What the session key signs for a transaction or outside execution: binds the hash being
/// authorized (transaction hash or outside-execution hash) to the session.
pub fn session_key_message(authorized_hash: felt252, session_hash: felt252) -> felt252 {
    poseidon_2(authorized_hash, session_hash)
}

// `poseidon_hash_span` of a few felts, without building an array: the same sponge (rate 2,
// capacity 1; a final 1 pads an even count, is added to the odd felt's neighbour otherwise).

/// `poseidon_hash_span([a, b])`.
pub fn poseidon_2(a: felt252, b: felt252) -> felt252 {
    let (s0, s1, s2) = hades_permutation(a, b, 0);
    let (hash, _, _) = hades_permutation(s0 + 1, s1, s2);
    hash
}

/// `poseidon_hash_span([a, b, c])`.
pub fn poseidon_3(a: felt252, b: felt252, c: felt252) -> felt252 {
    let (s0, s1, s2) = hades_permutation(a, b, 0);
    let (hash, _, _) = hades_permutation(s0 + c, s1 + 1, s2);
    hash
}

/// `poseidon_hash_span([a, b, c, d])`.
pub fn poseidon_4(a: felt252, b: felt252, c: felt252, d: felt252) -> felt252 {
    let (s0, s1, s2) = hades_permutation(a, b, 0);
    let (s0, s1, s2) = hades_permutation(s0 + c, s1 + d, s2);
    let (hash, _, _) = hades_permutation(s0 + 1, s1, s2);
    hash
}

/// `poseidon_hash_span([a, b, c, d, e])`.
pub fn poseidon_5(a: felt252, b: felt252, c: felt252, d: felt252, e: felt252) -> felt252 {
    let (s0, s1, s2) = hades_permutation(a, b, 0);
    let (s0, s1, s2) = hades_permutation(s0 + c, s1 + d, s2);
    let (hash, _, _) = hades_permutation(s0 + e, s1 + 1, s2);
    hash
}

/// `poseidon_hash_span([a, b, c, d, e, f])`.
pub fn poseidon_6(a: felt252, b: felt252, c: felt252, d: felt252, e: felt252, f: felt252) -> felt252 {
    let (s0, s1, s2) = hades_permutation(a, b, 0);
    let (s0, s1, s2) = hades_permutation(s0 + c, s1 + d, s2);
    let (s0, s1, s2) = hades_permutation(s0 + e, s1 + f, s2);
    let (hash, _, _) = hades_permutation(s0 + 1, s1, s2);
    hash
}

/// The id of a passkey owner (what `get_owner` returns and rotations name):
/// `poseidon('passkey', x.low, x.high, y.low, y.high, rp_id_hash.low, rp_id_hash.high,
/// poseidon(serialized origin))`.
pub fn passkey_id(passkey: @Passkey) -> felt252 {
    let mut origin = array![];
    passkey.origin.serialize(ref origin);
    poseidon_hash_span(
        array![
            'passkey', (*passkey.x).low.into(), (*passkey.x).high.into(), (*passkey.y).low.into(),
            (*passkey.y).high.into(), (*passkey.rp_id_hash).low.into(),
            (*passkey.rp_id_hash).high.into(),
            poseidon_hash_span(origin.span()),
        ]
            .span(),
    )
}

/// What a new owner signs to accept ownership of `account` from `current_owner` (owners by id).
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
