//! Shared test vectors: this crate computes hashes, roots, proofs and encoded signatures for fixed
//! inputs and pins them in `tests/vectors/session_v2.json`; the same values are written as Cairo
//! constants (`contracts/src/tests/vectors.cairo`) that the contract's tests assert. Either file
//! going stale fails this test; `UPDATE_VECTORS=1 cargo test -p session-core --test vectors`
//! rewrites them.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};
use session_core::policy::argument_rules_felts;
use session_core::snip12::{self, OutsideExecution};
use session_core::{
    AccountSignature, ArgumentRule, Call, CallPermission, Felt, Policy, Session, SessionBuilder, SessionKey,
    SessionSignature, SpendLimit, StarkSignature, U256,
};
use starknet_core::utils::get_selector_from_name;

const ACCOUNT: Felt = Felt::from_hex_unchecked("0x5e5510acc0");
const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");
const TOKEN: Felt = Felt::from_hex_unchecked("0x70ce");
const DAILY_TOKEN: Felt = Felt::from_hex_unchecked("0x70cf");
const SPENDER: Felt = Felt::from_hex_unchecked("0x5e11");
const TX_HASH: Felt = Felt::from_hex_unchecked("0x7e577a5400");
const OWNER_SECRET: Felt = Felt::from_hex_unchecked("0xb0b0001");
const NEW_OWNER_SECRET: Felt = Felt::from_hex_unchecked("0xb0b0002");
const SESSION_SECRET: Felt = Felt::from_hex_unchecked("0x5e550001");
const EXPIRES_AT: u64 = 1_800_000_000;
const NOW: u64 = 1_750_000_000;

fn chain_id() -> Felt {
    snip12::short_string("SN_SEPOLIA")
}

fn key(secret: Felt) -> SessionKey {
    SessionKey::from_secret_scalar(secret).unwrap()
}

fn selector(name: &str) -> Felt {
    get_selector_from_name(name).unwrap()
}

fn call(to: Felt, name: &str) -> Call {
    Call { to, selector: selector(name), calldata: vec![] }
}

fn call_with(to: Felt, name: &str, calldata: &[u64]) -> Call {
    Call { to, selector: selector(name), calldata: calldata.iter().map(|&v| Felt::from(v)).collect() }
}

/// The policy of the `policy` session.
fn policy() -> Policy {
    Policy {
        max_fee_per_tx: 1_000,
        fee_budget: 2_500,
        max_calls: 5,
        spend_limits: [
            (TOKEN, SpendLimit::lifetime(U256::from(1_000u64))),
            (DAILY_TOKEN, SpendLimit::per_window(U256::from(100u64), 86_400)),
        ]
        .into(),
    }
}

fn hex(felt: Felt) -> String {
    format!("{felt:#x}")
}

fn sig_json(signature: StarkSignature) -> Value {
    json!({"r": hex(signature.r), "s": hex(signature.s)})
}

/// Encodes a session transaction signature for `calls` under `signed_hash`.
fn session_signature(
    session: &Session,
    signed_hash: Felt,
    calls: &[Call],
    with_authorization: bool,
) -> Vec<Felt> {
    let session_hash = session.hash(chain_id(), ACCOUNT);
    let owner_authorization = with_authorization.then(|| key(OWNER_SECRET).sign(session_hash).unwrap());
    let session_signature =
        key(SESSION_SECRET).sign(snip12::session_key_message(signed_hash, session_hash)).unwrap();
    let calls = session.permissions_for(calls).expect("vector calls are allowed");
    AccountSignature::Session(SessionSignature {
        session: session.to_felts(),
        owner_authorization,
        session_signature,
        policy: session.policy().map(Policy::to_felts),
        calls,
    })
    .encode()
}

struct Vectors {
    json: Value,
    cairo: String,
}

