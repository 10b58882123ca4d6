use core::poseidon::poseidon_hash_span;
use starknet::account::Call;
use crate::interfaces::{ArgumentRule, OutsideExecution, Policy};
use crate::snip12::{
    ALLOWED_METHOD_TYPE_HASH, ARGUMENT_RULE_TYPE_HASH, CALL_TYPE_HASH, EMPTY_ARRAY_HASH,
    OUTSIDE_EXECUTION_TYPE_HASH,
    POLICY_TYPE_HASH, SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION, SESSION_TYPE_HASH,
    SPEND_LIMIT_TYPE_HASH, STARKNET_DOMAIN_TYPE_HASH, TOKEN_AMOUNT_TYPE_HASH, U256_TYPE_HASH,
    UNLIMITED_POLICY_HASH, allowed_method_leaf, domain_hash, merkle_pair_hash, next_epoch,
    outside_execution_hash, policy_struct_hash, session_hash, session_struct_hash,
    verify_merkle_proof,
};
use super::common::{ACCOUNT_ADDRESS, call};
use super::vectors;

/// Serialized rules (as the vectors and signatures carry them) as rule structs.
fn rules_of(felts: Span<felt252>) -> Span<ArgumentRule> {
    let mut felts = felts;
    Serde::<Span<ArgumentRule>>::deserialize(ref felts).expect('bad rules')
}

#[test]
fn test_type_hashes_match_rust_and_published_values() {
    assert_eq!(SESSION_TYPE_HASH, vectors::SESSION_TYPE_HASH);
    assert_eq!(POLICY_TYPE_HASH, vectors::POLICY_TYPE_HASH);
    assert_eq!(SPEND_LIMIT_TYPE_HASH, vectors::SPEND_LIMIT_TYPE_HASH);
    assert_eq!(TOKEN_AMOUNT_TYPE_HASH, vectors::TOKEN_AMOUNT_TYPE_HASH);
    assert_eq!(U256_TYPE_HASH, vectors::U256_TYPE_HASH);
    assert_eq!(ALLOWED_METHOD_TYPE_HASH, vectors::ALLOWED_METHOD_TYPE_HASH);
    assert_eq!(ARGUMENT_RULE_TYPE_HASH, vectors::ARGUMENT_RULE_TYPE_HASH);
    assert_eq!(
        STARKNET_DOMAIN_TYPE_HASH, 0x1ff2f602e42168014d405a94f75e8a93d640751d71d16311266e140d8b0a210,
    );
    assert_eq!(
        OUTSIDE_EXECUTION_TYPE_HASH,
        0x312b56c05a7965066ddbda31c016d8d05afc305071c0ca3cdc2192c3c2f1f0f,
    );
    assert_eq!(CALL_TYPE_HASH, 0x3635c7f2a7ba93844c0d064e18e487f35ab90f7c39d00f186a781fc3f0c2ca9);
    assert_eq!(
        domain_hash(SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION, vectors::CHAIN_ID),
        vectors::SESSION_DOMAIN_HASH,
    );
}

#[test]
fn test_session_hashes_match_rust() {
    let account = ACCOUNT_ADDRESS();
    let main = vectors::main_session();
    assert_eq!(session_struct_hash(@main), vectors::MAIN_STRUCT_HASH);
    assert_eq!(session_hash(@main, vectors::CHAIN_ID, account), vectors::MAIN_SESSION_HASH);
    let next = vectors::next_epoch_session();
    assert_eq!(session_hash(@next, vectors::CHAIN_ID, account), vectors::NEXT_EPOCH_SESSION_HASH);
    let single = vectors::single_session();
    assert_eq!(session_hash(@single, vectors::CHAIN_ID, account), vectors::SINGLE_SESSION_HASH);
    let policy = vectors::policy_session();
    assert_eq!(session_hash(@policy, vectors::CHAIN_ID, account), vectors::POLICY_SESSION_HASH);
}

#[test]
fn test_session_hash_binds_chain_and_account() {
    let main = vectors::main_session();
    assert_ne!(session_hash(@main, 'SN_MAIN', ACCOUNT_ADDRESS()), vectors::MAIN_SESSION_HASH);
    assert_ne!(
        session_hash(@main, vectors::CHAIN_ID, 0x1234.try_into().unwrap()), vectors::MAIN_SESSION_HASH,
    );
}

#[test]
fn test_every_leaf_and_proof_matches_rust_and_verifies() {
    let root = vectors::main_session().allowed_methods_root;
    for (contract, selector, rules, leaf, proof) in vectors::main_methods() {
        assert_eq!(allowed_method_leaf(contract.try_into().unwrap(), selector, rules_of(rules)), leaf);
        assert!(verify_merkle_proof(leaf, proof, root));
    }
    let root = vectors::policy_session().allowed_methods_root;
    let mut with_rules = 0;
    for (contract, selector, rules, leaf, proof) in vectors::policy_methods() {
        let rules = rules_of(rules);
        if !rules.is_empty() {
            with_rules += 1;
        }
        assert_eq!(allowed_method_leaf(contract.try_into().unwrap(), selector, rules), leaf);
        assert!(verify_merkle_proof(leaf, proof, root));
    }
    assert_eq!(with_rules, 4);
}

#[test]
fn test_a_leaf_commits_to_its_argument_rules() {
    let root = vectors::policy_session().allowed_methods_root;
    for (contract, selector, rules, leaf, proof) in vectors::policy_methods() {
        if rules.len() > 1 {
            // The same method without its rules is not in the tree.
            let unrestricted = allowed_method_leaf(
                contract.try_into().unwrap(), selector, array![].span(),
            );
            assert_ne!(unrestricted, leaf);
            assert!(!verify_merkle_proof(unrestricted, proof, root));
        }
    }
}

