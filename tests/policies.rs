//! Session policies on a real devnet: spend limits on the STRK token, default deny of unlisted
//! tokens, call limits (charged with the fee, in validation), argument rules, and fee caps and
//! budgets against real resource bounds. Each limit is met exactly, then exceeded by one unit,
//! with the pre-flight check on (refused before sending) and off (refused by the chain).

mod common;

use common::{increase, Client, World};
use session_core::{ArgumentRule, Policy, PreflightError, SessionBuilder, SpendLimit, U256};
use session_sdk::{SdkError, SessionAccount, STRK_TOKEN};
use starknet::accounts::{Account, ConnectedAccount};
use starknet::core::types::{BlockId, BlockTag, Call, Felt, FunctionCall};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::Provider;

const RECIPIENT: Felt = Felt::from_hex_unchecked("0xb0b");
const OTHER: Felt = Felt::from_hex_unchecked("0xca7");

fn strk_call(entrypoint: &str, calldata: Vec<Felt>) -> Call {
    Call { to: STRK_TOKEN, selector: get_selector_from_name(entrypoint).unwrap(), calldata }
}

fn transfer(to: Felt, amount: u64) -> Call {
    strk_call("transfer", vec![to, Felt::from(amount), Felt::ZERO])
}

async fn balance(world: &World, owner: Felt) -> Felt {
    let call = FunctionCall {
        contract_address: STRK_TOKEN,
        entry_point_selector: get_selector_from_name("balance_of").unwrap(),
        calldata: vec![owner],
    };
    world.devnet.provider().call(call, BlockId::Tag(BlockTag::PreConfirmed)).await.unwrap()[0]
}

async fn session(
    world: &World,
    build: impl FnOnce(SessionBuilder) -> SessionBuilder,
) -> SessionAccount<Client> {
    let owner = session_sdk::load_keystore(&world.owner_keystore, common::OWNER_PASSWORD).unwrap();
    session_sdk::create_session(
        &owner,
        world.devnet.provider(),
        world.account,
        world.devnet.chain_id(),
        build,
    )
    .await
    .unwrap()
}

fn strk_limit(amount: u64) -> Policy {
    Policy { spend_limits: vec![SpendLimit::lifetime(STRK_TOKEN, U256::from(amount))], ..Policy::default() }
}

/// Sends with the pre-flight check off (as an attacker holding the key would) and returns the error.
async fn bypassing_preflight(session: &mut SessionAccount<Client>, calls: Vec<Call>) -> SdkError {
    session.set_preflight_checks(false);
    let error = session.execute(calls).await.unwrap_err();
    session.set_preflight_checks(true);
    error
}

fn limit_reason(error: &SdkError) -> &str {
    match error {
        SdkError::SessionLimitReached { reason, .. } | SdkError::PolicyViolation { reason, .. } => reason,
        other => panic!("expected a session rule refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_spend_limit_allows_exactly_its_amount_of_strk() {
    let world = World::start().await;
    let now = world.now().await;
    let mut session = session(&world, |b| {
        b.expires_at(now + 3600)
            .allow(STRK_TOKEN, "transfer")
            .allow(STRK_TOKEN, "approve")
            .policy(strk_limit(1_000))
    })
    .await;

    session.execute(vec![transfer(RECIPIENT, 600)]).await.unwrap();
    session.execute(vec![strk_call("approve", vec![OTHER, Felt::from(300u16), Felt::ZERO])]).await.unwrap();
    session.execute(vec![transfer(RECIPIENT, 100)]).await.unwrap(); // exactly at the limit
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(700u16));
    let usage = session.usage().await.unwrap();
    assert_eq!(usage.spent[&(STRK_TOKEN, 0)], U256::from(1_000u16), "approvals count as spending");
    assert_eq!(usage.calls, 0, "calls are counted only under a call limit");

    let refused = session.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert!(
        matches!(
            refused,
            SdkError::Preflight(PreflightError::SpendLimitExceeded { amount, remaining, .. })
                if amount == U256::from(1u8) && remaining == U256::from(0u8)
        ),
        "{refused:?}"
    );
    let on_chain = bypassing_preflight(&mut session, vec![transfer(RECIPIENT, 1)]).await;
    assert!(matches!(on_chain, SdkError::SessionLimitReached { .. }), "{on_chain:?}");
    assert_eq!(limit_reason(&on_chain), "Session: spend limit exceeded");
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(700u16), "nothing moved");

    // The first use published the limits for auditors; the event of the limit used up says so.
    let record = history_of(&world, &session).await;
    assert_eq!(record.limits.as_ref(), Some(session.session().policy()));
    assert_eq!(record.limits_reached, [session_sdk::LimitReached::Spend { token: STRK_TOKEN, period: 0 }]);
}