fn sessions() -> Vec<(&'static str, Session)> {
    let session_key = key(SESSION_SECRET).public_key();
    let main = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .allow(GAME, "increase")
        .allow(GAME, "get")
        .allow(TOKEN, "transfer")
        .allow(TOKEN, "approve")
        .allow(TOKEN, "transfer_from")
        .build()
        .unwrap();
    let epoch_one = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .epoch(1)
        .allow(GAME, "increase")
        .allow(TOKEN, "transfer")
        .build()
        .unwrap();
    let single =
        SessionBuilder::new(session_key).expires_at(EXPIRES_AT).allow(GAME, "increase").build().unwrap();
    let with_policy = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .policy(policy())
        .allow(GAME, "get")
        .allow(GAME, "approve")
        .allow(TOKEN, "transfer")
        .allow(DAILY_TOKEN, "transfer")
        .allow_with_rules(GAME, "increase", vec![ArgumentRule::AtMost { index: 0, bound: Felt::from(10u8) }])
        .allow_with_rules(
            GAME,
            "reset",
            vec![ArgumentRule::OneOf { index: 0, values: vec![Felt::ONE, Felt::TWO, Felt::THREE] }],
        )
        .allow_with_rules(TOKEN, "approve", vec![ArgumentRule::Equal { index: 0, value: SPENDER }])
        .allow_with_rules(
            TOKEN,
            "transfer_from",
            vec![ArgumentRule::AtMostU256 { index: 2, bound: U256::from(500u64) }],
        )
        .build()
        .unwrap();
    vec![("main", main), ("epoch_one", epoch_one), ("single", single), ("policy", with_policy)]
}

