//! The devnet world the end-to-end tests share: a session account deployed with DEPLOY_ACCOUNT,
//! its owner key only in an encrypted keystore, and a Counter game.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cainome::cairo_serde::ContractAddress;
use local_devnet::Devnet;
use session_bindings::counter::CounterReader;
use session_core::{SessionBuilder, SessionKey};
use session_sdk::{
    authorize_session, declare_if_needed, deploy_contract, deploy_session_account, load_owner_signer,
    save_keystore, session_account_address, OwnerAccount, OwnerSigner, SessionAccount, SessionAdmin,
    SessionFile, SoftwarePasskey,
};
use starknet::core::types::{BlockId, BlockTag, Call, Felt};
use starknet::core::utils::get_selector_from_name;
use starknet::providers::jsonrpc::HttpTransport;
use starknet::providers::JsonRpcClient;
use starknet::signers::SigningKey;

pub type Client = JsonRpcClient<HttpTransport>;

pub const OWNER_PASSWORD: &str = "owner password";
pub const SESSION_PASSWORD: &str = "session password";

pub fn game_call(counter: Felt, entrypoint: &str, calldata: Vec<Felt>) -> Call {
    Call { to: counter, selector: get_selector_from_name(entrypoint).unwrap(), calldata }
}

pub fn increase(counter: Felt, amount: u64) -> Call {
    game_call(counter, "increase", vec![Felt::from(amount)])
}

/// A devnet with a session account deployed by DEPLOY_ACCOUNT and a Counter game. The owner (a
/// Stark key or a software passkey) exists only in an encrypted keystore file; each owner action
/// unlocks it.
pub struct World {
    pub devnet: Devnet,
    pub dir: tempfile::TempDir,
    pub owner_keystore: PathBuf,
    pub account: Felt,
    pub counter: Felt,
}

impl World {
    /// A world whose account is owned by a Stark key.
    pub async fn start() -> Self {
        Self::start_owned_by(None).await
    }

    /// A world whose account is owned by the passkey of P-256 secret `secret` (software
    /// authenticator, relying party `game.example`, origin `https://game.example`).
    pub async fn start_with_passkey(secret: [u8; 32]) -> Self {
        Self::start_owned_by(Some(secret)).await
    }

