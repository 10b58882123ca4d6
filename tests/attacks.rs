//! Attacks on the session account, each run on a real devnet and each asserting the specific
//! rejection (SECURITY.md names these tests). Pre-flight checks are switched off where an attacker
//! would not run them, so the chain alone is what refuses.

mod common;

use common::{game_call, increase, Client, World};
use session_bindings::session_account::SessionAccountReader;
use session_core::{Policy, SessionBuilder, SessionKey};
use session_sdk::{authorize_session, wait_for_success, SdkError, SessionAccount};
use starknet::core::types::{BlockId, BlockTag, Call, Felt};
use starknet::core::utils::get_selector_from_name;

/// A session allowing `counter.increase`, its authorization signed by `signer` over the session
/// hash for (`chain_id`, `account`), its transactions signed by `signing_key`.
async fn forged_session(
    world: &World,
    signer: &(impl session_sdk::OwnerSigner + ?Sized),
    chain_id: Felt,
    account: Felt,
    signing_key: Option<SessionKey>,
) -> SessionAccount<Client> {
    let key = SessionKey::generate().unwrap();
    let session = SessionBuilder::new(key.public_key())
        .expires_at(world.now().await + 3600)
        .allow(world.counter, "increase")
        .build()
        .unwrap();
    let authorization = authorize_session(signer, &session, chain_id, account).await.unwrap();
    let key = signing_key.unwrap_or(key);
    SessionAccount::new(
        world.devnet.provider(),
        world.account,
        world.devnet.chain_id(),
        session,
        key,
        Some(authorization),
    )
}

fn assert_unauthorized(error: SdkError, expected: &str) {
    assert!(
        matches!(&error, SdkError::SessionUnauthorized { reason, .. } if reason == expected),
        "expected {expected:?}, got {error:?}"
    );
}

#[tokio::test]
async fn forged_authorizations_and_session_signatures_are_rejected() {
    let world = World::start().await;
    let (chain_id, account, counter) = (world.devnet.chain_id(), world.account, world.counter);
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let stranger = starknet::signers::SigningKey::from_random();

    // Attack 1: the authorization is signed by a key that is not the owner.
    let session = forged_session(&world, &stranger, chain_id, account, None).await;
    assert_unauthorized(
        session.execute(vec![increase(counter, 1)]).await.unwrap_err(),
        "Session: invalid authorization",
    );

    // Attack 2: the owner's authorization of the same session for another account, or another chain.
    let session = forged_session(&world, &owner, chain_id, account + Felt::ONE, None).await;
    assert_unauthorized(
        session.execute(vec![increase(counter, 1)]).await.unwrap_err(),
        "Session: invalid authorization",
    );
    let mainnet = Felt::from_hex_unchecked("0x534e5f4d41494e");
    let session = forged_session(&world, &owner, mainnet, account, None).await;
    assert_unauthorized(
        session.execute(vec![increase(counter, 1)]).await.unwrap_err(),
        "Session: invalid authorization",
    );

    // Attack 3: a genuine authorization, but transactions signed by another key than the session's.
    let thief = SessionKey::generate().unwrap();
    let session = forged_session(&world, &owner, chain_id, account, Some(thief)).await;
    assert_unauthorized(
        session.execute(vec![increase(counter, 1)]).await.unwrap_err(),
        "Session: invalid session sig",
    );

    assert_eq!(world.count().await, 0, "no forged transaction ran");
}