fn generate() -> Vectors {
    let owner = key(OWNER_SECRET);
    let new_owner = key(NEW_OWNER_SECRET);
    let session_key = key(SESSION_SECRET);
    let mut cairo = String::from(
        "//! Generated by `crates/session-core/tests/vectors.rs` from the Rust implementation; do not edit.\n\
         //! The Cairo tests assert the contract computes and accepts exactly these values.\n\n\
         use crate::interfaces::{Policy, Session, SpendLimit};\n\n",
    );
    let constants = [
        ("CHAIN_ID", chain_id()),
        ("ACCOUNT", ACCOUNT),
        ("GAME", GAME),
        ("TOKEN", TOKEN),
        ("DAILY_TOKEN", DAILY_TOKEN),
        ("SPENDER", SPENDER),
        ("TX_HASH", TX_HASH),
        ("OWNER_PUBLIC_KEY", owner.public_key()),
        ("NEW_OWNER_PUBLIC_KEY", new_owner.public_key()),
        ("SESSION_PUBLIC_KEY", session_key.public_key()),
        ("SESSION_TYPE_HASH", snip12::type_hash(snip12::SESSION_TYPE)),
        ("ALLOWED_METHOD_TYPE_HASH", snip12::type_hash(snip12::ALLOWED_METHOD_TYPE)),
        ("SESSION_DOMAIN_HASH", snip12::session_domain_hash(chain_id())),
    ];
    for (name, value) in constants {
        writeln!(cairo, "pub const {name}: felt252 = {};", hex(value)).unwrap();
    }
    writeln!(cairo, "pub const EXPIRES_AT: u64 = {EXPIRES_AT};\npub const NOW: u64 = {NOW};").unwrap();

    let owner_tx = owner.sign(TX_HASH).unwrap();
    writeln!(
        cairo,
        "pub const OWNER_TX_SIGNATURE: (felt252, felt252) = ({}, {});",
        hex(owner_tx.r),
        hex(owner_tx.s)
    )
    .unwrap();
    let rotation_hash =
        snip12::owner_rotation_hash(chain_id(), ACCOUNT, owner.public_key(), new_owner.public_key());
    let rotation = new_owner.sign(rotation_hash).unwrap();
    writeln!(cairo, "pub const OWNER_ROTATION_HASH: felt252 = {};", hex(rotation_hash)).unwrap();
    writeln!(
        cairo,
        "pub const OWNER_ROTATION_SIGNATURE: (felt252, felt252) = ({}, {});",
        hex(rotation.r),
        hex(rotation.s)
    )
    .unwrap();

    let mut session_json = Vec::new();
    for (name, session) in sessions() {
        let upper = name.to_uppercase();
        let session_hash = session.hash(chain_id(), ACCOUNT);
        let authorization = owner.sign(session_hash).unwrap();
        let methods: Vec<Value> = session
            .allowed_methods()
            .iter()
            .enumerate()
            .map(|(index, permission)| {
                json!({
                    "contract_address": hex(permission.method.contract_address),
                    "selector": hex(permission.method.selector),
                    "argument_rules": argument_rules_felts(&permission.rules).into_iter().map(hex).collect::<Vec<_>>(),
                    "leaf": hex(permission.leaf()),
                    "proof": proof_of(&session, index).into_iter().map(hex).collect::<Vec<_>>(),
                })
            })
            .collect();
        writeln!(
            cairo,
            "\npub fn {name}_session() -> Session {{\n    Session {{ session_key: {}, expires_at: {}, allowed_methods_root: {}, policy: {}, epoch: {} }}\n}}",
            hex(session.session_key), session.expires_at, hex(session.allowed_methods_root()), hex(session.policy_hash()), session.epoch
        )
        .unwrap();
        writeln!(cairo, "pub const {upper}_SESSION_HASH: felt252 = {};", hex(session_hash)).unwrap();
        writeln!(cairo, "pub const {upper}_STRUCT_HASH: felt252 = {};", hex(session.struct_hash())).unwrap();
        writeln!(
            cairo,
            "pub const {upper}_AUTHORIZATION: (felt252, felt252) = ({}, {});",
            hex(authorization.r),
            hex(authorization.s)
        )
        .unwrap();
        writeln!(
            cairo,
            "/// Allowed methods of `{name}_session` as (contract, selector, serialized rules, leaf, proof)."
        )
        .unwrap();
        writeln!(
            cairo,
            "pub fn {name}_methods() -> Array<(felt252, felt252, Span<felt252>, felt252, Span<felt252>)> {{\n    array!["
        )
        .unwrap();
        for (index, permission) in session.allowed_methods().iter().enumerate() {
            let proof: Vec<String> = proof_of(&session, index).into_iter().map(hex).collect();
            let rules: Vec<String> = argument_rules_felts(&permission.rules).into_iter().map(hex).collect();
            writeln!(
                cairo,
                "        ({}, {}, array![{}].span(), {}, array![{}].span()),",
                hex(permission.method.contract_address),
                hex(permission.method.selector),
                rules.join(", "),
                hex(permission.leaf()),
                proof.join(", ")
            )
            .unwrap();
        }
        writeln!(cairo, "    ]\n}}").unwrap();
        session_json.push(json!({
            "name": name,
            "session_key": hex(session.session_key),
            "expires_at": session.expires_at,
            "policy": session.policy().map(|policy| policy.to_felts().into_iter().map(hex).collect::<Vec<_>>()),
            "policy_hash": hex(session.policy_hash()),
            "epoch": session.epoch.to_string(),
            "allowed_methods": methods,
            "allowed_methods_root": hex(session.allowed_methods_root()),
            "struct_hash": hex(session.struct_hash()),
            "session_hash": hex(session_hash),
            "owner_authorization": sig_json(authorization),
        }));
    }

    // Encoded transaction signatures over TX_HASH for named call lists.
    let all = sessions();
    let by_name =
        |wanted: &str| all.iter().find(|(name, _)| *name == wanted).map(|(_, s)| s.clone()).unwrap();
    let signatures: Vec<(&str, Session, Vec<Call>, bool)> = vec![
        ("main_full_increase", by_name("main"), vec![call(GAME, "increase")], true),
        ("main_cached_increase", by_name("main"), vec![call(GAME, "increase")], false),
        ("main_full_two_calls", by_name("main"), vec![call(GAME, "increase"), call(GAME, "get")], true),
        ("main_full_transfer", by_name("main"), vec![call(TOKEN, "transfer")], true),
        ("main_full_no_calls", by_name("main"), vec![], true),
        ("main_cached_no_calls", by_name("main"), vec![], false),
        ("epoch_one_full_increase", by_name("epoch_one"), vec![call(GAME, "increase")], true),
        ("single_full_increase", by_name("single"), vec![call(GAME, "increase")], true),
        ("policy_full_transfer", by_name("policy"), vec![call_with(TOKEN, "transfer", &[0xb0b, 1, 0])], true),
        (
            "policy_cached_transfer",
            by_name("policy"),
            vec![call_with(TOKEN, "transfer", &[0xb0b, 1, 0])],
            false,
        ),
        (
            "policy_cached_two_transfers",
            by_name("policy"),
            vec![call_with(TOKEN, "transfer", &[0xb0b, 1, 0]), call_with(TOKEN, "transfer", &[0xb0b, 1, 0])],
            false,
        ),
        ("policy_cached_get", by_name("policy"), vec![call(GAME, "get")], false),
        (
            "policy_cached_daily_transfer",
            by_name("policy"),
            vec![call_with(DAILY_TOKEN, "transfer", &[0xb0b, 1, 0])],
            false,
        ),
        (
            "policy_cached_unlisted_approve",
            by_name("policy"),
            vec![call_with(GAME, "approve", &[0x5e11, 1, 0])],
            false,
        ),
        (
            "policy_cached_rules",
            by_name("policy"),
            vec![
                call_with(GAME, "increase", &[10]),
                call_with(GAME, "reset", &[3]),
                call_with(TOKEN, "approve", &[0x5e11, 1, 0]),
                call_with(TOKEN, "transfer_from", &[0xa, 0xb, 500, 0]),
            ],
            false,
        ),
    ];
    let mut signature_json = Vec::new();
    for (name, session, calls, with_authorization) in signatures {
        let felts = session_signature(&session, TX_HASH, &calls, with_authorization);
        write_felt_array(&mut cairo, &format!("sig_{name}"), &felts);
        signature_json.push(json!({
            "name": name,
            "session": session_json.iter().find(|s| s["session_hash"] == hex(session.hash(chain_id(), ACCOUNT))).unwrap()["name"],
            "transaction_hash": hex(TX_HASH),
            "calls": calls.iter().map(|c| json!({"to": hex(c.to), "selector": hex(c.selector), "calldata": c.calldata.iter().map(|f| hex(*f)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "signature": felts.into_iter().map(hex).collect::<Vec<_>>(),
        }));
    }

    // SNIP-9 outside executions signed by the owner and by the main session.
    let main = by_name("main");
    let executions = vec![
        ("empty", vec![]),
        ("self_call", vec![call(ACCOUNT, "revoke_all_sessions")]),
        ("forbidden", vec![call(TOKEN, "burn")]),
    ];
    let mut execution_json = Vec::new();
    for (name, calls) in executions {
        let execution = OutsideExecution {
            caller: snip12::short_string(snip12::ANY_CALLER),
            nonce: Felt::from(0x4e0ce1u64),
            execute_after: NOW - 100,
            execute_before: NOW + 100,
            calls: calls.clone(),
        };
        let hash = execution.message_hash(chain_id(), ACCOUNT);
        let upper = name.to_uppercase();
        writeln!(cairo, "\npub const OE_{upper}_HASH: felt252 = {};", hex(hash)).unwrap();
        let owner_signature = owner.sign(hash).unwrap();
        let session_hash = main.hash(chain_id(), ACCOUNT);
        let session_signature = AccountSignature::Session(SessionSignature {
            session: main.to_felts(),
            owner_authorization: Some(owner.sign(session_hash).unwrap()),
            session_signature: session_key.sign(snip12::session_key_message(hash, session_hash)).unwrap(),
            policy: None,
            calls: calls
                .iter()
                .map(|c| {
                    main.permission_for(c)
                        .unwrap_or(CallPermission { proof: vec![], rules: argument_rules_felts(&[]) })
                })
                .collect(),
        })
        .encode();
        write_felt_array(
            &mut cairo,
            &format!("oe_{name}_owner_signature"),
            &[owner_signature.r, owner_signature.s],
        );
        write_felt_array(&mut cairo, &format!("oe_{name}_session_signature"), &session_signature);
        execution_json.push(json!({
            "name": name,
            "caller": hex(execution.caller),
            "nonce": hex(execution.nonce),
            "execute_after": execution.execute_after,
            "execute_before": execution.execute_before,
            "calls": calls.iter().map(|c| json!({"to": hex(c.to), "selector": hex(c.selector), "calldata": []})).collect::<Vec<_>>(),
            "message_hash": hex(hash),
            "owner_signature": sig_json(owner_signature),
            "session_signature": session_signature.into_iter().map(hex).collect::<Vec<_>>(),
        }));
    }
    writeln!(cairo, "pub const OE_NONCE: felt252 = 0x4e0ce1;").unwrap();
    let policy = policy();
    let limits: Vec<String> = policy
        .spend_limits
        .iter()
        .map(|(token, limit)| {
            format!(
                "SpendLimit {{ token: {}.try_into().unwrap(), amount: u256 {{ low: {}, high: {} }}, period: {} }}",
                hex(*token),
                limit.amount.low(),
                limit.amount.high(),
                limit.period
            )
        })
        .collect();
    writeln!(
        cairo,
        "\npub fn policy() -> Policy {{\n    Policy {{ max_fee_per_tx: {}, fee_budget: {}, max_calls: {}, spend_limits: array![{}].span() }}\n}}",
        policy.max_fee_per_tx,
        policy.fee_budget,
        policy.max_calls,
        limits.join(", ")
    )
    .unwrap();
    writeln!(cairo, "pub const POLICY_HASH: felt252 = {};", hex(policy.hash())).unwrap();

    let json = json!({
        "description": "Session account protocol v2 vectors, generated by crates/session-core/tests/vectors.rs",
        "chain_id": hex(chain_id()),
        "account": hex(ACCOUNT),
        "owner_public_key": hex(owner.public_key()),
        "new_owner_public_key": hex(new_owner.public_key()),
        "session_public_key": hex(session_key.public_key()),
        "now": NOW,
        "type_hashes": {
            "StarknetDomain": hex(snip12::type_hash(snip12::STARKNET_DOMAIN_TYPE)),
            "Session": hex(snip12::type_hash(snip12::SESSION_TYPE)),
            "Allowed Method": hex(snip12::type_hash(snip12::ALLOWED_METHOD_TYPE)),
            "OutsideExecution": hex(snip12::type_hash(snip12::OUTSIDE_EXECUTION_TYPE)),
            "Call": hex(snip12::type_hash(snip12::CALL_TYPE)),
        },
        "session_domain_hash": hex(snip12::session_domain_hash(chain_id())),
        "owner_transaction": {"transaction_hash": hex(TX_HASH), "signature": sig_json(owner_tx)},
        "owner_rotation": {"message_hash": hex(rotation_hash), "signature": sig_json(rotation)},
        "sessions": session_json,
        "session_transaction_signatures": signature_json,
        "outside_executions": execution_json,
    });
    Vectors { json, cairo }
}

/// The proof of leaf `index` of the session's tree, recomputed from the call it allows.
fn proof_of(session: &Session, index: usize) -> Vec<Felt> {
    let permission = &session.allowed_methods()[index];
    let tree =
        session_core::MethodTree::new(session.allowed_methods().iter().map(|p| p.leaf()).collect()).unwrap();
    assert_eq!(tree.root(), session.allowed_methods_root());
    let proof = tree.proof(index).unwrap();
    assert!(session_core::MethodTree::verify(permission.leaf(), &proof, session.allowed_methods_root()));
    proof
}

fn write_felt_array(cairo: &mut String, name: &str, felts: &[Felt]) {
    let items: Vec<String> = felts.iter().map(|f| hex(*f)).collect();
    writeln!(cairo, "pub fn {name}() -> Array<felt252> {{\n    array![{}]\n}}", items.join(", ")).unwrap();
}

/// A file of this checkout (`cargo test` sets `CARGO_MANIFEST_DIR` at run time; the compile-time value
/// may name another clone sharing the build directory).
fn repo_file(relative: &str) -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.join("../..").join(relative)
}

#[test]
fn committed_vectors_match_this_implementation() {
    let vectors = generate();
    let json_text = serde_json::to_string_pretty(&vectors.json).unwrap() + "\n";
    let files = [
        (repo_file("tests/vectors/session_v2.json"), json_text),
        (repo_file("contracts/src/tests/vectors.cairo"), vectors.cairo),
    ];
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        for (path, content) in &files {
            std::fs::write(path, content).unwrap();
        }
        return;
    }
    for (path, content) in &files {
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == *content,
            "{} is stale: run `UPDATE_VECTORS=1 cargo test -p session-core --test vectors`, then `cargo xtask build`",
            path.display()
        );
    }
}

#[test]
fn vector_signatures_verify_and_decode() {
    let vectors = generate();
    let owner = key(OWNER_SECRET).public_key();
    for session in vectors.json["sessions"].as_array().unwrap() {
        let hash = Felt::from_hex(session["session_hash"].as_str().unwrap()).unwrap();
        let r = Felt::from_hex(session["owner_authorization"]["r"].as_str().unwrap()).unwrap();
        let s = Felt::from_hex(session["owner_authorization"]["s"].as_str().unwrap()).unwrap();
        assert!(starknet_crypto::verify(&owner, &hash, &r, &s).unwrap());
    }
    for entry in vectors.json["session_transaction_signatures"].as_array().unwrap() {
        let felts: Vec<Felt> = entry["signature"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Felt::from_hex(f.as_str().unwrap()).unwrap())
            .collect();
        let AccountSignature::Session(decoded) = AccountSignature::decode(&felts).unwrap() else {
            panic!("{} decodes as an owner signature", entry["name"]);
        };
        assert_eq!(decoded.calls.len(), entry["calls"].as_array().unwrap().len());
    }
}