/// A session for the game's `increase` under `policy`, expiring in an hour.
async fn game_session(world: &World, policy: Policy) -> SessionAccount<Client> {
    let expires_at = world.now().await + 3600;
    session(world, |b| b.expires_at(expires_at).allow(world.counter, "increase").policy(policy)).await
}

/// What the account's events say about `session`.
async fn history_of(world: &World, session: &SessionAccount<Client>) -> session_sdk::SessionRecord {
    let history = session_sdk::account_history(&world.devnet.provider(), world.account).await.unwrap();
    history.sessions.into_iter().find(|r| r.session_hash == session.session_hash()).unwrap()
}

#[tokio::test]
async fn a_registered_session_with_limits_publishes_them_and_runs_without_the_owner_signature() {
    let world = World::start().await;
    let mut session = game_session(&world, Policy { max_calls: Some(1), ..Policy::default() }).await;
    world.admin().register_session(session.session()).await.unwrap();
    session.use_on_chain_authorization();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap();
    let refused = bypassing_preflight(&mut session, vec![increase(world.counter, 1)]).await;
    assert_eq!(limit_reason(&refused), "Session: call limit reached");
    let record = history_of(&world, &session).await;
    assert!(record.registered_event);
    assert_eq!(record.limits.as_ref().map(|p| p.max_calls), Some(Some(1)));
}

#[tokio::test]
async fn a_daily_limit_refills_at_the_next_utc_day() {
    let world = World::start().await;
    let now = world.now().await;
    let daily = Policy {
        spend_limits: vec![SpendLimit::per_window(STRK_TOKEN, U256::from(100u8), 86_400)],
        ..Policy::default()
    };
    let mut session =
        session(&world, |b| b.expires_at(now + 3 * 86_400).allow(STRK_TOKEN, "transfer").policy(daily)).await;
    session.execute(vec![transfer(RECIPIENT, 100)]).await.unwrap();
    let refused = session.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert!(matches!(refused, SdkError::Preflight(PreflightError::SpendLimitExceeded { .. })), "{refused:?}");
    let on_chain = bypassing_preflight(&mut session, vec![transfer(RECIPIENT, 1)]).await;
    assert_eq!(limit_reason(&on_chain), "Session: spend limit exceeded");

    // The next UTC day: the whole amount again, and usage reads zero before anything is spent.
    world.devnet.set_time((now / 86_400 + 1) * 86_400 + 60).await.unwrap();
    assert_eq!(session.usage().await.unwrap().spent[&(STRK_TOKEN, 86_400)], U256::from(0u8));
    session.execute(vec![transfer(RECIPIENT, 100)]).await.unwrap();
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(200u8));
}

#[tokio::test]
async fn tokens_without_a_limit_move_nothing() {
    let world = World::start().await;
    let now = world.now().await;
    let mut no_policy = session(&world, |b| b.expires_at(now + 3600).allow(STRK_TOKEN, "transfer")).await;
    let refused = no_policy.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::TokenNotAllowed { token }) if token == STRK_TOKEN),
        "{refused:?}"
    );
    let on_chain = bypassing_preflight(&mut no_policy, vec![transfer(RECIPIENT, 1)]).await;
    assert_eq!(limit_reason(&on_chain), "Session: token not allowed");
    assert_eq!(balance(&world, RECIPIENT).await, Felt::ZERO);
}

