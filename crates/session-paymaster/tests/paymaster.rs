//! The paymaster through its real server process on a real devnet: sponsored and paid-in-token
//! session moves, every refusal with its JSON-RPC code, a tampered build refused by the client,
//! idempotent submission, 1,000 requests from 20 clients with exact budgets, SIGKILL under load,
//! and two instances sharing one PostgreSQL budget.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use session_core::paymaster::BuildCheckError;
use session_core::paymaster::{
    BuildTransaction, BuildTransactionRequest, BuildTransactionResponse, DirectInvoke, DirectTransaction,
    ExecuteDirectRequest, ExecutionParameters, FeeMode, InvokeParameters, PaymasterErrorCode, TrackingStatus,
};
use session_core::{Policy, PreflightError, SpendLimit, U256};
use session_paymaster::store::Store;
use session_sdk::{PaymasterClient, PaymasterError, PaymasterFee, SdkError};
use starknet::accounts::Account;
use starknet::core::types::Felt;
use support::{increase, key_section, settled, KeySpec, Postgres, Server, World, STRK};

const ONE_STRK: u128 = 1_000_000_000_000_000_000;
const LOTS: u128 = 1_000 * ONE_STRK;
/// A key sponsoring the game's `increase`, with room to spare; tests change what they exercise.
const GAME_KEY: KeySpec<'static> = KeySpec {
    name: "game",
    key: "game-key",
    modes: "\"sponsored\"",
    daily: LOTS,
    user_daily: LOTS,
    rpm: 1000,
    max_fee: ONE_STRK,
};

fn code(error: &SdkError) -> Option<PaymasterErrorCode> {
    match error {
        SdkError::Paymaster(error) => error.code(),
        _ => None,
    }
}

fn sqlite(world: &World, name: &str) -> String {
    format!("sqlite://{}", world.dir.path().join(name).display())
}

async fn server(world: &World, name: &str, keys: &str, database_url: String, instance: &str) -> Server {
    let config = format!(
        "database_url = \"{database_url}\"\ninstance_id = \"{instance}\"\nrpc_url = \"{}\"\n[[tokens]]\naddress = \"{STRK:#x}\"\nprice_in_strk = \"{ONE_STRK}\"\n{keys}",
        world.devnet.rpc_url()
    );
    Server::start(world.dir.path(), name, &config, &[("SESSION_PAYMASTER_RELAYERS", world.relayers_env())])
        .await
}

#[tokio::test]
async fn sponsored_moves_leave_the_users_strk_unchanged_and_are_charged_exactly() {
    let world = World::start(2).await;
    let keys = key_section(&GAME_KEY, world.counter);
    let server = server(&world, "sponsored", &keys, sqlite(&world, "sponsored.sqlite"), "a").await;
    let client = PaymasterClient::new(&server.url).with_api_key("game-key");
    assert!(client.is_available().await.unwrap());
    assert_eq!(client.supported_tokens().await.unwrap()[0].token_address, STRK);

    let user = world.user(1, 0, |session| session).await; // no STRK at all
    let relayers_before: u128 = balances_sum(&world, &world.relayer_addresses()).await;
    let mut hashes = vec![];
    for amount in 1..=3 {
        let (submission, _receipt) = user
            .execute_via_paymaster(&client, vec![increase(world.counter, amount)], &PaymasterFee::sponsored())
            .await
            .unwrap();
        assert_eq!(submission.fee_transfer, None);
        let tracked = client.tracking_id_to_latest_hash(submission.response.tracking_id).await.unwrap();
        assert_eq!(tracked.transaction_hash, submission.response.transaction_hash);
        hashes.push(submission.response.transaction_hash);
    }
    assert_eq!(world.count(user.address()).await, 6);
    assert_eq!(world.strk_balance(user.address()).await, 0, "the user paid nothing");

    let store = Store::connect(&sqlite(&world, "sponsored.sqlite")).await.unwrap();
    let (spent, reserved) = settled(&store, "game").await;
    let mut fees = 0;
    for hash in &hashes {
        fees += world.fee_of(*hash).await;
    }
    assert_eq!((spent, reserved), (fees, 0), "the key is charged the receipts' fees, to the FRI");
    assert_eq!(balances_sum(&world, &world.relayer_addresses()).await, relayers_before - fees);
    let day = session_paymaster::Paymaster::today();
    assert_eq!(store.user_spend("game", user.address(), day).await.unwrap(), (fees, 0));
    let tracked = client.tracking_id_to_latest_hash(Felt::from(12345u32)).await.unwrap_err();
    assert_eq!(tracked.code(), Some(PaymasterErrorCode::InvalidId));
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(
            "paymaster_requests_total{method=\"paymaster_executeDirectTransaction\",outcome=\"ok\"} 3"
        ),
        "{metrics}"
    );
    assert!(metrics.contains(&format!("paymaster_fees_paid_fri_total{{key=\"game\"}} {fees}")), "{metrics}");
}

