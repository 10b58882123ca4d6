//! The SDK against a real devnet: a session account deployed with DEPLOY_ACCOUNT, one session
//! authorized by the owner (whose key lives in an encrypted keystore), many session transactions,
//! and every protection rejecting what it should — before sending and, when bypassed, on-chain.

mod common;

use common::{game_call, increase, Client, World};
use session_core::PreflightError;
use session_sdk::{
    account_history, session_status, wait_for_success, SdkError, SessionAccount, SessionAdmin,
};
use starknet::accounts::Account;
use starknet::core::types::{Felt, TransactionReceipt};
use starknet::signers::SigningKey;

#[tokio::test]
async fn one_owner_signature_many_session_transactions_and_every_protection() {
    let world = World::start().await;
    let counter = world.counter;
    let now = world.now().await;
    let session_file = world.create_session("game.json", now + 7200).await;
    let session = world.open_session(&session_file);

    // 20 moves back to back, nonces tracked locally, then all accepted in order.
    let moves = (1..=20).map(|_| vec![increase(counter, 1)]).collect();
    let hashes = session.send_sequence(moves).await.unwrap();
    assert_eq!(hashes.len(), 20);
    for hash in &hashes {
        wait_for_success(&world.devnet.provider(), *hash).await.unwrap();
    }
    assert_eq!(world.count().await, 20);
    assert!(world.admin().is_session_cached(session.session_hash()).await.unwrap());

    // Fee estimation through the session equals what the real transaction uses.
    let estimate = session.estimate(vec![increase(counter, 2)]).await.unwrap();
    let receipt = session.execute(vec![increase(counter, 2)]).await.unwrap();
    let TransactionReceipt::Invoke(receipt) = receipt.receipt else { panic!("not an invoke receipt") };
    assert_eq!(receipt.execution_resources.l2_gas, estimate.l2_gas_consumed);
    assert_eq!(world.count().await, 22);

    // A disallowed method: refused by the pre-flight check, nothing sent...
    let reset = game_call(counter, "reset", vec![]);
    let refused = session.send(vec![reset.clone()]).await.unwrap_err();
    assert!(matches!(refused, SdkError::Preflight(PreflightError::MethodNotAllowed { .. })), "{refused:?}");
    // ...and by the chain when the check is bypassed.
    let mut bypassing = world.open_session(&session_file);
    bypassing.set_preflight_checks(false);
    let rejected = bypassing.execute(vec![reset]).await.unwrap_err();
    assert!(
        matches!(&rejected, SdkError::PolicyViolation { reason, .. } if reason == "Session: method not allowed"),
        "{rejected:?}"
    );
    assert_eq!(world.count().await, 22);

    // Expiry: a short session works, then devnet time passes its expiry and the chain rejects it.
    let short = world.open_session(&world.create_session("short.json", world.now().await + 600).await);
    short.execute(vec![increase(counter, 1)]).await.unwrap();
    world.devnet.increase_time(1200).await.unwrap();
    let expired = short.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(matches!(expired, SdkError::SessionExpired { .. }), "{expired:?}");
    assert_eq!(world.count().await, 23);

    // Revocation of one session: the chain rejects it, other sessions keep working.
    let other = world.open_session(&world.create_session("other.json", world.now().await + 3600).await);
    world.admin().revoke_session(session.session_hash()).await.unwrap();
    let revoked = session.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(
        matches!(&revoked, SdkError::SessionRevoked { reason, .. } if reason == "Session: revoked"),
        "{revoked:?}"
    );
    other.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 24);

    // Revoke-all: every older session stops (used or not); a session of the new epoch works.
    let unused = world.open_session(&world.create_session("unused.json", world.now().await + 3600).await);
    let admin = world.admin();
    admin.revoke_all_sessions().await.unwrap();
    let new_epoch = admin.session_epoch().await.unwrap();
    assert_ne!(new_epoch, Felt::ZERO);
    for older in [&other, &unused] {
        let stale = older.execute(vec![increase(counter, 1)]).await.unwrap_err();
        assert!(
            matches!(&stale, SdkError::SessionRevoked { reason, .. } if reason == "Session: stale epoch"),
            "{stale:?}"
        );
    }
    let fresh = world.open_session(&world.create_session("fresh.json", world.now().await + 3600).await);
    assert_eq!(fresh.session().epoch, new_epoch);
    fresh.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 25);

    // The owner still transacts, including the method no session could call.
    let owner = world.owner();
    let sent = owner.execute_v3(vec![increase(counter, 5)]).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(world.count().await, 30);
    let sent = owner.execute_v3(vec![game_call(counter, "reset", vec![])]).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(world.count().await, 0);

    // An auditor reads it all back: four sessions were used (the unused one left no trace).
    let provider = world.devnet.provider();
    let history = account_history(&provider, world.account).await.unwrap();
    assert_eq!(history.revoke_all_epochs, vec![new_epoch]);
    assert_eq!(history.sessions.len(), 4);
    let record =
        history.sessions.iter().find(|record| record.session_hash == session.session_hash()).unwrap();
    assert!(record.revoked_event);
    assert_eq!(record.allowed_methods_root, Some(session.session().allowed_methods_root()));
    assert_eq!(record.expires_at, Some(session.session().expires_at));
    let status_of = |account: &SessionAccount<Client>| {
        let session = account.session().clone();
        let (provider, hash) = (world.devnet.provider(), account.session_hash());
        async move {
            session_status(&provider, world.account, hash, session.expires_at, session.epoch).await.unwrap()
        }
    };
    assert_eq!(status_of(&session).await.verdict(), "revoked");
    assert_eq!(status_of(&other).await.verdict(), "revoked-all");
    assert_eq!(status_of(&short).await.verdict(), "revoked-all");
    assert_eq!(status_of(&fresh).await.verdict(), "cached");
}