#[tokio::test]
async fn sessions_cannot_smuggle_calls_or_touch_the_account() {
    let world = World::start().await;
    let (account, counter) = (world.account, world.counter);
    let mut session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);
    session.set_preflight_checks(false); // an attacker skips the SDK's checks
    session.execute(vec![increase(counter, 1)]).await.unwrap();

    // Attack 6: a disallowed call smuggled among allowed ones.
    let smuggled = vec![increase(counter, 1), game_call(counter, "reset", vec![]), increase(counter, 1)];
    let rejected = session.execute(smuggled).await.unwrap_err();
    assert!(
        matches!(&rejected, SdkError::PolicyViolation { reason, .. } if reason == "Session: method not allowed"),
        "{rejected:?}"
    );

    // Attack 7: calls to the account itself, whatever the entrypoint.
    let to_self = |entrypoint: &str, calldata: Vec<Felt>| Call {
        to: account,
        selector: get_selector_from_name(entrypoint).unwrap(),
        calldata,
    };
    let attempts = [
        to_self("set_owner", vec![Felt::from(0xbadu32), Felt::ZERO]),
        to_self("revoke_all_sessions", vec![]),
        to_self("revoke_session", vec![session.session_hash()]),
        to_self("register_session", vec![Felt::ONE, Felt::from(u64::MAX), Felt::ONE, Felt::ZERO, Felt::ZERO]),
        to_self("__execute__", vec![Felt::ZERO]),
        to_self("execute_from_outside_v2", vec![Felt::ZERO]),
    ];
    for attempt in attempts {
        let selector = attempt.selector;
        let rejected = session.execute(vec![increase(counter, 1), attempt]).await.unwrap_err();
        assert!(
            matches!(&rejected, SdkError::PolicyViolation { reason, .. } if reason == "Session: call to self"),
            "selector {selector:#x}: {rejected:?}"
        );
    }
    assert_eq!(world.count().await, 1, "only the first, allowed transaction ran");
    let mut reader = SessionAccountReader::new(account, world.devnet.provider());
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    assert_eq!(reader.get_session_epoch().call().await.unwrap(), Felt::ZERO, "revoke-all did not run");
}

#[tokio::test]
async fn a_session_signature_is_never_a_valid_account_signature() {
    // Attack 13: the session key signs an off-chain message (a permit, an order); the account's
    // SRC-6 `is_valid_signature` must not vouch for it.
    let world = World::start().await;
    let session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);
    let message = Felt::from(0x5151u32);
    let signature = session.sign_calls(message, &[increase(world.counter, 1)]).unwrap();
    let reader = SessionAccountReader::new(world.account, world.devnet.provider());
    let verdict = reader.is_valid_signature(&message, &signature).call().await.unwrap();
    assert_eq!(verdict, Felt::ZERO);
}

#[tokio::test]
async fn a_thousand_back_to_back_session_transactions_each_land_exactly_once() {
    let world = World::start().await;
    let session = world.open_session(&world.create_session("game.json", world.now().await + 7200).await);
    let hashes =
        session.send_sequence((0..1000).map(|_| vec![increase(world.counter, 1)]).collect()).await.unwrap();
    assert_eq!(hashes.len(), 1000);
    let distinct: std::collections::BTreeSet<_> = hashes.iter().collect();
    assert_eq!(distinct.len(), 1000, "every transaction is distinct");
    for hash in &hashes {
        wait_for_success(&world.devnet.provider(), *hash).await.unwrap();
    }
    assert_eq!(world.count().await, 1000, "each accepted exactly once");
}

