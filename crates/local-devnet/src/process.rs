//! Running devnet as a child process.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use starknet::accounts::{ExecutionEncoding, SingleOwnerAccount};
use starknet::core::types::Felt;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::signers::{LocalWallet, SigningKey};
use tokio::io::AsyncReadExt;
use url::Url;

use crate::{ensure_installed, DevnetError};

/// How long to wait for a starting devnet to answer.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// How to start devnet.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// Seed of the predeployed accounts (same seed, same accounts).
    pub seed: u32,
    /// How many accounts devnet predeploys and funds.
    pub accounts: u8,
    /// Block timestamp of the genesis block, in seconds; devnet's wall clock if unset.
    pub start_time: Option<u64>,
    /// Listen on this port instead of a free one chosen by the OS.
    pub port: Option<u16>,
    /// Kill devnet when the thread that started it exits (always on for tests; off for a
    /// devnet that should outlive the command starting it).
    pub die_with_parent: bool,
}

impl Default for DevnetOptions {
    fn default() -> Self {
        Self { seed: 0, accounts: 4, start_time: None, port: None, die_with_parent: true }
    }
}

/// One of devnet's predeployed, funded OpenZeppelin accounts.
#[derive(Clone, Debug, Deserialize)]
pub struct PredeployedAccount {
    /// The account's address.
    pub address: Felt,
    /// Its Stark private key (devnet-only, public knowledge).
    pub private_key: Felt,
    /// Its Stark public key.
    pub public_key: Felt,
}

/// A running devnet; the process is killed when this is dropped.
pub struct Devnet {
    child: Child,
    base_url: Url,
    chain_id: Felt,
    accounts: Vec<PredeployedAccount>,
    http: reqwest::Client,
    // Holds the port socket and the output log; removed on drop.
    workdir: tempfile::TempDir,
}

impl Devnet {
    /// Starts devnet with default options on a free loopback port and waits until it answers.
    pub async fn spawn() -> Result<Self, DevnetError> {
        Self::spawn_with(DevnetOptions::default()).await
    }

    /// Starts devnet with the given options and waits until it answers.
    pub async fn spawn_with(options: DevnetOptions) -> Result<Self, DevnetError> {
        let binary = tokio::task::spawn_blocking(ensure_installed)
            .await
            .map_err(|error| DevnetError::Install { reason: format!("install task failed: {error}") })??;
        let workdir = tempfile::Builder::new()
            .prefix("devnet-")
            .tempdir()
            .map_err(DevnetError::io("cannot create a temporary folder"))?;
        let socket_path = workdir.path().join("port.sock");
        let listener = tokio::net::UnixListener::bind(&socket_path)
            .map_err(DevnetError::io(format!("cannot bind {}", socket_path.display())))?;
        let child = start_process(&binary, &options, workdir.path(), &socket_path)?;
        let placeholder = Url::parse("http://127.0.0.1/").expect("static URL");
        let mut devnet = Self {
            child,
            base_url: placeholder,
            chain_id: Felt::ZERO,
            accounts: Vec::new(),
            http: reqwest::Client::new(),
            workdir,
        };
        let port = devnet.wait_for_port(listener).await?;
        devnet.base_url = Url::parse(&format!("http://127.0.0.1:{port}/")).expect("valid URL");
        devnet.wait_until_alive().await?;
        devnet.chain_id = devnet.rpc::<Felt>("starknet_chainId", json!([])).await?;
        devnet.accounts = devnet.rpc("devnet_getPredeployedAccounts", json!({})).await?;
        Ok(devnet)
    }

    /// The JSON-RPC endpoint (`http://127.0.0.1:PORT/rpc`).
    pub fn rpc_url(&self) -> Url {
        self.base_url.join("rpc").expect("valid URL")
    }

    /// The port devnet listens on.
    pub fn port(&self) -> u16 {
        self.base_url.port().unwrap_or_default()
    }

    /// The process id of the devnet process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The chain id devnet reports (`SN_SEPOLIA` unless configured otherwise).
    pub fn chain_id(&self) -> Felt {
        self.chain_id
    }

    /// The predeployed, funded accounts.
    pub fn accounts(&self) -> &[PredeployedAccount] {
        &self.accounts
    }

