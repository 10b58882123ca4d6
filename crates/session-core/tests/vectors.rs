//! Shared test vectors: this crate computes hashes, roots, proofs, typed data and encoded signatures
//! for fixed inputs and pins them in `tests/vectors/session_v3.json`; the same values are written as
//! Cairo constants (`contracts/src/tests/vectors.cairo`) that the contract's tests assert, and
//! `scripts/check-starknet-js.sh` recomputes the JSON's hashes with starknet.js (what wallets sign).
//! Either file going stale fails this test; `UPDATE_VECTORS=1 cargo test -p session-core --test
//! vectors` rewrites them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};
use session_core::policy::argument_rules_felts;
use session_core::snip12::{self, OutsideExecution};
use session_core::webauthn::{self, Passkey, WebAuthnAssertion};
use session_core::{
    AccountSignature, AllowedMessage, ArgumentRule, Call, CallPermission, Felt, MethodTree, OwnerKey,
    OwnerSignature, Policy, Session, SessionBuilder, SessionKey, SessionSignature, SpendLimit,
    StarkSignature, U256, U256_MAX,
};
use starknet_core::utils::get_selector_from_name;
use starknet_crypto::poseidon_hash_many;

const ACCOUNT: Felt = Felt::from_hex_unchecked("0x5e5510acc0");
const GAME: Felt = Felt::from_hex_unchecked("0x6a3e");
const TOKEN: Felt = Felt::from_hex_unchecked("0x70ce");
const DAILY_TOKEN: Felt = Felt::from_hex_unchecked("0x70cf");
const UNLIMITED_TOKEN: Felt = Felt::from_hex_unchecked("0x70d0");
const SPENDER: Felt = Felt::from_hex_unchecked("0x5e11");
const TX_HASH: Felt = Felt::from_hex_unchecked("0x7e577a5400");
/// The hash of the same transaction's fee-estimation (query) version: it differs from `TX_HASH`.
const QUERY_TX_HASH: Felt = Felt::from_hex_unchecked("0x9e577a5400");
const BLOCK_NUMBER: u64 = 1234;
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

fn call_with(to: Felt, name: &str, calldata: &[Felt]) -> Call {
    Call { to, selector: selector(name), calldata: calldata.to_vec() }
}

fn transfer(token: Felt, amount: u64) -> Call {
    call_with(token, "transfer", &[Felt::from(0xb0bu64), Felt::from(amount), Felt::ZERO])
}

/// The epoch after a revoke-all or owner rotation in the Cairo tests' transaction.
fn next_epoch() -> Felt {
    snip12::next_epoch(Felt::ZERO, TX_HASH, BLOCK_NUMBER)
}

/// The policy of the `policy` session.
fn policy() -> Policy {
    Policy {
        max_fee_per_tx: Some(1_000),
        fee_budget: Some(2_500),
        max_calls: Some(5),
        spend_limits: vec![
            SpendLimit::lifetime(TOKEN, U256::from(1_000u64)),
            SpendLimit::per_window(DAILY_TOKEN, U256::from(100u64), 86_400),
            SpendLimit::unlimited(UNLIMITED_TOKEN),
        ],
        ..Policy::default()
    }
}

/// A subscription's policy: usable from a day after `NOW`, 2 calls and 1,000 FRI of fees per
/// hour, 100 of the token a day.
fn subscription_policy() -> Policy {
    Policy {
        max_calls: Some(2),
        fee_budget: Some(1_000),
        spend_limits: vec![SpendLimit::per_window(TOKEN, U256::from(100u64), 86_400)],
        valid_after: NOW + 86_400,
        limits_window: 3_600,
        ..Policy::default()
    }
}

/// "100 per day and 1,000 in total" of one token.
fn two_limits_policy() -> Policy {
    Policy {
        spend_limits: vec![
            SpendLimit::lifetime(TOKEN, U256::from(1_000u64)),
            SpendLimit::per_window(TOKEN, U256::from(100u64), 86_400),
        ],
        ..Policy::default()
    }
}

/// A policy naming one token twice with the same period: the SDK cannot build it, but an owner
/// could be made to sign it; the contract must refuse it.
fn duplicate_limits_policy() -> Policy {
    Policy {
        spend_limits: vec![
            SpendLimit::lifetime(TOKEN, U256::from(1_000u64)),
            SpendLimit::lifetime(TOKEN, U256::from(5u64)),
        ],
        ..Policy::default()
    }
}

fn hex(felt: Felt) -> String {
    format!("{felt:#x}")
}

fn hexes(felts: &[Felt]) -> Vec<String> {
    felts.iter().map(|felt| hex(*felt)).collect()
}

fn sig_json(signature: StarkSignature) -> Value {
    json!({"r": hex(signature.r), "s": hex(signature.s)})
}

fn entrypoint_names() -> BTreeMap<Felt, String> {
    ["increase", "get", "reset", "transfer", "approve", "transfer_from"]
        .into_iter()
        .map(|name| (selector(name), name.to_owned()))
        .collect()
}

/// A session the builder would refuse, as raw fields: `(felts, session hash, typed data)`.
struct RawSession {
    felts: [Felt; 6],
    policy: Policy,
    hash: Felt,
    typed_data: Value,
}

fn raw_session(policy: Policy, permission_session: &Session) -> RawSession {
    let session_key = key(SESSION_SECRET).public_key();
    let felts = [
        session_key,
        EXPIRES_AT.into(),
        permission_session.allowed_methods_root(),
        policy.struct_hash(),
        Felt::ZERO,
        permission_session.allowed_messages_hash(),
    ];
    let struct_hash = poseidon_hash_many(
        &std::iter::once(snip12::protocol_type_hash(snip12::SESSION_TYPE)).chain(felts).collect::<Vec<_>>(),
    );
    let hash = snip12::message_hash(snip12::session_domain_hash(chain_id()), ACCOUNT, struct_hash);
    let mut typed_data = permission_session.typed_data(chain_id(), &entrypoint_names());
    typed_data["message"]["Policy"] = policy.typed_data_value();
    RawSession { felts, policy, hash, typed_data }
}

/// Encodes a session transaction signature for `calls` under `signed_hash`.
fn session_signature(
    session: &Session,
    signed_hash: Felt,
    calls: &[Call],
    with_authorization: bool,
) -> Vec<Felt> {
    let session_hash = session.hash(chain_id(), ACCOUNT);
    let calls = session.permissions_for(calls).expect("vector calls are allowed");
    encode_session_signature(
        session.to_felts(),
        session.policy_felts(),
        session_hash,
        signed_hash,
        calls,
        with_authorization,
    )
}

