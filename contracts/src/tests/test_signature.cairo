use crate::interfaces::ArgumentRule;
use crate::signature::{
    AccountSignature, SESSION_MAGIC, StarkSignature, is_valid_stark_signature, parse_signature,
};
use crate::policy::RULE_AT_MOST_U256;
use crate::snip12::{UNLIMITED_POLICY_HASH, policy_struct_hash};
use super::common::{first_proof_length_index, with_felt};
use super::vectors;

#[test]
fn test_parse_owner_signature() {
    match parse_signature(array![1, 2].span()) {
        AccountSignature::Owner(signature) => assert_eq!(signature, StarkSignature { r: 1, s: 2 }),
        AccountSignature::Session(_) => panic!("parsed as a session signature"),
    }
}

#[test]
fn test_parse_rust_encoded_session_signatures() {
    match parse_signature(vectors::sig_main_full_two_calls().span()) {
        AccountSignature::Session(parsed) => {
            assert_eq!(parsed.session, vectors::main_session());
            let (r, s) = vectors::MAIN_AUTHORIZATION;
            assert_eq!(parsed.owner_authorization, Some(StarkSignature { r, s }));
            assert_eq!(parsed.permissions.len(), 2);
            assert!(parsed.policy.is_none());
        },
        AccountSignature::Owner(_) => panic!("parsed as an owner signature"),
    }
    match parse_signature(vectors::sig_main_cached_increase().span()) {
        AccountSignature::Session(parsed) => {
            assert!(parsed.owner_authorization.is_none());
            assert_eq!(parsed.permissions.len(), 1);
        },
        AccountSignature::Owner(_) => panic!("parsed as an owner signature"),
    }
}

#[test]
fn test_parse_policy_and_argument_rules() {
    match parse_signature(vectors::sig_policy_cached_rules().span()) {
        AccountSignature::Session(parsed) => {
            let policy = parsed.policy.expect('no policy');
            assert_eq!(policy, vectors::policy());
            assert_eq!(policy_struct_hash(@policy), vectors::POLICY_HASH);
            assert_eq!(parsed.permissions.len(), 4);
            let transfer_from = *parsed.permissions.at(3);
            let at_most = ArgumentRule {
                kind: RULE_AT_MOST_U256, index: 2, values: array![].span(), bound: 500,
            };
            assert_eq!(transfer_from.rules, array![at_most].span());
        },
        AccountSignature::Owner(_) => panic!("parsed as an owner signature"),
    }
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_argument_rule_values_past_the_end() {
    // The first call: proof length, proof, rule count 1, kind, index, then the values' length.
    let signature = vectors::sig_policy_cached_rules();
    let start = first_proof_length_index();
    let proof_length: u32 = (*signature.at(start)).try_into().unwrap();
    parse_signature(with_felt(signature, start + proof_length + 4, 1000).span());
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_policy_missing_for_a_policy_session() {
    // Policy hash other than the unlimited policy's on a session signature that carries no policy.
    parse_signature(with_felt(vectors::sig_main_cached_increase(), 4, 1).span());
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_empty_signature() {
    parse_signature(array![].span());
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_unknown_marker() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 0, 'session-v1').span());
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_single_felt() {
    parse_signature(array![5].span());
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_truncated_session() {
    parse_signature(array![SESSION_MAGIC, 1, 2, 3].span());
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_truncated_proof() {
    let full = vectors::sig_main_full_increase();
    parse_signature(full.span().slice(0, full.len() - 1));
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_trailing_felts() {
    let mut signature = vectors::sig_main_full_increase();
    signature.append(0);
    parse_signature(signature.span());
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_expiry_out_of_range() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 2, 0x10000000000000000).span());
}

#[test]
#[should_panic(expected: 'Session: bad auth length')]
fn test_parse_bad_authorization_length() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 6, 1).span());
}

#[test]
#[should_panic(expected: 'Session: too many calls')]
fn test_parse_too_many_proofs() {
    // [magic, 5 session felts (no policy to carry), 0 (cached), r, s, n_proofs]
    parse_signature(array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 1, 2, 33].span());
}

#[test]
#[should_panic(expected: 'Session: proof too long')]
fn test_parse_proof_too_long() {
    parse_signature(array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 1, 2, 1, 17].span());
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_huge_length_does_not_overflow() {
    parse_signature(array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 1, 2, 0x100000000].span());
}

#[test]
fn test_stark_signature_range_checks() {
    let (r, s) = vectors::OWNER_TX_SIGNATURE;
    let key = vectors::OWNER_PUBLIC_KEY;
    assert!(is_valid_stark_signature(vectors::TX_HASH, key, StarkSignature { r, s }));
    assert!(!is_valid_stark_signature(vectors::TX_HASH + 1, key, StarkSignature { r, s }));
    assert!(!is_valid_stark_signature(vectors::TX_HASH, key, StarkSignature { r: 0, s }));
    assert!(!is_valid_stark_signature(vectors::TX_HASH, key, StarkSignature { r, s: 0 }));
    let order = core::ec::stark_curve::ORDER;
    assert!(!is_valid_stark_signature(vectors::TX_HASH, key, StarkSignature { r, s: order }));
}