#[tokio::test]
async fn argument_rules_pin_the_recipient_and_cap_the_amount() {
    let world = World::start().await;
    let now = world.now().await;
    let rules = vec![
        ArgumentRule::Equal { index: 0, value: RECIPIENT },
        ArgumentRule::AtMostU256 { index: 1, bound: U256::from(50u8) },
    ];
    let mut session = session(&world, |b| {
        b.expires_at(now + 3600).allow_with_rules(STRK_TOKEN, "transfer", rules).policy(strk_limit(1_000))
    })
    .await;
    session.execute(vec![transfer(RECIPIENT, 50)]).await.unwrap(); // at the bound
    for bad in [transfer(OTHER, 1), transfer(RECIPIENT, 51)] {
        let refused = session.execute(vec![bad.clone()]).await.unwrap_err();
        assert!(
            matches!(refused, SdkError::Preflight(PreflightError::ArgumentNotAllowed { .. })),
            "{refused:?}"
        );
        let on_chain = bypassing_preflight(&mut session, vec![bad]).await;
        assert_eq!(limit_reason(&on_chain), "Session: argument not allowed");
    }
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(50u8));
    assert_eq!(balance(&world, OTHER).await, Felt::ZERO);
}

#[tokio::test]
async fn lower_bounds_and_refused_values_hold_at_their_bound() {
    // A trading bot's slippage bound: at least 5 (and never exactly 7); a u256 minimum.
    let world = World::start().await;
    let now = world.now().await;
    let game_rules = vec![
        ArgumentRule::AtLeast { index: 0, bound: Felt::from(5u8) },
        ArgumentRule::NotEqual { index: 0, value: Felt::from(7u8) },
    ];
    let strk_rules = vec![ArgumentRule::AtLeastU256 { index: 1, bound: U256::from(20u8) }];
    let mut session = session(&world, |b| {
        b.expires_at(now + 3600)
            .allow_with_rules(world.counter, "increase", game_rules)
            .allow_with_rules(STRK_TOKEN, "transfer", strk_rules)
            .policy(strk_limit(1_000))
    })
    .await;
    session.execute(vec![increase(world.counter, 5)]).await.unwrap(); // at the bound
    session.execute(vec![increase(world.counter, 8)]).await.unwrap();
    session.execute(vec![transfer(RECIPIENT, 20)]).await.unwrap(); // at the u256 bound
    for bad in [increase(world.counter, 4), increase(world.counter, 7), transfer(RECIPIENT, 19)] {
        let refused = session.execute(vec![bad.clone()]).await.unwrap_err();
        assert!(
            matches!(refused, SdkError::Preflight(PreflightError::ArgumentNotAllowed { .. })),
            "{refused:?}"
        );
        let on_chain = bypassing_preflight(&mut session, vec![bad]).await;
        assert_eq!(limit_reason(&on_chain), "Session: argument not allowed");
    }
    assert_eq!(world.count().await, 13);
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(20u8));
}

#[tokio::test]
async fn a_subscription_starts_at_its_valid_after_and_is_rate_limited_per_window() {
    let world = World::start().await;
    // Start on a whole hour (windows are aligned to the Unix epoch), the session two hours later.
    let hour = (world.now().await / 3600 + 1) * 3600;
    world.devnet.set_time(hour).await.unwrap();
    let starts = hour + 7200;
    let policy = Policy { max_calls: Some(2), limits_window: 3600, valid_after: starts, ..Policy::default() };
    let session =
        session(&world, |b| b.expires_at(hour + 86_400).allow(world.counter, "increase").policy(policy))
            .await;
    let early = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(matches!(early, SdkError::SessionNotYetValid { .. }), "{early:?}");

    // One second early: validation (its clock floored to the hour) cannot tell, execution can.
    world.devnet.set_time(starts - 1).await.unwrap();
    let early = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(matches!(early, SdkError::SessionNotYetValid { .. }), "{early:?}");
    world.devnet.set_time(starts).await.unwrap();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap(); // from its start
    session.execute(vec![increase(world.counter, 1)]).await.unwrap(); // 2 calls: this hour's limit
    let refused = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::CallLimitReached { used: 2, max: 2, .. })),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("limit of 2 calls per hour"), "{refused}");
    world.devnet.set_time(starts + 3600).await.unwrap();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap(); // a new hour
    assert_eq!(session.usage().await.unwrap().calls, 1, "counted in this hour");
    assert_eq!(world.count().await, 3);
}

