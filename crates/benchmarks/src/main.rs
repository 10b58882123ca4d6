//! `session-bench`: the session account's cost per transaction, measured from receipts on a devnet
//! it starts, against devnet's predeployed OpenZeppelin account and our own owner-signed account;
//! plus the SDK's off-chain speed and back-to-back throughput. Writes `BENCHMARKS.md` and a JSON
//! file of raw figures.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use local_devnet::Devnet;
use serde::Serialize;
use session_paymaster::config::{ConfigFile, RelayerConfig};
use session_sdk::protocol::{ArgumentRule, Policy, SessionBuilder, SpendLimit, U256};
use session_sdk::{
    create_session, declare_if_needed, deploy_contract, deploy_session_account, session_account_address,
    wait_for_success, OwnerAccount, OwnerSigner, PaymasterClient, PaymasterFee, SessionAccount, SessionAdmin,
    SoftwarePasskey, STRK_TOKEN,
};
use starknet::accounts::{Account, ConnectedAccount};
use starknet::core::types::{
    Call, ExecuteInvocation, Felt, FunctionInvocation, TransactionReceipt, TransactionReceiptWithBlockInfo,
    TransactionTrace,
};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::providers::Provider;
use starknet::signers::SigningKey;

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
    /// Concurrent clients of the paymaster load run.
    #[arg(long, default_value_t = 10)]
    paymaster_clients: usize,
    /// Sponsored moves per client in the paymaster load run.
    #[arg(long, default_value_t = 20)]
    paymaster_moves: usize,
}

/// One measured transaction kind.
#[derive(Serialize)]
struct Row {
    case: String,
    calls: usize,
    l2_gas: u64,
    l1_data_gas: u64,
    signature_felts: usize,
    /// Where its L2 gas went, from `starknet_traceTransaction`.
    where_the_gas_goes: GasBreakdown,
}

/// A transaction's L2 gas by part: the account's `__validate__` and `__execute__` (without the
/// calls it makes), the calls, the fee transfer, and what no invocation accounts for (signature
/// and calldata felts, events, new storage slots).
#[derive(Clone, Copy, Default, Serialize)]
struct GasBreakdown {
    validate: u64,
    execute_own: u64,
    calls: u64,
    fee_transfer: u64,
    outside_invocations: u64,
}

/// Cached-session transactions with policies of more methods: a method's first use (its proof
/// travels, and is remembered from 8 levels) and a method already used in the session.
#[derive(Serialize)]
struct PolicySizeRow {
    methods: usize,
    proof_length: usize,
    first_use_of_method: u64,
    method_already_used: u64,
}

/// One target of issue 16, as `benchmarks/results.json` reports it.
#[derive(Serialize)]
struct Target {
    name: &'static str,
    value: f64,
    /// `None`: reported, no goal.
    goal: Option<f64>,
    /// Whether `value` meets `goal` (`None` without a goal).
    met: Option<bool>,
}

/// `session-paymaster` against devnet: clients sending sponsored moves at once.
#[derive(Serialize)]
struct PaymasterLoad {
    clients: usize,
    moves: usize,
    seconds: f64,
    /// Moves a second (each is a build and an execute request, and a relayer transaction).
    moves_per_second: f64,
    /// JSON-RPC requests a second.
    requests_per_second: f64,
    /// One move as its client sees it (build, check, sign, execute), milliseconds.
    latency_ms_p50: f64,
    latency_ms_p90: f64,
    latency_ms_p99: f64,
    latency_ms_max: f64,
}

/// Every figure of one run.
#[derive(Serialize)]
struct Results {
    devnet_version: &'static str,
    transactions: Vec<Row>,
    policy_size: Vec<PolicySizeRow>,
    limits: Vec<Row>,
    outside_execution: Vec<Row>,
    passkey_owner: Vec<Row>,
    paymaster: Vec<Row>,
    paymaster_load: PaymasterLoad,
    off_chain_microseconds: Vec<(String, f64)>,
    throughput: Vec<(String, usize, f64)>,
    targets: Vec<Target>,
}

/// (L2 gas, L1 data gas, transaction hash) of a receipt.
fn receipt_cost(receipt: &TransactionReceiptWithBlockInfo) -> Cost {
    match &receipt.receipt {
        TransactionReceipt::Invoke(invoke) => Cost {
            l2_gas: invoke.execution_resources.l2_gas,
            l1_data_gas: invoke.execution_resources.l1_data_gas,
            hash: invoke.transaction_hash,
        },
        other => Cost { l2_gas: 0, l1_data_gas: 0, hash: *other.transaction_hash() },
    }
}

