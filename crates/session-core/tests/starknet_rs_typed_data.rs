//! Cross-check: the session hash equals what starknet-rs's own SNIP-12 implementation computes
//! from the equivalent typed-data JSON (what a wallet is asked to sign). starknet-rs differs from
//! starknet.js only for a one-leaf `merkletree`, so the check uses several methods.

use session_core::policy::argument_rules_hash;
use session_core::snip12::short_string;
use session_core::{ArgumentRule, Felt, Policy, SessionBuilder, U256};
use starknet_core::types::TypedData;

#[test]
fn session_hash_matches_starknet_rs_typed_data() {
    let game = Felt::from_hex_unchecked("0x6a3e");
    let token = Felt::from_hex_unchecked("0x70ce");
    let account = Felt::from_hex_unchecked("0x5e5510acc0");
    let session = SessionBuilder::new(Felt::from_hex_unchecked("0xabc"))
        .expires_at(1_800_000_000)
        .epoch(3)
        .allow(game, "increase")
        .allow(token, "transfer")
        .allow_with_rules(
            token,
            "approve",
            vec![ArgumentRule::Equal { index: 0, value: Felt::from(0x5e11u64) }],
        )
        .policy(Policy {
            max_calls: 9,
            spend_limits: [(token, U256::from(77u8).into())].into(),
            ..Policy::default()
        })
        .build()
        .unwrap();
    let methods: Vec<serde_json::Value> = session
        .allowed_methods()
        .iter()
        .map(|m| {
            let rules = format!("{:#x}", argument_rules_hash(&m.rules));
            let m = m.method;
            let name = if m.selector == starknet_core::utils::get_selector_from_name("increase").unwrap() {
                "increase"
            } else if m.selector == starknet_core::utils::get_selector_from_name("transfer").unwrap() {
                "transfer"
            } else {
                "approve"
            };
            serde_json::json!({"Contract Address": format!("{:#x}", m.contract_address), "Selector": name, "Argument Rules": rules})
        })
        .collect();
    let typed_data: TypedData = serde_json::from_value(serde_json::json!({
        "types": {
            "StarknetDomain": [
                {"name": "name", "type": "shortstring"},
                {"name": "version", "type": "shortstring"},
                {"name": "chainId", "type": "shortstring"},
                {"name": "revision", "type": "shortstring"}
            ],
            "Session": [
                {"name": "Session Key", "type": "felt"},
                {"name": "Expires At", "type": "timestamp"},
                {"name": "Allowed Methods", "type": "merkletree", "contains": "Allowed Method"},
                {"name": "Policy", "type": "felt"},
                {"name": "Epoch", "type": "u128"}
            ],
            "Allowed Method": [
                {"name": "Contract Address", "type": "ContractAddress"},
                {"name": "Selector", "type": "selector"},
                {"name": "Argument Rules", "type": "felt"}
            ]
        },
        "primaryType": "Session",
        "domain": {"name": "Session Account", "version": "0x1", "chainId": "SN_SEPOLIA", "revision": "1"},
        "message": {
            "Session Key": "0xabc",
            "Expires At": "1800000000",
            "Allowed Methods": methods,
            "Policy": format!("{:#x}", session.policy_hash()),
            "Epoch": "3"
        }
    }))
    .unwrap();
    assert_eq!(typed_data.message_hash(account).unwrap(), session.hash(short_string("SN_SEPOLIA"), account));
}