fn encode_session_signature(
    session: [Felt; 6],
    policy: Option<Vec<Felt>>,
    session_hash: Felt,
    signed_hash: Felt,
    calls: Vec<CallPermission>,
    with_authorization: bool,
) -> Vec<Felt> {
    let owner_authorization =
        with_authorization.then(|| OwnerSignature::from(key(OWNER_SECRET).sign(session_hash).unwrap()));
    let session_signature =
        key(SESSION_SECRET).sign(snip12::session_key_message(signed_hash, session_hash)).unwrap();
    AccountSignature::Session(SessionSignature {
        session,
        owner_authorization,
        session_signature,
        policy,
        calls,
    })
    .encode()
}

/// Encodes a by-reference signature for `calls` under `signed_hash`, the account remembering
/// `remembered` leaves; `remember` asks it to remember every leaf proven here.
fn reference_signature(
    session: &Session,
    signed_hash: Felt,
    calls: &[Call],
    remembered: &[Felt],
    remember: bool,
) -> Vec<Felt> {
    let session_hash = session.hash(chain_id(), ACCOUNT);
    let permissions = calls
        .iter()
        .map(|c| {
            session.permission_for(c).unwrap_or(CallPermission {
                proof: vec![],
                rules: vec![],
                remember: false,
            })
        })
        .collect();
    let entries = session
        .entries_for(calls, permissions, &remembered.iter().copied().collect())
        .into_iter()
        .map(|entry| CallPermission { remember: remember && !entry.proof.is_empty(), ..entry })
        .collect();
    let session_signature =
        key(SESSION_SECRET).sign(snip12::session_key_message(signed_hash, session_hash)).unwrap();
    AccountSignature::SessionRef(session.reference_signature(session_hash, session_signature, calls, entries))
        .encode()
}

/// The passkey of the vectors: a fixed P-256 key for relying party `game.example`.
fn passkey_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[0x5a; 32]).unwrap()
}

const RP_ID: &str = "game.example";
const ORIGIN: &str = "https://game.example";

fn passkey() -> Passkey {
    Passkey::new(passkey_key().verifying_key(), RP_ID, ORIGIN)
}

/// An assertion of the vectors' passkey with this `authenticatorData` and `clientDataJSON`.
fn assertion(authenticator_data: Vec<u8>, client_data_json: Vec<u8>) -> WebAuthnAssertion {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let unsigned = WebAuthnAssertion { authenticator_data, client_data_json, r: [0; 32], s: [0; 32] };
    let signature: p256::ecdsa::Signature = passkey_key().sign_prehash(&unsigned.signed_message()).unwrap();
    WebAuthnAssertion::from_signature(unsigned.authenticator_data, unsigned.client_data_json, &signature)
}

/// A good assertion over `hash`, as a browser writes it.
fn assertion_over(hash: Felt) -> WebAuthnAssertion {
    assertion(
        webauthn::authenticator_data(RP_ID, webauthn::USER_PRESENT | webauthn::USER_VERIFIED, 7),
        webauthn::client_data_json(hash, ORIGIN),
    )
}

