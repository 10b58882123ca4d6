//! SNIP-12 revision 1 hashing, byte for byte as starknet.js (and the contract) computes it.

use starknet_core::types::{Call, Felt, U256};
use starknet_core::utils::starknet_keccak;
use starknet_crypto::{poseidon_hash, poseidon_hash_many};

/// The revision 1 domain type.
pub const STARKNET_DOMAIN_TYPE: &str = r#""StarknetDomain"("name":"shortstring","version":"shortstring","chainId":"shortstring","revision":"shortstring")"#;
/// SNIP-12's preset `u256` type.
pub const U256_TYPE: &str = r#""u256"("low":"u128","high":"u128")"#;
/// SNIP-12's preset `TokenAmount` type (wallets show it as an amount of a token).
pub const TOKEN_AMOUNT_TYPE: &str = r#""TokenAmount"("token_address":"ContractAddress","amount":"u256")"#;
/// One spend limit of a policy.
pub const SPEND_LIMIT_TYPE: &str = r#""Spend Limit"("Token Amount":"TokenAmount","Window Seconds":"u128")"#;
/// A session's limits.
pub const POLICY_TYPE: &str = r#""Policy"("Max Fee Per Transaction":"u128","Fee Budget":"u128","Max Calls":"u128","Spend Limits":"Spend Limit*","Valid After":"timestamp","Calls And Fees Window":"u128")"#;
/// The session type itself (a `merkletree` field's leaf type is not referenced).
pub const SESSION_TYPE: &str = r#""Session"("Session Key":"felt","Expires At":"timestamp","Allowed Methods":"merkletree","Policy":"Policy","Epoch":"felt","Allowed Messages":"Allowed Message*")"#;
/// An off-chain message kind a session may sign (`Session.Allowed Messages`).
pub const ALLOWED_MESSAGE_TYPE: &str = r#""Allowed Message"("Domain Hash":"felt","Type Hash":"felt")"#;
/// The allowed-method leaf type.
pub const ALLOWED_METHOD_TYPE: &str = r#""Allowed Method"("Contract Address":"ContractAddress","Selector":"selector","Argument Rules":"Argument Rule*")"#;
/// One argument rule of an allowed method.
pub const ARGUMENT_RULE_TYPE: &str =
    r#""Argument Rule"("Kind":"shortstring","Argument Index":"u128","Values":"felt*","Bound":"u256")"#;
/// The SNIP-9 v2 outside execution type, with its `Call` type appended.
pub const OUTSIDE_EXECUTION_TYPE: &str = r#""OutsideExecution"("Caller":"ContractAddress","Nonce":"felt","Execute After":"u128","Execute Before":"u128","Calls":"Call*")"Call"("To":"ContractAddress","Selector":"selector","Calldata":"felt*")"#;
/// The SNIP-9 `Call` type.
pub const CALL_TYPE: &str = r#""Call"("To":"ContractAddress","Selector":"selector","Calldata":"felt*")"#;

/// Domain name of session authorizations (`'Session Account'`).
pub const SESSION_DOMAIN_NAME: &str = "Session Account";
/// Domain version of session authorizations (the integer 1).
pub const SESSION_DOMAIN_VERSION: Felt = Felt::ONE;
/// Domain name of SNIP-9 outside executions.
pub const OUTSIDE_EXECUTION_DOMAIN_NAME: &str = "Account.execute_from_outside";
/// Domain version of SNIP-9 version 2 (the integer 2).
pub const OUTSIDE_EXECUTION_DOMAIN_VERSION: Felt = Felt::TWO;
/// The `'StarkNet Message'` prefix of every message hash.
const STARKNET_MESSAGE: &str = "StarkNet Message";
/// `'ANY_CALLER'`: an outside execution anyone may submit.
pub const ANY_CALLER: &str = "ANY_CALLER";

/// What a session key signs to sign the off-chain message `message_hash` for `session_hash`:
/// `poseidon('session message', message_hash, session_hash)` (never a transaction's digest).
pub fn session_message_digest(message_hash: Felt, session_hash: Felt) -> Felt {
    starknet_crypto::poseidon_hash_many(&[short_string("session message"), message_hash, session_hash])
}

/// `starknet_keccak` of an encoded type string (the type followed by every type it references,
/// in name order, as `encode_type` writes it).
pub fn type_hash(encoded_type: &str) -> Felt {
    starknet_keccak(encoded_type.as_bytes())
}

/// The encoded type of one of the session protocol's types: the type followed by the types it
/// references, sorted by name (byte order, as starknet.js sorts them).
pub fn encoded_type(primary: &str) -> String {
    let references: &[&str] = match primary {
        SESSION_TYPE => &[ALLOWED_MESSAGE_TYPE, POLICY_TYPE, SPEND_LIMIT_TYPE, TOKEN_AMOUNT_TYPE, U256_TYPE],
        POLICY_TYPE => &[SPEND_LIMIT_TYPE, TOKEN_AMOUNT_TYPE, U256_TYPE],
        SPEND_LIMIT_TYPE => &[TOKEN_AMOUNT_TYPE, U256_TYPE],
        TOKEN_AMOUNT_TYPE => &[U256_TYPE],
        ALLOWED_METHOD_TYPE => &[ARGUMENT_RULE_TYPE, U256_TYPE],
        ARGUMENT_RULE_TYPE => &[U256_TYPE],
        _ => &[],
    };
    let mut encoded = primary.to_owned();
    references.iter().for_each(|reference| encoded.push_str(reference));
    encoded
}

