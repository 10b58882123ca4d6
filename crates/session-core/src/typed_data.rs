//! A session as SNIP-12 typed data: the JSON a dapp hands to a wallet (`account.signMessage` in
//! starknet.js), which the wallet displays field by field — key, expiry, every allowed method
//! with its argument rules, every limit — and whose message hash is [`Session::hash`].

use std::collections::BTreeMap;

use serde_json::{json, Value};
use starknet_core::types::{Felt, U256};

use crate::policy::{ArgumentRule, Policy, SpendLimit};
use crate::session::Session;
use crate::snip12::{SESSION_DOMAIN_NAME, SESSION_DOMAIN_VERSION};

pub(crate) fn hex(felt: Felt) -> Value {
    Value::String(format!("{felt:#x}"))
}

fn decimal(value: impl ToString) -> Value {
    Value::String(value.to_string())
}

fn u256(value: U256) -> Value {
    json!({ "low": decimal(value.low()), "high": decimal(value.high()) })
}

/// SNIP-12 revision 1's `StarknetDomain` type as typed-data JSON declares it.
pub(crate) fn starknet_domain_type() -> Value {
    json!([
        { "name": "name", "type": "shortstring" },
        { "name": "version", "type": "shortstring" },
        { "name": "chainId", "type": "shortstring" },
        { "name": "revision", "type": "shortstring" }
    ])
}

/// A chain id as a typed-data domain writes it: the short string (`SN_SEPOLIA`).
pub(crate) fn chain_id_text(chain_id: Felt) -> String {
    String::from_utf8_lossy(&chain_id.to_bytes_be()).trim_start_matches('\0').to_owned()
}

/// The protocol's SNIP-12 types as typed-data JSON declares them (the presets `u256` and
/// `TokenAmount` are implied by SNIP-12 revision 1 and must not be declared).
pub fn session_types() -> Value {
    json!({
        "StarknetDomain": starknet_domain_type(),
        "Session": [
            { "name": "Session Key", "type": "felt" },
            { "name": "Expires At", "type": "timestamp" },
            { "name": "Allowed Methods", "type": "merkletree", "contains": "Allowed Method" },
            { "name": "Policy", "type": "Policy" },
            { "name": "Epoch", "type": "felt" },
            { "name": "Allowed Messages", "type": "Allowed Message*" }
        ],
        "Allowed Message": [
            { "name": "Domain Hash", "type": "felt" },
            { "name": "Type Hash", "type": "felt" }
        ],
        "Allowed Method": [
            { "name": "Contract Address", "type": "ContractAddress" },
            { "name": "Selector", "type": "selector" },
            { "name": "Argument Rules", "type": "Argument Rule*" }
        ],
        "Argument Rule": [
            { "name": "Kind", "type": "shortstring" },
            { "name": "Argument Index", "type": "u128" },
            { "name": "Values", "type": "felt*" },
            { "name": "Bound", "type": "u256" }
        ],
        "Policy": [
            { "name": "Max Fee Per Transaction", "type": "u128" },
            { "name": "Fee Budget", "type": "u128" },
            { "name": "Max Calls", "type": "u128" },
            { "name": "Spend Limits", "type": "Spend Limit*" },
            { "name": "Valid After", "type": "timestamp" },
            { "name": "Calls And Fees Window", "type": "u128" }
        ],
        "Spend Limit": [
            { "name": "Token Amount", "type": "TokenAmount" },
            { "name": "Window Seconds", "type": "u128" }
        ]
    })
}

impl ArgumentRule {
    /// The rule as a typed-data `Argument Rule` value.
    pub fn typed_data_value(&self) -> Value {
        let (values, bound) = self.values_and_bound();
        json!({
            "Kind": self.kind(),
            "Argument Index": decimal(self.index()),
            "Values": values.into_iter().map(hex).collect::<Vec<_>>(),
            "Bound": u256(bound),
        })
    }
}

impl SpendLimit {
    /// The limit as a typed-data `Spend Limit` value.
    pub fn typed_data_value(&self) -> Value {
        json!({
            "Token Amount": { "token_address": hex(self.token), "amount": u256(self.amount) },
            "Window Seconds": decimal(self.period),
        })
    }
}

impl Policy {
    /// The policy as a typed-data `Policy` value (no limit: the type's maximum).
    pub fn typed_data_value(&self) -> Value {
        json!({
            "Max Fee Per Transaction": decimal(self.max_fee_per_tx.unwrap_or(u128::MAX)),
            "Fee Budget": decimal(self.fee_budget.unwrap_or(u128::MAX)),
            "Max Calls": decimal(self.max_calls.unwrap_or(u64::MAX)),
            "Spend Limits": self.spend_limits.iter().map(SpendLimit::typed_data_value).collect::<Vec<_>>(),
            "Valid After": decimal(self.valid_after),
            "Calls And Fees Window": decimal(self.limits_window),
        })
    }
}

impl Session {
    /// The session as SNIP-12 revision 1 typed data for `chain_id` (a short string such as
    /// `SN_SEPOLIA`, as a felt): what the owner's wallet displays and signs. Its message hash for
    /// the account is [`Session::hash`]. `entrypoint_names` maps selectors to names, so the
    /// wallet shows `transfer` rather than a selector (unnamed selectors are shown in hex; the
    /// hash is the same).
    pub fn typed_data(&self, chain_id: Felt, entrypoint_names: &BTreeMap<Felt, String>) -> Value {
        let chain = chain_id_text(chain_id);
        let methods: Vec<Value> = self
            .allowed_methods()
            .iter()
            .map(|permission| {
                let selector = entrypoint_names
                    .get(&permission.method.selector)
                    .map_or_else(|| hex(permission.method.selector), |name| Value::String(name.clone()));
                json!({
                    "Contract Address": hex(permission.method.contract_address),
                    "Selector": selector,
                    "Argument Rules": permission.rules.iter().map(ArgumentRule::typed_data_value).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "types": session_types(),
            "primaryType": "Session",
            "domain": {
                "name": SESSION_DOMAIN_NAME,
                "version": decimal(SESSION_DOMAIN_VERSION),
                "chainId": chain,
                "revision": "1",
            },
            "message": {
                "Session Key": hex(self.session_key),
                "Expires At": decimal(self.expires_at),
                "Allowed Methods": methods,
                "Policy": self.policy().typed_data_value(),
                "Epoch": hex(self.epoch),
                "Allowed Messages": self
                    .allowed_messages()
                    .iter()
                    .map(|message| json!({ "Domain Hash": hex(message.domain_hash), "Type Hash": hex(message.type_hash) }))
                    .collect::<Vec<_>>(),
            },
        })
    }
}
