//! The whole pipeline: a contract compiled by `cargo xtask build` is declared and deployed on a
//! devnet this test starts, invoked, and read back.

use local_devnet::Devnet;
use session_sdk::{deploy_contract, wait_for_success};
use starknet::accounts::Account;
use starknet::core::types::{BlockId, BlockTag, Call, Felt, FunctionCall};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::Provider;

#[tokio::test]
async fn compiled_counter_is_declared_deployed_invoked_and_read_back() {
    let devnet = Devnet::spawn().await.unwrap();
    let account = devnet.account(0);
    let artifact = session_bindings::counter_artifact().unwrap();
    let counter = deploy_contract(&account, &artifact, vec![], Felt::ONE).await.unwrap();

    let increase = |amount: u64| Call {
        to: counter,
        selector: get_selector_from_name("increase").unwrap(),
        calldata: vec![Felt::from(amount)],
    };
    let sent = account.execute_v3(vec![increase(5), increase(37)]).send().await.unwrap();
    wait_for_success(&devnet.provider(), sent.transaction_hash).await.unwrap();

    let value = devnet
        .provider()
        .call(
            FunctionCall {
                contract_address: counter,
                entry_point_selector: get_selector_from_name("get").unwrap(),
                calldata: vec![account.address()],
            },
            BlockId::Tag(BlockTag::PreConfirmed),
        )
        .await
        .unwrap();
    assert_eq!(value, vec![Felt::from(42u64)]);
}
