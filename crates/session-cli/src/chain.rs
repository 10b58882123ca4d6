//! What commands look up on-chain before acting: a contract's entrypoints and their arguments, an
//! account's owner, token balances.

use std::collections::BTreeMap;

use anyhow::Result;
use cainome::cairo_serde::ContractAddress;
use serde_json::Value;
use session_bindings::erc20::Erc20Reader;
use session_sdk::protocol::OwnerKey;
use session_sdk::{account_state, AccountState, SdkError, STRK_TOKEN};
use starknet::core::types::{
    BlockId, BlockTag, ContractClass, Felt, StarknetError, TransactionReceipt, U256,
};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::{Provider, ProviderError};

use crate::cli_error::usage;
use crate::input::Client;

/// The ETH token (the same address on every Starknet network and on devnet).
pub const ETH_TOKEN: Felt =
    Felt::from_hex_unchecked("0x049d36570d4e46f48e99674bd3fcc84644ddd6b96f7c741b1562b82f9e004dc7");

/// An external entrypoint of a deployed contract.
pub struct Entrypoint {
    /// Its selector.
    pub selector: Felt,
    /// How many calldata felts it takes, when its ABI makes that fixed (no arrays or enums).
    pub arity: Option<usize>,
    /// Whether the ABI marks it `view`.
    pub view: bool,
}

/// The entrypoint `name` of the contract at `contract`: refused (bad input) when there is no
/// contract there or it has no such external entrypoint.
pub async fn entrypoint(provider: &Client, contract: Felt, name: &str) -> Result<Entrypoint> {
    let selector = get_selector_from_name(name)
        .map_err(|_| usage(format!("{name:?} is not a valid entrypoint name"), None))?;
    let class =
        provider.get_class_at(BlockId::Tag(BlockTag::PreConfirmed), contract).await.map_err(|source| {
            match source {
                ProviderError::StarknetError(StarknetError::ContractNotFound) => usage(
                    format!("no contract is deployed at {contract:#x}"),
                    Some("check the address and --network"),
                ),
                source => SdkError::Provider {
                    context: format!("reading the class at {contract:#x}"),
                    source: Box::new(source),
                }
                .into(),
            }
        })?;
    let ContractClass::Sierra(class) = class else {
        return Ok(Entrypoint { selector, arity: None, view: false }); // a Cairo 0 class: no ABI to read
    };
    if !class.entry_points_by_type.external.iter().any(|entry| entry.selector == selector) {
        return Err(usage(
            format!("contract {contract:#x} has no external entrypoint `{name}`"),
            Some("check the spelling; entrypoint names are case-sensitive"),
        ));
    }
    let abi: Vec<Value> = serde_json::from_str(&class.abi).unwrap_or_default();
    let function = find_function(&abi, name);
    Ok(Entrypoint {
        selector,
        arity: function.and_then(|function| arity(&abi, function)),
        view: function.is_some_and(|function| function["state_mutability"] == "view"),
    })
}

/// The ABI entry of function `name` (top level or in an interface).
fn find_function<'a>(abi: &'a [Value], name: &str) -> Option<&'a Value> {
    abi.iter()
        .flat_map(|entry| match entry["type"].as_str() {
            Some("interface") => {
                entry["items"].as_array().map(|items| items.iter().collect()).unwrap_or_default()
            }
            Some("function") => vec![entry],
            _ => Vec::new(),
        })
        .find(|function| function["type"] == "function" && function["name"] == name)
}

/// The number of calldata felts a function takes, when fixed.
fn arity(abi: &[Value], function: &Value) -> Option<usize> {
    let structs: BTreeMap<&str, &Value> = abi
        .iter()
        .filter(|entry| entry["type"] == "struct")
        .filter_map(|entry| Some((entry["name"].as_str()?, entry)))
        .collect();
    function["inputs"].as_array()?.iter().map(|input| type_size(&structs, input["type"].as_str()?, 0)).sum()
}