#[tokio::test]
async fn malformed_replayed_and_malleated_signatures_are_rejected_on_chain() {
    let world = World::start().await;
    let counter = world.counter;
    let session = std::sync::Arc::new(
        world.open_session(&world.create_session("game.json", world.now().await + 3600).await),
    );
    let valid = {
        let session = session.clone();
        move |hash: Felt, calls: &[Call]| session.sign_calls(hash, calls).unwrap()
    };
    let expect =
        |refusal: String, reason: &str| assert!(refusal.contains(reason), "expected {reason:?} in {refusal}");

    // Attack 10: malformed signatures of every shape get their specific reason.
    expect(
        world.send_forged(vec![increase(counter, 1)], Box::new(|_, _, _| vec![])).await,
        "Account: bad signature format",
    );
    let truncated = valid.clone();
    let forge: common::Forge = Box::new(move |hash, _, calls| truncated(hash, calls)[..4].to_vec());
    expect(world.send_forged(vec![increase(counter, 1)], forge).await, "Session: malformed signature");
    let trailing = valid.clone();
    let forge: common::Forge =
        Box::new(move |hash, _, calls| [trailing(hash, calls), vec![Felt::ONE]].concat());
    expect(world.send_forged(vec![increase(counter, 1)], forge).await, "Session: malformed signature");
    let huge = valid.clone();
    let forge: common::Forge = Box::new(move |hash, _, calls| {
        let mut felts = huge(hash, calls);
        let last = felts.len() - 1;
        felts[last] = Felt::from(u64::MAX); // the entry header of the only call of a 1-method session
        felts
    });
    expect(world.send_forged(vec![increase(counter, 1)], forge).await, "Session: malformed signature");

    // Attack 11: the signature of the fee-estimation (query) version replayed as the real transaction.
    let query = valid.clone();
    let forge: common::Forge = Box::new(move |_, query_hash, calls| query(query_hash, calls));
    expect(world.send_forged(vec![increase(counter, 1)], forge).await, "Session: invalid session sig");

    // Attack 14: an out-of-range session signature (s = 0 and s = curve order).
    for bad_s in [
        Felt::ZERO,
        Felt::from_hex_unchecked("0x0800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f"),
    ] {
        let malleated = valid.clone();
        let forge: common::Forge = Box::new(move |hash, _, calls| {
            let mut felts = malleated(hash, calls);
            let session_s = felts.len() - 2; // [.., session_r, session_s, entry header = 0]
            felts[session_s] = bad_s;
            felts
        });
        expect(world.send_forged(vec![increase(counter, 1)], forge).await, "Session: invalid session sig");
    }
    assert_eq!(world.count().await, 0, "no forged transaction ran");

    // Attack 4: an accepted session transaction replayed with its nonce and a valid signature.
    use starknet::providers::Provider;
    let pending = BlockId::Tag(BlockTag::PreConfirmed);
    let used_nonce = world.devnet.provider().get_nonce(pending, world.account).await.unwrap();
    session.execute(vec![increase(counter, 1)]).await.unwrap();
    let replay = valid.clone();
    let forge: common::Forge = Box::new(move |hash, _, calls| replay(hash, calls));
    let refusal = world.send_forged_at(vec![increase(counter, 1)], forge, Some(used_nonce)).await;
    assert!(refusal.to_lowercase().contains("nonce"), "expected a nonce refusal, got {refusal}");
    assert_eq!(world.count().await, 1, "the replay did not run");
}

#[tokio::test]
async fn proofs_and_outside_executions_cannot_be_repurposed() {
    let world = World::start().await;
    let counter = world.counter;
    let mut session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);

    // Attack 5: the allowed selector on another contract (a second game), proof of the real leaf.
    let other_game = session_sdk::deploy_contract(
        &world.devnet.account(0),
        &session_bindings::counter_artifact().unwrap(),
        vec![],
        Felt::TWO,
    )
    .await
    .unwrap();
    session.set_preflight_checks(false);
    let rejected = session.execute(vec![increase(other_game, 1)]).await.unwrap_err();
    assert!(
        matches!(&rejected, SdkError::PolicyViolation { reason, .. } if reason == "Session: method not allowed"),
        "{rejected:?}"
    );
    session.set_preflight_checks(true);

    // Attack 9: outside executions for another caller, outside their window, or with altered calls.
    let relayer = world.devnet.account(1);
    let now = world.now().await;
    let someone_else = Some(world.devnet.accounts()[2].address);
    let expect = |result: Result<_, SdkError>, reason: &str| {
        let error = result.map(|_| ()).unwrap_err();
        assert!(error.to_string().contains(reason), "expected {reason:?}, got {error}");
    };
    let for_other = session
        .sign_outside_execution(vec![increase(counter, 1)], someone_else, now - 60, now + 600)
        .unwrap();
    expect(for_other.submit(&relayer).await, "SNIP9: invalid caller");
    let too_early =
        session.sign_outside_execution(vec![increase(counter, 1)], None, now + 600, now + 1200).unwrap();
    expect(too_early.submit(&relayer).await, "SNIP9: too early");
    let too_late =
        session.sign_outside_execution(vec![increase(counter, 1)], None, now - 600, now - 300).unwrap();
    expect(too_late.submit(&relayer).await, "SNIP9: too late");
    let mut altered =
        session.sign_outside_execution(vec![increase(counter, 1)], None, now - 60, now + 600).unwrap();
    altered.execution.calls = vec![increase(counter, 1000)];
    expect(altered.submit(&relayer).await, "Session: invalid session sig");

    // Attack 13: the session key signs an outside execution of a call its policy does not allow.
    session.set_preflight_checks(false);
    let outside_policy = session
        .sign_outside_execution(vec![game_call(counter, "reset", vec![])], None, now - 60, now + 600)
        .unwrap();
    session.set_preflight_checks(true);
    expect(outside_policy.submit(&relayer).await, "Session: method not allowed");
    assert_eq!(world.count().await, 0, "no repurposed call ran");
}