/// `starknet_keccak` of one of the session protocol's types, with its references (computed once
/// per type: signing hashes them for every call).
pub fn protocol_type_hash(primary: &str) -> Felt {
    static HASHES: std::sync::OnceLock<Vec<(&'static str, Felt)>> = std::sync::OnceLock::new();
    let hashes = HASHES.get_or_init(|| {
        [
            SESSION_TYPE,
            POLICY_TYPE,
            SPEND_LIMIT_TYPE,
            TOKEN_AMOUNT_TYPE,
            U256_TYPE,
            ALLOWED_METHOD_TYPE,
            ARGUMENT_RULE_TYPE,
        ]
        .map(|primary| (primary, type_hash(&encoded_type(primary))))
        .to_vec()
    });
    hashes
        .iter()
        .find_map(|(known, hash)| (*known == primary).then_some(*hash))
        .unwrap_or_else(|| type_hash(&encoded_type(primary)))
}

/// Struct hash of SNIP-12's preset `u256`.
pub fn u256_struct_hash(value: U256) -> Felt {
    poseidon_hash_many(&[protocol_type_hash(U256_TYPE), value.low().into(), value.high().into()])
}

/// Struct hash of SNIP-12's preset `TokenAmount`.
pub fn token_amount_struct_hash(token: Felt, amount: U256) -> Felt {
    poseidon_hash_many(&[protocol_type_hash(TOKEN_AMOUNT_TYPE), token, u256_struct_hash(amount)])
}

/// The session epoch that follows `previous` after a revoke-all or owner rotation in transaction
/// `transaction_hash` of block `block_number` (as the contract derives it).
pub fn next_epoch(previous: Felt, transaction_hash: Felt, block_number: u64) -> Felt {
    poseidon_hash_many(&[short_string("session epoch"), previous, transaction_hash, block_number.into()])
}

/// A short string (≤ 31 ASCII bytes) as a felt. Panics on longer input: only used on constants.
pub fn short_string(text: &str) -> Felt {
    assert!(text.len() <= 31 && text.is_ascii(), "not a short string: {text:?}");
    Felt::from_bytes_be_slice(text.as_bytes())
}

/// The revision 1 domain hash.
pub fn domain_hash(name: Felt, version: Felt, chain_id: Felt) -> Felt {
    poseidon_hash_many(&[type_hash(STARKNET_DOMAIN_TYPE), name, version, chain_id, Felt::ONE])
}

/// The message hash a signer signs for `account` under a domain.
pub fn message_hash(domain_hash: Felt, account: Felt, struct_hash: Felt) -> Felt {
    poseidon_hash_many(&[short_string(STARKNET_MESSAGE), domain_hash, account, struct_hash])
}

/// The domain hash of session authorizations on `chain_id`.
pub fn session_domain_hash(chain_id: Felt) -> Felt {
    domain_hash(short_string(SESSION_DOMAIN_NAME), SESSION_DOMAIN_VERSION, chain_id)
}

/// The `merkletree` leaf of an allowed method whose argument rules have these struct hashes
/// (none: any arguments; see [`crate::ArgumentRule::struct_hash`]).
pub fn allowed_method_leaf(contract_address: Felt, selector: Felt, rule_hashes: &[Felt]) -> Felt {
    poseidon_hash_many(&[
        protocol_type_hash(ALLOWED_METHOD_TYPE),
        contract_address,
        selector,
        poseidon_hash_many(rule_hashes),
    ])
}

/// Hash of a `merkletree` node's children: `poseidon_hash(min, max)` (Hades, capacity 2).
pub fn merkle_pair_hash(a: Felt, b: Felt) -> Felt {
    if a < b {
        poseidon_hash(a, b)
    } else {
        poseidon_hash(b, a)
    }
}

/// What a session key signs: binds a transaction (or outside-execution) hash to the session.
pub fn session_key_message(authorized_hash: Felt, session_hash: Felt) -> Felt {
    poseidon_hash_many(&[authorized_hash, session_hash])
}

/// What a new owner key signs to accept ownership of `account` from `current_owner`.
pub fn owner_rotation_hash(chain_id: Felt, account: Felt, current_owner: Felt, new_owner: Felt) -> Felt {
    poseidon_hash_many(&[short_string("accept_ownership"), chain_id, account, current_owner, new_owner])
}

/// `calls` as Cairo serializes an `Array<Call>` (also the `__execute__` calldata).
pub fn serialize_calls(calls: &[Call]) -> Vec<Felt> {
    let mut felts = vec![Felt::from(calls.len())];
    for call in calls {
        felts.extend([call.to, call.selector, Felt::from(call.calldata.len())]);
        felts.extend(&call.calldata);
    }
    felts
}

/// A SNIP-9 version 2 outside execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutsideExecution {
    /// Who may submit it (`short_string(ANY_CALLER)` for anyone).
    pub caller: Felt,
    /// A nonce, usable once.
    pub nonce: Felt,
    /// The block time must be strictly after this.
    pub execute_after: u64,
    /// The block time must be strictly before this.
    pub execute_before: u64,
    /// The calls to run.
    pub calls: Vec<Call>,
}