async fn balances_sum(world: &World, addresses: &[Felt]) -> u128 {
    let mut total = 0;
    for address in addresses {
        total += world.strk_balance(*address).await;
    }
    total
}

/// Builds, signs and submits by hand, returning the direct request (to send it again).
async fn signed_direct_request(
    client: &PaymasterClient,
    user: &session_sdk::SessionAccount<support::Client>,
    calls: Vec<starknet::core::types::Call>,
) -> ExecuteDirectRequest {
    let request = BuildTransactionRequest {
        transaction: BuildTransaction::Invoke {
            invoke: InvokeParameters { user_address: user.address(), calls: calls.clone() },
        },
        parameters: ExecutionParameters::new(FeeMode::Sponsored),
    };
    let BuildTransactionResponse::Invoke { typed_data, parameters, .. } =
        client.build_transaction(&request).await.unwrap();
    let execution =
        session_core::snip12::OutsideExecution::from_typed_data(&typed_data, user.chain_id()).unwrap();
    let signature =
        user.sign_calls(execution.message_hash(user.chain_id(), user.address()), &execution.calls).unwrap();
    ExecuteDirectRequest {
        transaction: DirectTransaction::Invoke {
            invoke: DirectInvoke {
                user_address: user.address(),
                execute_from_outside_call: session_core::paymaster::execute_from_outside_call(
                    user.address(),
                    &execution,
                    &signature,
                ),
            },
        },
        parameters,
    }
}

#[tokio::test]
async fn the_same_outside_execution_twice_is_one_transaction() {
    let world = World::start(2).await;
    let keys = key_section(&GAME_KEY, world.counter);
    let server = server(&world, "idempotent", &keys, sqlite(&world, "idempotent.sqlite"), "a").await;
    let client = PaymasterClient::new(&server.url).with_api_key("game-key");
    let user = world.user(1, 0, |session| session).await;
    let request = signed_direct_request(&client, &user, vec![increase(world.counter, 5)]).await;
    let first = client.execute_direct_transaction(&request).await.unwrap();
    let second = client.execute_direct_transaction(&request).await.unwrap();
    assert_eq!(first, second);
    session_sdk::wait_for_success(&world.devnet.provider(), first.transaction_hash).await.unwrap();
    let third = client.execute_direct_transaction(&request).await.unwrap();
    assert_eq!(first, third, "still the same once it ran");
    assert_eq!(world.count(user.address()).await, 5, "ran once");
    let tracked = client.tracking_id_to_latest_hash(first.tracking_id).await.unwrap();
    let store = Store::connect(&sqlite(&world, "idempotent.sqlite")).await.unwrap();
    let (spent, _) = settled(&store, "game").await;
    assert_eq!(spent, world.fee_of(first.transaction_hash).await, "charged once");
    assert_eq!(
        client.tracking_id_to_latest_hash(first.tracking_id).await.unwrap().status,
        TrackingStatus::Accepted
    );
    assert_eq!(tracked.transaction_hash, first.transaction_hash);

    // The same nonce with other calls is refused.
    let mut conflicting = request.clone();
    let DirectTransaction::Invoke { invoke } = &mut conflicting.transaction;
    let amount_index = 7; // caller, nonce, after, before, count, to, selector, length, amount
    invoke.execute_from_outside_call.calldata[amount_index + 1] = Felt::from(6u8);
    let error = client.execute_direct_transaction(&conflicting).await.unwrap_err();
    assert_eq!(error.code(), Some(PaymasterErrorCode::NonceAlreadyUsed), "{error}");
}