/// Revert reasons a malformed or forged signature may get; anything else is a finding.
const SIGNATURE_REASONS: &[&str] = &[
    "Account: bad signature format",
    "Account: invalid signature",
    "Session: malformed signature",
    "Session: bad auth length",
    "Session: invalid authorization",
    "Session: not authorized",
    "Session: invalid session sig",
    "Session: expired",
    "Session: stale epoch",
    "Session: policy mismatch",
    "Session: zero session key",
    "Session: proof too long",
    "Session: proof count mismatch",
    "Session: method not allowed",
];

#[tokio::test]
async fn random_signatures_are_cleanly_rejected_by_validate() {
    // Attack 10, randomized: mutations of a valid session signature (and random arrays) sent to the
    // account; each must be refused with one of the account's signature reasons.
    let world = World::start().await;
    let session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);
    let template = session.sign_calls(Felt::ONE, &[increase(world.counter, 1)]).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for case in 0..60 {
        let mut felts = template.clone();
        match case % 4 {
            0 => felts.truncate((random() % felts.len() as u64) as usize),
            1 => felts.extend((0..1 + random() % 4).map(|_| Felt::from(random() % 40))),
            2 => {
                let index = (random() % felts.len() as u64) as usize;
                felts[index] = Felt::from(random());
            }
            _ => felts = (0..random() % 20).map(|_| Felt::from(random() % 50)).collect(),
        }
        let refusal =
            world.send_forged(vec![increase(world.counter, 1)], Box::new(move |_, _, _| felts.clone())).await;
        assert!(
            SIGNATURE_REASONS.iter().any(|reason| refusal.contains(reason)),
            "case {case}: not a clean signature rejection: {refusal}"
        );
    }
    assert_eq!(world.count().await, 0, "no mutated signature was accepted");
}

#[tokio::test]
async fn callbacks_cannot_reenter_or_administer_the_account() {
    // Attack 15: a contract the session may call calls back into the account.
    let world = World::start().await;
    let (account, counter) = (world.account, world.counter);
    let caller = deploy_callback_caller(&world).await;
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let key = SessionKey::generate().unwrap();
    let session = SessionBuilder::new(key.public_key())
        .expires_at(world.now().await + 3600)
        .allow(counter, "increase")
        .allow(caller, "call_back")
        .build()
        .unwrap();
    let authorization = authorize_session(&owner, &session, world.devnet.chain_id(), account).await.unwrap();
    let session = SessionAccount::new(
        world.devnet.provider(),
        account,
        world.devnet.chain_id(),
        session,
        key,
        Some(authorization),
    );
    let call_back = |selector: &str, calldata: Vec<Felt>| Call {
        to: caller,
        selector: get_selector_from_name("call_back").unwrap(),
        calldata: [
            vec![account, get_selector_from_name(selector).unwrap(), Felt::from(calldata.len())],
            calldata,
        ]
        .concat(),
    };

    // Through the callback, administration is refused: the caller is not the account itself.
    let rejected = session.execute(vec![call_back("revoke_all_sessions", vec![])]).await.unwrap_err();
    assert!(rejected.to_string().contains("Account: unauthorized"), "{rejected}");

    // An outside execution whose call re-enters execute_from_outside_v2 with a second, validly
    // signed outside execution: the nested one is refused.
    let now = world.now().await;
    let inner =
        session.sign_outside_execution(vec![increase(counter, 100)], None, now - 60, now + 600).unwrap();
    let nested = call_back("execute_from_outside_v2", inner.execution.calldata(&inner.signature));
    let outer = session.sign_outside_execution(vec![nested], None, now - 60, now + 600).unwrap();
    let rejected = outer.submit(&world.devnet.account(1)).await.unwrap_err();
    assert!(rejected.to_string().contains("SNIP9: reentrant call"), "{rejected}");
    assert_eq!(world.count().await, 0, "no call of the nested execution ran");
}