#[tokio::test]
async fn a_rule_total_bounds_what_a_methods_calls_add_up_to() {
    let world = World::start().await;
    let now = world.now().await;
    let rules = vec![ArgumentRule::TotalAtMostU256 { index: 1, bound: U256::from(30u8), period: 0 }];
    let session = session(&world, |b| {
        b.expires_at(now + 3600).allow_with_rules(STRK_TOKEN, "transfer", rules).policy(strk_limit(1_000))
    })
    .await;
    session.execute(vec![transfer(RECIPIENT, 20)]).await.unwrap();
    session.execute(vec![transfer(RECIPIENT, 10)]).await.unwrap(); // 30 in total: the bound
    let refused = session.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert_eq!(limit_reason(&refused), "Session: rule total exceeded");
    let alone = session.execute(vec![transfer(RECIPIENT, 31)]).await.unwrap_err();
    assert!(matches!(alone, SdkError::Preflight(PreflightError::ArgumentNotAllowed { .. })), "{alone:?}");
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(30u8));
    let reached = history_of(&world, &session).await.limits_reached;
    assert!(matches!(reached[..], [session_sdk::LimitReached::RuleTotal { window: 0, .. }]), "{reached:?}");
}

#[tokio::test]
async fn the_owner_pauses_resumes_and_extends_a_session_and_its_counters_stay() {
    let world = World::start().await;
    let session = game_session(&world, Policy { max_calls: Some(10), ..Policy::default() }).await;
    let hash = session.session_hash();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap(); // stores it
    let admin = world.admin();

    admin.pause_session(hash).await.unwrap();
    assert!(admin.is_session_paused(hash).await.unwrap());
    let paused = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(matches!(paused, SdkError::SessionPaused { .. }), "{paused:?}");
    admin.resume_session(hash).await.unwrap();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap();
    assert_eq!(session.usage().await.unwrap().calls, 2, "the call counter went on where it was");

    // Past the signed expiry, the extension keeps it going (by reference, with the new expiry).
    let signed = session.session().expires_at;
    admin.extend_session(hash, signed + 3600).await.unwrap();
    assert_eq!(admin.session_expiry(hash).await.unwrap(), signed + 3600);
    world.devnet.increase_time(signed - world.now().await + 60).await.unwrap();
    session.refresh_from_chain().await.unwrap();
    session.execute(vec![increase(world.counter, 1)]).await.unwrap();
    assert_eq!(session.usage().await.unwrap().calls, 3);
    let status = session_sdk::session_status(
        &world.devnet.provider(),
        world.account,
        hash,
        signed,
        session.session().epoch,
    )
    .await
    .unwrap();
    assert_eq!(
        (status.extended_to, status.expired, status.verdict()),
        (Some(signed + 3600), false, "cached")
    );
    let record = history_of(&world, &session).await;
    assert_eq!((record.extended_to, record.paused_event), (Some(signed + 3600), false));

    // …until the new expiry.
    world.devnet.increase_time(3600).await.unwrap();
    let expired = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(matches!(expired, SdkError::SessionExpired { .. }), "{expired:?}");
    assert_eq!(world.count().await, 3);
}

