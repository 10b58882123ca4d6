//! `stark-session demo`: the whole story on a local devnet the command starts itself.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use local_devnet::Devnet;
use serde::Serialize;
use session_core::{ArgumentRule, Policy, PreflightError, SpendLimit, U256};
use session_paymaster::config::{ConfigFile, RelayerConfig};
use session_sdk::{
    create_session, declare_if_needed, deploy_contract, deploy_session_account, session_account_address,
    wait_for_success, OwnerAccount, OwnerSigner, PaymasterClient, PaymasterFee, SdkError, SessionAccount,
    SessionAdmin, SoftwarePasskey, STRK_TOKEN,
};
use starknet::accounts::Account;
use starknet::core::types::{Call, Felt};
use starknet::core::utils::get_selector_from_name;
use starknet::signers::SigningKey;

use crate::chain::l2_gas;
use crate::input::Client;
use crate::output::Output;

/// Options of the demo.
#[derive(Args)]
pub struct Demo {
    /// How many game moves the session key plays.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=200))]
    moves: u32,
    /// Who owns the demo account: a Stark key, or a passkey (a software authenticator signing
    /// WebAuthn assertions exactly as a browser does).
    #[arg(long, value_enum, default_value = "stark")]
    owner: DemoOwner,
    /// Play the moves gasless: through a `session-paymaster` started in this process (SQLite in a
    /// temporary directory, devnet's other accounts as relayers), which sponsors them.
    #[arg(long)]
    paymaster: bool,
}

/// The demo account's owner.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoOwner {
    /// A Stark key.
    Stark,
    /// A passkey for `https://game.example`.
    Passkey,
}

/// What the demo measured.
#[derive(Serialize)]
struct Summary {
    owner: &'static str,
    transactions_sent: u32,
    session_transactions: u32,
    owner_signatures_for_the_game_session: u32,
    l2_gas_session_first_use: u64,
    l2_gas_session_cached_average: u64,
    l2_gas_owner_signed: u64,
    signature_felts_session_first_use: usize,
    signature_felts_session_cached: usize,
    signature_felts_owner: usize,
    protections: Vec<Protection>,
}

/// The bot session's only allowed payee, and someone else.
const PAYEE: Felt = Felt::from_hex_unchecked("0xb0b");
/// The kind of off-chain order the demo's trading bot may sign (a DEX's SNIP-12 domain and type).
const ORDER: session_core::AllowedMessage = session_core::AllowedMessage {
    domain_hash: Felt::from_hex_unchecked("0xd0a11"),
    type_hash: Felt::from_hex_unchecked("0xde5"),
};
const OTHER_PAYEE: Felt = Felt::from_hex_unchecked("0xca7");

/// One protection shown working.
#[derive(Serialize)]
struct Protection {
    rule: &'static str,
    rejected_with: String,
}

struct Ctx {
    devnet: Devnet,
    account: Felt,
    game: Felt,
    owner: Arc<dyn OwnerSigner>,
    out: Output,
    sent: u32,
    /// The paymaster the moves go through (`--paymaster`).
    paymaster: Option<Gasless>,
}

impl Ctx {
    async fn now(&self) -> Result<u64> {
        Ok(self.devnet.latest_block_timestamp().await?)
    }

    fn call(&self, entrypoint: &str, calldata: Vec<Felt>) -> Result<Call> {
        Ok(Call { to: self.game, selector: get_selector_from_name(entrypoint)?, calldata })
    }

    /// A session allowing the game's `increase`, authorized by one owner signature (for the
    /// account's current epoch).
    async fn new_session(&self) -> Result<SessionAccount<Client>> {
        let expires_at = self.now().await? + 3600;
        let (provider, chain_id) = (self.devnet.provider(), self.devnet.chain_id());
        Ok(create_session(&self.owner, provider, self.account, chain_id, |builder| {
            builder.expires_at(expires_at).allow(self.game, "increase")
        })
        .await?)
    }

    /// The owner's own account (owner-signed transactions).
    fn owner(&self) -> OwnerAccount<Client, Arc<dyn OwnerSigner>> {
        OwnerAccount::new(self.devnet.provider(), self.devnet.chain_id(), self.account, self.owner.clone())
    }

    /// Plays a game move through the session (gasless through the paymaster when there is one)
    /// and returns the L2 gas the transaction used.
    async fn play_move(&mut self, session: &SessionAccount<Client>, calls: Vec<Call>) -> Result<u64> {
        let Some(gasless) = &self.paymaster else { return self.play(session, calls).await };
        let (_, receipt) =
            session.execute_via_paymaster(&gasless.client, calls, &PaymasterFee::sponsored()).await?;
        self.sent += 1;
        Ok(l2_gas(&receipt.receipt))
    }