/// The passkey owner's vectors: the passkey, its id, and assertions (good ones, and one per way the
/// account must refuse one) as transaction signatures.
fn passkey_vectors(cairo: &mut String, main: &Session) -> Value {
    let passkey = passkey();
    // Decoded from the felts Rust encodes: the Cairo tests read the passkey as the constructor does.
    writeln!(
        cairo,
        "\n/// The passkey of the vectors (relying party `{RP_ID}`), decoded from `passkey_owner_felts`.\npub fn passkey() -> Passkey {{\n    let mut felts = passkey_owner_felts().span();\n    let _variant = felts.pop_front();\n    Serde::deserialize(ref felts).expect('passkey vector')\n}}"
    )
    .unwrap();
    writeln!(cairo, "pub const PASSKEY_ID: felt252 = {};", hex(passkey.id())).unwrap();
    let owner = OwnerKey::Passkey(passkey.clone());
    write_felt_array(cairo, "passkey_owner_felts", &owner.to_felts());

    browser_vectors(cairo);

    let flags = webauthn::USER_PRESENT | webauthn::USER_VERIFIED;
    let client = |hash: Felt, origin: &str| webauthn::client_data_json(hash, origin);
    let challenge = webauthn::challenge_of(TX_HASH);
    let good_data = || webauthn::authenticator_data(RP_ID, flags, 7);
    let mut high_s = assertion_over(TX_HASH);
    high_s.s = p256_order_minus(&high_s.s);
    let mut truncated = assertion_over(TX_HASH);
    truncated.authenticator_data.truncate(36);
    let session_hash = main.hash(chain_id(), ACCOUNT);
    let rotation_to_passkey =
        snip12::owner_rotation_hash(chain_id(), ACCOUNT, key(OWNER_SECRET).public_key(), passkey.id());
    let rotation_from_passkey =
        snip12::owner_rotation_hash(chain_id(), ACCOUNT, passkey.id(), key(NEW_OWNER_SECRET).public_key());
    writeln!(cairo, "pub const PASSKEY_ROTATION_HASH: felt252 = {};", hex(rotation_to_passkey)).unwrap();
    let from_passkey = key(NEW_OWNER_SECRET).sign(rotation_from_passkey).unwrap();
    writeln!(
        cairo,
        "/// The new owner's acceptance of a rotation away from the passkey.\npub const ROTATION_FROM_PASSKEY_SIGNATURE: (felt252, felt252) = ({}, {});",
        hex(from_passkey.r),
        hex(from_passkey.s)
    )
    .unwrap();
    let oe_hash = OutsideExecution {
        caller: snip12::short_string(snip12::ANY_CALLER),
        nonce: Felt::from(0x4e0ce1u64),
        execute_after: NOW - 100,
        execute_before: NOW + 100,
        calls: vec![],
    }
    .message_hash(chain_id(), ACCOUNT);
    let cases: Vec<(&str, &str, WebAuthnAssertion)> = vec![
        ("tx", "the owner's transaction", assertion_over(TX_HASH)),
        ("query_tx", "the fee-estimation version of the transaction", assertion_over(QUERY_TX_HASH)),
        ("main_authorization", "an authorization of the `main` session", assertion_over(session_hash)),
        ("rotation_to_passkey", "the passkey accepting ownership from the Stark owner", assertion_over(rotation_to_passkey)),
        ("oe_empty", "the empty outside execution (OE_EMPTY_HASH)", assertion_over(oe_hash)),
        ("other_tx", "another transaction's challenge", assertion_over(TX_HASH + Felt::ONE)),
        ("other_origin", "another origin", assertion(good_data(), client(TX_HASH, "https://evil.example"))),
        ("longer_origin", "an origin extending the passkey's", assertion(good_data(), client(TX_HASH, "https://game.example.evil"))),
        ("other_rp", "another relying party", assertion(webauthn::authenticator_data("evil.example", flags, 7), client(TX_HASH, ORIGIN))),
        ("no_uv", "user verified flag cleared", assertion(webauthn::authenticator_data(RP_ID, webauthn::USER_PRESENT, 7), client(TX_HASH, ORIGIN))),
        ("no_up", "user present flag cleared", assertion(webauthn::authenticator_data(RP_ID, webauthn::USER_VERIFIED, 7), client(TX_HASH, ORIGIN))),
        (
            "reordered",
            "origin before challenge",
            assertion(good_data(), format!("{{\"type\":\"webauthn.get\",\"origin\":\"{ORIGIN}\",\"challenge\":\"{challenge}\"}}").into_bytes()),
        ),
        (
            "repeated_challenge",
            "a second challenge member",
            assertion(good_data(), format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{challenge}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":false,\"challenge\":\"AAAA\"}}").into_bytes()),
        ),
        (
            "cross_origin",
            "made in a cross-origin frame",
            assertion(good_data(), format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{challenge}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":true}}").into_bytes()),
        ),
        (
            "create",
            "a registration's client data",
            assertion(good_data(), format!("{{\"type\":\"webauthn.create\",\"challenge\":\"{challenge}\",\"origin\":\"{ORIGIN}\"}}").into_bytes()),
        ),
        (
            "extra_member",
            "a browser's extra member (accepted)",
            assertion(good_data(), format!("{{\"type\":\"webauthn.get\",\"challenge\":\"{challenge}\",\"origin\":\"{ORIGIN}\",\"crossOrigin\":false,\"other_keys_can_be_added_here\":\"do not compare clientDataJSON against a template. See https://goo.gl/yabPex\"}}").into_bytes()),
        ),
        ("high_s", "s above n/2", high_s),
        ("truncated", "authenticatorData of 36 bytes", truncated),
    ];
    let mut json = Vec::new();
    let signed_hash = |name: &str| match name {
        "query_tx" => QUERY_TX_HASH,
        "main_authorization" => session_hash,
        "rotation_to_passkey" => rotation_to_passkey,
        "oe_empty" => oe_hash,
        _ => TX_HASH,
    };
    for (name, what, assertion) in cases {
        // What the account answers when this assertion is presented for the hash it targets (the
        // transaction's for the attacks); the Cairo tests assert the same reasons.
        let expected = webauthn::verify_assertion(&passkey, signed_hash(name), &assertion)
            .err()
            .map_or("valid", |error| error.reason().unwrap_or("client-side only"));
        let felts = OwnerSignature::WebAuthn(assertion.clone()).encode();
        write_felt_array(cairo, &format!("passkey_sig_{name}"), &felts);
        json.push(json!({
            "name": name,
            "what": what,
            "expected": expected,
            "authenticator_data": hex_bytes(&assertion.authenticator_data),
            "client_data_json": String::from_utf8_lossy(&assertion.client_data_json),
            "r": hex_bytes(&assertion.r),
            "s": hex_bytes(&assertion.s),
            "signature": hexes(&felts),
        }));
    }
    // A session's first use authorized by the passkey.
    let permissions = main.permissions_for(&[call(GAME, "increase")]).unwrap();
    let session_signature =
        key(SESSION_SECRET).sign(snip12::session_key_message(TX_HASH, session_hash)).unwrap();
    let full = AccountSignature::Session(SessionSignature {
        session: main.to_felts(),
        owner_authorization: Some(OwnerSignature::WebAuthn(assertion_over(session_hash))),
        session_signature,
        policy: None,
        calls: permissions,
    })
    .encode();
    write_felt_array(cairo, "sig_main_full_increase_passkey", &full);
    json!({
        "rp_id": RP_ID,
        "origin": ORIGIN,
        "passkey": passkey,
        "id": hex(passkey.id()),
        "owner_felts": hexes(&owner.to_felts()),
        "assertions": json,
        "main_full_increase_passkey": hexes(&full),
    })
}

fn hex_bytes(bytes: &[u8]) -> String {
    format!("0x{}", bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>())
}

/// `n - s` for the P-256 order `n`.
fn p256_order_minus(s: &[u8; 32]) -> [u8; 32] {
    use p256::elliptic_curve::PrimeField;
    let scalar = p256::Scalar::from_repr((*s).into()).unwrap();
    (-scalar).to_repr().into()
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
    let at_epoch = |epoch: Felt| {
        SessionBuilder::new(session_key)
            .expires_at(EXPIRES_AT)
            .epoch(epoch)
            .allow(GAME, "increase")
            .allow(TOKEN, "transfer")
            .build()
            .unwrap()
    };
    let single =
        SessionBuilder::new(session_key).expires_at(EXPIRES_AT).allow(GAME, "increase").build().unwrap();
    let with_policy = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .policy(policy())
        .allow(GAME, "get")
        .allow(GAME, "approve")
        .allow(TOKEN, "transfer")
        .allow(DAILY_TOKEN, "transfer")
        .allow(UNLIMITED_TOKEN, "approve")
        .allow(UNLIMITED_TOKEN, "transfer")
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
    // A trading bot's rules: increase(x ≥ 5, x ≠ 7), transfer_from(amount ≥ 100 as u256, and
    // at most 1,000 a day in total).
    let bot = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .allow_with_rules(
            GAME,
            "increase",
            vec![
                ArgumentRule::AtLeast { index: 0, bound: Felt::from(5u8) },
                ArgumentRule::NotEqual { index: 0, value: Felt::from(7u8) },
            ],
        )
        .allow_with_rules(
            TOKEN,
            "transfer_from",
            vec![
                ArgumentRule::AtLeastU256 { index: 2, bound: U256::from(100u64) },
                ArgumentRule::TotalAtMostU256 { index: 2, bound: U256::from(1_000u64), period: 86_400 },
            ],
        )
        .build()
        .unwrap();
    let subscription = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .policy(subscription_policy())
        .allow(GAME, "increase")
        .allow(TOKEN, "transfer")
        .build()
        .unwrap();
    // A trading bot that may also sign a DEX's orders (one SNIP-12 domain and type), off-chain.
    let orders = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .allow(GAME, "increase")
        .allow_message(ORDER_DOMAIN, ORDER_TYPE)
        .build()
        .unwrap();
    let two_limits = SessionBuilder::new(session_key)
        .expires_at(EXPIRES_AT)
        .policy(two_limits_policy())
        .allow(GAME, "increase")
        .allow(TOKEN, "transfer")
        .build()
        .unwrap();
    vec![
        ("main", main),
        ("next_epoch", at_epoch(next_epoch())),
        // What an attacker would pre-sign if epochs were a counter (current + 1).
        ("guessed_epoch", at_epoch(Felt::ONE)),
        ("single", single),
        ("policy", with_policy),
        ("two_limits", two_limits),
        ("bot", bot),
        ("subscription", subscription),
        ("orders", orders),
    ]
}