#[tokio::test]
async fn a_call_limit_counts_every_validated_call() {
    let world = World::start().await;
    let mut session = game_session(&world, Policy { max_calls: Some(3), ..Policy::default() }).await;
    session.execute(vec![increase(world.counter, 1)]).await.unwrap();
    // u64 overflow in the game: the transaction is included but reverts; like its fee, its call
    // was charged when it was validated.
    let fee = session.estimate(vec![increase(world.counter, 1)]).await.unwrap();
    let (reverted, _) = send_with_bounds(&session, vec![increase(world.counter, u64::MAX)], &fee).await;
    assert!(reverted.unwrap_err().contains("Reverted"));
    assert_eq!(session.usage().await.unwrap().calls, 2);
    session.execute(vec![increase(world.counter, 1)]).await.unwrap(); // at the limit
    assert_eq!(session.usage().await.unwrap().calls, 3);
    assert_eq!(history_of(&world, &session).await.limits_reached, [session_sdk::LimitReached::Calls]);
    assert_eq!(world.count().await, 2);

    let refused = session.execute(vec![increase(world.counter, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::CallLimitReached { used: 3, max: 3, .. })),
        "{refused:?}"
    );
    let on_chain = bypassing_preflight(&mut session, vec![increase(world.counter, 1)]).await;
    assert!(matches!(on_chain, SdkError::SessionLimitReached { .. }), "{on_chain:?}");
    assert_eq!(limit_reason(&on_chain), "Session: call limit reached");
    assert_eq!(world.count().await, 2);
}

/// Sends `calls` with explicit resource bounds (each estimated amount and price tripled);
/// returns the result and the transaction's maximum fee as the account computes it.
async fn send_with_bounds(
    session: &SessionAccount<Client>,
    calls: Vec<Call>,
    fee: &starknet::core::types::FeeEstimate,
) -> (Result<Felt, String>, u128) {
    send_with_bounds_and_tip(session, calls, fee, 0).await
}

/// [`send_with_bounds`] with a tip (paid per unit of L2 gas, on top of its price).
async fn send_with_bounds_and_tip(
    session: &SessionAccount<Client>,
    calls: Vec<Call>,
    fee: &starknet::core::types::FeeEstimate,
    tip: u64,
) -> (Result<Felt, String>, u128) {
    let (l1, l2, data) = (fee.l1_gas_consumed * 3, fee.l2_gas_consumed * 3, fee.l1_data_gas_consumed * 3);
    let (p1, p2, p3) = (fee.l1_gas_price * 3, fee.l2_gas_price * 3, fee.l1_data_gas_price * 3);
    let max_fee =
        u128::from(l1) * p1 + u128::from(l2) * p2 + u128::from(data) * p3 + u128::from(l2) * u128::from(tip);
    let sent = session
        .execute_v3(calls)
        .l1_gas(l1)
        .l1_gas_price(p1)
        .l2_gas(l2)
        .l2_gas_price(p2)
        .l1_data_gas(data)
        .l1_data_gas_price(p3)
        .tip(tip)
        .send()
        .await;
    let result = match sent {
        Ok(sent) => session_sdk::wait_for_success(session.provider(), sent.transaction_hash)
            .await
            .map(|_| sent.transaction_hash)
            .map_err(|error| format!("{error:?}")),
        Err(error) => Err(format!("{error:?}")),
    };
    (result, max_fee)
}

