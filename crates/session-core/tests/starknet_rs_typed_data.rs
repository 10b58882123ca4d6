//! Cross-check: the session hash equals what starknet-rs's own SNIP-12 implementation computes
//! from the session's typed data (what a wallet is asked to sign), limits and argument rules
//! included. starknet-rs differs from starknet.js for a one-leaf `merkletree` and for a `selector`
//! given in hex, so the check uses several methods, all named (`scripts/check-starknet-js.sh` checks starknet.js itself, on the vectors).

use std::collections::BTreeMap;

use session_core::snip12::short_string;
use session_core::{ArgumentRule, Felt, Policy, SessionBuilder, SpendLimit, U256};
use starknet_core::types::TypedData;
use starknet_core::utils::get_selector_from_name;

#[test]
fn session_hash_matches_starknet_rs_typed_data() {
    let game = Felt::from_hex_unchecked("0x6a3e");
    let token = Felt::from_hex_unchecked("0x70ce");
    let account = Felt::from_hex_unchecked("0x5e5510acc0");
    let session = SessionBuilder::new(Felt::from_hex_unchecked("0xabc"))
        .expires_at(1_800_000_000)
        .epoch(Felt::from_hex_unchecked("0x3e9c"))
        .allow(game, "increase")
        .allow(token, "transfer")
        .allow_with_rules(
            token,
            "approve",
            vec![ArgumentRule::Equal { index: 0, value: Felt::from(0x5e11u64) }],
        )
        .allow_with_rules(
            game,
            "reset",
            vec![
                ArgumentRule::OneOf { index: 0, values: vec![Felt::ONE, Felt::TWO] },
                ArgumentRule::AtMost { index: 1, bound: Felt::from(9u8) },
                ArgumentRule::AtMostU256 { index: 2, bound: U256::from_words(5, 7) },
            ],
        )
        .policy(Policy {
            max_calls: Some(9),
            fee_budget: Some(10_000),
            spend_limits: vec![
                SpendLimit::lifetime(token, U256::from(77u8)),
                SpendLimit::per_window(token, U256::from(7u8), 86_400),
            ],
            ..Policy::default()
        })
        .build()
        .unwrap();
    // Every entrypoint named: starknet-rs hashes a hex `selector` value as if it were a name, where
    // starknet.js (and wallets) take it as the selector itself.
    let names: BTreeMap<Felt, String> = ["increase", "transfer", "approve", "reset"]
        .into_iter()
        .map(|name| (get_selector_from_name(name).unwrap(), name.to_owned()))
        .collect();
    let typed_data: TypedData =
        serde_json::from_value(session.typed_data(short_string("SN_SEPOLIA"), &names)).unwrap();
    assert_eq!(typed_data.message_hash(account).unwrap(), session.hash(short_string("SN_SEPOLIA"), account));
}