fn cairo_policy(name: &str, policy: &Policy) -> String {
    let limits: Vec<String> = policy
        .spend_limits
        .iter()
        .map(|limit| {
            format!(
                "SpendLimit {{ token: {}.try_into().unwrap(), amount: u256 {{ low: {}, high: {} }}, period: {} }}",
                hex(limit.token),
                limit.amount.low(),
                limit.amount.high(),
                limit.period
            )
        })
        .collect();
    format!(
        "\npub fn {name}() -> Policy {{\n    Policy {{ max_fee_per_tx: {}, fee_budget: {}, max_calls: {}, spend_limits: array![{}].span(), valid_after: {}, limits_window: {} }}\n}}\n",
        policy.max_fee_per_tx.unwrap_or(u128::MAX),
        policy.fee_budget.unwrap_or(u128::MAX),
        policy.max_calls.unwrap_or(u64::MAX),
        limits.join(", "),
        policy.valid_after,
        policy.limits_window
    )
}

fn cairo_session(name: &str, felts: [Felt; 6]) -> String {
    format!(
        "\npub fn {name}_session() -> Session {{\n    Session {{ session_key: {}, expires_at: {}, allowed_methods_root: {}, policy_hash: {}, epoch: {}, allowed_messages_hash: {} }}\n}}\n",
        hex(felts[0]),
        felts[1],
        hex(felts[2]),
        hex(felts[3]),
        hex(felts[4]),
        hex(felts[5])
    )
}

fn method_json(session: &Session) -> Vec<Value> {
    session
        .allowed_methods()
        .iter()
        .enumerate()
        .map(|(index, permission)| {
            json!({
                "contract_address": hex(permission.method.contract_address),
                "selector": hex(permission.method.selector),
                "argument_rules": hexes(&argument_rules_felts(&permission.rules)),
                "argument_rule_hashes": permission.rules.iter().map(|rule| hex(rule.struct_hash())).collect::<Vec<_>>(),
                "leaf": hex(permission.leaf()),
                "proof": hexes(&proof_of(session, index)),
            })
        })
        .collect()
}