#[tokio::test]
async fn fees_paid_in_strk_go_to_the_paymaster_and_count_against_the_spend_limit() {
    let world = World::start(2).await;
    let keys = key_section(
        &KeySpec { name: "shop", key: "shop-key", modes: "\"default\"", ..GAME_KEY },
        world.counter,
    );
    let server = server(&world, "token", &keys, sqlite(&world, "token.sqlite"), "a").await;
    let client = PaymasterClient::new(&server.url).with_api_key("shop-key");
    let recipient = world.relayer_addresses()[0];

    // A session that may pay up to 1 STRK in fees to the paymaster.
    let policy =
        Policy { spend_limits: vec![SpendLimit::lifetime(STRK, U256::from(ONE_STRK))], ..Policy::default() };
    let user = world.user(1, 10 * ONE_STRK, |session| session.allow(STRK, "transfer").policy(policy)).await;
    let before = world.strk_balance(user.address()).await;
    let recipient_before = world.strk_balance(recipient).await;
    let relayers_before = balances_sum(&world, &world.relayer_addresses()).await;
    let (submission, receipt) = user
        .execute_via_paymaster(
            &client,
            vec![increase(world.counter, 2)],
            &PaymasterFee::in_token(STRK, Some(U256::from(ONE_STRK))),
        )
        .await
        .unwrap();
    let paid = submission.fee_transfer.expect("a fee transfer").amount;
    assert!(paid > U256::from(0u8));
    let paid = paid.low();
    assert_eq!(world.count(user.address()).await, 2);
    assert_eq!(
        world.strk_balance(user.address()).await,
        before - paid,
        "the user paid exactly the fee transfer, no gas"
    );
    let relayer_fee = world.fee_of(*receipt.receipt.transaction_hash()).await;
    assert_eq!(
        balances_sum(&world, &world.relayer_addresses()).await,
        relayers_before + paid - relayer_fee,
        "the paymaster got the fee and its relayer paid the gas"
    );
    assert!(
        world.strk_balance(recipient).await >= recipient_before + paid - relayer_fee,
        "the fee went to the recipient"
    );
    assert!(paid >= relayer_fee, "the fee covers the gas");
    assert_eq!(
        user.usage().await.unwrap().spent.get(&(STRK, 0)).copied(),
        Some(U256::from(paid)),
        "the fee counts against the spend limit"
    );

    // A fee above the client's maximum is refused before anything is signed.
    let error = user
        .send_via_paymaster(
            &client,
            vec![increase(world.counter, 1)],
            &PaymasterFee::in_token(STRK, Some(U256::from(1u8))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            SdkError::Paymaster(PaymasterError::BuildRefused(BuildCheckError::FeeTooHigh { .. }))
        ),
        "{error}"
    );

    // A session that may not transfer STRK cannot pay in it: refused before signing.
    let no_transfer = world.user(2, 10 * ONE_STRK, |session| session).await;
    let error = no_transfer
        .send_via_paymaster(&client, vec![increase(world.counter, 1)], &PaymasterFee::in_token(STRK, None))
        .await
        .unwrap_err();
    assert!(matches!(error, SdkError::Preflight(PreflightError::MethodNotAllowed { .. })), "{error}");
    assert_eq!(world.count(no_transfer.address()).await, 0);
}