/// What one transaction cost.
#[derive(Clone, Copy)]
struct Cost {
    l2_gas: u64,
    l1_data_gas: u64,
    hash: Felt,
}

struct Bench {
    devnet: Devnet,
    account: Felt,
    owner: Arc<dyn OwnerSigner>,
    game: Felt,
    increase: Felt,
}

impl Bench {
    fn moves(&self, count: usize) -> Vec<Call> {
        (0..count)
            .map(|_| Call { to: self.game, selector: self.increase, calldata: vec![Felt::ONE] })
            .collect()
    }

    fn owner(&self) -> OwnerAccount<Client, Arc<dyn OwnerSigner>> {
        OwnerAccount::new(self.devnet.provider(), self.devnet.chain_id(), self.account, self.owner.clone())
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
        Ok(create_session(&self.owner, provider, self.account, chain_id, |builder| {
            build(builder.expires_at(expires_at))
        })
        .await?)
    }

    /// The cost of `calls` from `session` once its authorization is cached (its first
    /// transaction, which caches it, is sent first and not measured): a row named `case`.
    async fn cached_row(&self, case: &str, session: SessionAccount<Client>, calls: Vec<Call>) -> Result<Row> {
        self.session_send(&session, calls.clone()).await?;
        let signature_felts = signature_felts(&session, &calls)?;
        let cost = self.session_send(&session, calls.clone()).await?;
        self.row(case, calls.len(), cost, signature_felts).await
    }

    /// A row of `cost`, with its trace's breakdown.
    async fn row(&self, case: &str, calls: usize, cost: Cost, signature_felts: usize) -> Result<Row> {
        Ok(Row {
            case: case.into(),
            calls,
            l2_gas: cost.l2_gas,
            l1_data_gas: cost.l1_data_gas,
            signature_felts,
            where_the_gas_goes: self.breakdown(cost).await?,
        })
    }

    /// Where the L2 gas of the transaction went, from its trace.
    async fn breakdown(&self, cost: Cost) -> Result<GasBreakdown> {
        let TransactionTrace::Invoke(trace) = self.devnet.provider().trace_transaction(cost.hash).await?
        else {
            anyhow::bail!("{:#x} is not an invoke transaction", cost.hash);
        };
        let gas = |invocation: &FunctionInvocation| invocation.execution_resources.l2_gas;
        let inner = |invocation: &FunctionInvocation| invocation.calls.iter().map(gas).sum::<u64>();
        let validate = trace.validate_invocation.as_ref().map_or(0, gas);
        let (execute_own, calls) = match &trace.execute_invocation {
            ExecuteInvocation::Success(execute) => (gas(execute) - inner(execute), inner(execute)),
            ExecuteInvocation::Reverted(_) => anyhow::bail!("{:#x} reverted", cost.hash),
        };
        let fee_transfer = trace.fee_transfer_invocation.as_ref().map_or(0, gas);
        let invocations = validate + execute_own + calls + fee_transfer;
        Ok(GasBreakdown {
            validate,
            execute_own,
            calls,
            fee_transfer,
            outside_invocations: cost.l2_gas.saturating_sub(invocations),
        })
    }

    /// Sends `calls` from a starknet-rs account.
    async fn send<A: ConnectedAccount + Sync>(&self, account: &A, calls: Vec<Call>) -> Result<Cost>
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

