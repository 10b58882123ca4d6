use crate::interfaces::ArgumentRule;
use crate::policy::RULE_AT_MOST_U256;
use crate::signature::{
    AccountSignature, HAS_RULES, OwnerSignature, REMEMBER_LEAF, SESSION_MAGIC, SESSION_REF_MAGIC,
    StarkSignature,
    is_valid_stark_signature, parse_signature,
};
use crate::snip12::{UNLIMITED_POLICY_HASH, policy_struct_hash};
use super::common::{first_entry_index, with_felt};
use super::vectors;

#[test]
fn test_parse_owner_signature() {
    match parse_signature(array![1, 2].span(), 1) {
        AccountSignature::Owner(signature) => assert_eq!(
            signature, OwnerSignature::Stark(StarkSignature { r: 1, s: 2 }),
        ),
        _ => panic!("not parsed as an owner signature"),
    }
}

#[test]
fn test_parse_rust_encoded_session_signatures() {
    match parse_signature(vectors::sig_main_full_two_calls().span(), 2) {
        AccountSignature::Session(parsed) => {
            assert_eq!(parsed.session, vectors::main_session());
            let (r, s) = vectors::MAIN_AUTHORIZATION;
            assert_eq!(parsed.owner_authorization, Some(OwnerSignature::Stark(StarkSignature { r, s })));
            assert_eq!(parsed.permissions.len(), 2);
            assert!(parsed.policy.is_none());
        },
        _ => panic!("not parsed as a full session signature"),
    }
    match parse_signature(vectors::sig_main_cached_increase().span(), 1) {
        AccountSignature::Session(parsed) => {
            assert!(parsed.owner_authorization.is_none());
            assert_eq!(parsed.permissions.len(), 1);
        },
        _ => panic!("not parsed as a full session signature"),
    }
}

#[test]
fn test_parse_short_reference() {
    let signature = vectors::sig_single_ref_increase();
    assert_eq!(signature.len(), 6);
    match parse_signature(signature.span(), 1) {
        AccountSignature::SessionRef(parsed) => {
            assert_eq!(parsed.session_hash, vectors::SINGLE_SESSION_HASH);
            assert_eq!(parsed.terms, vectors::SINGLE_TERMS);
            assert_eq!(parsed.session_key, vectors::SESSION_PUBLIC_KEY);
            assert!(parsed.root.is_none());
            assert!(parsed.permissions.is_none());
        },
        _ => panic!("not parsed as a reference"),
    }
}

#[test]
fn test_parse_long_reference_with_remember_flags() {
    match parse_signature(vectors::sig_main_ref_increase_remember().span(), 1) {
        AccountSignature::SessionRef(parsed) => {
            assert_eq!(parsed.root, Some(vectors::main_session().allowed_methods_root));
            let permissions = parsed.permissions.expect('no entries');
            assert_eq!(permissions.len(), 1);
            let permission = *permissions.at(0);
            assert!(permission.remember);
            assert!(!permission.proof.is_empty());
        },
        _ => panic!("not parsed as a reference"),
    }
    // A remembered leaf without rules: the root and no entries (7 felts).
    let remembered = vectors::sig_main_ref_increase_remembered();
    assert_eq!(remembered.len(), 7);
    match parse_signature(remembered.span(), 1) {
        AccountSignature::SessionRef(parsed) => {
            assert_eq!(parsed.root, Some(vectors::main_session().allowed_methods_root));
            assert!(parsed.permissions.is_none());
        },
        _ => panic!("not parsed as a reference"),
    }
}