    /// A starknet-rs JSON-RPC client for this devnet.
    pub fn provider(&self) -> JsonRpcClient<HttpTransport> {
        JsonRpcClient::new(HttpTransport::new(self.rpc_url()))
    }

    /// Predeployed account `index` as a ready-to-use starknet-rs account.
    ///
    /// Panics if `index` is not below the number of predeployed accounts.
    pub fn account(&self, index: usize) -> SingleOwnerAccount<JsonRpcClient<HttpTransport>, LocalWallet> {
        let account = &self.accounts[index];
        let signer = LocalWallet::from(SigningKey::from_secret_scalar(account.private_key));
        SingleOwnerAccount::new(
            self.provider(),
            signer,
            account.address,
            self.chain_id,
            ExecutionEncoding::New,
        )
    }

    /// A client of this devnet's own JSON-RPC methods (mint, time).
    pub fn client(&self) -> DevnetClient {
        DevnetClient { rpc_url: self.rpc_url(), http: self.http.clone() }
    }

    /// Mints `amount` FRI (10^-18 STRK) to `address` and returns the new balance.
    pub async fn mint(&self, address: Felt, amount: u128) -> Result<u128, DevnetError> {
        self.client().mint(address, amount).await
    }

    /// Moves the clock forward by `seconds` and mines a block carrying the new time.
    pub async fn increase_time(&self, seconds: u64) -> Result<(), DevnetError> {
        self.client().increase_time(seconds).await
    }

    /// Sets the timestamp of the next block (and mines one at that time).
    pub async fn set_time(&self, timestamp: u64) -> Result<(), DevnetError> {
        self.client().set_time(timestamp).await
    }

    /// The timestamp of the latest block: the chain's clock, which `set_time` and
    /// `increase_time` move.
    pub async fn latest_block_timestamp(&self) -> Result<u64, DevnetError> {
        use starknet::core::types::{BlockId, BlockTag, MaybePreConfirmedBlockWithTxHashes};
        use starknet::providers::Provider;
        let block = self.provider().get_block_with_tx_hashes(BlockId::Tag(BlockTag::Latest)).await.map_err(
            |error| DevnetError::Rpc {
                method: "starknet_getBlockWithTxHashes".into(),
                message: error.to_string(),
            },
        )?;
        Ok(match block {
            MaybePreConfirmedBlockWithTxHashes::Block(block) => block.timestamp,
            MaybePreConfirmedBlockWithTxHashes::PreConfirmedBlock(block) => block.timestamp,
        })
    }

    /// Mines an empty block.
    pub async fn create_block(&self) -> Result<(), DevnetError> {
        self.client().create_block().await
    }

    /// Calls a devnet JSON-RPC method and decodes its result.
    pub async fn rpc<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, DevnetError> {
        self.client().rpc(method, params).await
    }

    /// The last lines devnet printed (for failure messages).
    pub fn log_tail(&self) -> String {
        tail_of(&self.workdir.path().join("devnet.log"))
    }

    async fn wait_for_port(&mut self, listener: tokio::net::UnixListener) -> Result<u16, DevnetError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            self.fail_if_exited()?;
            if Instant::now() > deadline {
                return Err(self.timeout_error());
            }
            let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
            if let Ok(accepted) = accepted {
                let (mut stream, _) = accepted.map_err(DevnetError::io("port socket accept"))?;
                let mut port = [0u8; 2];
                stream.read_exact(&mut port).await.map_err(DevnetError::io("reading devnet's port"))?;
                return Ok(u16::from_be_bytes(port));
            }
        }
    }

    async fn wait_until_alive(&mut self) -> Result<(), DevnetError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let url = self.base_url.join("is_alive").expect("valid URL");
        loop {
            self.fail_if_exited()?;
            if let Ok(response) = self.http.get(url.clone()).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(self.timeout_error());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn fail_if_exited(&mut self) -> Result<(), DevnetError> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(DevnetError::ExitedEarly { status, log: self.log_tail() }),
            Ok(None) => Ok(()),
            Err(source) => Err(DevnetError::Io { context: "waiting on devnet".into(), source }),
        }
    }

    fn timeout_error(&self) -> DevnetError {
        DevnetError::Timeout { seconds: STARTUP_TIMEOUT.as_secs(), log: self.log_tail() }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("pid", &self.child.id())
            .field("rpc_url", &self.rpc_url().as_str())
            .field("chain_id", &format_args!("{:#x}", self.chain_id))
            .finish_non_exhaustive()
    }
}

