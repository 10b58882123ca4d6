//! `session-bench`: the session account's cost per transaction, measured from receipts on a devnet
//! it starts, against devnet's predeployed OpenZeppelin account and our own owner-signed account;
//! plus the SDK's off-chain speed and back-to-back throughput. Writes `BENCHMARKS.md` and a JSON
//! file of raw figures.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use local_devnet::Devnet;
use serde::Serialize;
use session_sdk::protocol::{ArgumentRule, Policy, SessionBuilder, SpendLimit, U256};
use session_sdk::{
    create_session, declare_if_needed, deploy_contract, deploy_session_account, owner_account,
    session_account_address, wait_for_success, SessionAccount, SessionAdmin, STRK_TOKEN,
};
use starknet::accounts::{Account, ConnectedAccount, SingleOwnerAccount};
use starknet::core::types::{Call, Felt, TransactionReceipt, TransactionReceiptWithBlockInfo};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::signers::{LocalWallet, SigningKey};

type Client = JsonRpcClient<HttpTransport>;

/// Options.
#[derive(Parser)]
#[command(name = "session-bench", about)]
struct Options {
    /// Where to write BENCHMARKS.md.
    #[arg(long, default_value = "BENCHMARKS.md")]
    markdown: PathBuf,
    /// Where to write the raw figures.
    #[arg(long, default_value = "benchmarks/results.json")]
    json: PathBuf,
    /// Where criterion wrote the SDK micro-benchmarks (`cargo bench -p session-sdk`).
    #[arg(long, env = "CRITERION_DIR")]
    criterion_dir: PathBuf,
    /// Transactions per throughput run.
    #[arg(long, default_value_t = 100)]
    throughput_transactions: usize,
}

/// One measured transaction kind.
#[derive(Serialize)]
struct Row {
    case: String,
    calls: usize,
    l2_gas: u64,
    l1_data_gas: u64,
    signature_felts: usize,
}

/// Every figure of one run.
#[derive(Serialize)]
struct Results {
    devnet_version: &'static str,
    transactions: Vec<Row>,
    policy_size: Vec<(usize, u64)>,
    limits: Vec<Row>,
    off_chain_microseconds: Vec<(String, f64)>,
    throughput: Vec<(String, usize, f64)>,
}

fn receipt_cost(receipt: &TransactionReceiptWithBlockInfo) -> (u64, u64) {
    match &receipt.receipt {
        TransactionReceipt::Invoke(receipt) => {
            (receipt.execution_resources.l2_gas, receipt.execution_resources.l1_data_gas)
        }
        _ => (0, 0),
    }
}

struct Bench {
    devnet: Devnet,
    account: Felt,
    owner_key: SigningKey,
    game: Felt,
    increase: Felt,
}

impl Bench {
    fn moves(&self, count: usize) -> Vec<Call> {
        (0..count)
            .map(|_| Call { to: self.game, selector: self.increase, calldata: vec![Felt::ONE] })
            .collect()
    }

    fn owner(&self) -> SingleOwnerAccount<Client, LocalWallet> {
        owner_account(self.devnet.provider(), self.devnet.chain_id(), self.account, self.owner_key.clone())
    }

    /// A session for the game's `increase` plus `extra_methods` other (unused) methods.
    async fn session(&self, extra_methods: usize) -> Result<SessionAccount<Client>> {
        self.session_with(|builder| {
            let builder = builder.allow(self.game, "increase");
            (0..extra_methods).fold(builder, |builder, index| {
                builder.allow_selector(self.game, Felt::from(1_000_000 + index as u64), Vec::new())
            })
        })
        .await
    }

    /// A session expiring in a day, with the permissions and limits `build` gives it.
    async fn session_with(
        &self,
        build: impl FnOnce(SessionBuilder) -> SessionBuilder,
    ) -> Result<SessionAccount<Client>> {
        let expires_at = self.devnet.latest_block_timestamp().await? + 86_400;
        let (provider, chain_id) = (self.devnet.provider(), self.devnet.chain_id());
        Ok(create_session(&self.owner_key, provider, self.account, chain_id, |builder| {
            build(builder.expires_at(expires_at))
        })
        .await?)
    }

    /// The cost of `calls` from `session` once its authorization is cached (its first
    /// transaction, which caches it, is sent first and not measured): a row named `case`.
    async fn cached_row(
        &self,
        case: &str,
        mut session: SessionAccount<Client>,
        calls: Vec<Call>,
    ) -> Result<Row> {
        self.session_send(&session, calls.clone()).await?;
        session.use_on_chain_authorization();
        let signature_felts = signature_felts(&session, &calls)?;
        let (l2_gas, l1_data_gas) = self.session_send(&session, calls.clone()).await?;
        Ok(Row { case: case.into(), calls: calls.len(), l2_gas, l1_data_gas, signature_felts })
    }