/// Felts a value of `type_name` takes in calldata (`None`: variable, e.g. arrays).
fn type_size(structs: &BTreeMap<&str, &Value>, type_name: &str, depth: usize) -> Option<usize> {
    if depth > 16 || type_name.starts_with("core::array::") || type_name == "core::byte_array::ByteArray" {
        return None;
    }
    match structs.get(type_name) {
        Some(definition) => definition["members"]
            .as_array()?
            .iter()
            .map(|member| type_size(structs, member["type"].as_str()?, depth + 1))
            .sum(),
        None if type_name == "core::integer::u256" => Some(2),
        None if type_name.starts_with("core::") => Some(1), // felts, integers, bool, addresses
        None => None,                                       // enums and unknown types
    }
}

/// The owner and epoch of the session account at `account`; bad input when no contract or no
/// session account is there.
pub async fn session_account_state(provider: &Client, account: Felt) -> Result<AccountState> {
    match account_state(provider, account).await {
        Ok(state) => Ok(state),
        Err(SdkError::ContractNotFound { .. }) => Err(usage(
            format!("no account is deployed at {account:#x}"),
            Some("deploy it first (`account deploy`), and check --network"),
        )),
        Err(SdkError::EntrypointNotFound { .. }) => Err(usage(
            format!("{account:#x} is not a session account"),
            Some("check the address and --network"),
        )),
        Err(other) => Err(other.into()),
    }
}

/// Refuses (bad input) unless `key` is the on-chain owner of the session account `account`.
pub async fn assert_owner(provider: &Client, account: Felt, key: &OwnerKey) -> Result<()> {
    let owner = session_account_state(provider, account).await?.owner_id;
    if owner != key.id() {
        return Err(usage(
            format!(
                "this keystore's {} {:#x} is not the owner of {account:#x} (its owner is {owner:#x})",
                owner_kind(key),
                key.id()
            ),
            Some("pass the owner's keystore with --keystore"),
        ));
    }
    Ok(())
}

/// What kind of key an owner is, in words.
pub fn owner_kind(owner: &OwnerKey) -> &'static str {
    match owner {
        OwnerKey::Stark { .. } => "Stark key",
        OwnerKey::Passkey(_) => "passkey",
    }
}

/// An owner as people read it: `Stark key 0x…`, or `passkey 0x… (origin https://…)`.
pub fn describe_owner(owner: &OwnerKey) -> String {
    match owner {
        OwnerKey::Stark { public_key } => format!("Stark key {public_key:#066x}"),
        OwnerKey::Passkey(passkey) => format!("passkey {:#066x} (origin {})", passkey.id(), passkey.origin),
    }
}

/// The STRK and ETH balances of `address` (a token missing on this network reads `None`).
pub async fn balances(provider: &Client, address: Felt) -> Result<Vec<(&'static str, Felt, Option<U256>)>> {
    let mut found = Vec::new();
    for (symbol, token) in [("STRK", STRK_TOKEN), ("ETH", ETH_TOKEN)] {
        found.push((symbol, token, token_balance(provider, token, address).await?));
    }
    Ok(found)
}

/// `address`'s balance of `token` (`None` if no such token is deployed on this network).
pub async fn token_balance(provider: &Client, token: Felt, address: Felt) -> Result<Option<U256>> {
    let mut reader = Erc20Reader::new(token, provider);
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    match reader.balance_of(&ContractAddress(address)).call().await {
        Ok(balance) => Ok(Some(U256::from_words(balance.low, balance.high))),
        Err(error) => match SdkError::from_call("balance_of", token, error) {
            unreachable @ SdkError::Provider { .. } => Err(unreachable.into()),
            _ => Ok(None),
        },
    }
}

/// The L2 gas a transaction used, from its receipt (0 for receipts other than invokes').
pub fn l2_gas(receipt: &TransactionReceipt) -> u64 {
    match receipt {
        TransactionReceipt::Invoke(receipt) => receipt.execution_resources.l2_gas,
        _ => 0,
    }
}