#[tokio::test]
async fn a_contract_cannot_run_validate_again_to_charge_the_fee_budget() {
    // A contract the session calls calls `account.__validate__` with a call the session's
    // signature also covers: the signature verifies against the running transaction, so each
    // such call used to charge the fee budget again, until the session was unusable.
    let world = World::start().await;
    let account = world.account;
    let caller = deploy_callback_caller(&world).await;
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let budget = 10u128.pow(18);
    let expires_at = world.now().await + 3600;
    let session =
        session_sdk::create_session(&owner, world.devnet.provider(), account, world.devnet.chain_id(), |b| {
            b.expires_at(expires_at)
                .allow(caller, "call_back")
                .policy(Policy { fee_budget: Some(budget), ..Policy::default() })
        })
        .await
        .unwrap();
    let call_back = get_selector_from_name("call_back").unwrap();
    // `__validate__([call_back(...)])`: the inner call array the session's one permission covers.
    let inner = vec![Felt::ONE, caller, call_back, Felt::THREE, account, Felt::ONE, Felt::ZERO];
    let revalidate = Call {
        to: caller,
        selector: call_back,
        calldata: [
            vec![account, get_selector_from_name("__validate__").unwrap(), Felt::from(inner.len())],
            inner,
        ]
        .concat(),
    };
    // Its fee estimate already fails; sent anyway with bounds taken from a harmless call, the
    // account refuses the inner validation and the transaction reverts.
    use starknet::accounts::Account;
    let harmless = Call {
        to: caller,
        selector: call_back,
        calldata: vec![world.counter, get_selector_from_name("get").unwrap(), Felt::ONE, account],
    };
    let fee = session.estimate(vec![harmless]).await.unwrap();
    let sent = session
        .execute_v3(vec![revalidate])
        .l1_gas(fee.l1_gas_consumed * 3)
        .l1_gas_price(fee.l1_gas_price * 2)
        .l2_gas(fee.l2_gas_consumed * 3)
        .l2_gas_price(fee.l2_gas_price * 2)
        .l1_data_gas(fee.l1_data_gas_consumed * 3)
        .l1_data_gas_price(fee.l1_data_gas_price * 2)
        .tip(0)
        .send()
        .await
        .unwrap();
    let rejected = wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap_err();
    let SdkError::Reverted { reason, .. } = &rejected else { panic!("expected a revert, got {rejected:?}") };
    assert!(reason.contains("Account: invalid caller"), "{reason}");
    // The budget carries this transaction's maximum fee exactly once.
    let max_fee = max_fee_of(&world, sent.transaction_hash).await;
    assert_eq!(session.usage().await.unwrap().fees_committed, max_fee);
}

/// Deploys the security tests' `CallbackCaller` (calls back whatever it is told to).
async fn deploy_callback_caller(world: &World) -> Felt {
    session_sdk::deploy_contract(
        &world.devnet.account(0),
        &session_bindings::callback_caller_artifact().unwrap(),
        vec![],
        Felt::THREE,
    )
    .await
    .unwrap()
}

/// The maximum fee of transaction `hash`, from its resource bounds (tip included).
async fn max_fee_of(world: &World, hash: Felt) -> u128 {
    use starknet::core::types::{InvokeTransaction, Transaction};
    use starknet::providers::Provider;
    let transaction = world.devnet.provider().get_transaction_by_hash(hash).await.unwrap();
    let Transaction::Invoke(InvokeTransaction::V3(tx)) = transaction else { panic!("not an invoke v3") };
    let bounds = tx.resource_bounds;
    let l2 = u128::from(bounds.l2_gas.max_amount);
    u128::from(bounds.l1_gas.max_amount) * bounds.l1_gas.max_price_per_unit
        + l2 * bounds.l2_gas.max_price_per_unit
        + u128::from(bounds.l1_data_gas.max_amount) * bounds.l1_data_gas.max_price_per_unit
        + l2 * u128::from(tx.tip)
}