    /// Sends `calls` from a starknet-rs account; returns (L2 gas, L1 data gas).
    async fn send<A: ConnectedAccount + Sync>(&self, account: &A, calls: Vec<Call>) -> Result<(u64, u64)>
    where
        A::SignError: 'static,
    {
        let sent = account.execute_v3(calls).send().await.map_err(|error| anyhow::anyhow!("{error:?}"))?;
        Ok(receipt_cost(&wait_for_success(&self.devnet.provider(), sent.transaction_hash).await?))
    }

    /// Waits until every transaction in `hashes` succeeded.
    async fn wait_for_all(&self, hashes: Vec<Felt>) -> Result<()> {
        for hash in hashes {
            wait_for_success(&self.devnet.provider(), hash).await?;
        }
        Ok(())
    }

    async fn session_send(&self, session: &SessionAccount<Client>, calls: Vec<Call>) -> Result<(u64, u64)> {
        Ok(receipt_cost(&session.execute(calls).await?))
    }
}

fn signature_felts(session: &SessionAccount<Client>, calls: &[Call]) -> Result<usize> {
    Ok(session.sign_calls(Felt::ZERO, calls)?.len())
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = Options::parse();
    eprintln!("starting devnet {} ...", local_devnet::DEVNET_VERSION);
    let devnet = Devnet::spawn().await.context("starting devnet")?;
    let funder = devnet.account(0);
    let owner_key = SigningKey::from_random();
    declare_if_needed(&funder, &session_bindings::session_account_artifact()?).await?;
    let account = session_account_address(owner_key.verifying_key().scalar(), Felt::ONE)?;
    devnet.mint(account, 10_000_000_000_000_000_000).await?;
    devnet.mint(account, 10_000_000_000_000_000_000).await?;
    deploy_session_account(devnet.provider(), devnet.chain_id(), &owner_key, Felt::ONE).await?;
    let game = deploy_contract(&funder, &session_bindings::counter_artifact()?, vec![], Felt::ONE).await?;
    let bench = Bench { devnet, account, owner_key, game, increase: get_selector_from_name("increase")? };
    let mut rows = Vec::new();
    // Warm-up: each sender's first write to its counter slot costs extra; measure steady state.
    bench.send(&bench.devnet.account(0), bench.moves(1)).await?;
    bench.send(&bench.owner(), bench.moves(1)).await?;

    for calls in [1, 3, 10] {
        eprintln!("measuring transactions of {calls} call(s) ...");
        let (l2_gas, l1_data_gas) = bench.send(&bench.devnet.account(0), bench.moves(calls)).await?;
        rows.push(Row {
            case: "OpenZeppelin account (devnet predeployed)".into(),
            calls,
            l2_gas,
            l1_data_gas,
            signature_felts: 2,
        });
        let (l2_gas, l1_data_gas) = bench.send(&bench.owner(), bench.moves(calls)).await?;
        rows.push(Row {
            case: "session account, owner-signed".into(),
            calls,
            l2_gas,
            l1_data_gas,
            signature_felts: 2,
        });

        let mut session = bench.session(0).await?;
        let first_felts = signature_felts(&session, &bench.moves(calls))?;
        let (l2_gas, l1_data_gas) = bench.session_send(&session, bench.moves(calls)).await?;
        rows.push(Row {
            case: "session, first use".into(),
            calls,
            l2_gas,
            l1_data_gas,
            signature_felts: first_felts,
        });
        session.use_on_chain_authorization();
        let felts = signature_felts(&session, &bench.moves(calls))?;
        let (l2_gas, l1_data_gas) = bench.session_send(&session, bench.moves(calls)).await?;
        rows.push(Row { case: "session, cached".into(), calls, l2_gas, l1_data_gas, signature_felts: felts });

        let mut registered = bench.session(0).await?;
        SessionAdmin::new(bench.owner()).register_session(registered.session()).await?;
        registered.use_on_chain_authorization();
        let felts = signature_felts(&registered, &bench.moves(calls))?;
        let (l2_gas, l1_data_gas) = bench.session_send(&registered, bench.moves(calls)).await?;
        rows.push(Row {
            case: "session, registered".into(),
            calls,
            l2_gas,
            l1_data_gas,
            signature_felts: felts,
        });
    }

    eprintln!("measuring policy sizes ...");
    let mut policy_size = Vec::new();
    for methods in [1usize, 16, 256, 4096] {
        let mut session = bench.session(methods - 1).await?;
        bench.session_send(&session, bench.moves(1)).await?;
        session.use_on_chain_authorization();
        let (l2_gas, _) = bench.session_send(&session, bench.moves(1)).await?;
        policy_size.push((methods, l2_gas));
    }

    eprintln!("measuring policy limits ...");
    let limits = measure_limits(&bench).await?;

    eprintln!("measuring a relayed outside execution ...");
    let session = bench.session(0).await?;
    bench.session_send(&session, bench.moves(1)).await?;
    let now = bench.devnet.latest_block_timestamp().await?;
    let signed = session.sign_outside_execution(bench.moves(1), None, now - 60, now + 600)?;
    let (l2_gas, l1_data_gas) = receipt_cost(&signed.submit(&bench.devnet.account(1)).await?);
    rows.push(Row {
        case: "SNIP-9 outside execution with a session (relayer's tx)".into(),
        calls: 1,
        l2_gas,
        l1_data_gas,
        signature_felts: signed.signature.len(),
    });

    let off_chain = criterion_results(&options.criterion_dir)?;

    eprintln!("measuring throughput ...");
    let count = options.throughput_transactions;
    let mut throughput = Vec::new();
    let started = Instant::now();
    let hashes = session.send_sequence((0..count).map(|_| bench.moves(1)).collect()).await?;
    bench.wait_for_all(hashes).await?;
    throughput.push((
        "session key, send_sequence".to_owned(),
        count,
        count as f64 / started.elapsed().as_secs_f64(),
    ));
    let owner = bench.owner();
    let started = Instant::now();
    let mut nonce = owner.get_nonce().await?;
    let mut hashes = Vec::new();
    for _ in 0..count {
        let sent = owner
            .execute_v3(bench.moves(1))
            .nonce(nonce)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        hashes.push(sent.transaction_hash);
        nonce += Felt::ONE;
    }
    bench.wait_for_all(hashes).await?;
    throughput.push((
        "owner key, starknet-rs execute_v3 with local nonces".to_owned(),
        count,
        count as f64 / started.elapsed().as_secs_f64(),
    ));

    let results = Results {
        devnet_version: local_devnet::DEVNET_VERSION,
        transactions: rows,
        policy_size,
        limits,
        off_chain_microseconds: off_chain,
        throughput,
    };
    if let Some(parent) = options.json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&options.json, serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(&options.markdown, markdown(&results))?;
    eprintln!("wrote {} and {}", options.markdown.display(), options.json.display());
    Ok(())
}