    async fn session_send(&self, session: &SessionAccount<Client>, calls: Vec<Call>) -> Result<Cost> {
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
    declare_if_needed(&funder, &session_bindings::session_account_artifact()?).await?;
    let owner: Arc<dyn OwnerSigner> = Arc::new(SigningKey::from_random());
    let account = deploy_funded_account(&devnet, owner.as_ref()).await?;
    let game = deploy_contract(&funder, &session_bindings::counter_artifact()?, vec![], Felt::ONE).await?;
    let bench = Bench { devnet, account, owner, game, increase: get_selector_from_name("increase")? };
    let mut rows = Vec::new();
    // Warm-up: each sender's first write to its counter slot costs extra; measure steady state.
    bench.send(&bench.devnet.account(0), bench.moves(1)).await?;
    bench.send(&bench.owner(), bench.moves(1)).await?;

    for calls in [1, 3, 10] {
        eprintln!("measuring transactions of {calls} call(s) ...");
        let cost = bench.send(&bench.devnet.account(0), bench.moves(calls)).await?;
        rows.push(bench.row(OZ, calls, cost, 2).await?);
        let cost = bench.send(&bench.owner(), bench.moves(calls)).await?;
        rows.push(bench.row("session account, owner-signed", calls, cost, 2).await?);

        let session = bench.session(0).await?;
        let first_felts = signature_felts(&session, &bench.moves(calls))?;
        let cost = bench.session_send(&session, bench.moves(calls)).await?;
        rows.push(bench.row(FIRST_USE, calls, cost, first_felts).await?);
        let felts = signature_felts(&session, &bench.moves(calls))?;
        let cost = bench.session_send(&session, bench.moves(calls)).await?;
        rows.push(bench.row(CACHED, calls, cost, felts).await?);

        let mut registered = bench.session(0).await?;
        SessionAdmin::new(bench.owner()).register_session(registered.session()).await?;
        registered.use_on_chain_authorization();
        let felts = signature_felts(&registered, &bench.moves(calls))?;
        let cost = bench.session_send(&registered, bench.moves(calls)).await?;
        rows.push(bench.row("session, registered", calls, cost, felts).await?);
    }

    eprintln!("measuring policy sizes ...");
    let policy_size = measure_policy_sizes(&bench).await?;

    eprintln!("measuring policy limits ...");
    let limits = measure_limits(&bench).await?;

    eprintln!("measuring relayed outside executions ...");
    let session = bench.session(0).await?;
    bench.session_send(&session, bench.moves(1)).await?;
    let outside_execution = measure_outside_executions(&bench, &session).await?;

    eprintln!("measuring sponsored moves through session-paymaster ...");
    let (paymaster, paymaster_load) =
        measure_paymaster(&bench, options.paymaster_clients, options.paymaster_moves).await?;

    let off_chain = criterion_results(&options.criterion_dir)?;

    eprintln!("measuring throughput ...");
    let count = options.throughput_transactions;
    let mut throughput = Vec::new();
    let started = Instant::now();
    let hashes = session.send_sequence((0..count).map(|_| bench.moves(1)).collect()).await?;
    bench.wait_for_all(hashes).await?;
    throughput.push((SESSION_SEQUENCE.to_owned(), count, count as f64 / started.elapsed().as_secs_f64()));
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
    throughput.push((OWNER_SEQUENCE.to_owned(), count, count as f64 / started.elapsed().as_secs_f64()));

    eprintln!("measuring a passkey owner ...");
    let passkey_owner = measure_passkey_owner(bench).await?;

    let mut results = Results {
        devnet_version: local_devnet::DEVNET_VERSION,
        transactions: rows,
        policy_size,
        limits,
        outside_execution,
        passkey_owner,
        paymaster,
        paymaster_load,
        off_chain_microseconds: off_chain,
        throughput,
        targets: Vec::new(),
    };
    results.targets = targets(&results)?;
    if let Some(parent) = options.json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&options.json, serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(&options.markdown, markdown(&results))?;
    eprintln!("wrote {} and {}", options.markdown.display(), options.json.display());
    Ok(())
}

/// Row names the targets look up.
const OZ: &str = "OpenZeppelin account (devnet predeployed)";
const FIRST_USE: &str = "session, first use";
const CACHED: &str = "session, cached (by reference)";
const OZ_TRANSFER: &str = "OpenZeppelin account: STRK transfer";
const SPEND_LIMIT_TRANSFER: &str = "session, cached — STRK transfer: spend limit";
const ALL_LIMITS_TRANSFER: &str =
    "session, cached — STRK transfer: call limit, fee cap and budget, spend limit";
const OWNER_OUTSIDE: &str = "owner-signed outside execution (relayer's tx)";
const SESSION_OUTSIDE: &str = "session-signed outside execution, by reference (relayer's tx)";
const SPONSORED_FIRST_USE: &str = "sponsored session move, first use (relayer's tx)";
const SPONSORED_CACHED: &str = "sponsored session move, cached (relayer's tx)";
const SESSION_SEQUENCE: &str = "session key, send_sequence";
const OWNER_SEQUENCE: &str = "owner key, starknet-rs execute_v3 with local nonces";

/// For 1, 16, 256 and 4096 allowed methods: a by-reference `increase` proving its leaf (its
/// first use in the session; remembered from 8 proof levels), then `increase` again (already
/// used). The session's first transaction (full form, which stores it) calls `get`.
async fn measure_policy_sizes(bench: &Bench) -> Result<Vec<PolicySizeRow>> {
    let mut sizes = Vec::new();
    for methods in [1usize, 16, 256, 4096] {
        let get =
            Call { to: bench.game, selector: get_selector_from_name("get")?, calldata: vec![bench.account] };
        let session = if methods == 1 {
            bench.session(0).await?
        } else {
            bench
                .session_with(|builder| {
                    let builder = builder.allow(bench.game, "increase").allow(bench.game, "get");
                    (0..methods - 2).fold(builder, |builder, index| {
                        builder.allow_selector(bench.game, Felt::from(1_000_000 + index as u64), Vec::new())
                    })
                })
                .await?
        };
        let first = if methods == 1 { bench.moves(1) } else { vec![get] };
        bench.session_send(&session, first).await?;
        let proof_length = session.session().permission_for(&bench.moves(1)[0])?.proof.len();
        let first_use_of_method = bench.session_send(&session, bench.moves(1)).await?.l2_gas;
        let method_already_used = bench.session_send(&session, bench.moves(1)).await?.l2_gas;
        sizes.push(PolicySizeRow { methods, proof_length, first_use_of_method, method_already_used });
    }
    Ok(sizes)
}

/// The same outside execution of one `increase`, signed by the owner and by `session` (stored
/// on-chain), each relayed by another devnet account.
async fn measure_outside_executions(bench: &Bench, session: &SessionAccount<Client>) -> Result<Vec<Row>> {
    let relayer = bench.devnet.account(1);
    let now = bench.devnet.latest_block_timestamp().await?;
    let by_session = session.sign_outside_execution(bench.moves(1), None, now - 60, now + 600)?;
    let mut by_owner = by_session.clone();
    by_owner.execution.nonce += Felt::ONE;
    let hash = by_owner.execution.message_hash(bench.devnet.chain_id(), bench.account);
    by_owner.signature = bench.owner.sign_owner_hash(hash).await?.encode();
    let owner_cost = receipt_cost(&by_owner.submit(&relayer).await?);
    let session_cost = receipt_cost(&by_session.submit(&relayer).await?);
    Ok(vec![
        bench.row(OWNER_OUTSIDE, 1, owner_cost, 2).await?,
        bench.row(SESSION_OUTSIDE, 1, session_cost, by_session.signature.len()).await?,
    ])
}

/// `session-paymaster` in this process (SQLite, devnet accounts 2 and 3 relaying): the gas of a
/// new session's first sponsored move and of a cached one, then `clients` clients sending `moves`
/// sponsored moves each at once through one session of the account.
async fn measure_paymaster(bench: &Bench, clients: usize, moves: usize) -> Result<(Vec<Row>, PaymasterLoad)> {
    let dir = tempfile::tempdir()?;
    let relayers = bench.devnet.accounts()[2..]
        .iter()
        .map(|account| RelayerConfig { address: account.address, private_key: account.private_key })
        .collect();
    let file = ConfigFile {
        rpc_url: bench.devnet.rpc_url().to_string(),
        database_url: format!("sqlite://{}", dir.path().join("paymaster.sqlite").display()),
        relayers,
        ..ConfigFile::sponsoring("bench-key", bench.game, &["increase"], 1_000_000_000_000_000_000_000)
    };
    let server = session_paymaster::serve(session_paymaster::Config::resolve(file, |_| None)?).await?;
    let client = PaymasterClient::new(server.url()).with_api_key("bench-key");
    let sponsored = PaymasterFee::sponsored();

    let session = Arc::new(bench.session(0).await?);
    let first_felts = signature_felts(&session, &bench.moves(1))?;
    let first = receipt_cost(&session.execute_via_paymaster(&client, bench.moves(1), &sponsored).await?.1);
    let cached_felts = signature_felts(&session, &bench.moves(1))?;
    let cached = receipt_cost(&session.execute_via_paymaster(&client, bench.moves(1), &sponsored).await?.1);
    let rows = vec![
        bench.row(SPONSORED_FIRST_USE, 1, first, first_felts).await?,
        bench.row(SPONSORED_CACHED, 1, cached, cached_felts).await?,
    ];

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (session, client, calls) = (session.clone(), client.clone(), bench.moves(1));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(moves);
            let mut hashes = Vec::with_capacity(moves);
            for _ in 0..moves {
                let sent = Instant::now();
                let submission =
                    session.send_via_paymaster(&client, calls.clone(), &PaymasterFee::sponsored()).await?;
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                hashes.push(submission.response.transaction_hash);
            }
            anyhow::Ok((latencies, hashes))
        }));
    }
    let mut latencies = Vec::new();
    let mut hashes = Vec::new();
    for task in tasks {
        let (client_latencies, client_hashes) = task.await??;
        latencies.extend(client_latencies);
        hashes.extend(client_hashes);
    }
    bench.wait_for_all(hashes).await?;
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    let total = clients * moves;
    let load = PaymasterLoad {
        clients,
        moves: total,
        seconds: round(seconds),
        moves_per_second: round(total as f64 / seconds),
        requests_per_second: round(2.0 * total as f64 / seconds),
        latency_ms_p50: round(percentile(0.50)),
        latency_ms_p90: round(percentile(0.90)),
        latency_ms_p99: round(percentile(0.99)),
        latency_ms_max: round(percentile(1.0)),
    };
    Ok((rows, load))
}

