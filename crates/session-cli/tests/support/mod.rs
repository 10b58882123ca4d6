//! The harness the CLI tests share: a devnet with the session account class declared and a game,
//! and the `stark-session` binary run like a user runs it.

#![allow(dead_code)] // each test binary uses its own part of it

use assert_cmd::Command;
use cainome::cairo_serde::ContractAddress;
use local_devnet::Devnet;
use serde_json::Value;
use session_bindings::counter::CounterReader;
use starknet::core::types::{BlockId, BlockTag, Felt};

pub const OWNER_PASSWORD: &str = "owner pw";
pub const SESSION_PASSWORD: &str = "session pw";

/// Exit codes the CLI documents.
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_REJECTED: i32 = 3;

/// A devnet with the session account class declared and a Counter game deployed.
pub struct Chain {
    pub devnet: Devnet,
    pub game: Felt,
    pub dir: tempfile::TempDir,
}

impl Chain {
    pub async fn start() -> Self {
        let devnet = Devnet::spawn().await.unwrap();
        let funder = devnet.account(0);
        session_sdk::declare_if_needed(&funder, &session_bindings::session_account_artifact().unwrap())
            .await
            .unwrap();
        let game = session_sdk::deploy_contract(
            &funder,
            &session_bindings::counter_artifact().unwrap(),
            vec![],
            Felt::ONE,
        )
        .await
        .unwrap();
        Self { devnet, game, dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs `stark-session --json <args>` against this devnet with both passwords in the environment.
    pub fn run(&self, args: &[&str]) -> (i32, Value, String) {
        self.run_with_session_password(args, SESSION_PASSWORD)
    }

    pub fn run_with_session_password(&self, args: &[&str], session_password: &str) -> (i32, Value, String) {
        let output = Command::cargo_bin("stark-session")
            .unwrap()
            .arg("--json")
            .args(args)
            .env("STARKNET_RPC", self.devnet.rpc_url().as_str())
            .env("STARK_SESSION_OWNER_PASSWORD", OWNER_PASSWORD)
            .env("STARK_SESSION_PASSWORD", session_password)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        (output.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Runs a command that must succeed; returns its JSON.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (code, json, stderr) = self.run(args);
        assert_eq!(code, 0, "stark-session {args:?} failed: {stderr}");
        json
    }

    pub async fn count(&self, account: Felt) -> u64 {
        let mut reader = CounterReader::new(self.game, self.devnet.provider());
        reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
        reader.get(&ContractAddress(account)).call().await.unwrap()
    }

    /// `session create` arguments for the account of [`Chain::deployed_account`], allowing `allow`
    /// and writing the session file `output`.
    pub fn session_create_args(&self, allow: &str, output: &str) -> Vec<String> {
        let (keystore, account_file) = (self.path("owner.json"), self.path("account.json"));
        [
            "session",
            "create",
            "--account",
            &account_file,
            "--keystore",
            &keystore,
            "--allow",
            allow,
            "--output",
            output,
        ]
        .map(str::to_owned)
        .to_vec()
    }

    /// Creates an owner keystore and account file, funds and deploys the account; returns its address.
    pub async fn deployed_account(&self) -> Felt {
        self.deployed_account_with(&[]).await
    }

    /// [`Chain::deployed_account`] with more `account create` options (e.g. `--owner passkey`).
    pub async fn deployed_account_with(&self, create_options: &[&str]) -> Felt {
        let (keystore, account_file) = (self.path("owner.json"), self.path("account.json"));
        let mut create = vec!["account", "create", "--keystore", &keystore, "--output", &account_file];
        create.extend_from_slice(create_options);
        let created = self.ok(&create);
        let address = Felt::from_hex(created["address"].as_str().unwrap()).unwrap();
        self.devnet.mint(address, 10_000_000_000_000_000_000).await.unwrap();
        let deployed = self.ok(&["account", "deploy", "--account", &account_file, "--keystore", &keystore]);
        assert_eq!(deployed["address"], created["address"]);
        address
    }
}

pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

pub fn hex(felt: Felt) -> String {
    format!("{felt:#x}")
}
