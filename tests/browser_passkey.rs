//! A real browser's passkey owns an account: headless Chromium (its WebAuthn virtual
//! authenticator, driven over the DevTools protocol by `tests/browser/passkey-browser.mjs`)
//! creates a credential on a local page; one `navigator.credentials.get` over the session hash
//! authorizes a session on devnet, which then plays with no further prompt.
//!
//! Needs Chromium and the driver's npm packages: `scripts/install-browser.sh` (run by
//! `scripts/test.sh`) installs both.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cainome::cairo_serde::ContractAddress;
use common::increase;
use local_devnet::Devnet;
use session_core::webauthn::{Passkey, WebAuthnAssertion};
use session_core::{OwnerKey, SessionBuilder, SessionKey};
use session_sdk::{AssertionSource, ExternalPasskey, OwnerSigner, SessionAccount};
use starknet::core::types::{BlockId, BlockTag, Felt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::Mutex;

/// The browser driver: its process and the two ends of its JSON-lines protocol.
struct Browser {
    _process: Child,
    io: Mutex<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
}

/// What the driver prints once its credential exists.
#[derive(serde::Deserialize)]
struct Ready {
    origin: String,
    rp_id: String,
    public_key_spki: String,
}

/// One assertion as `navigator.credentials.get` returned it (hex).
#[derive(serde::Deserialize)]
struct BrowserAssertion {
    authenticator_data: Option<String>,
    client_data_json: Option<String>,
    signature: Option<String>,
    error: Option<String>,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

impl Browser {
    /// Starts Chromium through the driver and returns it with the passkey it created.
    async fn start() -> (Arc<Self>, Passkey) {
        let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/passkey-browser.mjs");
        let mut process = tokio::process::Command::new("node")
            .arg(&driver)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the browser driver (scripts/install-browser.sh installs what it needs)");
        let stdin = process.stdin.take().unwrap();
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().expect("the driver printed its credential");
        let ready: Ready = serde_json::from_str(&first).unwrap();
        let passkey =
            Passkey::from_spki(&unhex(&ready.public_key_spki), &ready.rp_id, &ready.origin).unwrap();
        (Arc::new(Self { _process: process, io: Mutex::new((stdin, lines)) }), passkey)
    }

    /// `navigator.credentials.get` with `hash` (32 bytes, big-endian) as the challenge.
    async fn assert(&self, hash: Felt) -> Result<WebAuthnAssertion, String> {
        let mut io = self.io.lock().await;
        let request = format!("{{\"challenge\":\"{}\"}}\n", hex32(hash));
        io.0.write_all(request.as_bytes()).await.map_err(|error| error.to_string())?;
        let line = io.1.next_line().await.map_err(|error| error.to_string())?.ok_or("the browser exited")?;
        let answer: BrowserAssertion = serde_json::from_str(&line).map_err(|error| error.to_string())?;
        if let Some(error) = answer.error {
            return Err(error);
        }
        let field = |value: Option<String>| unhex(&value.unwrap_or_default());
        WebAuthnAssertion::from_browser(
            field(answer.authenticator_data),
            field(answer.client_data_json),
            &field(answer.signature),
        )
        .map_err(|error| error.to_string())
    }
}

fn hex32(hash: Felt) -> String {
    hash.to_bytes_be().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test]
async fn a_browsers_passkey_authorizes_a_session_with_one_assertion_then_it_plays() {
    let (browser, passkey) = Browser::start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let source: AssertionSource = {
        let (browser, asked) = (browser.clone(), asked.clone());
        Box::new(move |hash| {
            let (browser, asked) = (browser.clone(), asked.clone());
            Box::pin(async move {
                asked.fetch_add(1, Ordering::SeqCst);
                browser.assert(hash).await
            })
        })
    };
    let owner = ExternalPasskey::new(passkey.clone(), source);

    // The account of that passkey, deployed through the Universal Deployer by a funded account.
    let devnet = Devnet::spawn().await.unwrap();
    let funder = devnet.account(0);
    let account =
        session_sdk::deploy_session_account_via_udc(&funder, &OwnerKey::Passkey(passkey.clone()), Felt::ONE)
            .await
            .unwrap();
    devnet.mint(account, 10_000_000_000_000_000_000).await.unwrap();
    let counter = session_sdk::deploy_contract(
        &funder,
        &session_bindings::counter_artifact().unwrap(),
        vec![],
        Felt::ONE,
    )
    .await
    .unwrap();
    assert_eq!(
        session_sdk::account_state(&devnet.provider(), account).await.unwrap().owner,
        owner.owner_key()
    );

    // One browser assertion over the session hash authorizes the session…
    let key = SessionKey::generate().unwrap();
    let expires_at = devnet.latest_block_timestamp().await.unwrap() + 3600;
    let session = SessionBuilder::new(key.public_key())
        .expires_at(expires_at)
        .allow(counter, "increase")
        .build()
        .unwrap();
    let authorization =
        session_sdk::authorize_session(&owner, &session, devnet.chain_id(), account).await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    let session =
        SessionAccount::new(devnet.provider(), account, devnet.chain_id(), session, key, Some(authorization));

    // …which the contract accepts on the session's first transaction; every move after it goes
    // through without the browser.
    for _ in 0..5 {
        session.execute(vec![increase(counter, 1)]).await.unwrap();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "no further prompt");
    let mut reader = session_bindings::counter::CounterReader::new(counter, devnet.provider());
    reader.set_block(BlockId::Tag(BlockTag::PreConfirmed));
    assert_eq!(reader.get(&ContractAddress(account)).call().await.unwrap(), 5);
}