/// A session account owned by `owner` (salt 1), funded and deployed by `DEPLOY_ACCOUNT`.
async fn deploy_funded_account(devnet: &Devnet, owner: &dyn OwnerSigner) -> Result<Felt> {
    let account = session_account_address(&owner.owner_key(), Felt::ONE)?;
    devnet.mint(account, 10_000_000_000_000_000_000).await?;
    devnet.mint(account, 10_000_000_000_000_000_000).await?;
    deploy_session_account(devnet.provider(), devnet.chain_id(), owner, Felt::ONE).await?;
    Ok(account)
}

/// Row names of a passkey owner's transactions.
const PASSKEY_OWNER_TX: &str = "passkey owner: owner-signed tx";
const PASSKEY_FIRST_USE: &str = "passkey owner: session, first use (carries the assertion)";
const PASSKEY_CACHED: &str = "passkey owner: session, cached (by reference)";
const PASSKEY_REGISTER: &str = "passkey owner: register_session tx (owner-signed)";

/// The same transactions from an account owned by a passkey (software authenticator, browser
/// format): an owner transaction, a session's first use (which verifies the assertion once), its
/// cached transactions, and a registration (the bench moves to that account).
async fn measure_passkey_owner(bench: Bench) -> Result<Vec<Row>> {
    let owner: Arc<dyn OwnerSigner> =
        Arc::new(SoftwarePasskey::generate("game.example", "https://game.example")?);
    let account = deploy_funded_account(&bench.devnet, owner.as_ref()).await?;
    let bench = Bench { account, owner, ..bench };
    bench.send(&bench.owner(), bench.moves(1)).await?; // warm-up: the account's counter slot exists
    let cost = bench.send(&bench.owner(), bench.moves(1)).await?;
    let owner_felts = bench.owner.sign_owner_hash(Felt::ZERO).await?.encode().len();
    let mut rows = vec![bench.row(PASSKEY_OWNER_TX, 1, cost, owner_felts).await?];

    let session = bench.session(0).await?;
    let first_felts = signature_felts(&session, &bench.moves(1))?;
    let cost = bench.session_send(&session, bench.moves(1)).await?;
    rows.push(bench.row(PASSKEY_FIRST_USE, 1, cost, first_felts).await?);
    let felts = signature_felts(&session, &bench.moves(1))?;
    let cost = bench.session_send(&session, bench.moves(1)).await?;
    rows.push(bench.row(PASSKEY_CACHED, 1, cost, felts).await?);

    let registered = bench.session(0).await?;
    let admin = SessionAdmin::new(bench.owner());
    let hash = admin.register_session(registered.session()).await?;
    let receipt = wait_for_success(&bench.devnet.provider(), hash).await?;
    rows.push(bench.row(PASSKEY_REGISTER, 1, receipt_cost(&receipt), owner_felts).await?);
    Ok(rows)
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
    let cost = bench.send(&oz, vec![transfer.clone()]).await?;
    let mut rows = vec![bench.row(OZ_TRANSFER, 1, cost, 2).await?];
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
        ("increase: every limit (calls, fees, 1 spend limit)", Some(every.clone())),
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
    rows.push(bench.cached_row(SPEND_LIMIT_TRANSFER, session, vec![transfer.clone()]).await?);
    let session = bench.session_with(|b| b.allow(STRK_TOKEN, "transfer").policy(every)).await?;
    rows.push(bench.cached_row(ALL_LIMITS_TRANSFER, session, vec![transfer.clone()]).await?);
    let rules = vec![
        ArgumentRule::Equal { index: 0, value: RECIPIENT },
        ArgumentRule::AtMostU256 { index: 1, bound: U256::from(1_000u32) },
    ];
    let session = bench
        .session_with(|b| b.allow_with_rules(STRK_TOKEN, "transfer", rules).policy(spend.clone()))
        .await?;
    rows.push(
        bench
            .cached_row(
                "session, cached — STRK transfer: spend limit + 2 argument rules",
                session,
                vec![transfer.clone()],
            )
            .await?,
    );
    // Issue 18's limits: a start already passed, and a call limit per hour.
    let started =
        Policy { valid_after: bench.devnet.latest_block_timestamp().await? - 60, ..Policy::default() };
    let session = bench.session_with(|b| b.allow(game, "increase").policy(started)).await?;
    rows.push(
        bench
            .cached_row("session, cached — increase: valid_after (started)", session, increase.clone())
            .await?,
    );
    let hourly = Policy { max_calls: Some(1_000), limits_window: 3_600, ..Policy::default() };
    let session = bench.session_with(|b| b.allow(game, "increase").policy(hourly)).await?;
    rows.push(
        bench
            .cached_row("session, cached — increase: 1,000 calls per hour", session, increase.clone())
            .await?,
    );
    // Issue 18's rules, each alone on a cached session.
    let lower_bounds = vec![
        ArgumentRule::AtLeast { index: 0, bound: Felt::ONE },
        ArgumentRule::NotEqual { index: 0, value: Felt::from(7u8) },
    ];
    let session = bench.session_with(|b| b.allow_with_rules(game, "increase", lower_bounds)).await?;
    rows.push(bench.cached_row("session, cached — increase: at least + not equal", session, increase).await?);
    let at_least = vec![ArgumentRule::AtLeastU256 { index: 1, bound: U256::from(1u8) }];
    let session = bench
        .session_with(|b| b.allow_with_rules(STRK_TOKEN, "transfer", at_least).policy(spend.clone()))
        .await?;
    rows.push(
        bench
            .cached_row(
                "session, cached — STRK transfer: spend limit + at least u256",
                session,
                vec![transfer.clone()],
            )
            .await?,
    );
    let total =
        vec![ArgumentRule::TotalAtMostU256 { index: 1, bound: U256::from(1_000_000u32), period: 86_400 }];
    let session =
        bench.session_with(|b| b.allow_with_rules(STRK_TOKEN, "transfer", total).policy(spend)).await?;
    rows.push(
        bench
            .cached_row(
                "session, cached — STRK transfer: spend limit + total at most u256 per day",
                session,
                vec![transfer],
            )
            .await?,
    );
    Ok(rows)
}