#[tokio::test]
async fn fee_caps_and_budgets_bind_the_resource_bounds() {
    let world = World::start().await;
    let now = world.now().await;
    let (counter, expires_at) = (world.counter, now + 3600);
    let probe = session(&world, |b| b.expires_at(expires_at).allow(counter, "increase")).await;
    probe.execute(vec![increase(counter, 1)]).await.unwrap(); // warm: the counter's storage exists
    let fee = probe.estimate(vec![increase(counter, 1)]).await.unwrap();
    let with_policy = |policy: Policy| {
        session(&world, move |b| b.expires_at(expires_at).allow(counter, "increase").policy(policy))
    };

    // The same bounds: accepted under a cap equal to their maximum fee, refused one FRI below.
    let (_, max_fee) = send_with_bounds(&probe, vec![increase(counter, 1)], &fee).await;
    let at_cap = with_policy(Policy { max_fee_per_tx: Some(max_fee), ..Policy::default() }).await;
    let (accepted, _) = send_with_bounds(&at_cap, vec![increase(counter, 1)], &fee).await;
    accepted.unwrap();
    let below = with_policy(Policy { max_fee_per_tx: Some(max_fee - 1), ..Policy::default() }).await;
    let (refused, _) = send_with_bounds(&below, vec![increase(counter, 1)], &fee).await;
    assert!(refused.unwrap_err().contains("Session: fee cap exceeded"));

    // A budget of two such transactions: both pass, even when one reverts (its fee is charged in
    // validation), and a third is refused before it can pay anything.
    let budget = with_policy(Policy { fee_budget: Some(2 * max_fee), ..Policy::default() }).await;
    send_with_bounds(&budget, vec![increase(counter, 1)], &fee).await.0.unwrap();
    let (reverted, _) = send_with_bounds(&budget, vec![increase(counter, u64::MAX)], &fee).await;
    assert!(reverted.unwrap_err().contains("Reverted"));
    assert_eq!(budget.usage().await.unwrap().fees_committed, 2 * max_fee);
    let (over, _) = send_with_bounds(&budget, vec![increase(counter, 1)], &fee).await;
    assert!(over.unwrap_err().contains("Session: fee budget exceeded"));
    let refused = budget.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::FeeBudgetExceeded { remaining: 0, .. })),
        "{refused:?}"
    );

    // The SDK fits its bounds under a cap: with a cap between the estimated fee and the SDK's
    // usual margin (×1.5 on amounts and prices), it drops the margin and the transaction passes.
    let shape = with_policy(Policy { max_fee_per_tx: Some(u128::MAX - 1), ..Policy::default() }).await;
    let estimate = shape.estimate(vec![increase(counter, 1)]).await.unwrap();
    let estimated_fee = u128::from(estimate.l1_gas_consumed) * estimate.l1_gas_price
        + u128::from(estimate.l2_gas_consumed) * estimate.l2_gas_price
        + u128::from(estimate.l1_data_gas_consumed) * estimate.l1_data_gas_price;
    let fitted = with_policy(Policy { max_fee_per_tx: Some(estimated_fee * 2), ..Policy::default() }).await;
    fitted.execute(vec![increase(counter, 1)]).await.unwrap();
    let too_tight =
        with_policy(Policy { max_fee_per_tx: Some(estimated_fee / 2), ..Policy::default() }).await;
    let refused = too_tight.execute(vec![increase(counter, 1)]).await.unwrap_err();
    assert!(matches!(refused, SdkError::Preflight(PreflightError::FeeCapExceeded { .. })), "{refused:?}");

    // The tip counts too (it is paid on every unit of L2 gas): a cap equal to the bounds plus a
    // tip of 3 admits that tip and refuses a tip of 4 with the same bounds.
    let (_, with_tip) = send_with_bounds_and_tip(&probe, vec![increase(counter, 1)], &fee, 3).await;
    let tipped = with_policy(Policy { max_fee_per_tx: Some(with_tip), ..Policy::default() }).await;
    send_with_bounds_and_tip(&tipped, vec![increase(counter, 1)], &fee, 3).await.0.unwrap();
    let (refused, higher) = send_with_bounds_and_tip(&tipped, vec![increase(counter, 1)], &fee, 4).await;
    assert_eq!(higher - with_tip, u128::from(fee.l2_gas_consumed * 3), "one more tip unit per L2 gas unit");
    assert!(refused.unwrap_err().contains("Session: fee cap exceeded"));
}

#[tokio::test]
async fn outside_executions_count_against_the_same_limits() {
    let world = World::start().await;
    let now = world.now().await;
    let policy = Policy { max_calls: Some(2), ..strk_limit(100) };
    let mut session =
        session(&world, |b| b.expires_at(now + 3600).allow(STRK_TOKEN, "transfer").policy(policy)).await;
    let relayer = world.devnet.account(1);
    let paid =
        session.sign_outside_execution(vec![transfer(RECIPIENT, 100)], None, now - 60, now + 600).unwrap();
    paid.submit(&relayer).await.unwrap(); // the whole limit, paid for by the relayer
    let usage = session.usage().await.unwrap();
    assert_eq!((usage.calls, usage.spent[&(STRK_TOKEN, 0)]), (1, U256::from(100u8)));

    // One unit more, signed without the pre-flight check: the account refuses it inside the
    // relayer's transaction, and nothing moves.
    session.set_preflight_checks(false);
    let over =
        session.sign_outside_execution(vec![transfer(RECIPIENT, 1)], None, now - 60, now + 600).unwrap();
    let refused = over.submit(&relayer).await.unwrap_err();
    assert!(refused.to_string().contains("Session: spend limit exceeded"), "{refused}");
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(100u8));
}