#[tokio::test]
async fn sequences_resync_their_nonce_and_owner_rotation_ends_old_sessions() {
    let world = World::start().await;
    let counter = world.counter;
    let session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);

    // The session's local nonce goes stale when the owner sends from the same account meanwhile.
    session.send(vec![increase(counter, 1)]).await.unwrap();
    let sent = world.owner().execute_v3(vec![increase(counter, 10)]).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    let hashes = session.send_sequence((0..3).map(|_| vec![increase(counter, 1)]).collect()).await.unwrap();
    for hash in hashes {
        wait_for_success(&world.devnet.provider(), hash).await.unwrap();
    }
    assert_eq!(world.count().await, 14);

    // A sequence refused part-way reports exactly what was sent.
    let reset = game_call(counter, "reset", vec![]);
    let batches = vec![vec![increase(counter, 1)], vec![reset], vec![increase(counter, 1)]];
    match session.send_sequence(batches).await.unwrap_err() {
        SdkError::SequenceInterrupted { sent, total: 3, source } => {
            assert_eq!(sent.len(), 1);
            wait_for_success(&world.devnet.provider(), sent[0]).await.unwrap();
            assert!(matches!(*source, SdkError::Preflight(_)), "{source:?}");
        }
        other => panic!("expected an interrupted sequence, got {other:?}"),
    }
    assert_eq!(world.count().await, 15);

    // Generated bindings run through the session account with no glue (its local nonce resyncs).
    let game = session_bindings::counter::Counter::new(counter, &session);
    let sent = game.increase(&1).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    session.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 17);

    // A session registered by the owner needs no owner signature in its transactions.
    let path = world.create_session("registered.json", world.now().await + 3600).await;
    let mut registered = world.open_session(&path);
    world.admin().register_session(registered.session()).await.unwrap();
    assert!(world.admin().is_session_registered(registered.session_hash()).await.unwrap());
    registered.use_on_chain_authorization();
    registered.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 18);

    // Rotating the owner key ends every session the old key authorized; the new key transacts.
    let new_owner = SigningKey::from_random();
    let admin = world.admin();
    admin.rotate_owner(&new_owner).await.unwrap();
    assert_eq!(admin.owner().await.unwrap(), new_owner.verifying_key().scalar());
    let stale = |error: &SdkError| matches!(error, SdkError::SessionRevoked { reason, .. } if reason == "Session: stale epoch");
    let rejected = session.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(stale(&rejected), "{rejected:?}");
    let old_owner = world.owner().execute_v3(vec![increase(counter, 1)]).send().await;
    assert!(format!("{old_owner:?}").contains("Account: invalid signature"), "{old_owner:?}");
    let new_account = session_sdk::OwnerAccount::new(
        world.devnet.provider(),
        world.devnet.chain_id(),
        world.account,
        new_owner,
    );
    let sent = new_account.execute_v3(vec![increase(counter, 1)]).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(world.count().await, 19);
    // The registered session was registered for the old owner: it stops too.
    let stopped = registered.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(stale(&stopped), "{stopped:?}");

    // Rotating back to the first key revives nothing: not the registered session, not one whose
    // authorization travels in each transaction.
    let original = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    SessionAdmin::new(new_account).rotate_owner(&original).await.unwrap();
    assert_eq!(world.admin().owner().await.unwrap(), original.verifying_key().scalar());
    for old in [&registered, &session] {
        let refused = old.execute(vec![increase(counter, 1)]).await.unwrap_err();
        assert!(stale(&refused), "{refused:?}");
    }
    assert_eq!(world.count().await, 19);
    let provider = world.devnet.provider();
    let status = session_status(
        &provider,
        world.account,
        registered.session_hash(),
        registered.session().expires_at,
        registered.session().epoch,
    )
    .await
    .unwrap();
    assert!(!status.registered && !status.cached && status.stale_epoch, "{status:?}");
    assert_eq!(status.verdict(), "revoked-all");
    // Both rotations started an epoch, as the account's events tell.
    let history = account_history(&provider, world.account).await.unwrap();
    assert_eq!(history.revoke_all_epochs.len(), 2);
    assert_eq!(history.owner_changes.len(), 3);
}