fn generate() -> Vectors {
    let owner = key(OWNER_SECRET);
    let new_owner = key(NEW_OWNER_SECRET);
    let session_key = key(SESSION_SECRET);
    let mut cairo = String::from(
        "//! Generated by `crates/session-core/tests/vectors.rs` from the Rust implementation; do not edit.\n\
         //! The Cairo tests assert the contract computes and accepts exactly these values.\n\n\
         use crate::interfaces::{Passkey, Policy, Session, SpendLimit};\n\n",
    );
    let type_hashes: Vec<(&str, &str)> = vec![
        ("SESSION", snip12::SESSION_TYPE),
        ("POLICY", snip12::POLICY_TYPE),
        ("SPEND_LIMIT", snip12::SPEND_LIMIT_TYPE),
        ("TOKEN_AMOUNT", snip12::TOKEN_AMOUNT_TYPE),
        ("U256", snip12::U256_TYPE),
        ("ALLOWED_METHOD", snip12::ALLOWED_METHOD_TYPE),
        ("ARGUMENT_RULE", snip12::ARGUMENT_RULE_TYPE),
    ];
    let mut constants = vec![
        ("CHAIN_ID", chain_id()),
        ("ACCOUNT", ACCOUNT),
        ("GAME", GAME),
        ("TOKEN", TOKEN),
        ("DAILY_TOKEN", DAILY_TOKEN),
        ("UNLIMITED_TOKEN", UNLIMITED_TOKEN),
        ("SPENDER", SPENDER),
        ("TX_HASH", TX_HASH),
        ("QUERY_TX_HASH", QUERY_TX_HASH),
        ("OWNER_PUBLIC_KEY", owner.public_key()),
        ("NEW_OWNER_PUBLIC_KEY", new_owner.public_key()),
        ("SESSION_PUBLIC_KEY", session_key.public_key()),
        ("SESSION_DOMAIN_HASH", snip12::session_domain_hash(chain_id())),
        ("UNLIMITED_POLICY_HASH", Policy::unlimited_hash()),
        ("NEXT_EPOCH", next_epoch()),
        ("EMPTY_ARRAY_HASH", poseidon_hash_many(&[])),
    ];
    let named_type_hashes: Vec<(String, Felt)> = type_hashes
        .iter()
        .map(|(name, primary)| (format!("{name}_TYPE_HASH"), snip12::protocol_type_hash(primary)))
        .collect();
    constants.extend(named_type_hashes.iter().map(|(name, hash)| (name.as_str(), *hash)));
    for (name, value) in &constants {
        writeln!(cairo, "pub const {name}: felt252 = {};", hex(*value)).unwrap();
    }
    writeln!(cairo, "pub const EXPIRES_AT: u64 = {EXPIRES_AT};\npub const NOW: u64 = {NOW};").unwrap();
    writeln!(cairo, "pub const BLOCK_NUMBER: u64 = {BLOCK_NUMBER};").unwrap();

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
    let rotation_back_hash =
        snip12::owner_rotation_hash(chain_id(), ACCOUNT, new_owner.public_key(), owner.public_key());
    let rotation_back = owner.sign(rotation_back_hash).unwrap();
    for (name, hash, signature) in [
        ("OWNER_ROTATION", rotation_hash, rotation),
        ("OWNER_ROTATION_BACK", rotation_back_hash, rotation_back),
    ] {
        writeln!(cairo, "pub const {name}_HASH: felt252 = {};", hex(hash)).unwrap();
        writeln!(
            cairo,
            "pub const {name}_SIGNATURE: (felt252, felt252) = ({}, {});",
            hex(signature.r),
            hex(signature.s)
        )
        .unwrap();
    }

    let names = entrypoint_names();
    let mut session_json = Vec::new();
    for (name, session) in sessions() {
        let upper = name.to_uppercase();
        let session_hash = session.hash(chain_id(), ACCOUNT);
        let authorization = owner.sign(session_hash).unwrap();
        cairo.push_str(&cairo_session(name, session.to_felts()));
        writeln!(cairo, "pub const {upper}_SESSION_HASH: felt252 = {};", hex(session_hash)).unwrap();
        writeln!(cairo, "pub const {upper}_BINDING: u128 = {:#x};", session.binding(session_hash)).unwrap();
        writeln!(cairo, "pub const {upper}_TERMS: felt252 = {};", hex(session.terms())).unwrap();
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
            writeln!(
                cairo,
                "        ({}, {}, array![{}].span(), {}, array![{}].span()),",
                hex(permission.method.contract_address),
                hex(permission.method.selector),
                hexes(&argument_rules_felts(&permission.rules)).join(", "),
                hex(permission.leaf()),
                hexes(&proof_of(&session, index)).join(", ")
            )
            .unwrap();
        }
        writeln!(cairo, "    ]\n}}").unwrap();
        session_json.push(json!({
            "name": name,
            "session_key": hex(session.session_key),
            "expires_at": session.expires_at,
            "policy": session.policy(),
            "policy_felts": hexes(&session.policy().to_felts()),
            "policy_hash": hex(session.policy_hash()),
            "epoch": hex(session.epoch),
            "allowed_methods": method_json(&session),
            "allowed_methods_root": hex(session.allowed_methods_root()),
            "struct_hash": hex(session.struct_hash()),
            "session_hash": hex(session_hash),
            "binding": format!("{:#x}", session.binding(session_hash)),
            "terms": hex(session.terms()),
            "owner_authorization": sig_json(authorization),
            "typed_data": session.typed_data(chain_id(), &names),
        }));
    }

    // A session whose signed policy names one token twice (refused by the contract).
    let all = sessions();
    let by_name =
        |wanted: &str| all.iter().find(|(name, _)| *name == wanted).map(|(_, s)| s.clone()).unwrap();
    let token_only = SessionBuilder::new(session_key.public_key())
        .expires_at(EXPIRES_AT)
        .allow(GAME, "increase")
        .allow(TOKEN, "transfer")
        .build()
        .unwrap();
    let duplicate = raw_session(duplicate_limits_policy(), &token_only);
    cairo.push_str(&cairo_session("duplicate_limits", duplicate.felts));
    writeln!(cairo, "pub const DUPLICATE_LIMITS_SESSION_HASH: felt252 = {};", hex(duplicate.hash)).unwrap();
    session_json.push(json!({
        "name": "duplicate_limits",
        "expires_at": EXPIRES_AT,
        "policy_felts": hexes(&duplicate.policy.to_felts()),
        "policy_hash": hex(duplicate.felts[3]),
        "epoch": hex(Felt::ZERO),
        "allowed_methods_root": hex(duplicate.felts[2]),
        "session_hash": hex(duplicate.hash),
        "typed_data": duplicate.typed_data,
        "note": "a token listed twice with the same period: wallets display it, the contract refuses it",
    }));

    // Encoded transaction signatures over TX_HASH (or QUERY_TX_HASH) for named call lists.
    let infinite_approval =
        call_with(UNLIMITED_TOKEN, "approve", &[SPENDER, Felt::from(u128::MAX), Felt::from(u128::MAX)]);
    let signatures: Vec<(&str, Session, Felt, Vec<Call>, bool)> = vec![
        ("main_full_increase", by_name("main"), TX_HASH, vec![call(GAME, "increase")], true),
        ("main_full_increase_query", by_name("main"), QUERY_TX_HASH, vec![call(GAME, "increase")], true),
        ("main_cached_increase", by_name("main"), TX_HASH, vec![call(GAME, "increase")], false),
        (
            "main_full_two_calls",
            by_name("main"),
            TX_HASH,
            vec![call(GAME, "increase"), call(GAME, "get")],
            true,
        ),
        ("main_full_transfer", by_name("main"), TX_HASH, vec![call(TOKEN, "transfer")], true),
        ("main_full_no_calls", by_name("main"), TX_HASH, vec![], true),
        ("main_cached_no_calls", by_name("main"), TX_HASH, vec![], false),
        ("next_epoch_full_increase", by_name("next_epoch"), TX_HASH, vec![call(GAME, "increase")], true),
        (
            "guessed_epoch_full_increase",
            by_name("guessed_epoch"),
            TX_HASH,
            vec![call(GAME, "increase")],
            true,
        ),
        ("single_full_increase", by_name("single"), TX_HASH, vec![call(GAME, "increase")], true),
        ("subscription_full_increase", by_name("subscription"), TX_HASH, vec![call(GAME, "increase")], true),
        (
            "subscription_full_increase_twice",
            by_name("subscription"),
            TX_HASH,
            vec![call(GAME, "increase"), call(GAME, "increase")],
            true,
        ),
        (
            "bot_full_rules",
            by_name("bot"),
            TX_HASH,
            vec![
                call_with(GAME, "increase", &[Felt::from(5u8)]),
                call_with(
                    TOKEN,
                    "transfer_from",
                    &[Felt::from(0xau8), Felt::from(0xbu8), Felt::from(100u8), Felt::ZERO],
                ),
            ],
            true,
        ),
        ("policy_full_transfer", by_name("policy"), TX_HASH, vec![transfer(TOKEN, 1)], true),
        ("policy_cached_transfer", by_name("policy"), TX_HASH, vec![transfer(TOKEN, 1)], false),
        (
            "policy_cached_two_transfers",
            by_name("policy"),
            TX_HASH,
            vec![transfer(TOKEN, 1), transfer(TOKEN, 1)],
            false,
        ),
        ("policy_cached_get", by_name("policy"), TX_HASH, vec![call(GAME, "get")], false),
        ("policy_cached_daily_transfer", by_name("policy"), TX_HASH, vec![transfer(DAILY_TOKEN, 1)], false),
        (
            "policy_cached_unlisted_approve",
            by_name("policy"),
            TX_HASH,
            vec![call_with(GAME, "approve", &[SPENDER, Felt::ONE, Felt::ZERO])],
            false,
        ),
        ("policy_cached_unlimited_approve", by_name("policy"), TX_HASH, vec![infinite_approval], false),
        (
            "policy_cached_unlimited_transfer",
            by_name("policy"),
            TX_HASH,
            vec![transfer(UNLIMITED_TOKEN, 1)],
            false,
        ),
        (
            "policy_cached_rules",
            by_name("policy"),
            TX_HASH,
            vec![
                call_with(GAME, "increase", &[Felt::from(10u8)]),
                call_with(GAME, "reset", &[Felt::THREE]),
                call_with(TOKEN, "approve", &[SPENDER, Felt::ONE, Felt::ZERO]),
                call_with(
                    TOKEN,
                    "transfer_from",
                    &[Felt::from(0xau8), Felt::from(0xbu8), Felt::from(500u16), Felt::ZERO],
                ),
            ],
            false,
        ),
        ("two_limits_full_transfer", by_name("two_limits"), TX_HASH, vec![transfer(TOKEN, 1)], true),
        ("two_limits_cached_transfer", by_name("two_limits"), TX_HASH, vec![transfer(TOKEN, 1)], false),
    ];
    let mut signature_json = Vec::new();
    let session_name = |hash: Felt| {
        session_json.iter().find(|s| s["session_hash"] == hex(hash)).map(|s| s["name"].clone()).unwrap()
    };
    for (name, session, signed_hash, calls, with_authorization) in signatures {
        let felts = session_signature(&session, signed_hash, &calls, with_authorization);
        write_felt_array(&mut cairo, &format!("sig_{name}"), &felts);
        let mut entry = signature_entry(
            name,
            session_name(session.hash(chain_id(), ACCOUNT)),
            signed_hash,
            &calls,
            &felts,
        );
        entry["form"] = json!("full");
        entry["owner_authorization"] = json!(with_authorization);
        signature_json.push(entry);
    }
    // By-reference signatures of stored sessions: (name, session, calls, remembered leaves,
    // ask to remember proven leaves).
    let leaf = |session: &Session, c: &Call| session.leaf_for(c).unwrap().0;
    let (main, policy_session) = (by_name("main"), by_name("policy"));
    let policy_rules_calls = vec![
        call_with(GAME, "increase", &[Felt::from(10u8)]),
        call_with(GAME, "reset", &[Felt::THREE]),
        call_with(TOKEN, "approve", &[SPENDER, Felt::ONE, Felt::ZERO]),
        call_with(
            TOKEN,
            "transfer_from",
            &[Felt::from(0xau8), Felt::from(0xbu8), Felt::from(500u16), Felt::ZERO],
        ),
    ];
    /// (name, session, calls, leaves the account remembers, ask to remember the proven ones).
    type Reference = (&'static str, Session, Vec<Call>, Vec<Felt>, bool);
    let references: Vec<Reference> = vec![
        ("single_ref_increase", by_name("single"), vec![call(GAME, "increase")], vec![], false),
        (
            "single_ref_two_increases",
            by_name("single"),
            vec![call(GAME, "increase"), call(GAME, "increase")],
            vec![],
            false,
        ),
        ("main_ref_increase", main.clone(), vec![call(GAME, "increase")], vec![], false),
        ("main_ref_increase_remember", main.clone(), vec![call(GAME, "increase")], vec![], true),
        (
            "main_ref_increase_remembered",
            main.clone(),
            vec![call(GAME, "increase")],
            vec![leaf(&main, &call(GAME, "increase"))],
            false,
        ),
        ("main_ref_no_calls", main.clone(), vec![], vec![], false),
        ("main_ref_transfer", main.clone(), vec![call(TOKEN, "transfer")], vec![], false),
        ("policy_ref_transfer", policy_session.clone(), vec![transfer(TOKEN, 1)], vec![], false),
        ("policy_ref_rules", policy_session.clone(), policy_rules_calls, vec![], false),
        ("two_limits_ref_transfer", by_name("two_limits"), vec![transfer(TOKEN, 1)], vec![], false),
        // Claims `increase` is remembered for this session: only `main` remembered it.
        (
            "two_limits_ref_increase_unproven",
            by_name("two_limits"),
            vec![call(GAME, "increase")],
            vec![leaf(&main, &call(GAME, "increase"))],
            false,
        ),
    ];
    for (name, session, calls, remembered, remember) in references {
        let felts = reference_signature(&session, TX_HASH, &calls, &remembered, remember);
        write_felt_array(&mut cairo, &format!("sig_{name}"), &felts);
        let mut entry =
            signature_entry(name, session_name(session.hash(chain_id(), ACCOUNT)), TX_HASH, &calls, &felts);
        entry["form"] = json!("reference");
        entry["remembered"] = json!(hexes(&remembered));
        entry["remember"] = json!(remember);
        signature_json.push(entry);
    }

    let duplicate_calls = vec![transfer(TOKEN, 1)];
    let duplicate_signature = encode_session_signature(
        duplicate.felts,
        Some(duplicate.policy.to_felts()),
        duplicate.hash,
        TX_HASH,
        token_only.permissions_for(&duplicate_calls).unwrap(),
        true,
    );
    write_felt_array(&mut cairo, "sig_duplicate_limits_full_transfer", &duplicate_signature);
    let mut entry = signature_entry(
        "duplicate_limits_full_transfer",
        json!("duplicate_limits"),
        TX_HASH,
        &duplicate_calls,
        &duplicate_signature,
    );
    entry["form"] = json!("full");
    entry["owner_authorization"] = json!(true);
    signature_json.push(entry);

    // SNIP-9 outside executions signed by the owner and by the main session.
    let main = by_name("main");
    let executions = vec![
        ("empty", vec![], NOW - 100, NOW + 100),
        ("self_call", vec![call(ACCOUNT, "revoke_all_sessions")], NOW - 100, NOW + 100),
        ("forbidden", vec![call(TOKEN, "burn")], NOW - 100, NOW + 100),
        // Valid around the main session's expiry: the session's own expiry must still bind.
        ("at_expiry", vec![], EXPIRES_AT - 100, EXPIRES_AT + 100),
    ];
    let mut execution_json = Vec::new();
    for (name, calls, execute_after, execute_before) in executions {
        let execution = OutsideExecution {
            caller: snip12::short_string(snip12::ANY_CALLER),
            nonce: Felt::from(0x4e0ce1u64),
            execute_after,
            execute_before,
            calls: calls.clone(),
        };
        let hash = execution.message_hash(chain_id(), ACCOUNT);
        let upper = name.to_uppercase();
        writeln!(cairo, "\npub const OE_{upper}_HASH: felt252 = {};", hex(hash)).unwrap();
        writeln!(cairo, "pub const OE_{upper}_AFTER: u64 = {execute_after};").unwrap();
        writeln!(cairo, "pub const OE_{upper}_BEFORE: u64 = {execute_before};").unwrap();
        let owner_signature = owner.sign(hash).unwrap();
        let permissions = calls
            .iter()
            .map(|c| {
                main.permission_for(c).unwrap_or(CallPermission {
                    proof: vec![],
                    rules: vec![],
                    remember: false,
                })
            })
            .collect();
        let session_signature = encode_session_signature(
            main.to_felts(),
            None,
            main.hash(chain_id(), ACCOUNT),
            hash,
            permissions,
            true,
        );
        write_felt_array(
            &mut cairo,
            &format!("oe_{name}_owner_signature"),
            &[owner_signature.r, owner_signature.s],
        );
        write_felt_array(&mut cairo, &format!("oe_{name}_session_signature"), &session_signature);
        let reference = reference_signature(&main, hash, &calls, &[], false);
        write_felt_array(&mut cairo, &format!("oe_{name}_reference_signature"), &reference);
        execution_json.push(json!({
            "name": name,
            "caller": hex(execution.caller),
            "nonce": hex(execution.nonce),
            "execute_after": execution.execute_after,
            "execute_before": execution.execute_before,
            "calls": calls.iter().map(|c| json!({"to": hex(c.to), "selector": hex(c.selector), "calldata": []})).collect::<Vec<_>>(),
            "message_hash": hex(hash),
            "owner_signature": sig_json(owner_signature),
            "session_signature": hexes(&session_signature),
            "reference_signature": hexes(&reference),
        }));
    }
    writeln!(cairo, "pub const OE_NONCE: felt252 = 0x4e0ce1;").unwrap();
    for (name, policy) in [
        ("policy", policy()),
        ("two_limits_policy", two_limits_policy()),
        ("duplicate_limits_policy", duplicate_limits_policy()),
        ("subscription_policy", subscription_policy()),
    ] {
        cairo.push_str(&cairo_policy(name, &policy));
        writeln!(cairo, "pub const {}_HASH: felt252 = {};", name.to_uppercase(), hex(policy.struct_hash()))
            .unwrap();
    }

    let passkey_json = passkey_vectors(&mut cairo, &by_name("main"));
    let messages_json = message_vectors(&mut cairo, &by_name("orders"));

    let json = json!({
        "description": "Session account protocol v3 vectors, generated by crates/session-core/tests/vectors.rs",
        "chain_id": hex(chain_id()),
        "account": hex(ACCOUNT),
        "owner_public_key": hex(owner.public_key()),
        "new_owner_public_key": hex(new_owner.public_key()),
        "session_public_key": hex(session_key.public_key()),
        "now": NOW,
        "test_secrets": {
            "what": "private keys of the vectors, public so every implementation can reproduce the signatures (RFC 6979: deterministic); never use them",
            "owner": hex(OWNER_SECRET),
            "new_owner": hex(NEW_OWNER_SECRET),
            "session": hex(SESSION_SECRET),
            "passkey_p256": hex_bytes(&passkey_key().to_bytes()),
        },
        "types": session_core::session_types(),
        "encoded_types": type_hashes.iter().map(|(_, primary)| {
            let name = primary.split('"').nth(1).unwrap();
            (name.to_owned(), json!({"encoded": snip12::encoded_type(primary), "hash": hex(snip12::protocol_type_hash(primary))}))
        }).collect::<serde_json::Map<_, _>>(),
        "type_hashes": {
            "StarknetDomain": hex(snip12::type_hash(snip12::STARKNET_DOMAIN_TYPE)),
            "OutsideExecution": hex(snip12::type_hash(snip12::OUTSIDE_EXECUTION_TYPE)),
            "Call": hex(snip12::type_hash(snip12::CALL_TYPE)),
        },
        "session_domain_hash": hex(snip12::session_domain_hash(chain_id())),
        "unlimited_policy_hash": hex(Policy::unlimited_hash()),
        "epochs": {
            "initial": hex(Felt::ZERO),
            "after_revoke_all": {"transaction_hash": hex(TX_HASH), "block_number": BLOCK_NUMBER, "epoch": hex(next_epoch())},
        },
        "owner_transaction": {"transaction_hash": hex(TX_HASH), "signature": sig_json(owner_tx)},
        "owner_rotation": {"message_hash": hex(rotation_hash), "signature": sig_json(rotation)},
        "owner_rotation_back": {"message_hash": hex(rotation_back_hash), "signature": sig_json(rotation_back)},
        "sessions": session_json,
        "session_transaction_signatures": signature_json,
        "outside_executions": execution_json,
        "passkey": passkey_json,
        "session_messages": messages_json,
    });
    Vectors { json, cairo }
}