/// Issue 16's targets, from this run's rows.
fn targets(results: &Results) -> Result<Vec<Target>> {
    let gas = |rows: &[Row], case: &str, calls: usize| {
        rows.iter()
            .find(|row| row.case == case && row.calls == calls)
            .map(|row| row.l2_gas as f64)
            .with_context(|| format!("no row {case} with {calls} call(s)"))
    };
    let (transactions, limits) = (&results.transactions, &results.limits);
    let size = |methods: usize| {
        results.policy_size.iter().find(|row| row.methods == methods).context("no policy size row")
    };
    let rate = |sender: &str| {
        results
            .throughput
            .iter()
            .find(|(name, _, _)| name == sender)
            .map(|(_, _, rate)| *rate)
            .context("no throughput row")
    };
    let base = size(1)?.method_already_used as f64;
    let cached_felts = transactions
        .iter()
        .find(|row| row.case == CACHED && row.calls == 1)
        .map(|row| row.signature_felts as f64)
        .context("no cached row")?;
    let at_most = |name, value: f64, goal: f64| Target {
        name,
        value: round(value),
        goal: Some(goal),
        met: Some(round(value) <= goal),
    };
    Ok(vec![
        at_most("cached_1call_vs_oz", gas(transactions, CACHED, 1)? / gas(transactions, OZ, 1)?, 1.00),
        at_most("cached_10call_vs_oz", gas(transactions, CACHED, 10)? / gas(transactions, OZ, 10)?, 0.95),
        at_most(
            "strk_transfer_spend_limit_vs_oz",
            gas(limits, SPEND_LIMIT_TRANSFER, 1)? / gas(limits, OZ_TRANSFER, 1)?,
            1.15,
        ),
        at_most(
            "strk_transfer_all_limits_vs_oz",
            gas(limits, ALL_LIMITS_TRANSFER, 1)? / gas(limits, OZ_TRANSFER, 1)?,
            1.30,
        ),
        at_most("first_use_vs_oz", gas(transactions, FIRST_USE, 1)? / gas(transactions, OZ, 1)?, 1.30),
        at_most("policy_4096_repeat_growth", size(4096)?.method_already_used as f64 / base - 1.0, 0.02),
        Target {
            name: "policy_4096_first_growth",
            value: round(size(4096)?.first_use_of_method as f64 / base - 1.0),
            goal: None,
            met: None,
        },
        at_most("cached_signature_felts", cached_felts, 6.0),
        at_most(
            "passkey_cached_vs_stark_cached",
            gas(&results.passkey_owner, PASSKEY_CACHED, 1)? / gas(transactions, CACHED, 1)?,
            1.00,
        ),
        at_most(
            "outside_execution_session_vs_owner",
            gas(&results.outside_execution, SESSION_OUTSIDE, 1)?
                / gas(&results.outside_execution, OWNER_OUTSIDE, 1)?,
            1.15,
        ),
        {
            let value = round(rate(SESSION_SEQUENCE)? / rate(OWNER_SEQUENCE)?);
            Target { name: "throughput_session_vs_owner", value, goal: Some(0.95), met: Some(value >= 0.95) }
        },
    ])
}