/// The recipient of the STRK transfers measured.
const RECIPIENT: Felt = Felt::from_hex_unchecked("0xb0b");

/// Cached-session transactions under each kind of limit, with the OpenZeppelin account's cost of
/// the same call for comparison.
async fn measure_limits(bench: &Bench) -> Result<Vec<Row>> {
    let transfer = Call {
        to: STRK_TOKEN,
        selector: get_selector_from_name("transfer")?,
        calldata: vec![RECIPIENT, Felt::ONE, Felt::ZERO],
    };
    let oz = bench.devnet.account(0);
    bench.send(&oz, vec![transfer.clone()]).await?; // warm-up: the recipient's balance slot exists
    let (l2_gas, l1_data_gas) = bench.send(&oz, vec![transfer.clone()]).await?;
    let mut rows = vec![Row {
        case: "OpenZeppelin account: STRK transfer".into(),
        calls: 1,
        l2_gas,
        l1_data_gas,
        signature_felts: 2,
    }];
    let strk_limit = || vec![SpendLimit::lifetime(STRK_TOKEN, U256::from(10u128.pow(18)))];
    let fees = Policy {
        max_fee_per_tx: Some(10u128.pow(20)),
        fee_budget: Some(10u128.pow(21)),
        ..Policy::default()
    };
    let every = Policy { max_calls: Some(1_000), spend_limits: strk_limit(), ..fees.clone() };
    let increase = bench.moves(1);
    let game = bench.game;
    for (case, policy) in [
        ("increase: no limits", None),
        ("increase: call limit", Some(Policy { max_calls: Some(1_000), ..Policy::default() })),
        ("increase: fee cap and budget", Some(fees)),
        ("increase: every limit (calls, fees, 1 spend limit)", Some(every)),
    ] {
        let session = bench
            .session_with(|builder| {
                let builder = builder.allow(game, "increase");
                match policy {
                    Some(policy) => builder.policy(policy),
                    None => builder,
                }
            })
            .await?;
        rows.push(bench.cached_row(&format!("session, cached — {case}"), session, increase.clone()).await?);
    }
    let spend = Policy { spend_limits: strk_limit(), ..Policy::default() };
    let session = bench.session_with(|b| b.allow(STRK_TOKEN, "transfer").policy(spend.clone())).await?;
    rows.push(
        bench
            .cached_row("session, cached — STRK transfer: spend limit", session, vec![transfer.clone()])
            .await?,
    );
    let rules = vec![
        ArgumentRule::Equal { index: 0, value: RECIPIENT },
        ArgumentRule::AtMostU256 { index: 1, bound: U256::from(1_000u32) },
    ];
    let session =
        bench.session_with(|b| b.allow_with_rules(STRK_TOKEN, "transfer", rules).policy(spend)).await?;
    rows.push(
        bench
            .cached_row(
                "session, cached — STRK transfer: spend limit + 2 argument rules",
                session,
                vec![transfer],
            )
            .await?,
    );
    Ok(rows)
}