impl OutsideExecution {
    /// The SNIP-9 v2 message hash of this outside execution for `account` on `chain_id`.
    pub fn message_hash(&self, chain_id: Felt, account: Felt) -> Felt {
        let call_type = type_hash(CALL_TYPE);
        let call_hashes: Vec<Felt> = self
            .calls
            .iter()
            .map(|call| {
                poseidon_hash_many(&[call_type, call.to, call.selector, poseidon_hash_many(&call.calldata)])
            })
            .collect();
        let struct_hash = poseidon_hash_many(&[
            type_hash(OUTSIDE_EXECUTION_TYPE),
            self.caller,
            self.nonce,
            self.execute_after.into(),
            self.execute_before.into(),
            poseidon_hash_many(&call_hashes),
        ]);
        let domain = domain_hash(
            short_string(OUTSIDE_EXECUTION_DOMAIN_NAME),
            OUTSIDE_EXECUTION_DOMAIN_VERSION,
            chain_id,
        );
        message_hash(domain, account, struct_hash)
    }

    /// The calldata of `execute_from_outside_v2` for this execution and `signature`.
    pub fn calldata(&self, signature: &[Felt]) -> Vec<Felt> {
        let mut calldata =
            vec![self.caller, self.nonce, self.execute_after.into(), self.execute_before.into()];
        calldata.extend(serialize_calls(&self.calls));
        calldata.push(Felt::from(signature.len()));
        calldata.extend(signature);
        calldata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_hashes_match_the_published_values() {
        assert_eq!(
            type_hash(STARKNET_DOMAIN_TYPE),
            Felt::from_hex_unchecked("0x1ff2f602e42168014d405a94f75e8a93d640751d71d16311266e140d8b0a210")
        );
        assert_eq!(
            type_hash(OUTSIDE_EXECUTION_TYPE),
            Felt::from_hex_unchecked("0x312b56c05a7965066ddbda31c016d8d05afc305071c0ca3cdc2192c3c2f1f0f")
        );
        assert_eq!(
            type_hash(CALL_TYPE),
            Felt::from_hex_unchecked("0x3635c7f2a7ba93844c0d064e18e487f35ab90f7c39d00f186a781fc3f0c2ca9")
        );
    }

    #[test]
    fn outside_execution_hash_matches_the_snip9_worked_example() {
        let execution = OutsideExecution {
            caller: short_string(ANY_CALLER),
            nonce: Felt::ONE,
            execute_after: 0,
            execute_before: 0xffffffff,
            calls: vec![Call {
                to: Felt::from(0x123u64),
                selector: starknet_core::utils::get_selector_from_name("transfer").unwrap(),
                calldata: vec![Felt::ONE, Felt::TWO, Felt::THREE],
            }],
        };
        let sepolia = short_string("SN_SEPOLIA");
        assert_eq!(
            execution.message_hash(sepolia, Felt::from(0x1234u64)),
            Felt::from_hex_unchecked("0x1de3c167e7a4b25d0e625ebe9fab82fd8012a1543bb8790ff3e6d8490b8b4ec")
        );
    }

    #[test]
    fn outside_execution_calldata_is_the_cairo_serialization() {
        let execution = OutsideExecution {
            caller: Felt::ONE,
            nonce: Felt::TWO,
            execute_after: 3,
            execute_before: 4,
            calls: vec![Call {
                to: Felt::from(5u64),
                selector: Felt::from(6u64),
                calldata: vec![Felt::from(7u64)],
            }],
        };
        let expected: Vec<Felt> =
            [1u64, 2, 3, 4, 1, 5, 6, 1, 7, 2, 8, 9].into_iter().map(Felt::from).collect();
        assert_eq!(execution.calldata(&[Felt::from(8u64), Felt::from(9u64)]), expected);
    }

    #[test]
    fn merkle_pair_hash_is_hades_of_the_sorted_pair_not_poseidon_many() {
        let (a, b) = (Felt::from(7u64), Felt::from(3u64));
        assert_eq!(merkle_pair_hash(a, b), poseidon_hash(b, a));
        assert_eq!(merkle_pair_hash(a, b), merkle_pair_hash(b, a));
        assert_ne!(merkle_pair_hash(a, b), poseidon_hash_many(&[b, a]));
    }
}