/// Three decimals.
fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
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
    text.push_str("\n## Targets of issue 16\n\n| Target | Value | Goal | Met? |\n|---|---:|---:|---|\n");
    for target in &results.targets {
        let goal = target.goal.map_or("report".into(), |goal| {
            if target.name.starts_with("throughput") {
                format!("≥ {goal}")
            } else {
                format!("≤ {goal}")
            }
        });
        let met = match target.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        text.push_str(&format!("| `{}` | {} | {goal} | {met} |\n", target.name, target.value));
    }
    text.push_str("\n## Per transaction (from receipts)\n\n| Case | Calls | L2 gas | vs OpenZeppelin | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|---:|\n");
    for row in &results.transactions {
        let base = results
            .transactions
            .iter()
            .find(|base| base.case == OZ && base.calls == row.calls)
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
    text.push_str("\n## Policy size (cached session, 1 call of `increase`)\n\n| Allowed methods | Proof length | A method's first use in the session | vs 1 method | A method already used | vs 1 method |\n|---:|---:|---:|---:|---:|---:|\n");
    let base = results.policy_size.first().map_or(1, |row| row.method_already_used);
    for row in &results.policy_size {
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.methods,
            row.proof_length,
            row.first_use_of_method,
            ratio(row.first_use_of_method, base),
            row.method_already_used,
            ratio(row.method_already_used, base)
        ));
    }
    text.push_str("\n## Policy limits (1 call, cached session)\n\n| Case | L2 gas | vs OpenZeppelin, same call | vs session without limits | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|---:|\n");
    let gas_of = |prefix: &str| {
        results.limits.iter().find(|row| row.case.contains(prefix)).map_or(1, |row| row.l2_gas)
    };
    let oz_increase =
        results.transactions.iter().find(|row| row.case == OZ && row.calls == 1).map_or(1, |row| row.l2_gas);
    for row in &results.limits {
        let (oz, unlimited) = if row.case.contains("STRK") {
            (gas_of(OZ_TRANSFER), None)
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
    text.push_str("\n## SNIP-9 outside execution of one `increase`, relayed by another account\n\n| Signed by | L2 gas | vs owner-signed | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|\n");
    let owner_outside = gas_of_rows(&results.outside_execution, OWNER_OUTSIDE);
    for row in &results.outside_execution {
        text.push_str(&compared_row(row, ratio(row.l2_gas, owner_outside)));
    }
    text.push_str("\n## A passkey owner (issue 17: WebAuthn assertions verified on-chain, P-256 via the secp256r1 syscalls)\n\n| Case | L2 gas | vs the same with a Stark owner | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|\n");
    for row in &results.passkey_owner {
        let stark = match row.case.as_str() {
            PASSKEY_OWNER_TX => {
                gas_of_rows_with_calls(&results.transactions, "session account, owner-signed", 1)
            }
            PASSKEY_FIRST_USE => gas_of_rows_with_calls(&results.transactions, FIRST_USE, 1),
            PASSKEY_CACHED => gas_of_rows_with_calls(&results.transactions, CACHED, 1),
            _ => 0,
        };
        let versus = if stark == 0 { "—".to_owned() } else { ratio(row.l2_gas, stark) };
        text.push_str(&compared_row(row, versus));
    }
    text.push_str("\n## Where the gas goes (`starknet_traceTransaction`, per invocation)\n\nDevnet prices each invocation from its own Cairo resources — the heaviest of its steps and builtins, in whole units of 40,000 L2 gas (see \"How to read these figures\" below) — while the receipt prices the transaction's summed resources once, so the parts do not add up: \"rest\" is the receipt's total minus them. It holds the signature and calldata felts (5,120 each), events (10,240 per key, 5,120 per data felt), new storage slots (402,000 each) and whatever the summed steps cost beyond the invocations' own figures (validation's figure is set by its ECDSA check's `ec_op` builtins, so steps added there show up only here).\n\n| Case | Calls | `__validate__` | `__execute__` (own) | the calls | fee transfer | rest | total |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let all = results
        .transactions
        .iter()
        .chain(&results.limits)
        .chain(&results.outside_execution)
        .chain(&results.passkey_owner)
        .chain(&results.paymaster);
    for row in all {
        let parts = row.where_the_gas_goes;
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.case,
            row.calls,
            parts.validate,
            parts.execute_own,
            parts.calls,
            parts.fee_transfer,
            parts.outside_invocations,
            row.l2_gas
        ));
    }
    text.push_str("\n## Gasless: sponsored session moves through `session-paymaster` (SNIP-29)\n\nThe relayer's transaction carries the session-signed outside execution (`execute_from_outside_v2`).\n\n| Case | L2 gas | vs the same session tx sent directly | L1 data gas | Signature felts |\n|---|---:|---:|---:|---:|\n");
    for row in &results.paymaster {
        let direct = match row.case.as_str() {
            SPONSORED_FIRST_USE => gas_of_rows_with_calls(&results.transactions, FIRST_USE, 1),
            _ => gas_of_rows_with_calls(&results.transactions, CACHED, 1),
        };
        text.push_str(&compared_row(row, ratio(row.l2_gas, direct)));
    }
    let load = &results.paymaster_load;
    text.push_str(&format!(
        "\nServer load ({} clients at once, {} moves through one session, 2 relayers, SQLite, devnet on the same 2 cores): {:.1} moves/s ({:.1} JSON-RPC requests/s) over {:.1} s; one move as its client sees it (build, check, sign, execute): p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms.\n",
        load.clients,
        load.moves,
        load.moves_per_second,
        load.requests_per_second,
        load.seconds,
        load.latency_ms_p50,
        load.latency_ms_p90,
        load.latency_ms_p99,
        load.latency_ms_max
    ));
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

/// A table line `| case | L2 gas | versus | L1 data gas | signature felts |`.
fn compared_row(row: &Row, versus: String) -> String {
    format!("| {} | {} | {versus} | {} | {} |\n", row.case, row.l2_gas, row.l1_data_gas, row.signature_felts)
}

fn gas_of_rows_with_calls(rows: &[Row], case: &str, calls: usize) -> u64 {
    rows.iter().find(|row| row.case == case && row.calls == calls).map_or(0, |row| row.l2_gas)
}

fn gas_of_rows(rows: &[Row], case: &str) -> u64 {
    rows.iter().find(|row| row.case == case).map_or(1, |row| row.l2_gas)
}

const MARKDOWN_HEAD: &str = "# Benchmarks\n\nGenerated by `./scripts/bench.sh`: criterion micro-benchmarks of the SDK, then `session-bench`\n(`crates/benchmarks`), which starts its own starknet-devnet 0.10.1 and measures every on-chain figure\nbelow from transaction receipts (`execution_resources`). Raw figures: `benchmarks/results.json`.\nMachine: 2 cores, Linux; Cairo 2.16.0, starknet-rs 0.17. The demo game's `increase` is the call in\nevery transaction; each sender made one warm-up transaction first.\n";

const MARKDOWN_TAIL: &str = include_str!("analysis.md");