#[tokio::test]
async fn every_rule_refuses_with_its_code() {
    let world = World::start(2).await;
    let other_game = world.counter + Felt::ONE;
    let keys = [
        key_section(&GAME_KEY, world.counter),
        key_section(
            &KeySpec { name: "tiny-fee", key: "tiny-fee-key", max_fee: 1, ..GAME_KEY },
            world.counter,
        ),
        key_section(
            &KeySpec { name: "tiny-key-budget", key: "tiny-key-budget-key", daily: 1, ..GAME_KEY },
            world.counter,
        ),
        key_section(
            &KeySpec { name: "tiny-user-budget", key: "tiny-user-budget-key", user_daily: 1, ..GAME_KEY },
            world.counter,
        ),
        key_section(&KeySpec { name: "slow", key: "slow-key", rpm: 2, ..GAME_KEY }, world.counter),
        key_section(
            &KeySpec { name: "token-only", key: "token-only-key", modes: "\"default\"", ..GAME_KEY },
            world.counter,
        ),
    ]
    .concat();
    let server = server(&world, "rules", &keys, sqlite(&world, "rules.sqlite"), "a").await;
    let user = world.user(1, 0, |session| session.allow(other_game, "increase")).await;
    let move_ = || vec![increase(world.counter, 1)];
    let send = |key: Option<&str>, calls: Vec<starknet::core::types::Call>, fee: PaymasterFee| {
        let client = match key {
            Some(key) => PaymasterClient::new(&server.url).with_api_key(key),
            None => PaymasterClient::new(&server.url),
        };
        let user = &user;
        async move { user.send_via_paymaster(&client, calls, &fee).await.unwrap_err() }
    };
    let expect = |error: SdkError, code: PaymasterErrorCode, words: &str| {
        assert_eq!(self::code(&error), Some(code), "{error}");
        let text = error.to_string();
        assert!(text.contains(&code.message()) && text.contains(words), "{text}");
    };
    expect(
        send(None, move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::InvalidApiKey,
        "header is missing",
    );
    expect(
        send(Some("nope"), move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::InvalidApiKey,
        "names no key",
    );
    expect(
        send(Some("game-key"), vec![increase(other_game, 1)], PaymasterFee::sponsored()).await,
        PaymasterErrorCode::CallNotSponsored,
        "does not sponsor increase on",
    );
    expect(
        send(Some("game-key"), move_(), PaymasterFee::in_token(STRK, None)).await,
        PaymasterErrorCode::FeeModeNotAllowed,
        "does not accept fees in tokens",
    );
    expect(
        send(Some("token-only-key"), move_(), PaymasterFee::in_token(Felt::from(0x1234u32), None)).await,
        PaymasterErrorCode::TokenNotSupported,
        "is not a gas token",
    );
    expect(
        send(Some("tiny-fee-key"), move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::MaxFeeExceeded,
        "allows 1 FRI per transaction",
    );
    expect(
        send(Some("tiny-key-budget-key"), move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::KeyBudgetExceeded,
        "daily budget",
    );
    expect(
        send(Some("tiny-user-budget-key"), move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::UserBudgetExceeded,
        "daily budget left under key",
    );
    let slow = PaymasterClient::new(&server.url).with_api_key("slow-key");
    user.send_via_paymaster(&slow, move_(), &PaymasterFee::sponsored()).await.unwrap(); // build + execute: 2 requests
    expect(
        send(Some("slow-key"), move_(), PaymasterFee::sponsored()).await,
        PaymasterErrorCode::RateLimited,
        "2 requests per minute",
    );

    // An account without SNIP-9 (the game contract itself) and an expired outside execution.
    let client = PaymasterClient::new(&server.url).with_api_key("game-key");
    let request = BuildTransactionRequest {
        transaction: BuildTransaction::Invoke {
            invoke: InvokeParameters { user_address: world.counter, calls: move_() },
        },
        parameters: ExecutionParameters::new(FeeMode::Sponsored),
    };
    let error = client.build_transaction(&request).await.unwrap_err();
    assert_eq!(error.code(), Some(PaymasterErrorCode::InvalidAddress), "{error}");
    let mut expired = signed_direct_request(&client, &user, move_()).await;
    let DirectTransaction::Invoke { invoke } = &mut expired.transaction;
    invoke.execute_from_outside_call.calldata[3] = Felt::from(1u8); // execute_before in 1970
    let error = client.execute_direct_transaction(&expired).await.unwrap_err();
    assert_eq!(error.code(), Some(PaymasterErrorCode::InvalidTimeBounds), "{error}");
    // A signature the account rejects (the message changed after signing).
    let mut forged = signed_direct_request(&client, &user, move_()).await;
    let DirectTransaction::Invoke { invoke } = &mut forged.transaction;
    invoke.execute_from_outside_call.calldata[8] = Felt::from(2u8);
    let error = client.execute_direct_transaction(&forged).await.unwrap_err();
    assert_eq!(error.code(), Some(PaymasterErrorCode::InvalidSignature), "{error}");
    let raw: Value = reqwest::Client::new()
        .post(&server.url)
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "paymaster_nope", "params": [] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["error"]["code"], -32601);
    assert_eq!(world.count(user.address()).await, 1, "only the one allowed move ran");
}

#[tokio::test]
async fn a_tampered_build_is_refused_by_the_client_and_nothing_is_signed() {
    let world = World::start(2).await;
    let keys = key_section(&GAME_KEY, world.counter);
    let server = server(&world, "tamper", &keys, sqlite(&world, "tamper.sqlite"), "a").await;
    let user = world.user(1, 0, |session| session.allow(STRK, "transfer")).await;

    // A proxy in front of the real server that changes what buildTransaction returns.
    for (name, tamper) in [
        (
            "amount changed",
            Box::new(|typed: &mut Value| typed["message"]["Calls"][0]["Calldata"][0] = json!("0x63"))
                as Box<dyn Fn(&mut Value) + Send + Sync>,
        ),
        (
            "transfer added",
            Box::new(|typed: &mut Value| {
                let call = json!({ "To": format!("{STRK:#x}"), "Selector": format!("{:#x}", starknet::core::utils::get_selector_from_name("transfer").unwrap()), "Calldata": ["0xbad", "0x1", "0x0"] });
                typed["message"]["Calls"].as_array_mut().unwrap().push(call);
            }),
        ),
        (
            "types changed",
            Box::new(|typed: &mut Value| typed["types"]["OutsideExecution"][1]["type"] = json!("u128")),
        ),
    ] {
        let proxy = tampering_proxy(server.url.clone(), Arc::new(tamper)).await;
        let client = PaymasterClient::new(&proxy).with_api_key("game-key");
        let error = user
            .send_via_paymaster(&client, vec![increase(world.counter, 1)], &PaymasterFee::sponsored())
            .await
            .unwrap_err();
        assert!(matches!(error, SdkError::Paymaster(PaymasterError::BuildRefused(_))), "{name}: {error}");
    }
    assert_eq!(world.count(user.address()).await, 0);
    let store = Store::connect(&sqlite(&world, "tamper.sqlite")).await.unwrap();
    assert_eq!(
        store.key_spend("game", session_paymaster::Paymaster::today()).await.unwrap(),
        (0, 0),
        "nothing was submitted"
    );
}

async fn tampering_proxy(upstream: String, tamper: Arc<dyn Fn(&mut Value) + Send + Sync>) -> String {
    use axum::http::HeaderMap;
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/",
        post(move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
            let upstream = upstream.clone();
            let tamper = tamper.clone();
            async move {
                let mut request = reqwest::Client::new().post(&upstream).json(&body);
                if let Some(key) = headers.get("x-paymaster-api-key") {
                    request = request.header("x-paymaster-api-key", key.to_str().unwrap());
                }
                let mut answer: Value = request.send().await.unwrap().json().await.unwrap();
                if body["method"] == "paymaster_buildTransaction" {
                    if let Some(typed) =
                        answer.get_mut("result").and_then(|result| result.get_mut("typed_data"))
                    {
                        tamper(typed);
                    }
                }
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/")
}

/// Every user sends `moves` sponsored moves one after another, `pause` apart, all users at once,
/// through the servers in turn; returns every answer.
async fn load(
    counter: Felt,
    urls: Vec<String>,
    users: Vec<support::SharedSession>,
    moves: usize,
    pause: Duration,
) -> Vec<Result<session_core::paymaster::ExecuteResponse, SdkError>> {
    let mut tasks = vec![];
    for (index, user) in users.into_iter().enumerate() {
        let urls = urls.clone();
        tasks.push(tokio::spawn(async move {
            let mut answers = vec![];
            for round in 0..moves {
                let client =
                    PaymasterClient::new(&urls[(index + round) % urls.len()]).with_api_key(GAME_KEY.key);
                answers.push(
                    user.send_via_paymaster(&client, vec![increase(counter, 1)], &PaymasterFee::sponsored())
                        .await
                        .map(|submission| submission.response),
                );
                tokio::time::sleep(pause).await;
            }
            answers
        }));
    }
    let mut answers = vec![];
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers
}

/// Checks the accounting after a load: every accepted answer ran once, the budget holds, and
/// the database's spend is the sum of the receipts' fees, to the FRI.
async fn check_accounting(
    world: &World,
    store: &Store,
    key: &str,
    users: &[support::SharedSession],
    answers: &[Result<session_core::paymaster::ExecuteResponse, SdkError>],
    budget: u128,
) -> usize {
    let (spent, reserved) = settled(store, key).await;
    assert_eq!(reserved, 0);
    let accepted: Vec<_> = answers.iter().filter_map(|answer| answer.as_ref().ok()).collect();
    let hashes: std::collections::BTreeSet<Felt> =
        accepted.iter().map(|answer| answer.transaction_hash).collect();
    assert_eq!(hashes.len(), accepted.len(), "no transaction answered twice");
    for answer in answers {
        if let Err(error) = answer {
            assert_eq!(
                code(error),
                Some(PaymasterErrorCode::KeyBudgetExceeded),
                "the only refusal is the budget: {error}"
            );
        }
    }
    let mut fees = 0;
    for hash in &hashes {
        fees += world.fee_of(*hash).await;
    }
    let recorded: u128 = store.settled_fees().await.unwrap().iter().map(|(_, fee)| fee).sum();
    assert_eq!(spent, recorded);
    assert_eq!(spent, fees, "the key's spend is the receipts' fees, to the FRI");
    assert!(spent <= budget, "spent {spent} over the budget {budget}");
    let mut moves = 0;
    for user in users {
        moves += world.count(user.address()).await;
    }
    assert_eq!(moves as usize, accepted.len(), "every accepted request ran, once");
    accepted.len()
}

async fn users(world: &World, count: u64) -> Vec<support::SharedSession> {
    let mut users = vec![];
    for salt in 0..count {
        let user = world.user(100 + salt, 0, |session| session).await;
        users.push(Arc::new(user));
    }
    users
}

#[tokio::test]
async fn a_thousand_requests_from_twenty_clients_keep_the_budget_exact() {
    let world = World::start(4).await;
    // Room for about 700 of the 1,000 moves: the rest must be refused, none lost or doubled.
    let budget = 700 * 3_000_000_000_000_000u128;
    let keys = key_section(&KeySpec { daily: budget, rpm: 100_000, ..GAME_KEY }, world.counter);
    let server = server(&world, "load", &keys, sqlite(&world, "load.sqlite"), "a").await;
    let users = users(&world, 20).await;
    let answers = load(world.counter, vec![server.url.clone()], users.clone(), 50, Duration::ZERO).await;
    assert_eq!(answers.len(), 1000);
    let store = Store::connect(&sqlite(&world, "load.sqlite")).await.unwrap();
    let accepted = check_accounting(&world, &store, "game", &users, &answers, budget).await;
    println!("accepted {accepted} of 1000 within a budget of {budget} FRI");
}

#[tokio::test]
async fn a_server_killed_under_load_resumes_without_charging_twice_or_losing_a_request() {
    let world = World::start(3).await;
    let keys = key_section(&KeySpec { rpm: 100_000, ..GAME_KEY }, world.counter);
    let database = sqlite(&world, "kill.sqlite");
    let mut first = server(&world, "kill", &keys, database.clone(), "a").await;
    let users = users(&world, 8).await;
    let port = first.port();
    let running = tokio::spawn(load(
        world.counter,
        vec![first.url.clone()],
        users.clone(),
        60,
        Duration::from_millis(20),
    ));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    first.kill();
    // Restarted on the same port, database and instance id, while the clients keep sending.
    let config = std::fs::read_to_string(world.dir.path().join("kill.toml")).unwrap();
    let second = Server::start_on(
        port,
        world.dir.path(),
        "kill-restarted",
        &config,
        &[("SESSION_PAYMASTER_RELAYERS", world.relayers_env())],
    )
    .await;
    let answers = running.await.unwrap();
    let accepted: Vec<_> = answers.iter().filter_map(|answer| answer.as_ref().ok()).collect();
    let failed = answers.len() - accepted.len();
    let resumed = std::fs::read_to_string(&second.log).unwrap().matches("resubmitting").count();
    println!(
        "{} accepted, {failed} failed while the server was down, {resumed} resubmitted after the restart",
        accepted.len()
    );
    assert!(failed > 0, "the kill happened under load");
    assert!(accepted.len() > 8, "the load ran on both sides of the kill");
    let store = Store::connect(&database).await.unwrap();
    let (spent, reserved) = settled(&store, "game").await;
    assert_eq!(reserved, 0, "every reservation was settled or released after the restart");
    // Every answer the clients got is on chain and charged once; every charge is a receipt.
    let settled_fees = store.settled_fees().await.unwrap();
    let settled_hashes: std::collections::BTreeMap<Felt, u128> = settled_fees.iter().copied().collect();
    assert_eq!(settled_hashes.len(), settled_fees.len());
    for answer in &accepted {
        assert!(
            settled_hashes.contains_key(&answer.transaction_hash),
            "accepted request {:#x} lost",
            answer.transaction_hash
        );
    }
    let mut fees = 0;
    for hash in settled_hashes.keys() {
        fees += world.fee_of(*hash).await;
    }
    assert_eq!(spent, fees, "no fee charged twice");
    let mut moves = 0;
    for user in &users {
        moves += world.count(user.address()).await;
    }
    assert_eq!(moves as usize, settled_hashes.len(), "every charged transaction is one move");
}

#[tokio::test]
async fn two_instances_on_one_postgres_hold_one_budget() {
    let postgres = Postgres::start().await;
    let world = World::start(3).await;
    let budget = 120 * 3_000_000_000_000_000u128;
    let keys = key_section(&KeySpec { daily: budget, rpm: 100_000, ..GAME_KEY }, world.counter);
    let a = server(&world, "pg-a", &keys, postgres.url.clone(), "a").await;
    let b = server(&world, "pg-b", &keys, postgres.url.clone(), "b").await;
    let users = users(&world, 10).await;
    let answers =
        load(world.counter, vec![a.url.clone(), b.url.clone()], users.clone(), 20, Duration::ZERO).await;
    let store = Store::connect(&postgres.url).await.unwrap();
    let accepted = check_accounting(&world, &store, "game", &users, &answers, budget).await;
    assert!(accepted < 200, "the shared budget refused some of the 200 moves");
    let refused = answers.len() - accepted;
    assert!(refused > 0);
}