    /// Sends `calls` through the session and returns the L2 gas the transaction used.
    async fn play(&mut self, session: &SessionAccount<Client>, calls: Vec<Call>) -> Result<u64> {
        let receipt = session.execute(calls).await?;
        self.sent += 1;
        Ok(l2_gas(&receipt.receipt))
    }

    /// Sends `calls` signed by the owner and returns the L2 gas the transaction used.
    async fn owner_sends(&mut self, calls: Vec<Call>) -> Result<u64> {
        let sent = self.owner().execute_v3(calls).send().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        self.sent += 1;
        let receipt = wait_for_success(&self.devnet.provider(), sent.transaction_hash).await?;
        Ok(l2_gas(&receipt.receipt))
    }
}

/// The in-process paymaster of `demo --paymaster`.
struct Gasless {
    server: session_paymaster::RunningServer,
    client: PaymasterClient,
    _dir: tempfile::TempDir,
}

impl Gasless {
    /// Starts a paymaster on a free port that sponsors `game.increase`, relaying from devnet's
    /// accounts other than the deployer.
    async fn start(devnet: &Devnet, game: Felt) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let relayers = devnet.accounts()[1..]
            .iter()
            .map(|account| RelayerConfig { address: account.address, private_key: account.private_key })
            .collect();
        let file = ConfigFile {
            rpc_url: devnet.rpc_url().to_string(),
            database_url: format!("sqlite://{}", dir.path().join("paymaster.sqlite").display()),
            relayers,
            ..ConfigFile::sponsoring("demo-key", game, &["increase"], ONE_STRK)
        };
        let config = session_paymaster::Config::resolve(file, |_| None)?;
        let server = session_paymaster::serve(config).await?;
        let client = PaymasterClient::new(server.url()).with_api_key("demo-key");
        Ok(Self { server, client, _dir: dir })
    }
}

const ONE_STRK: u128 = 1_000_000_000_000_000_000;

async fn strk_balance(ctx: &Ctx, owner: Felt) -> Result<U256> {
    crate::chain::token_balance(&ctx.devnet.provider(), STRK_TOKEN, owner)
        .await?
        .context("no STRK token on the devnet")
}

/// The rejection `outcome` must be, as one line for the summary.
fn expect_rejection<T>(outcome: Result<T, SdkError>, expected: fn(&SdkError) -> bool) -> Result<String> {
    match outcome {
        Ok(_) => bail!("a transaction the session does not allow was accepted"),
        Err(error) if expected(&error) => Ok(naming_entrypoints(error.to_string())),
        Err(error) => bail!("rejected, but not for the expected reason: {error}"),
    }
}

/// `text` with the selectors of the entrypoints the demo calls written as their names.
fn naming_entrypoints(text: String) -> String {
    ["increase", "reset", "transfer", "revoke_all_sessions"].into_iter().fold(text, |text, name| {
        match get_selector_from_name(name) {
            Ok(selector) => text.replace(&format!("selector {selector:#x}"), &format!("`{name}`")),
            Err(_) => text,
        }
    })
}