#[tokio::test]
async fn revoke_all_ends_authorizations_signed_before_it_even_for_the_next_epoch() {
    // With a counter epoch, a phished authorization for "current + 1" lay dormant until the owner's
    // emergency revoke-all woke it. Epochs are now unpredictable.
    let world = World::start().await;
    let counter = world.counter;
    let expires_at = world.now().await + 3600;
    let pre_signed =
        world.open_session(&world.create_session_for_epoch("guess.json", expires_at, Felt::ONE).await);
    let current = world.open_session(&world.create_session("current.json", expires_at).await);
    current.execute(vec![increase(counter, 1)]).await.unwrap();
    world.admin().revoke_all_sessions().await.unwrap();
    for session in [&pre_signed, &current] {
        let refused = session.execute(vec![increase(counter, 1)]).await.unwrap_err();
        assert!(
            matches!(&refused, SdkError::SessionRevoked { reason, .. } if reason == "Session: stale epoch"),
            "{refused:?}"
        );
    }
    assert_eq!(world.count().await, 1);
    // An auditor tells an ended session from one signed for an epoch the account never had.
    let status = |session: &SessionAccount<Client>| {
        let (provider, hash, expires_at, epoch) = (
            world.devnet.provider(),
            session.session_hash(),
            session.session().expires_at,
            session.session().epoch,
        );
        async move {
            session_sdk::session_status(&provider, world.account, hash, expires_at, epoch).await.unwrap()
        }
    };
    assert_eq!(status(&current).await.verdict(), "revoked-all");
    let guessed = status(&pre_signed).await;
    assert!(guessed.unknown_epoch && !guessed.stale_epoch, "{guessed:?}");
    assert_eq!(guessed.verdict(), "wrong-epoch");
}

#[tokio::test]
async fn boundaries_proof_reuse_and_signature_swaps() {
    let world = World::start().await;
    let counter = world.counter;
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let (chain_id, now) = (world.devnet.chain_id(), world.now().await);

    // Attack 5: a valid proof (of `increase`, in a two-method tree) presented for another method.
    let two_methods = std::sync::Arc::new(
        session_sdk::create_session(&owner, world.devnet.provider(), world.account, chain_id, |session| {
            session.expires_at(now + 3600).allow(counter, "increase").allow(counter, "get")
        })
        .await
        .unwrap(),
    );
    assert!(!two_methods.session().permission_for(&increase(counter, 1)).unwrap().proof.is_empty());
    let signer = two_methods.clone();
    let forge: common::Forge =
        Box::new(move |hash, _, _| signer.sign_calls(hash, &[increase(counter, 1)]).unwrap());
    let refusal = world.send_forged(vec![game_call(counter, "reset", vec![])], forge).await;
    assert!(refusal.contains("Session: method not allowed"), "{refusal}");

    // Attack 16: once the session is cached, a third party swaps the short signature for the full
    // form (both valid): accepted, same outcome — it can only cost the user the longer signature.
    two_methods.execute(vec![increase(counter, 1)]).await.unwrap();
    let signer = two_methods.clone(); // still holds the owner's authorization: the full form
    let forge: common::Forge = Box::new(move |hash, _, calls| signer.sign_calls(hash, calls).unwrap());
    let outcome = world.try_forged(vec![increase(counter, 1)], forge, None).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(world.count().await, 2, "the swapped transaction did exactly what was signed");

    // Attack 8: one second after expiry the chain refuses the session.
    let expires_at = world.now().await + 100;
    let short =
        session_sdk::create_session(&owner, world.devnet.provider(), world.account, chain_id, |session| {
            session.expires_at(expires_at).allow(counter, "increase")
        })
        .await
        .unwrap();
    short.execute(vec![increase(counter, 1)]).await.unwrap();
    world.devnet.set_time(expires_at + 1).await.unwrap();
    let expired = short.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(matches!(expired, SdkError::SessionExpired { .. }), "{expired:?}");
    assert_eq!(world.count().await, 3);
}

/// A by-reference signature for `session` (hash `session_hash`) of `calls`, with `key_field` in
/// its session-key field, signed by `signer` over the transaction hash.
fn reference_signature(
    session: &session_core::Session,
    session_hash: Felt,
    key_field: Felt,
    signer: &SessionKey,
    hash: Felt,
) -> Vec<Felt> {
    let session_signature =
        signer.sign(session_core::snip12::session_key_message(hash, session_hash)).unwrap();
    session_core::AccountSignature::SessionRef(session_core::SessionRefSignature {
        session_hash,
        terms: session.terms(),
        session_key: key_field,
        session_signature,
        root: None,
        calls: None,
    })
    .encode()
}