/// The SNIP-12 domain and type of the orders the `orders` session may sign.
const ORDER_DOMAIN: Felt = Felt::from_hex_unchecked("0xd0a11");
const ORDER_TYPE: Felt = Felt::from_hex_unchecked("0x0de5");

/// Off-chain messages signed by the `orders` session key: an order (accepted), and what the account
/// must refuse: a type not listed, the listed type under another domain, the session key's
/// transaction digest of the same hash.
fn message_vectors(cairo: &mut String, orders: &Session) -> Value {
    let key = key(SESSION_SECRET);
    let fields = [Felt::from(0x5e11u64), Felt::from(100u8)];
    let listed = AllowedMessage { domain_hash: ORDER_DOMAIN, type_hash: ORDER_TYPE };
    let (order_hash, order) = orders.sign_message(&key, chain_id(), ACCOUNT, listed, &fields).unwrap();
    let other_type = AllowedMessage { domain_hash: ORDER_DOMAIN, type_hash: ORDER_TYPE + Felt::ONE };
    let (other_type_hash, other_type_sig) =
        orders.sign_message(&key, chain_id(), ACCOUNT, other_type, &fields).unwrap();
    let other_domain = AllowedMessage { domain_hash: ORDER_DOMAIN + Felt::ONE, type_hash: ORDER_TYPE };
    let (other_domain_hash, other_domain_sig) =
        orders.sign_message(&key, chain_id(), ACCOUNT, other_domain, &fields).unwrap();
    let tx_digest =
        key.sign(snip12::session_key_message(order_hash, orders.hash(chain_id(), ACCOUNT))).unwrap();
    let mut tx_style = order.clone();
    let length = tx_style.len();
    tx_style[length - 2] = tx_digest.r;
    tx_style[length - 1] = tx_digest.s;
    for (name, value) in [
        ("ORDER_MESSAGE_HASH", order_hash),
        ("OTHER_TYPE_MESSAGE_HASH", other_type_hash),
        ("OTHER_DOMAIN_MESSAGE_HASH", other_domain_hash),
    ] {
        writeln!(cairo, "pub const {name}: felt252 = {};", hex(value)).unwrap();
    }
    write_felt_array(cairo, "sig_order_message", &order);
    write_felt_array(cairo, "sig_other_type_message", &other_type_sig);
    write_felt_array(cairo, "sig_other_domain_message", &other_domain_sig);
    write_felt_array(cairo, "sig_order_message_tx_digest", &tx_style);
    json!({
        "session": "orders",
        "allowed": {"domain_hash": hex(ORDER_DOMAIN), "type_hash": hex(ORDER_TYPE)},
        "fields": hexes(&fields),
        "message_hash": hex(order_hash),
        "signature": hexes(&order),
        "refused": [
            {"what": "a type the session does not list", "message_hash": hex(other_type_hash), "signature": hexes(&other_type_sig)},
            {"what": "the listed type under another domain", "message_hash": hex(other_domain_hash), "signature": hexes(&other_domain_sig)},
            {"what": "the session key's transaction digest of the order hash", "message_hash": hex(order_hash), "signature": hexes(&tx_style)},
        ],
    })
}