#[tokio::test]
async fn relayer_submits_session_signed_outside_execution_once() {
    let world = World::start().await;
    let counter = world.counter;
    let now = world.now().await;
    let session = world.open_session(&world.create_session("game.json", now + 3600).await);

    // The session key signs a SNIP-9 outside execution; a relayer pays for it.
    let signed =
        session.sign_outside_execution(vec![increase(counter, 9)], None, now - 60, now + 600).unwrap();
    let relayer = world.devnet.account(1);
    signed.submit(&relayer).await.unwrap();
    assert_eq!(world.count().await, 9);

    // Replaying the same payload is refused.
    let replay = signed.submit(&relayer).await.unwrap_err();
    assert!(replay.to_string().contains("SNIP9: nonce already used"), "{replay}");
    assert_eq!(world.count().await, 9);

    // A payload outside the session is not even signed.
    let refused =
        session.sign_outside_execution(vec![game_call(counter, "reset", vec![])], None, now, now + 600);
    assert!(matches!(refused, Err(SdkError::Preflight(_))), "{refused:?}");
}

#[tokio::test]
async fn sdk_users_get_the_current_epoch_saved_sessions_typed_errors_and_an_erc20_binding() {
    use cainome::cairo_serde::{ContractAddress, U256 as CairoU256};
    use session_bindings::erc20::{Erc20, Erc20Reader};
    use session_core::{Policy, PreflightError, SpendLimit, U256};
    use session_sdk::{SessionFile, STRK_TOKEN};
    use starknet::core::types::{BlockId, BlockTag};

    let world = World::start().await;
    let counter = world.counter;
    world.admin().revoke_all_sessions().await.unwrap();
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    let expires_at = world.now().await + 3600;
    let recipient = Felt::from(0xb0bu32);
    // `create_session` reads the epoch the revoke-all started: the session works at once.
    let session = session_sdk::create_session(
        &owner,
        world.devnet.provider(),
        world.account,
        world.devnet.chain_id(),
        |b| {
            b.expires_at(expires_at).allow(counter, "increase").allow(STRK_TOKEN, "transfer").policy(Policy {
                spend_limits: vec![SpendLimit::lifetime(STRK_TOKEN, U256::from(10u8))],
                ..Policy::default()
            })
        },
    )
    .await
    .unwrap();
    assert_eq!(session.session().epoch, world.admin().session_epoch().await.unwrap());
    session.execute(vec![increase(counter, 1)]).await.unwrap();

    // Saved to a file and reopened (as another process would), it keeps working.
    let path = world.dir.path().join("saved.json");
    session.to_file("pw", &Default::default()).unwrap().save(&path).unwrap();
    let reopened = SessionFile::load(&path).unwrap().open(world.devnet.provider(), "pw").unwrap();
    reopened.execute(vec![increase(counter, 1)]).await.unwrap();
    assert_eq!(world.count().await, 2);

    // Generated bindings through the session: errors map to the SDK's typed errors.
    let game = session_bindings::counter::Counter::new(counter, &reopened);
    let refused = game.reset().send().await.map_err(|error| SdkError::from_session_account("reset", error));
    assert!(
        matches!(refused, Err(SdkError::Preflight(PreflightError::MethodNotAllowed { .. }))),
        "{refused:?}"
    );
    let missing =
        session_bindings::counter::CounterReader::new(Felt::from(0xdeadu32), world.devnet.provider());
    let error = missing.get(&ContractAddress(world.account)).call().await.unwrap_err();
    let error = SdkError::from_call("get", Felt::from(0xdeadu32), error);
    assert!(matches!(error, SdkError::ContractNotFound { .. }), "{error:?}");

    // The ERC-20 binding: a transfer through the session (within its limit), a balance read.
    let strk = Erc20::new(STRK_TOKEN, &reopened);
    let sent =
        strk.transfer(&ContractAddress(recipient), &CairoU256 { low: 10, high: 0 }).send().await.unwrap();
    wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    let mut reader = Erc20Reader::new(STRK_TOKEN, world.devnet.provider());
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    assert_eq!(
        reader.balance_of(&ContractAddress(recipient)).call().await.unwrap(),
        CairoU256 { low: 10, high: 0 }
    );
    let over = strk.transfer(&ContractAddress(recipient), &CairoU256 { low: 1, high: 0 }).send().await;
    // Signing alone cannot know what was spent: the chain refuses it when the fee is estimated.
    let over = over.map_err(|error| SdkError::from_session_account("transfer", error));
    assert!(
        matches!(&over, Err(SdkError::SessionLimitReached { reason, .. }) if reason == "Session: spend limit exceeded"),
        "{over:?}"
    );
}
