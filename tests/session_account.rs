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
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::signers::{LocalWallet, SigningKey};

fn increase(counter: Felt, amount: u64) -> Call {
    Call {
        to: counter,
        selector: get_selector_from_name("increase").unwrap(),
        calldata: vec![Felt::from(amount)],
    }
}

/// A devnet with a deployed, funded session account and a Counter game.
struct World {
    devnet: Devnet,
    owner_key: SigningKey,
    account: Felt,
    counter: Felt,
}

impl World {
    async fn start() -> Self {
        let devnet = Devnet::spawn().await.unwrap();
        let funder = devnet.account(0);
        let owner_key = SigningKey::from_secret_scalar(Felt::from(0x0123_4567_89abu64));
        let account =
            deploy_session_account(&funder, owner_key.verifying_key().scalar(), Felt::TWO).await.unwrap();
        devnet.mint(account, 10_000_000_000_000_000_000).await.unwrap();
        let counter =
            deploy_contract(&funder, &session_bindings::counter_artifact().unwrap(), vec![], Felt::ONE)
                .await
                .unwrap();
        Self { devnet, owner_key, account, counter }
    }

    /// A session allowing `counter.increase` until `expires_at`, authorized off-chain by the owner:
    /// one signature, no transaction.
    fn game_session(&self, expires_at: u64) -> SessionAccount<JsonRpcClient<HttpTransport>> {
        let key = SessionKey::generate().unwrap();
        let session = SessionBuilder::new(key.public_key())
            .expires_at(expires_at)
            .allow(self.counter, "increase")
            .build()
            .unwrap();
        let chain_id = self.devnet.chain_id();
        let authorization = authorize_session(&self.owner_key, &session, chain_id, self.account).unwrap();
        SessionAccount::new(self.devnet.provider(), self.account, chain_id, session, key, Some(authorization))
    }

    /// The account's counter.
    async fn count(&self) -> u64 {
        let mut reader = CounterReader::new(self.counter, self.devnet.provider());
        reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
        reader.get(&ContractAddress(self.account)).call().await.unwrap()
    }
}

#[tokio::test]
async fn session_key_transacts_within_its_session_until_revoked() {
    let world = World::start().await;
    let World { devnet, account, counter, .. } = &world;
    let (account, counter) = (*account, *counter);
    let now = devnet.latest_block_timestamp().await.unwrap();
    let mut session_account = world.game_session(now + 3600);

    // Fee estimation runs the full validation, then the first transaction caches the session.
    let estimate = session_account.execute_v3(vec![increase(counter, 5)]).estimate_fee().await.unwrap();
    assert!(estimate.l2_gas_consumed > 0);
    let sent = session_account.execute_v3(vec![increase(counter, 5)]).send().await.unwrap();
    let receipt = wait_for_success(&devnet.provider(), sent.transaction_hash).await.unwrap();
    assert_eq!(world.count().await, 5);
    // The query-version transaction of the estimate did exactly the work of the real one.
    let TransactionReceipt::Invoke(receipt) = receipt.receipt else { panic!("not an invoke receipt") };
    assert_eq!(receipt.execution_resources.l2_gas, estimate.l2_gas_consumed);

    let owner = SingleOwnerAccount::new(
        devnet.provider(),
        LocalWallet::from(world.owner_key.clone()),
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
    assert_eq!(world.count().await, 7);

    // Outside the session: refused before anything is sent.
    let reset = Call { to: counter, selector: get_selector_from_name("reset").unwrap(), calldata: vec![] };
    let refused = session_account.execute_v3(vec![reset]).send().await.unwrap_err();
    assert!(refused.to_string().contains("does not allow"), "{refused}");

    // The owner revokes the session; the next session transaction is rejected by the account.
    admin.revoke_session(session_account.session_hash()).await.unwrap();
    assert!(admin.is_session_revoked(session_account.session_hash()).await.unwrap());
    let rejected = session_account.execute_v3(vec![increase(counter, 1)]).send().await.unwrap_err();
    assert!(format!("{rejected:?}").contains("Session: revoked"), "{rejected:?}");
    assert_eq!(world.count().await, 7);
}

#[tokio::test]
async fn relayer_submits_session_signed_outside_execution_once() {
    use session_core::snip12::{short_string, OutsideExecution, ANY_CALLER};

    let world = World::start().await;
    let World { devnet, account, counter, .. } = &world;
    let (account, counter) = (*account, *counter);
    let relayer = devnet.account(1);
    let now = devnet.latest_block_timestamp().await.unwrap();
    let session_account = world.game_session(now + 3600);

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
    assert_eq!(world.count().await, 9);

    // Replaying the same payload is refused.
    let replay = relayer.execute_v3(vec![submit]).send().await.unwrap_err();
    assert!(format!("{replay:?}").contains("SNIP9: nonce already used"), "{replay:?}");
    assert_eq!(world.count().await, 9);
}