fn signature_entry(name: &str, session: Value, signed_hash: Felt, calls: &[Call], felts: &[Felt]) -> Value {
    json!({
        "name": name,
        "session": session,
        "transaction_hash": hex(signed_hash),
        "calls": calls.iter().map(|c| json!({"to": hex(c.to), "selector": hex(c.selector), "calldata": hexes(&c.calldata)})).collect::<Vec<_>>(),
        "signature": hexes(felts),
    })
}

/// The proof of leaf `index` of the session's tree, recomputed from the call it allows.
fn proof_of(session: &Session, index: usize) -> Vec<Felt> {
    let permission = &session.allowed_methods()[index];
    let tree = MethodTree::new(session.allowed_methods().iter().map(|p| p.leaf()).collect()).unwrap();
    assert_eq!(tree.root(), session.allowed_methods_root());
    let proof = tree.proof(index).unwrap();
    assert!(MethodTree::verify(permission.leaf(), &proof, session.allowed_methods_root()));
    proof
}

/// The assertion Chromium's virtual authenticator made (`tests/vectors/browser_webauthn.json`):
/// Rust accepts it as the browser sent it, and hands it to the Cairo tests as passkey and signature.
fn browser_vectors(cairo: &mut String) {
    let text = std::fs::read_to_string(repo_file("tests/vectors/browser_webauthn.json")).unwrap();
    let browser: Value = serde_json::from_str(&text).unwrap();
    let field = |name: &str| browser[name].as_str().unwrap().to_owned();
    let bytes = |name: &str| {
        let text = field(name);
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    let passkey = Passkey::from_spki(&bytes("public_key_spki"), &field("rp_id"), &field("origin")).unwrap();
    let hash = Felt::from_hex(&field("challenge_hash")).unwrap();
    let assertion = WebAuthnAssertion::from_browser(
        bytes("authenticator_data"),
        bytes("client_data_json"),
        &bytes("signature_der"),
    )
    .unwrap();
    webauthn::verify_assertion(&passkey, hash, &assertion).expect("the browser's assertion verifies");
    let mut other_hash = assertion.clone();
    other_hash.client_data_json[40] ^= 1;
    assert!(webauthn::verify_assertion(&passkey, hash, &other_hash).is_err());
    writeln!(
        cairo,
        "\n/// The passkey Chromium's virtual authenticator created (browser_webauthn.json).\npub fn browser_passkey() -> Passkey {{\n    let mut felts = browser_passkey_owner_felts().span();\n    let _variant = felts.pop_front();\n    Serde::deserialize(ref felts).expect('browser passkey vector')\n}}"
    )
    .unwrap();
    write_felt_array(cairo, "browser_passkey_owner_felts", &OwnerKey::Passkey(passkey).to_felts());
    writeln!(cairo, "pub const BROWSER_CHALLENGE_HASH: felt252 = {};", hex(hash)).unwrap();
    write_felt_array(cairo, "browser_signature", &OwnerSignature::WebAuthn(assertion).encode());
}

fn write_felt_array(cairo: &mut String, name: &str, felts: &[Felt]) {
    writeln!(cairo, "pub fn {name}() -> Array<felt252> {{\n    array![{}]\n}}", hexes(felts).join(", "))
        .unwrap();
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
        (repo_file("tests/vectors/session_v3.json"), json_text),
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
        if let Some(authorization) = session.get("owner_authorization") {
            let r = Felt::from_hex(authorization["r"].as_str().unwrap()).unwrap();
            let s = Felt::from_hex(authorization["s"].as_str().unwrap()).unwrap();
            assert!(starknet_crypto::verify(&owner, &hash, &r, &s).unwrap());
        }
    }
    for entry in vectors.json["session_transaction_signatures"].as_array().unwrap() {
        let felts: Vec<Felt> = entry["signature"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| Felt::from_hex(f.as_str().unwrap()).unwrap())
            .collect();
        let call_count = entry["calls"].as_array().unwrap().len();
        let decoded = AccountSignature::decode(&felts, call_count);
        if entry["name"] == "duplicate_limits_full_transfer" {
            // The Rust decoder refuses what the contract refuses.
            assert!(decoded.is_err(), "{decoded:?}");
            continue;
        }
        let name = entry["name"].as_str().unwrap();
        match decoded {
            Ok(AccountSignature::Session(decoded)) => assert_eq!(decoded.calls.len(), call_count),
            Ok(AccountSignature::SessionRef(reference)) => {
                assert!(name.contains("_ref_"), "{name}");
                let session_key = key(SESSION_SECRET).public_key();
                let message = snip12::session_key_message(TX_HASH, reference.session_hash);
                let signature = reference.session_signature;
                assert!(starknet_crypto::verify(&session_key, &message, &signature.r, &signature.s).unwrap());
                let short = name.starts_with("single_");
                assert_eq!(
                    reference.root.is_none(),
                    short,
                    "{name}: the short form is for single-method sessions"
                );
                if short {
                    assert_eq!(felts.len(), 6);
                }
                if name == "main_ref_increase_remembered" {
                    assert_eq!(felts.len(), 7, "a remembered leaf without rules needs the root only");
                }
            }
            other => panic!("{name} does not decode as a session signature: {other:?}"),
        }
    }
}

#[test]
fn an_unlimited_spend_limit_is_u256_max() {
    assert!(SpendLimit::unlimited(TOKEN).is_unlimited());
    assert_eq!(SpendLimit::unlimited(TOKEN).amount, U256_MAX);
}