/// Runs the demo.
pub async fn run(args: Demo, json: bool) -> Result<()> {
    if !json {
        println!("Starting a local starknet-devnet {} ...", local_devnet::DEVNET_VERSION);
    }
    let devnet = Devnet::spawn().await.context("starting devnet")?;
    let funder = devnet.account(0);
    let (owner, owner_kind): (Arc<dyn OwnerSigner>, _) = match args.owner {
        DemoOwner::Stark => (Arc::new(SigningKey::from_random()), "Stark key"),
        DemoOwner::Passkey => (
            Arc::new(SoftwarePasskey::generate("game.example", "https://game.example")?),
            "passkey (software authenticator, origin https://game.example)",
        ),
    };
    let salt = Felt::from(0x5e55u64);
    declare_if_needed(&funder, &session_bindings::session_account_artifact()?).await?;
    let account = session_account_address(&owner.owner_key(), salt)?;
    devnet.mint(account, 10_000_000_000_000_000_000).await?;
    deploy_session_account(devnet.provider(), devnet.chain_id(), &owner, salt).await?;
    let game = deploy_contract(&funder, &session_bindings::counter_artifact()?, vec![], Felt::ONE).await?;
    let owner_signature_felts = owner.sign_owner_hash(Felt::ZERO).await?.encode().len();
    let paymaster = if args.paymaster { Some(Gasless::start(&devnet, game).await?) } else { None };
    let mut ctx = Ctx { devnet, account, game, owner, out: Output { json }, sent: 1, paymaster };
    ctx.out.say(format!("Devnet:          {}", ctx.devnet.rpc_url()));
    ctx.out.say(format!("Owner:           {owner_kind} (signed the DEPLOY_ACCOUNT)"));
    ctx.out.say(format!("Session account: {account:#066x} (DEPLOY_ACCOUNT, paid from its own balance)"));
    ctx.out.say(format!("Game contract:   {game:#066x}"));
    if let Some(gasless) = &ctx.paymaster {
        ctx.out.say(format!(
            "Paymaster:       {} (SNIP-29, sponsors game.increase; its relayers pay the gas)",
            gasless.server.url()
        ));
    }
    let balance_before_moves = strk_balance(&ctx, account).await?;

    // One owner signature authorizes the session; the session key does the rest.
    let mut session = ctx.new_session().await?;
    ctx.out.say(match args.owner {
        DemoOwner::Stark => "\nThe owner signs ONE session authorization: game.increase, for 1 hour.",
        DemoOwner::Passkey => "\nONE passkey assertion authorizes the session: game.increase, for 1 hour.",
    });
    let one_move = ctx.call("increase", vec![Felt::ONE])?;
    let first_signature = session.sign_calls(Felt::ZERO, std::slice::from_ref(&one_move))?.len();
    let first_gas = ctx.play_move(&session, vec![one_move.clone()]).await?;
    ctx.out
        .say(format!("  move 1 sent by the session key (authorization cached on-chain), {first_gas} L2 gas"));
    session.use_on_chain_authorization();
    let cached_signature = session.sign_calls(Felt::ZERO, std::slice::from_ref(&one_move))?.len();
    let mut cached_gas = Vec::new();
    for number in 2..=args.moves {
        cached_gas.push(ctx.play_move(&session, vec![one_move.clone()]).await?);
        ctx.out.say(format!(
            "  move {number} sent by the session key, {} L2 gas",
            cached_gas.last().copied().unwrap_or_default()
        ));
    }
    if ctx.paymaster.is_some() {
        let after = strk_balance(&ctx, account).await?;
        if after != balance_before_moves {
            bail!("the gasless moves changed the account's STRK balance ({balance_before_moves} -> {after} FRI)");
        }
        ctx.out.say(format!(
            "  the account's STRK balance is unchanged by the {} moves: {after} FRI (the paymaster paid)",
            args.moves
        ));
    }
    let owner_gas = ctx.owner_sends(vec![one_move.clone()]).await?;
    ctx.out.say(format!("  the same move signed by the owner: {owner_gas} L2 gas"));

    let mut protections = Vec::new();
    ctx.out.say("\nProtections:");
    let reset = ctx.call("reset", vec![])?;
    let reason = expect_rejection(session.send(vec![reset.clone()]).await, |e| {
        matches!(e, SdkError::Preflight(PreflightError::MethodNotAllowed { .. }))
    })?;
    ctx.out.say(format!("  game.reset (not in the session), pre-flight: {reason}"));
    protections.push(Protection { rule: "method not allowed (pre-flight)", rejected_with: reason });

    session.set_preflight_checks(false);
    let reason = expect_rejection(
        session.send(vec![reset]).await,
        |e| matches!(e, SdkError::PolicyViolation { reason, .. } if reason == "Session: method not allowed"),
    )?;
    session.set_preflight_checks(true);
    ctx.out.say(format!("  game.reset with the pre-flight check bypassed, the account: {reason}"));
    protections.push(Protection { rule: "method not allowed (on-chain)", rejected_with: reason });

    let call_self =
        Call { to: account, selector: get_selector_from_name("revoke_all_sessions")?, calldata: vec![] };
    let reason = expect_rejection(session.send(vec![call_self]).await, |e| {
        matches!(e, SdkError::Preflight(PreflightError::CallToSelf { .. }))
    })?;
    ctx.out.say(format!("  calling the account itself: {reason}"));
    protections.push(Protection { rule: "no call to the account", rejected_with: reason });

    // A bot's session with limits: 1000 FRI of STRK in total, only to one recipient.
    let expires_at = ctx.now().await? + 3600;
    let (provider, chain_id) = (ctx.devnet.provider(), ctx.devnet.chain_id());
    let mut bot = create_session(&ctx.owner, provider, account, chain_id, |builder| {
        builder
            .expires_at(expires_at)
            .allow_with_rules(STRK_TOKEN, "transfer", vec![ArgumentRule::Equal { index: 0, value: PAYEE }])
            .policy(Policy {
                spend_limits: vec![SpendLimit::lifetime(STRK_TOKEN, U256::from(1_000u32))],
                ..Policy::default()
            })
    })
    .await?;
    let pay = |to: Felt, amount: u32| -> Result<Call> {
        Ok(Call {
            to: STRK_TOKEN,
            selector: get_selector_from_name("transfer")?,
            calldata: vec![to, Felt::from(amount), Felt::ZERO],
        })
    };
    ctx.out.say("  a bot session (second owner signature): STRK transfers to one payee, 1000 FRI in total");
    ctx.play(&bot, vec![pay(PAYEE, 1_000)?]).await?;
    ctx.out.say("    paid the payee 1000 FRI: exactly the limit");
    let reason = expect_rejection(bot.send(vec![pay(OTHER_PAYEE, 1)?]).await, |e| {
        matches!(e, SdkError::Preflight(PreflightError::ArgumentNotAllowed { .. }))
    })?;
    ctx.out.say(format!("    paying someone else, pre-flight: {reason}"));
    protections.push(Protection { rule: "argument rule", rejected_with: reason });
    bot.set_preflight_checks(false);
    let reason = expect_rejection(
        bot.send(vec![pay(PAYEE, 1)?]).await,
        |e| matches!(e, SdkError::SessionLimitReached { reason, .. } if reason == "Session: spend limit exceeded"),
    )?;
    ctx.out.say(format!("    1 FRI more with the pre-flight check bypassed, the account: {reason}"));
    protections.push(Protection { rule: "spend limit (on-chain)", rejected_with: reason });

    // A trading bot: a slippage bound on its "swap" (here `increase`: at least 2) and a rate limit
    // of 2 calls an hour. Windows are aligned to the Unix epoch: start on a whole hour.
    let hour = (ctx.now().await? / 3600 + 1) * 3600;
    ctx.devnet.set_time(hour).await?;
    let (provider, chain_id) = (ctx.devnet.provider(), ctx.devnet.chain_id());
    let trader = create_session(&ctx.owner, provider, account, chain_id, |builder| {
        builder
            .expires_at(hour + 86_400)
            .allow_with_rules(
                ctx.game,
                "increase",
                vec![ArgumentRule::AtLeast { index: 0, bound: Felt::TWO }],
            )
            .allow_message(ORDER.domain_hash, ORDER.type_hash)
            .policy(Policy { max_calls: Some(2), limits_window: 3600, ..Policy::default() })
    })
    .await?;
    ctx.out.say(
        "  a trading bot's session (another owner signature): a slippage bound (at least 2), 2 calls an hour",
    );
    let reason = expect_rejection(trader.send(vec![ctx.call("increase", vec![Felt::ONE])?]).await, |e| {
        matches!(e, SdkError::Preflight(PreflightError::ArgumentNotAllowed { .. }))
    })?;
    ctx.out.say(format!("    below its slippage bound, pre-flight: {reason}"));
    protections.push(Protection { rule: "slippage bound (at least)", rejected_with: reason });
    for _ in 0..2 {
        ctx.play(&trader, vec![ctx.call("increase", vec![Felt::TWO])?]).await?;
    }
    let reason = expect_rejection(trader.send(vec![ctx.call("increase", vec![Felt::TWO])?]).await, |e| {
        matches!(e, SdkError::Preflight(PreflightError::CallLimitReached { .. }))
    })?;
    ctx.out.say(format!("    a third call in the hour, pre-flight: {reason}"));
    protections.push(Protection { rule: "rate limit (calls per hour)", rejected_with: reason });
    // The bot signs an order off-chain; the account vouches for it (SRC-6), and only for that kind.
    let (order_hash, order_signature) =
        trader.sign_message(ORDER, &[Felt::from(0x5e11u32), Felt::from(100u8)])?;
    let mut reader =
        session_bindings::session_account::SessionAccountReader::new(account, ctx.devnet.provider());
    reader.set_block(starknet::core::types::BlockId::Tag(starknet::core::types::BlockTag::PreConfirmed));
    let verdict = reader.is_valid_signature(&order_hash, &order_signature).call().await?;
    if verdict != session_core::snip12::short_string("VALID") {
        bail!("the account did not vouch for the bot's order");
    }
    ctx.out.say("    it signs an order (a listed message kind) off-chain: the account's is_valid_signature says VALID");
    let verdict = reader.is_valid_signature(&(order_hash + Felt::ONE), &order_signature).call().await?;
    let reason = if verdict == Felt::ZERO {
        "is_valid_signature: 0".to_owned()
    } else {
        bail!("accepted another message")
    };
    ctx.out.say(format!("    the same signature for another message: {reason}"));
    protections.push(Protection { rule: "off-chain messages of listed kinds only", rejected_with: reason });

    // A subscription that starts in two hours: refused before, to the second, then it pays.
    let now = ctx.now().await?;
    let (provider, chain_id) = (ctx.devnet.provider(), ctx.devnet.chain_id());
    let subscription = create_session(&ctx.owner, provider, account, chain_id, |builder| {
        builder
            .expires_at(now + 86_400)
            .allow(ctx.game, "increase")
            .policy(Policy { valid_after: now + 7_200, ..Policy::default() })
    })
    .await?;
    let reason = expect_rejection(subscription.execute(vec![one_move.clone()]).await, |e| {
        matches!(e, SdkError::SessionNotYetValid { .. })
    })?;
    ctx.out.say(format!("  a subscription starting in 2 hours, used now: {reason}"));
    protections.push(Protection { rule: "not before its start", rejected_with: reason });
    ctx.devnet.increase_time(7_200).await?;
    ctx.play(&subscription, vec![one_move.clone()]).await?;
    ctx.out.say("    two hours later it runs");

    ctx.devnet.increase_time(3601).await?;
    let reason = expect_rejection(session.execute(vec![one_move.clone()]).await, |e| {
        matches!(e, SdkError::SessionExpired { .. })
    })?;
    ctx.out.say(format!("  after the session expired (devnet time +1h): {reason}"));
    protections.push(Protection { rule: "expiry", rejected_with: reason });

    let admin = SessionAdmin::new(ctx.owner());
    let second = ctx.new_session().await?;
    ctx.play(&second, vec![one_move.clone()]).await?;
    admin.revoke_session(second.session_hash()).await?;
    ctx.sent += 1;
    let reason = expect_rejection(second.execute(vec![one_move.clone()]).await, |e| {
        matches!(e, SdkError::SessionRevoked { .. })
    })?;
    ctx.out.say(format!("  a second session, revoked by its hash: {reason}"));
    protections.push(Protection { rule: "revocation", rejected_with: reason });

    let third = ctx.new_session().await?;
    let fourth = ctx.new_session().await?;
    ctx.play(&third, vec![one_move.clone()]).await?;
    admin.revoke_all_sessions().await?;
    ctx.sent += 1;
    let stale = |e: &SdkError| matches!(e, SdkError::SessionRevoked { reason, .. } if reason == "Session: stale epoch");
    let reason = expect_rejection(third.execute(vec![one_move.clone()]).await, stale)?;
    expect_rejection(fourth.execute(vec![one_move.clone()]).await, stale)?;
    ctx.out.say(format!("  two more sessions after revoke-all (one O(1) transaction): {reason}"));
    protections.push(Protection { rule: "revoke all", rejected_with: reason });
    let fresh = ctx.new_session().await?;
    ctx.play(&fresh, vec![one_move.clone()]).await?;
    ctx.out.say("  a session authorized after the revoke-all (the new epoch, read from the chain) plays");
    ctx.owner_sends(vec![one_move]).await?;
    ctx.out.say("  the owner still transacts");

    let average = if cached_gas.is_empty() {
        first_gas
    } else {
        cached_gas.iter().sum::<u64>() / cached_gas.len() as u64
    };
    let summary = Summary {
        owner: owner_kind,
        transactions_sent: ctx.sent,
        session_transactions: args.moves,
        owner_signatures_for_the_game_session: 1,
        l2_gas_session_first_use: first_gas,
        l2_gas_session_cached_average: average,
        l2_gas_owner_signed: owner_gas,
        signature_felts_session_first_use: first_signature,
        signature_felts_session_cached: cached_signature,
        signature_felts_owner: owner_signature_felts,
        protections,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("\nSummary (owner: {})", summary.owner);
        println!("  transactions sent                         {:>10}", summary.transactions_sent);
        println!("  game moves signed by the session key      {:>10}", summary.session_transactions);
        println!(
            "  owner signatures for those moves          {:>10}",
            summary.owner_signatures_for_the_game_session
        );
        println!("  L2 gas, session tx (first use)            {:>10}", summary.l2_gas_session_first_use);
        println!("  L2 gas, session tx (cached, average)      {:>10}", summary.l2_gas_session_cached_average);
        println!("  L2 gas, owner-signed tx                   {:>10}", summary.l2_gas_owner_signed);
        println!(
            "  signature felts: first use / cached / owner  {} / {} / {}",
            summary.signature_felts_session_first_use,
            summary.signature_felts_session_cached,
            summary.signature_felts_owner
        );
    }
    Ok(())
}