#[test]
fn test_parse_policy_and_argument_rules() {
    match parse_signature(vectors::sig_policy_cached_rules().span(), 4) {
        AccountSignature::Session(parsed) => {
            let policy = parsed.policy.expect('no policy').unbox();
            assert_eq!(policy, vectors::policy());
            assert_eq!(policy_struct_hash(@policy), vectors::POLICY_HASH);
            assert_eq!(parsed.permissions.len(), 4);
            let transfer_from = *parsed.permissions.at(3);
            let at_most = ArgumentRule {
                kind: RULE_AT_MOST_U256, index: 2, values: array![].span(), bound: 500,
            };
            assert_eq!(transfer_from.rules, array![at_most].span());
        },
        _ => panic!("not parsed as a full session signature"),
    }
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_argument_rule_values_past_the_end() {
    // The first call: header, proof, rule count 1, kind, index, then the values' length.
    let signature = vectors::sig_policy_cached_rules();
    let start = first_entry_index();
    let header: u32 = (*signature.at(start)).try_into().unwrap();
    assert!((header & HAS_RULES) != 0, "the first call has rules");
    parse_signature(with_felt(signature, start + header % REMEMBER_LEAF + 4, 1000).span(), 4);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_rules_flag_without_rules() {
    let signature = vectors::sig_policy_cached_rules();
    let start = first_entry_index();
    let header: u32 = (*signature.at(start)).try_into().unwrap();
    // The rule count: zero rules behind the flag that announces them.
    parse_signature(with_felt(signature, start + header % REMEMBER_LEAF + 1, 0).span(), 4);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_unknown_entry_flag() {
    let signature = vectors::sig_main_ref_increase();
    // [magic, hash, terms, key, r, s, root, header, …]
    let header = *signature.at(7);
    parse_signature(with_felt(signature, 7, header + 0x400).span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_policy_missing_for_a_policy_session() {
    // Policy hash other than the unlimited policy's on a session signature that carries no policy.
    parse_signature(with_felt(vectors::sig_main_cached_increase(), 4, 1).span(), 1);
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_empty_signature() {
    parse_signature(array![].span(), 1);
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_unknown_marker() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 0, 'session-v1').span(), 1);
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_previous_protocol_reference_marker() {
    parse_signature(with_felt(vectors::sig_single_ref_increase(), 0, 'session-v2-ref').span(), 1);
}

#[test]
#[should_panic(expected: 'Account: bad signature format')]
fn test_parse_single_felt() {
    parse_signature(array![5].span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_truncated_session() {
    parse_signature(array![SESSION_MAGIC, 1, 2, 3].span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_truncated_reference() {
    parse_signature(array![SESSION_REF_MAGIC, 1, 2, 3, 4].span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_reference_with_fewer_entries_than_calls() {
    parse_signature(vectors::sig_main_ref_increase().span(), 2);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_truncated_proof() {
    let full = vectors::sig_main_full_increase();
    parse_signature(full.span().slice(0, full.len() - 1), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_trailing_felts() {
    let mut signature = vectors::sig_main_full_increase();
    signature.append(0);
    parse_signature(signature.span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_more_entries_than_calls() {
    // Two entries for one call: the second is trailing.
    parse_signature(vectors::sig_main_full_two_calls().span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_fewer_entries_than_calls() {
    parse_signature(vectors::sig_main_full_increase().span(), 2);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_expiry_out_of_range() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 2, 0x10000000000000000).span(), 1);
}

#[test]
#[should_panic(expected: 'Session: bad authorization')]
fn test_parse_bad_authorization_length() {
    parse_signature(with_felt(vectors::sig_main_full_increase(), 7, 1).span(), 1);
}

#[test]
#[should_panic(expected: 'Session: too many calls')]
fn test_parse_too_many_calls() {
    // [magic, 6 session felts (no policy to carry), 0 (cached), r, s]
    parse_signature(array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 0, 1, 2].span(), 33);
}

#[test]
#[should_panic(expected: 'Session: proof too long')]
fn test_parse_proof_too_long() {
    parse_signature(array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 0, 1, 2, 17].span(), 1);
}

#[test]
#[should_panic(expected: 'Session: malformed signature')]
fn test_parse_huge_header_does_not_overflow() {
    parse_signature(
        array![SESSION_MAGIC, 1, 2, 3, UNLIMITED_POLICY_HASH, 0, 0, 0, 1, 2, 0x100000000].span(), 1,
    );
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