#[test]
fn test_policy_hashes_match_rust() {
    assert_eq!(policy_struct_hash(@vectors::policy()), vectors::POLICY_HASH);
    assert_eq!(vectors::policy_session().policy_hash, vectors::POLICY_HASH);
    assert_eq!(policy_struct_hash(@vectors::two_limits_policy()), vectors::TWO_LIMITS_POLICY_HASH);
    let unlimited = Policy {
        max_fee_per_tx: core::num::traits::Bounded::MAX,
        fee_budget: core::num::traits::Bounded::MAX,
        max_calls: core::num::traits::Bounded::MAX,
        spend_limits: array![].span(),
        valid_after: 0,
        limits_window: 0,
    };
    assert_eq!(policy_struct_hash(@unlimited), UNLIMITED_POLICY_HASH);
    assert_eq!(UNLIMITED_POLICY_HASH, vectors::UNLIMITED_POLICY_HASH);
    assert_eq!(EMPTY_ARRAY_HASH, poseidon_hash_span(array![].span()));
    assert_eq!(EMPTY_ARRAY_HASH, vectors::EMPTY_ARRAY_HASH);
    assert_eq!(vectors::main_session().policy_hash, UNLIMITED_POLICY_HASH);
}

#[test]
fn test_next_epoch_matches_rust_and_depends_on_the_transaction() {
    assert_eq!(next_epoch(0, vectors::TX_HASH, vectors::BLOCK_NUMBER), vectors::NEXT_EPOCH);
    assert_ne!(next_epoch(0, vectors::TX_HASH + 1, vectors::BLOCK_NUMBER), vectors::NEXT_EPOCH);
    assert_ne!(next_epoch(0, vectors::TX_HASH, vectors::BLOCK_NUMBER + 1), vectors::NEXT_EPOCH);
    assert_ne!(next_epoch(1, vectors::TX_HASH, vectors::BLOCK_NUMBER), vectors::NEXT_EPOCH);
}

#[test]
fn test_merkle_proof_rejects_other_leaves_and_tampered_proofs() {
    let root = vectors::main_session().allowed_methods_root;
    let methods = vectors::main_methods();
    let (_, _, _, leaf, proof) = *methods.at(0);
    let (_, _, _, other_leaf, _) = *methods.at(1);
    let burn = allowed_method_leaf(
        vectors::TOKEN.try_into().unwrap(), selector!("burn"), array![].span(),
    );
    assert!(!verify_merkle_proof(burn, proof, root));
    assert!(!verify_merkle_proof(other_leaf, proof, root));
    let mut tampered = array![];
    for sibling in proof {
        tampered.append(*sibling + 1);
    }
    assert!(!verify_merkle_proof(leaf, tampered.span(), root));
    assert!(!verify_merkle_proof(leaf, array![].span(), root));
}

#[test]
fn test_single_leaf_is_its_own_root() {
    let single = vectors::single_session();
    let (_, _, _, leaf, proof) = *vectors::single_methods().at(0);
    assert_eq!(single.allowed_methods_root, leaf);
    assert_eq!(SpanTrait::len(proof), 0);
    assert!(verify_merkle_proof(leaf, proof, single.allowed_methods_root));
}

#[test]
fn test_merkle_pair_hash_is_sorted_hades_not_poseidon_span() {
    assert_eq!(merkle_pair_hash(7, 3), merkle_pair_hash(3, 7));
    let (expected, _, _) = core::poseidon::hades_permutation(3, 7, 2);
    assert_eq!(merkle_pair_hash(7, 3), expected);
    assert_ne!(merkle_pair_hash(3, 7), poseidon_hash_span(array![3, 7].span()));
}

fn outside_execution(calls: Span<Call>) -> OutsideExecution {
    OutsideExecution {
        caller: 'ANY_CALLER'.try_into().unwrap(),
        nonce: vectors::OE_NONCE,
        execute_after: vectors::NOW - 100,
        execute_before: vectors::NOW + 100,
        calls,
    }
}

#[test]
fn test_outside_execution_hashes_match_rust() {
    let account = ACCOUNT_ADDRESS();
    let empty = outside_execution(array![].span());
    assert_eq!(outside_execution_hash(@empty, vectors::CHAIN_ID, account), vectors::OE_EMPTY_HASH);
    let self_call = outside_execution(
        array![call(vectors::ACCOUNT, selector!("revoke_all_sessions"))].span(),
    );
    assert_eq!(
        outside_execution_hash(@self_call, vectors::CHAIN_ID, account), vectors::OE_SELF_CALL_HASH,
    );
}

#[test]
fn test_outside_execution_hash_matches_snip9_worked_example() {
    let execution = OutsideExecution {
        caller: 'ANY_CALLER'.try_into().unwrap(),
        nonce: 1,
        execute_after: 0,
        execute_before: 0xffffffff,
        calls: array![
            Call {
                to: 0x123.try_into().unwrap(),
                selector: selector!("transfer"),
                calldata: array![1, 2, 3].span(),
            },
        ]
            .span(),
    };
    assert_eq!(
        outside_execution_hash(@execution, 'SN_SEPOLIA', 0x1234.try_into().unwrap()),
        0x1de3c167e7a4b25d0e625ebe9fab82fd8012a1543bb8790ff3e6d8490b8b4ec,
    );
}