#[tokio::test]
async fn references_work_only_for_the_stored_session() {
    let world = World::start().await;
    let counter = world.counter;
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let (chain_id, now) = (world.devnet.chain_id(), world.now().await);
    let create = |expires_at: u64| {
        session_sdk::create_session(
            &owner,
            world.devnet.provider(),
            world.account,
            chain_id,
            move |session| session.expires_at(expires_at).allow(counter, "increase"),
        )
    };

    // The first transaction stores the session; the next ones name it by hash in 6 felts.
    let stored = create(now + 3600).await.unwrap();
    stored.execute(vec![increase(counter, 1)]).await.unwrap();
    assert!(stored.signs_by_reference());
    assert_eq!(stored.sign_calls(Felt::ONE, &[increase(counter, 1)]).unwrap().len(), 6);
    stored.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 2);

    // Attack 29: a reference to a session the owner authorized but that was never stored.
    let mut never_stored = create(now + 3600).await.unwrap();
    never_stored.use_on_chain_authorization();
    let signer = std::sync::Arc::new(never_stored);
    let forger = signer.clone();
    let forge: common::Forge = Box::new(move |hash, _, calls| forger.sign_calls(hash, calls).unwrap());
    let refusal = world.send_forged(vec![increase(counter, 1)], forge).await;
    assert!(refusal.contains("Session: not authorized"), "{refusal}");

    // Attack 32: the stored session's hash with an attacker's key (in the key field and signing).
    let attacker = SessionKey::generate().unwrap();
    let (session, session_hash) = (stored.session().clone(), stored.session_hash());
    let forge: common::Forge = Box::new(move |hash, _, _| {
        reference_signature(&session, session_hash, attacker.public_key(), &attacker, hash)
    });
    let refusal = world.send_forged(vec![increase(counter, 1)], forge).await;
    assert!(refusal.contains("Session: reference mismatch"), "{refusal}");

    // Attack 30: revoked, then (another stored session) revoke-all.
    world.admin().revoke_session(stored.session_hash()).await.unwrap();
    let revoked = stored.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(matches!(revoked, SdkError::SessionRevoked { .. }), "{revoked:?}");
    let other = create(now + 3600).await.unwrap();
    other.execute(vec![increase(counter, 1)]).await.unwrap();
    world.admin().revoke_all_sessions().await.unwrap();
    let stale = other.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(format!("{stale:?}").contains("Session: stale epoch"), "{stale:?}");
    assert_eq!(world.count().await, 3);
}

#[tokio::test]
async fn a_session_signs_only_the_off_chain_messages_its_owner_listed() {
    // A bot may sign a DEX's orders (one SNIP-12 domain and type) while its session is stored.
    let world = World::start().await;
    let (domain_hash, type_hash) = (Felt::from(0xd0a11u32), Felt::from(0xde5u32));
    let order = session_core::AllowedMessage { domain_hash, type_hash };
    let owner = world.owner_signer();
    let mut session = session_sdk::create_session(
        &owner,
        world.devnet.provider(),
        world.account,
        world.devnet.chain_id(),
        |b| {
            b.expires_at(2_000_000_000).allow(world.counter, "increase").allow_message(domain_hash, type_hash)
        },
    )
    .await
    .unwrap();
    let mut reader = SessionAccountReader::new(world.account, world.devnet.provider());
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    let fields = [Felt::from(0x5e11u32), Felt::from(100u8)];
    let (hash, signature) = session.sign_message(order, &fields).unwrap();
    // Not stored yet: refused.
    assert_eq!(reader.is_valid_signature(&hash, &signature).call().await.unwrap(), Felt::ZERO);
    world.admin().register_session(session.session()).await.unwrap();
    session.use_on_chain_authorization();
    assert_eq!(
        reader.is_valid_signature(&hash, &signature).call().await.unwrap(),
        session_core::snip12::short_string("VALID")
    );
    // Another type, even signed by the session key, and a transaction's hash: refused.
    let other = session_core::AllowedMessage { domain_hash, type_hash: type_hash + Felt::ONE };
    assert!(session.sign_message(other, &fields).is_err(), "the SDK refuses an unlisted kind");
    assert_eq!(reader.is_valid_signature(&(hash + Felt::ONE), &signature).call().await.unwrap(), Felt::ZERO);
    // Revoked: refused.
    world.admin().revoke_session(session.session_hash()).await.unwrap();
    assert_eq!(reader.is_valid_signature(&hash, &signature).call().await.unwrap(), Felt::ZERO);
}
