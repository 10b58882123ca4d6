//! What the paymaster tests share: a devnet with a game and session accounts, the real
//! `session-paymaster` binary started and stopped by the tests, and PostgreSQL when asked for.

#![allow(dead_code)] // each test file uses part of it

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use local_devnet::{Devnet, DevnetOptions};
use session_core::{SessionBuilder, SessionKey};
use session_sdk::{
    authorize_session, deploy_contract, deploy_session_account_via_udc, OwnerSigner, SessionAccount,
};
use starknet::core::types::{BlockId, BlockTag, Call, Felt, FunctionCall};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::{JsonRpcClient, Provider};
use starknet::signers::SigningKey;

pub type Client = JsonRpcClient<HttpTransport>;
pub const STRK: Felt = session_sdk::STRK_TOKEN;
/// Devnet accounts 0 and 1 deploy; 2.. relay.
pub const FIRST_RELAYER: usize = 2;

pub struct World {
    pub devnet: Devnet,
    pub dir: tempfile::TempDir,
    pub owner: SigningKey,
    pub counter: Felt,
}

pub fn increase(counter: Felt, amount: u64) -> Call {
    Call { to: counter, selector: get_selector_from_name("increase").unwrap(), calldata: vec![amount.into()] }
}

impl World {
    /// A devnet with `relayers` relayer accounts besides the two deployers, and the game.
    pub async fn start(relayers: u8) -> Self {
        let options = DevnetOptions { accounts: 2 + relayers, ..DevnetOptions::default() };
        let devnet = Devnet::spawn_with(options).await.unwrap();
        let counter = deploy_contract(
            &devnet.account(0),
            &session_bindings::counter_artifact().unwrap(),
            vec![],
            Felt::ONE,
        )
        .await
        .unwrap();
        Self { devnet, dir: tempfile::tempdir().unwrap(), owner: SigningKey::from_random(), counter }
    }

