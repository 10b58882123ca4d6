//! The devnet world the end-to-end tests share: a session account deployed with DEPLOY_ACCOUNT,
//! its owner key only in an encrypted keystore, and a Counter game.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cainome::cairo_serde::ContractAddress;
use local_devnet::Devnet;
use session_bindings::counter::CounterReader;
use session_core::{SessionBuilder, SessionKey};
use session_sdk::{
    authorize_session, declare_if_needed, deploy_contract, deploy_session_account, load_keystore,
    save_keystore, session_account_address, SessionAccount, SessionAdmin, SessionFile,
};
use starknet::accounts::{ExecutionEncoding, SingleOwnerAccount};
use starknet::core::types::{BlockId, BlockTag, Call, Felt};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::signers::{LocalWallet, SigningKey};

pub type Client = JsonRpcClient<HttpTransport>;

pub const OWNER_PASSWORD: &str = "owner password";
pub const SESSION_PASSWORD: &str = "session password";

pub fn game_call(counter: Felt, entrypoint: &str, calldata: Vec<Felt>) -> Call {
    Call { to: counter, selector: get_selector_from_name(entrypoint).unwrap(), calldata }
}

pub fn increase(counter: Felt, amount: u64) -> Call {
    game_call(counter, "increase", vec![Felt::from(amount)])
}

/// A devnet with a session account deployed by DEPLOY_ACCOUNT and a Counter game. The owner key
/// exists only in an encrypted keystore file; each owner action unlocks it.
pub struct World {
    pub devnet: Devnet,
    pub dir: tempfile::TempDir,
    pub owner_keystore: PathBuf,
    pub account: Felt,
    pub counter: Felt,
}

impl World {
    pub async fn start() -> Self {
        let devnet = Devnet::spawn().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let owner_keystore = dir.path().join("owner.json");
        save_keystore(&SigningKey::from_random(), &owner_keystore, OWNER_PASSWORD).unwrap();

        // Counterfactual deployment: declare, fund the future address, DEPLOY_ACCOUNT signed by the owner.
        let funder = devnet.account(0);
        declare_if_needed(&funder, &session_bindings::session_account_artifact().unwrap()).await.unwrap();
        let owner = load_keystore(&owner_keystore, OWNER_PASSWORD).unwrap();
        let salt = Felt::from(42u8);
        let address = session_account_address(owner.verifying_key().scalar(), salt).unwrap();
        devnet.mint(address, 10_000_000_000_000_000_000).await.unwrap();
        let account =
            deploy_session_account(devnet.provider(), devnet.chain_id(), &owner, salt).await.unwrap();
        assert_eq!(account, address);

        let counter =
            deploy_contract(&funder, &session_bindings::counter_artifact().unwrap(), vec![], Felt::ONE)
                .await
                .unwrap();
        Self { devnet, dir, owner_keystore, account, counter }
    }

    /// The owner's account, its key unlocked from the keystore for this one action.
    pub fn owner(&self) -> SingleOwnerAccount<Client, LocalWallet> {
        let key = load_keystore(&self.owner_keystore, OWNER_PASSWORD).unwrap();
        let mut account = SingleOwnerAccount::new(
            self.devnet.provider(),
            LocalWallet::from(key),
            self.account,
            self.devnet.chain_id(),
            ExecutionEncoding::New,
        );
        account.set_block_id(BlockId::Tag(BlockTag::PreConfirmed));
        account
    }

    pub fn admin(&self) -> SessionAdmin<SingleOwnerAccount<Client, LocalWallet>> {
        SessionAdmin::new(self.owner())
    }

    /// Creates a session for the game's `increase` at `epoch` expiring at `expires_at`: the owner
    /// unlocks the keystore once, signs, and the session is saved encrypted to `name`. Returns its path.
    pub fn create_session(&self, name: &str, expires_at: u64, epoch: u128) -> PathBuf {
        let key = SessionKey::generate().unwrap();
        let session = SessionBuilder::new(key.public_key())
            .expires_at(expires_at)
            .epoch(epoch)
            .allow(self.counter, "increase")
            .build()
            .unwrap();
        let chain_id = self.devnet.chain_id();
        let owner = load_keystore(&self.owner_keystore, OWNER_PASSWORD).unwrap();
        let authorization = authorize_session(&owner, &session, chain_id, self.account).unwrap();
        let names = BTreeMap::from([(get_selector_from_name("increase").unwrap(), "increase".to_owned())]);
        let file = SessionFile::new(
            chain_id,
            self.account,
            &session,
            Some(authorization),
            &key,
            SESSION_PASSWORD,
            &names,
        )
        .unwrap();
        let path = self.dir.path().join(name);
        file.save(&path).unwrap();
        path
    }

    /// The session in `path`, opened by the app with the session password (no owner key involved).
    pub fn open_session(&self, path: &Path) -> SessionAccount<Client> {
        SessionFile::load(path).unwrap().open(self.devnet.provider(), SESSION_PASSWORD).unwrap()
    }

    pub async fn now(&self) -> u64 {
        self.devnet.latest_block_timestamp().await.unwrap()
    }

    /// The account's counter.
    pub async fn count(&self) -> u64 {
        let mut reader = CounterReader::new(self.counter, self.devnet.provider());
        reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
        reader.get(&ContractAddress(self.account)).call().await.unwrap()
    }
}