    async fn start_owned_by(passkey_secret: Option<[u8; 32]>) -> Self {
        let devnet = Devnet::spawn().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let owner_keystore = dir.path().join("owner.json");
        if let Some(secret) = passkey_secret {
            let passkey =
                SoftwarePasskey::from_secret(&secret, "game.example", "https://game.example").unwrap();
            passkey.save(&owner_keystore, OWNER_PASSWORD).unwrap();
        } else {
            save_keystore(&SigningKey::from_random(), &owner_keystore, OWNER_PASSWORD).unwrap();
        }

        // Counterfactual deployment: declare, fund the future address, DEPLOY_ACCOUNT signed by the owner.
        let funder = devnet.account(0);
        declare_if_needed(&funder, &session_bindings::session_account_artifact().unwrap()).await.unwrap();
        let owner = load_owner_signer(&owner_keystore, OWNER_PASSWORD).unwrap();
        let salt = Felt::from(42u8);
        let address = session_account_address(&owner.owner_key(), salt).unwrap();
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

    /// The owner's signer, unlocked from the keystore for this one action.
    pub fn owner_signer(&self) -> Arc<dyn OwnerSigner> {
        load_owner_signer(&self.owner_keystore, OWNER_PASSWORD).unwrap()
    }

    /// The owner's account, its key unlocked from the keystore for this one action.
    pub fn owner(&self) -> OwnerAccount<Client, Arc<dyn OwnerSigner>> {
        OwnerAccount::new(self.devnet.provider(), self.devnet.chain_id(), self.account, self.owner_signer())
    }

    pub fn admin(&self) -> SessionAdmin<OwnerAccount<Client, Arc<dyn OwnerSigner>>> {
        SessionAdmin::new(self.owner())
    }

    /// Creates a session for the game's `increase` expiring at `expires_at`, in the account's
    /// current epoch: the owner unlocks the keystore once, signs, and the session is saved
    /// encrypted to `name`. Returns its path.
    pub async fn create_session(&self, name: &str, expires_at: u64) -> PathBuf {
        let epoch = session_sdk::current_epoch(&self.devnet.provider(), self.account).await.unwrap();
        self.create_session_for_epoch(name, expires_at, epoch).await
    }

    /// [`World::create_session`] for a chosen session epoch (e.g. one the account never had).
    pub async fn create_session_for_epoch(&self, name: &str, expires_at: u64, epoch: Felt) -> PathBuf {
        let key = SessionKey::generate().unwrap();
        let session = SessionBuilder::new(key.public_key())
            .expires_at(expires_at)
            .epoch(epoch)
            .allow(self.counter, "increase")
            .build()
            .unwrap();
        let chain_id = self.devnet.chain_id();
        let authorization =
            authorize_session(&self.owner_signer(), &session, chain_id, self.account).await.unwrap();
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

/// What a forger puts in a transaction's signature, given the real and the query-version hashes.
pub type Forge = Box<dyn Fn(Felt, Felt, &[Call]) -> Vec<Felt> + Send + Sync>;

/// An attacker's view of the session account: sends transactions whose signature it makes up.
pub struct ForgingAccount {
    pub provider: Client,
    pub address: Felt,
    pub chain_id: Felt,
    pub forge: Forge,
}

impl starknet::accounts::ExecutionEncoder for ForgingAccount {
    fn encode_calls(&self, calls: &[Call]) -> Vec<Felt> {
        session_core::snip12::serialize_calls(calls)
    }
}

#[async_trait::async_trait]
impl starknet::accounts::Account for ForgingAccount {
    type SignError = std::convert::Infallible;

    fn address(&self) -> Felt {
        self.address
    }

    fn chain_id(&self) -> Felt {
        self.chain_id
    }

    async fn sign_execution_v3(
        &self,
        execution: &starknet::accounts::RawExecutionV3,
        _query_only: bool,
    ) -> Result<Vec<Felt>, Self::SignError> {
        let real = execution.transaction_hash(self.chain_id, self.address, false, self);
        let query = execution.transaction_hash(self.chain_id, self.address, true, self);
        Ok((self.forge)(real, query, execution.calls()))
    }

    async fn sign_declaration_v3(
        &self,
        _declaration: &starknet::accounts::RawDeclarationV3,
        _query_only: bool,
    ) -> Result<Vec<Felt>, Self::SignError> {
        Ok(vec![])
    }

    fn is_signer_interactive(&self, _context: starknet::signers::SignerInteractivityContext<'_>) -> bool {
        true // never asked to sign an estimate: every send below sets its gas
    }
}

impl starknet::accounts::ConnectedAccount for ForgingAccount {
    type Provider = Client;

    fn provider(&self) -> &Client {
        &self.provider
    }

    fn block_id(&self) -> BlockId {
        BlockId::Tag(BlockTag::PreConfirmed)
    }
}

impl World {
    /// Sends `calls` from the session account with a forged signature; returns the node's refusal.
    pub async fn send_forged(&self, calls: Vec<Call>, forge: Forge) -> String {
        self.send_forged_at(calls, forge, None).await
    }

    /// [`World::send_forged`] with a chosen nonce (`None`: the account's current one).
    pub async fn send_forged_at(&self, calls: Vec<Call>, forge: Forge, nonce: Option<Felt>) -> String {
        match self.try_forged(calls, forge, nonce).await {
            Ok(_) => panic!("the forged transaction was accepted"),
            Err(refusal) => refusal,
        }
    }

    /// Sends `calls` from the session account with a forged signature; the receipt, or the node's
    /// or the account's refusal.
    pub async fn try_forged(
        &self,
        calls: Vec<Call>,
        forge: Forge,
        nonce: Option<Felt>,
    ) -> Result<starknet::core::types::TransactionReceiptWithBlockInfo, String> {
        use starknet::accounts::Account;
        let forger = ForgingAccount {
            provider: self.devnet.provider(),
            address: self.account,
            chain_id: self.devnet.chain_id(),
            forge,
        };
        let mut execution = forger.execute_v3(calls).l1_gas(0).l2_gas(100_000_000).l1_data_gas(2_000).tip(0);
        if let Some(nonce) = nonce {
            execution = execution.nonce(nonce);
        }
        let sent = execution.send().await.map_err(|error| format!("{error:?}"))?;
        session_sdk::wait_for_success(&self.devnet.provider(), sent.transaction_hash)
            .await
            .map_err(|error| format!("{error:?}"))
    }
}