    /// `SESSION_PAYMASTER_RELAYERS` naming the relayer accounts.
    pub fn relayers_env(&self) -> String {
        self.devnet.accounts()[FIRST_RELAYER..]
            .iter()
            .map(|account| format!("{:#x}:{:#x}", account.address, account.private_key))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn relayer_addresses(&self) -> Vec<Felt> {
        self.devnet.accounts()[FIRST_RELAYER..].iter().map(|account| account.address).collect()
    }

    /// A deployed session account (salt `salt`, `strk` FRI minted to it) with a session of the
    /// game's `increase` and whatever `build` adds.
    pub async fn user(
        &self,
        salt: u64,
        strk: u128,
        build: impl FnOnce(SessionBuilder) -> SessionBuilder,
    ) -> SessionAccount<Client> {
        let account = deploy_session_account_via_udc(
            &self.devnet.account(1),
            &self.owner.owner_key(),
            Felt::from(salt),
        )
        .await
        .unwrap();
        if strk > 0 {
            self.devnet.mint(account, strk).await.unwrap();
        }
        let key = SessionKey::generate().unwrap();
        let expires_at = self.devnet.latest_block_timestamp().await.unwrap() + 3600;
        let session = build(
            SessionBuilder::new(key.public_key()).expires_at(expires_at).allow(self.counter, "increase"),
        )
        .build()
        .unwrap();
        let chain_id = self.devnet.chain_id();
        let authorization = authorize_session(&self.owner, &session, chain_id, account).await.unwrap();
        SessionAccount::new(self.devnet.provider(), account, chain_id, session, key, Some(authorization))
    }

    pub async fn count(&self, account: Felt) -> u64 {
        let call = FunctionCall {
            contract_address: self.counter,
            entry_point_selector: get_selector_from_name("get").unwrap(),
            calldata: vec![account],
        };
        let result = self.devnet.provider().call(call, BlockId::Tag(BlockTag::PreConfirmed)).await.unwrap();
        u64::try_from(result[0]).unwrap()
    }

    pub async fn strk_balance(&self, owner: Felt) -> u128 {
        let call = FunctionCall {
            contract_address: STRK,
            entry_point_selector: get_selector_from_name("balance_of").unwrap(),
            calldata: vec![owner],
        };
        let result = self.devnet.provider().call(call, BlockId::Tag(BlockTag::PreConfirmed)).await.unwrap();
        u128::try_from(result[0]).unwrap()
    }

    /// The fee a transaction paid, from its receipt.
    pub async fn fee_of(&self, hash: Felt) -> u128 {
        let receipt = self.devnet.provider().get_transaction_receipt(hash).await.unwrap();
        match receipt.receipt {
            starknet::core::types::TransactionReceipt::Invoke(receipt) => {
                u128::try_from(receipt.actual_fee.amount).unwrap()
            }
            other => panic!("not an invoke receipt: {other:?}"),
        }
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real `session-paymaster` binary, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Server {
    /// Starts the binary with `config` (TOML text) and `env`, and waits until it answers.
    pub async fn start(dir: &Path, name: &str, config: &str, env: &[(&str, String)]) -> Self {
        Self::start_on(free_port(), dir, name, config, env).await
    }

    /// [`Server::start`] on `port`.
    pub async fn start_on(port: u16, dir: &Path, name: &str, config: &str, env: &[(&str, String)]) -> Self {
        let config_path = dir.join(format!("{name}.toml"));
        std::fs::write(&config_path, config).unwrap();
        let log = dir.join(format!("{name}.log"));
        let log_file = || std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_session-paymaster"));
        command
            .arg("--config")
            .arg(&config_path)
            .env("SESSION_PAYMASTER_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log_file())
            .stderr(log_file());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().unwrap();
        let url = format!("http://127.0.0.1:{port}/");
        let server = Self { child, url, log };
        let health = format!("http://127.0.0.1:{port}/health");
        for _ in 0..300 {
            if reqwest::get(&health).await.is_ok_and(|response| response.status().is_success()) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the paymaster did not start:\n{}", std::fs::read_to_string(&server.log).unwrap_or_default());
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn port(&self) -> u16 {
        self.url.trim_start_matches("http://127.0.0.1:").trim_end_matches('/').parse().unwrap()
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}metrics", self.url)).await.unwrap().text().await.unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What one API key of a test configuration allows.
pub struct KeySpec<'a> {
    pub name: &'a str,
    pub key: &'a str,
    /// TOML list items, e.g. `"sponsored"`.
    pub modes: &'a str,
    pub daily: u128,
    pub user_daily: u128,
    pub rpm: u64,
    pub max_fee: u128,
}

/// A key section of a configuration that sponsors `counter.increase`.
pub fn key_section(spec: &KeySpec<'_>, counter: Felt) -> String {
    let KeySpec { name, key, modes, daily, user_daily, rpm, max_fee } = spec;
    format!(
        r#"
[[api_keys]]
name = "{name}"
key = "{key}"
fee_modes = [{modes}]
daily_budget_fri = "{daily}"
user_daily_budget_fri = "{user_daily}"
requests_per_minute = {rpm}
max_fee_per_transaction_fri = "{max_fee}"
[[api_keys.allow]]
contract = "{counter:#x}"
entrypoints = ["increase"]
"#
    )
}

/// A PostgreSQL server in a temporary directory on a free port, stopped when dropped.
pub struct Postgres {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
}

fn postgres_bin(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (./scripts/test.sh installs Debian's postgresql)")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin").join(name)))
        .filter(|path| path.exists())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_else(|| panic!("no {name} under /usr/lib/postgresql"))
}

fn as_postgres_user(program: &Path) -> Command {
    // initdb and postgres refuse to run as root: run them as the `postgres` user then.
    if unsafe { libc_geteuid() } == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

impl Postgres {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        if unsafe { libc_geteuid() } == 0 {
            let status =
                Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(status.success());
        }
        let status = as_postgres_user(&postgres_bin("initdb"))
            .args(["--auth=trust", "--username=postgres", "-D"])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "initdb failed");
        let port = free_port();
        let child = as_postgres_user(&postgres_bin("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=100",
                "-k",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let postgres = Self { child, _dir: dir, url };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return postgres;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("PostgreSQL did not start");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until every reservation of `key` today is settled.
pub async fn settled(store: &session_paymaster::store::Store, key: &str) -> (u128, u128) {
    let day = session_paymaster::Paymaster::today();
    for _ in 0..600 {
        let spend = store.key_spend(key, day).await.unwrap();
        if spend.1 == 0 {
            return spend;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("reservations of {key} never settled: {:?}", store.key_spend(key, day).await.unwrap());
}

pub type SharedSession = Arc<SessionAccount<Client>>;