/// The SDK micro-benchmarks criterion measured: (operation, mean µs).
fn criterion_results(dir: &std::path::Path) -> Result<Vec<(String, f64)>> {
    let mut results = Vec::new();
    for (name, operation) in [
        ("create_session", "create a session (key + tree + owner signature)"),
        ("sign_session_transaction", "sign a session transaction (1 call)"),
    ] {
        let path = dir.join(name).join("new").join("estimates.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("reading {} (run `cargo bench -p session-sdk` first)", path.display())
        })?;
        let estimates: serde_json::Value = serde_json::from_str(&text)?;
        let nanoseconds =
            estimates["mean"]["point_estimate"].as_f64().context("no mean in criterion's estimates")?;
        results.push((operation.to_owned(), nanoseconds / 1000.0));
    }
    Ok(results)
}

fn ratio(value: u64, base: u64) -> String {
    format!("{:.2}×", value as f64 / base as f64)
}

fn markdown(results: &Results) -> String {
    let mut text = String::from(MARKDOWN_HEAD);
    text.push_str("\n## Per transaction (from receipts)\n\n| Case | Calls | L2 gas | vs OpenZeppelin | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|---:|\n");
    for row in &results.transactions {
        let base = results
            .transactions
            .iter()
            .find(|base| base.case.starts_with("OpenZeppelin") && base.calls == row.calls)
            .map_or(row.l2_gas, |base| base.l2_gas);
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.case,
            row.calls,
            row.l2_gas,
            ratio(row.l2_gas, base),
            row.l1_data_gas,
            row.signature_felts
        ));
    }
    text.push_str("\n## Policy size (cached session, 1 call)\n\n| Allowed methods | Proof length | L2 gas | vs 1 method |\n|---:|---:|---:|---:|\n");
    let base = results.policy_size.first().map_or(1, |(_, gas)| *gas);
    for (methods, gas) in &results.policy_size {
        let proof = (*methods as f64).log2().ceil() as u32;
        text.push_str(&format!("| {methods} | {proof} | {gas} | {} |\n", ratio(*gas, base)));
    }
    text.push_str("\n## Policy limits (1 call, cached session)\n\n| Case | L2 gas | vs OpenZeppelin, same call | vs session without limits | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|---:|\n");
    let gas_of = |prefix: &str| {
        results.limits.iter().find(|row| row.case.contains(prefix)).map_or(1, |row| row.l2_gas)
    };
    let oz_increase = results
        .transactions
        .iter()
        .find(|row| row.case.starts_with("OpenZeppelin") && row.calls == 1)
        .map_or(1, |row| row.l2_gas);
    for row in &results.limits {
        let (oz, unlimited) = if row.case.contains("STRK") {
            (gas_of("OpenZeppelin account: STRK"), None)
        } else {
            (oz_increase, Some(gas_of("increase: no limits")))
        };
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.case,
            row.l2_gas,
            ratio(row.l2_gas, oz),
            unlimited.map_or("—".into(), |base| ratio(row.l2_gas, base)),
            row.l1_data_gas,
            row.signature_felts
        ));
    }
    text.push_str("\n## Off-chain (SDK, criterion mean, release build)\n\n| Operation | µs |\n|---|---:|\n");
    for (operation, micros) in &results.off_chain_microseconds {
        text.push_str(&format!("| {operation} | {micros:.0} |\n"));
    }
    text.push_str("\n## Throughput against devnet (submit back-to-back, then wait for all)\n\n| Sender | Transactions | Tx/s |\n|---|---:|---:|\n");
    for (sender, count, rate) in &results.throughput {
        text.push_str(&format!("| {sender} | {count} | {rate:.1} |\n"));
    }
    text.push_str(MARKDOWN_TAIL);
    text
}

const MARKDOWN_HEAD: &str = "# Benchmarks\n\nGenerated by `./scripts/bench.sh`: criterion micro-benchmarks of the SDK, then `session-bench`\n(`crates/benchmarks`), which starts its own starknet-devnet 0.10.1 and measures every on-chain figure\nbelow from transaction receipts (`execution_resources`). Raw figures: `benchmarks/results.json`.\nMachine: 2 cores, Linux; Cairo 2.16.0, starknet-rs 0.17. The demo game's `increase` is the call in\nevery transaction; each sender made one warm-up transaction first.\n";

const MARKDOWN_TAIL: &str = include_str!("analysis.md");