#[tokio::test]
async fn one_token_with_a_daily_and_a_total_limit_counts_both() {
    let world = World::start().await;
    let now = world.now().await;
    let policy = Policy {
        spend_limits: vec![
            SpendLimit::per_window(STRK_TOKEN, U256::from(100u8), 86_400),
            SpendLimit::lifetime(STRK_TOKEN, U256::from(150u8)),
        ],
        ..Policy::default()
    };
    let mut session =
        session(&world, |b| b.expires_at(now + 3 * 86_400).allow(STRK_TOKEN, "transfer").policy(policy))
            .await;
    session.execute(vec![transfer(RECIPIENT, 100)]).await.unwrap();
    let refused = session.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::SpendLimitExceeded { period: 86_400, .. })),
        "{refused:?}"
    );

    // The next day the daily limit refills, but only 50 remain of the total.
    world.devnet.set_time((now / 86_400 + 1) * 86_400 + 60).await.unwrap();
    session.execute(vec![transfer(RECIPIENT, 50)]).await.unwrap();
    let refused = session.execute(vec![transfer(RECIPIENT, 1)]).await.unwrap_err();
    assert!(
        matches!(refused, SdkError::Preflight(PreflightError::SpendLimitExceeded { period: 0, .. })),
        "{refused:?}"
    );
    let on_chain = bypassing_preflight(&mut session, vec![transfer(RECIPIENT, 1)]).await;
    assert_eq!(limit_reason(&on_chain), "Session: spend limit exceeded");
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(150u8));

    // Auditors see both limits as signed, and can rebuild the usage from events alone.
    let record = history_of(&world, &session).await;
    assert_eq!(record.limits.as_ref().map(|p| p.spend_limits.len()), Some(2));
    let from_events = &record.usage_from_events;
    let second_day = (now / 86_400 + 1) * 86_400 + 60;
    assert_eq!(from_events.spent(STRK_TOKEN, 0, second_day), U256::from(150u8));
    assert_eq!(from_events.spent(STRK_TOKEN, 86_400, second_day), U256::from(50u8));
    assert_eq!(from_events.spent(STRK_TOKEN, 86_400, now), U256::from(100u8), "the first day's window");
}

#[tokio::test]
async fn an_unlimited_token_stays_usable_after_an_infinite_approval() {
    let world = World::start().await;
    let now = world.now().await;
    let policy = Policy { spend_limits: vec![SpendLimit::unlimited(STRK_TOKEN)], ..Policy::default() };
    let session = session(&world, |b| {
        b.expires_at(now + 3600).allow(STRK_TOKEN, "approve").allow(STRK_TOKEN, "transfer").policy(policy)
    })
    .await;
    let max = Felt::from(u128::MAX);
    session.execute(vec![strk_call("approve", vec![OTHER, max, max])]).await.unwrap();
    session.execute(vec![transfer(RECIPIENT, 7)]).await.unwrap();
    assert_eq!(balance(&world, RECIPIENT).await, Felt::from(7u8));
    // Nothing was accounted: an unlimited limit is never counted down.
    let left =
        session_bindings::session_account::SessionAccountReader::new(world.account, world.devnet.provider())
            .get_session_spend_left(
                &session.session_hash(),
                &cainome::cairo_serde::ContractAddress(STRK_TOKEN),
                &0,
            )
            .block_id(BlockId::Tag(BlockTag::PreConfirmed))
            .call()
            .await
            .unwrap();
    assert_eq!((left.low, left.high), (u128::MAX, u128::MAX));
}
