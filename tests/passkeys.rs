//! Passkey owners on devnet: an account deployed, administered and rotated by a passkey (software
//! authenticator, assertions in the browser's format), sessions it authorizes with one assertion,
//! and assertions the account must refuse.

mod common;

use std::sync::{Arc, Mutex};

use common::{increase, World};
use session_core::{OwnerKey, OwnerSignature};
use session_sdk::{OwnerAccount, OwnerSigner, SdkError, SessionAdmin, SoftwarePasskey};
use starknet::accounts::Account;
use starknet::core::types::Felt;
use starknet::signers::SigningKey;

/// The P-256 secret of the tests' passkey.
const SECRET: [u8; 32] = [0x42; 32];

fn passkey_for(rp_id: &str, origin: &str) -> SoftwarePasskey {
    SoftwarePasskey::from_secret(&SECRET, rp_id, origin).unwrap()
}

fn stale(error: &SdkError) -> bool {
    matches!(error, SdkError::SessionRevoked { reason, .. } if reason == "Session: stale epoch")
}

#[tokio::test]
async fn a_passkey_owner_authorizes_once_and_administers_sessions() {
    // DEPLOY_ACCOUNT signed by the passkey (World::start_with_passkey deploys counterfactually).
    let world = World::start_with_passkey(SECRET).await;
    let counter = world.counter;
    let admin = world.admin();
    let owner = world.owner_signer().owner_key();
    assert!(owner.is_passkey());
    assert_eq!(admin.owner_key().await.unwrap(), owner);
    assert_eq!(admin.owner().await.unwrap(), owner.id());

    // The passkey signs the owner's own transactions.
    let sent = world.owner().execute_v3(vec![increase(counter, 1)]).send().await.unwrap();
    session_sdk::wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(world.count().await, 1);

    // One assertion authorizes a session; its moves need no owner at all.
    let path = world.create_session("game.json", world.now().await + 3600).await;
    let session = world.open_session(&path);
    for _ in 0..3 {
        session.execute(vec![increase(counter, 1)]).await.unwrap();
    }
    assert!(session.signs_by_reference(), "cached by its first transaction");
    assert_eq!(world.count().await, 4);

    // Register, revoke and revoke-all, each an owner transaction signed by the passkey.
    let registered_path = world.create_session("registered.json", world.now().await + 3600).await;
    let mut registered = world.open_session(&registered_path);
    admin.register_session(registered.session()).await.unwrap();
    assert!(admin.is_session_registered(registered.session_hash()).await.unwrap());
    registered.use_on_chain_authorization();
    registered.execute(vec![increase(counter, 1)]).await.unwrap();
    admin.revoke_session(registered.session_hash()).await.unwrap();
    let revoked = registered.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(matches!(revoked, SdkError::SessionRevoked { .. }), "{revoked:?}");
    admin.revoke_all_sessions().await.unwrap();
    let ended = session.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(stale(&ended), "{ended:?}");
    assert_eq!(world.count().await, 5);
}

#[tokio::test]
async fn rotations_between_a_passkey_and_a_stark_key_end_every_session() {
    let world = World::start_with_passkey(SECRET).await;
    let counter = world.counter;
    let session = world.open_session(&world.create_session("game.json", world.now().await + 3600).await);
    session.execute(vec![increase(counter, 1)]).await.unwrap();

    // Passkey → Stark key: the passkey's sessions and signatures stop.
    let stark = SigningKey::from_random();
    world.admin().rotate_owner(&stark).await.unwrap();
    assert_eq!(
        world.admin().owner_key().await.unwrap(),
        OwnerKey::Stark { public_key: stark.verifying_key().scalar() }
    );
    let ended = session.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(stale(&ended), "{ended:?}");
    let by_passkey = world.owner().execute_v3(vec![increase(counter, 1)]).send().await;
    assert!(format!("{by_passkey:?}").contains("Account: invalid signature"), "{by_passkey:?}");

    // Stark key → another passkey: the new passkey signs, the Stark key no longer does.
    let stark_account =
        OwnerAccount::new(world.devnet.provider(), world.devnet.chain_id(), world.account, stark);
    let new_passkey = SoftwarePasskey::generate("game.example", "https://game.example").unwrap();
    let new_owner = new_passkey.owner_key();
    SessionAdmin::new(stark_account).rotate_owner(&new_passkey).await.unwrap();
    let passkey_account =
        OwnerAccount::new(world.devnet.provider(), world.devnet.chain_id(), world.account, new_passkey);
    let sent = passkey_account.execute_v3(vec![increase(counter, 1)]).send().await.unwrap();
    session_sdk::wait_for_success(&world.devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(SessionAdmin::new(passkey_account).owner_key().await.unwrap(), new_owner);
    assert_eq!(world.count().await, 2);
}

#[tokio::test]
async fn assertions_for_another_origin_party_key_or_transaction_are_refused_on_chain() {
    let world = World::start_with_passkey(SECRET).await;
    let calls = || vec![increase(world.counter, 1)];
    let refused_with = |signer: SoftwarePasskey| -> common::Forge {
        Box::new(move |real, _query, _calls| OwnerSignature::WebAuthn(signer.assert(real).unwrap()).encode())
    };

    // The same key, asserting for another origin or another relying party.
    let refusal =
        world.send_forged(calls(), refused_with(passkey_for("game.example", "https://evil.example"))).await;
    assert!(refusal.contains("WebAuthn: wrong origin"), "{refusal}");
    let refusal =
        world.send_forged(calls(), refused_with(passkey_for("evil.example", "https://game.example"))).await;
    assert!(refusal.contains("WebAuthn: wrong RP ID"), "{refusal}");
    // Another account's passkey, same relying party and origin.
    let other = SoftwarePasskey::generate("game.example", "https://game.example").unwrap();
    let refusal = world.send_forged(calls(), refused_with(other)).await;
    assert!(refusal.contains("WebAuthn: invalid signature"), "{refusal}");
    // A Stark signature where the owner is a passkey.
    let stark = SigningKey::from_random();
    let refusal = world
        .send_forged(
            calls(),
            Box::new(move |real, _, _| {
                let signature = stark.sign(&real).unwrap();
                vec![signature.r, signature.s]
            }),
        )
        .await;
    assert!(refusal.contains("Account: invalid signature"), "{refusal}");

    // A replayed assertion: the one that signed the previous transaction.
    let owner = passkey_for("game.example", "https://game.example");
    let used: Arc<Mutex<Vec<Felt>>> = Arc::default();
    let record = used.clone();
    world
        .try_forged(
            calls(),
            Box::new(move |real, _, _| {
                let signature = OwnerSignature::WebAuthn(owner.assert(real).unwrap()).encode();
                *record.lock().unwrap() = signature.clone();
                signature
            }),
            None,
        )
        .await
        .unwrap();
    assert_eq!(world.count().await, 1);
    let replayed = used.lock().unwrap().clone();
    let refusal = world.send_forged(calls(), Box::new(move |_, _, _| replayed.clone())).await;
    assert!(refusal.contains("WebAuthn: wrong challenge"), "{refusal}");
    assert_eq!(world.count().await, 1);
}