fn start_process(
    binary: &Path,
    options: &DevnetOptions,
    workdir: &Path,
    socket_path: &Path,
) -> Result<Child, DevnetError> {
    let log_path = workdir.join("devnet.log");
    let log =
        File::create(&log_path).map_err(DevnetError::io(format!("cannot create {}", log_path.display())))?;
    let log_err = log.try_clone().map_err(DevnetError::io("cannot duplicate the log handle"))?;
    let mut command = Command::new(binary);
    // A clean environment: devnet reads many settings (PORT, SEED, CHAIN_ID, FORK_NETWORK...) from it.
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("UNIX_SOCKET", socket_path)
        .args(["--host", "127.0.0.1", "--port"])
        .arg(options.port.unwrap_or(0).to_string())
        .args(["--seed", &options.seed.to_string(), "--accounts", &options.accounts.to_string()])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    if let Some(start_time) = options.start_time {
        command.args(["--start-time", &start_time.to_string()]);
    }
    if options.die_with_parent {
        die_with_parent(&mut command);
    }
    command.spawn().map_err(|source| DevnetError::Spawn { path: binary.to_owned(), source })
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec.
    let parent = unsafe { libc::getpid() };
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn tail_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// A client of the devnet-only JSON-RPC methods (`devnet_mint`, `devnet_setTime`, …) of a devnet
/// running anywhere, e.g. one started by `stark-session devnet start`.
#[derive(Clone, Debug)]
pub struct DevnetClient {
    rpc_url: Url,
    http: reqwest::Client,
}

impl DevnetClient {
    /// A client of the devnet serving JSON-RPC at `rpc_url`.
    pub fn new(rpc_url: Url) -> Self {
        Self { rpc_url, http: reqwest::Client::new() }
    }

    /// Mints `amount` FRI (10^-18 STRK) to `address` and returns the new balance.
    pub async fn mint(&self, address: Felt, amount: u128) -> Result<u128, DevnetError> {
        #[derive(Deserialize)]
        struct Minted {
            new_balance: String,
        }
        // The amount is a JSON number that may exceed 2^64: written out, not through `json!`.
        let request = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"devnet_mint","params":{{"address":"{address:#x}","amount":{amount},"unit":"FRI"}}}}"#
        );
        let minted: Minted = self.send("devnet_mint", request).await?;
        minted.new_balance.parse().map_err(|_| DevnetError::Rpc {
            method: "devnet_mint".into(),
            message: format!("unexpected balance {:?}", minted.new_balance),
        })
    }

    /// Moves the clock forward by `seconds` and mines a block carrying the new time.
    pub async fn increase_time(&self, seconds: u64) -> Result<(), DevnetError> {
        self.rpc::<Value>("devnet_increaseTime", json!({ "time": seconds })).await.map(drop)
    }

    /// Sets the timestamp of the next block (and mines one at that time).
    pub async fn set_time(&self, timestamp: u64) -> Result<(), DevnetError> {
        self.rpc::<Value>("devnet_setTime", json!({ "time": timestamp, "generate_block": true }))
            .await
            .map(drop)
    }

    /// Mines an empty block.
    pub async fn create_block(&self) -> Result<(), DevnetError> {
        self.rpc::<Value>("devnet_createBlock", json!([])).await.map(drop)
    }

    /// Calls a devnet JSON-RPC method and decodes its result.
    pub async fn rpc<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, DevnetError> {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.send(method, request.to_string()).await
    }

    async fn send<T: DeserializeOwned>(&self, method: &str, request: String) -> Result<T, DevnetError> {
        let error = |message: String| DevnetError::Rpc { method: method.to_owned(), message };
        let response: Value = self
            .http
            .post(self.rpc_url.clone())
            .header("content-type", "application/json")
            .body(request)
            .send()
            .await
            .map_err(|e| error(e.to_string()))?
            .json()
            .await
            .map_err(|e| error(e.to_string()))?;
        if let Some(rpc_error) = response.get("error") {
            return Err(error(rpc_error.to_string()));
        }
        serde_json::from_value(response["result"].clone()).map_err(|e| error(e.to_string()))
    }
}
