//! The session account on a real devnet: deployed, a session authorized off-chain by the owner,
//! session transactions accepted within the session and rejected outside it, then revoked.

use cainome::cairo_serde::ContractAddress;
use local_devnet::Devnet;
use session_bindings::counter::CounterReader;
use session_core::{SessionBuilder, SessionKey};
use session_sdk::{
    authorize_session, deploy_contract, deploy_session_account, wait_for_success, SessionAccount,
    SessionAdmin,
};
use starknet::accounts::{Account, ExecutionEncoding, SingleOwnerAccount};
use starknet::core::types::{BlockId, BlockTag, Call, Felt, TransactionReceipt};
use starknet::core::utils::get_selector_from_name;
use starknet::signers::{LocalWallet, SigningKey};

fn increase(counter: Felt, amount: u64) -> Call {
    Call {
        to: counter,
        selector: get_selector_from_name("increase").unwrap(),
        calldata: vec![Felt::from(amount)],
    }
}

#[tokio::test]
async fn session_key_transacts_within_its_session_until_revoked() {
    let devnet = Devnet::spawn().await.unwrap();
    let funder = devnet.account(0);
    let owner_key = SigningKey::from_secret_scalar(Felt::from(0x0123_4567_89abu64));
    let account =
        deploy_session_account(&funder, owner_key.verifying_key().scalar(), Felt::TWO).await.unwrap();
    devnet.mint(account, 10_000_000_000_000_000_000).await.unwrap();
    let counter = deploy_contract(&funder, &session_bindings::counter_artifact().unwrap(), vec![], Felt::ONE)
        .await
        .unwrap();
    let count = || async {
        let mut reader = CounterReader::new(counter, devnet.provider());
        reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
        reader.get(&ContractAddress(account)).call().await.unwrap()
    };

    // The owner authorizes a session off-chain: one signature, no transaction.
    let key = SessionKey::generate().unwrap();
    let session = SessionBuilder::new(key.public_key())
        .expires_at(devnet.latest_block_timestamp().await.unwrap() + 3600)
        .allow(counter, "increase")
        .build()
        .unwrap();
    let authorization = authorize_session(&owner_key, &session, devnet.chain_id(), account).unwrap();
    let mut session_account =
        SessionAccount::new(devnet.provider(), account, devnet.chain_id(), session, key, Some(authorization));

    // Fee estimation runs the full validation, then the first transaction caches the session.
    let estimate = session_account.execute_v3(vec![increase(counter, 5)]).estimate_fee().await.unwrap();
    assert!(estimate.l2_gas_consumed > 0);
    let sent = session_account.execute_v3(vec![increase(counter, 5)]).send().await.unwrap();
    let receipt = wait_for_success(&devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(count().await, 5);
    // The query-version transaction of the estimate did exactly the work of the real one.
    let TransactionReceipt::Invoke(receipt) = receipt.receipt else { panic!("not an invoke receipt") };
    assert_eq!(receipt.execution_resources.l2_gas, estimate.l2_gas_consumed);

    let owner = SingleOwnerAccount::new(
        devnet.provider(),
        LocalWallet::from(owner_key.clone()),
        account,
        devnet.chain_id(),
        ExecutionEncoding::New,
    );
    let admin = SessionAdmin::new(owner);
    assert!(admin.is_session_cached(session_account.session_hash()).await.unwrap());

    // Later transactions use the short form.
    session_account.use_on_chain_authorization();
    let sent =
        session_account.execute_v3(vec![increase(counter, 1), increase(counter, 1)]).send().await.unwrap();
    wait_for_success(&devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(count().await, 7);

    // Outside the session: refused before anything is sent.
    let reset = Call { to: counter, selector: get_selector_from_name("reset").unwrap(), calldata: vec![] };
    let refused = session_account.execute_v3(vec![reset]).send().await.unwrap_err();
    assert!(refused.to_string().contains("does not allow"), "{refused}");

    // The owner revokes the session; the next session transaction is rejected by the account.
    admin.revoke_session(session_account.session_hash()).await.unwrap();
    assert!(admin.is_session_revoked(session_account.session_hash()).await.unwrap());
    let rejected = session_account.execute_v3(vec![increase(counter, 1)]).send().await.unwrap_err();
    assert!(format!("{rejected:?}").contains("Session: revoked"), "{rejected:?}");
    assert_eq!(count().await, 7);
}

#[tokio::test]
async fn relayer_submits_session_signed_outside_execution_once() {
    use session_core::snip12::{short_string, OutsideExecution, ANY_CALLER};

    let devnet = Devnet::spawn().await.unwrap();
    let funder = devnet.account(0);
    let relayer = devnet.account(1);
    let owner_key = SigningKey::from_secret_scalar(Felt::from(0x0fed_cba9u64));
    let account =
        deploy_session_account(&funder, owner_key.verifying_key().scalar(), Felt::THREE).await.unwrap();
    let counter = deploy_contract(&funder, &session_bindings::counter_artifact().unwrap(), vec![], Felt::ONE)
        .await
        .unwrap();

    let key = SessionKey::generate().unwrap();
    let now = devnet.latest_block_timestamp().await.unwrap();
    let session = SessionBuilder::new(key.public_key())
        .expires_at(now + 3600)
        .allow(counter, "increase")
        .build()
        .unwrap();
    let authorization = authorize_session(&owner_key, &session, devnet.chain_id(), account).unwrap();
    let session_account =
        SessionAccount::new(devnet.provider(), account, devnet.chain_id(), session, key, Some(authorization));

    // The session key signs a SNIP-9 outside execution; the relayer pays for it.
    let execution = OutsideExecution {
        caller: short_string(ANY_CALLER),
        nonce: Felt::from(77u64),
        execute_after: now - 60,
        execute_before: now + 600,
        calls: vec![increase(counter, 9)],
    };
    let signature = session_account
        .sign_calls(execution.message_hash(devnet.chain_id(), account), &execution.calls)
        .unwrap();
    let submit = Call {
        to: account,
        selector: get_selector_from_name("execute_from_outside_v2").unwrap(),
        calldata: execution.calldata(&signature),
    };
    let sent = relayer.execute_v3(vec![submit.clone()]).send().await.unwrap();
    wait_for_success(&devnet.provider(), sent.transaction_hash).await.unwrap();
    let mut reader = CounterReader::new(counter, devnet.provider());
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    assert_eq!(reader.get(&ContractAddress(account)).call().await.unwrap(), 9);

    // Replaying the same payload is refused.
    let replay = relayer.execute_v3(vec![submit]).send().await.unwrap_err();
    assert!(format!("{replay:?}").contains("SNIP9: nonce already used"), "{replay:?}");
    assert_eq!(reader.get(&ContractAddress(account)).call().await.unwrap(), 9);
}
