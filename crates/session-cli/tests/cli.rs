//! The `stark-session` binary driven like a user would, against a devnet each test starts.

mod support;

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use support::{hex, strs, Chain, EXIT_REJECTED, EXIT_USAGE, SESSION_PASSWORD};

#[test]
fn demo_completes_with_one_owner_signature() {
    let output = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["--json", "demo", "--moves", "3"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["owner_signatures_for_the_game_session"], 1);
    assert_eq!(summary["session_transactions"], 3);
    let rules: Vec<&str> =
        summary["protections"].as_array().unwrap().iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "method not allowed (pre-flight)",
            "method not allowed (on-chain)",
            "no call to the account",
            "argument rule",
            "spend limit (on-chain)",
            "slippage bound (at least)",
            "rate limit (calls per hour)",
            "off-chain messages of listed kinds only",
            "not before its start",
            "expiry",
            "revocation",
            "revoke all"
        ]
    );
    assert!(summary["l2_gas_session_cached_average"].as_u64().unwrap() > 0);
}

#[test]
fn demo_with_a_passkey_owner_needs_one_assertion() {
    let output = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["--json", "demo", "--moves", "3", "--owner", "passkey"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(summary["owner"].as_str().unwrap().starts_with("passkey"), "{summary}");
    assert_eq!(summary["owner_signatures_for_the_game_session"], 1);
    assert_eq!(summary["session_transactions"], 3);
    assert!(summary["signature_felts_owner"].as_u64().unwrap() > 2, "a WebAuthn assertion: {summary}");
}

#[tokio::test]
async fn a_passkey_owner_created_by_the_cli_authorizes_and_revokes_sessions() {
    let chain = Chain::start().await;
    let account =
        chain.deployed_account_with(&["--owner", "passkey", "--origin", "https://game.example"]).await;
    let (keystore, account_file, session_file) =
        (chain.path("owner.json"), chain.path("account.json"), chain.path("session.json"));
    let text = std::fs::read_to_string(&keystore).unwrap();
    assert!(
        text.contains("software-passkey") && text.contains("\"ciphertext\""),
        "the P-256 key is encrypted"
    );
    let shown = chain.ok(&["account", "show", "--account", &account_file]);
    assert_eq!(shown["owner"]["kind"], "passkey", "{shown}");
    assert_eq!(shown["owner"]["origin"], "https://game.example", "{shown}");

    let allow = format!("{}:increase", hex(chain.game));
    let created = chain.ok(&strs(&chain.session_create_args(&allow, &session_file)));
    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "2"]);
    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "3"]);
    assert_eq!(chain.count(account).await, 5);
    let inspected = chain.ok(&["session", "inspect", &session_file]);
    assert_eq!(inspected["authorized_by_current_owner"], true, "{inspected}");

    let session_hash = created["session_hash"].as_str().unwrap();
    chain.ok(&["session", "revoke", session_hash, "--account", &account_file, "--keystore", &keystore]);
    let (code, _, stderr) = chain.run(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert_eq!(chain.count(account).await, 5);

    let (code, _, stderr) = chain.run(&[
        "account",
        "create",
        "--owner",
        "passkey",
        "--origin",
        "game.example",
        "--keystore",
        &chain.path("k2.json"),
        "--output",
        &chain.path("a2.json"),
    ]);
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains("is not a web origin"), "{stderr}");
}

#[tokio::test]
async fn the_owner_pauses_resumes_and_extends_a_session_from_the_cli() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let (keystore, session_file) = (chain.path("owner.json"), chain.path("session.json"));
    let allow = format!("{}:increase", hex(chain.game));
    chain.ok(&strs(&chain.session_create_args(&allow, &session_file)));
    // Not stored yet: nothing to pause.
    let (code, _, stderr) = chain.run(&["session", "pause", &session_file, "--keystore", &keystore]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("is not stored on-chain"), "{stderr}");

    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    chain.ok(&["session", "pause", &session_file, "--keystore", &keystore]);
    assert_eq!(chain.ok(&["session", "inspect", &session_file])["status"], "paused");
    let (code, _, stderr) = chain.run(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("paused"), "{stderr}");
    chain.ok(&["session", "resume", &session_file, "--keystore", &keystore]);
    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(chain.count(account).await, 2);

    let before = chain.ok(&["session", "inspect", &session_file])["expires_at"].as_u64().unwrap();
    let extended = chain.ok(&["session", "extend", &session_file, "--by", "1h", "--keystore", &keystore]);
    assert_eq!(extended["expires_at"].as_u64(), Some(before + 3600));
    let inspected = chain.ok(&["session", "inspect", &session_file]);
    assert_eq!(
        (inspected["expires_at"].as_u64(), inspected["signed_expires_at"].as_u64()),
        (Some(before + 3600), Some(before))
    );
    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(chain.count(account).await, 3);
}

#[tokio::test]
async fn a_session_that_may_sign_orders_says_so() {
    let chain = Chain::start().await;
    chain.deployed_account().await;
    let session_file = chain.path("session.json");
    let allow = format!("{}:increase", hex(chain.game));
    let mut create = chain.session_create_args(&allow, &session_file);
    create.extend(["--allow-message".to_owned(), "0xd0a11:0xde5".to_owned()]);
    chain.ok(&strs(&create));
    let inspected = chain.ok(&["session", "inspect", &session_file]);
    assert_eq!(
        inspected["permissions"][1], "may sign off-chain messages of type 0xde5 in domain 0xd0a11",
        "{inspected}"
    );
    let mut bad = chain.session_create_args(&allow, &chain.path("bad.json"));
    bad.extend(["--allow-message".to_owned(), "0xd0a11".to_owned()]);
    let (code, _, stderr) = chain.run(&strs(&bad));
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains("expected <domain hash>:<type hash>"), "{stderr}");
}

#[tokio::test]
async fn create_use_revoke_then_inspect_and_policy_say_revoked() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let (keystore, account_file, session_file) =
        (chain.path("owner.json"), chain.path("account.json"), chain.path("session.json"));
    let shown = chain.ok(&["account", "show", "--account", &account_file]);
    assert_eq!(shown["session_epoch"], "0x0");

    let allow = format!("{}:increase", hex(chain.game));
    let mut create = chain.session_create_args(&allow, &session_file);
    create.extend(["--expires-in".to_owned(), "1h".to_owned()]);
    let created = chain.ok(&strs(&create));
    let session_hash = created["session_hash"].as_str().unwrap().to_owned();
    let text = std::fs::read_to_string(&session_file).unwrap();
    assert!(text.contains("\"ciphertext\""), "the session key is stored encrypted");

    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "5"]);
    chain.ok(&["session", "invoke", &session_file, &hex(chain.game), "increase", "0x2"]);
    assert_eq!(chain.count(account).await, 7);

    // Outside the session: refused, exit code of a rejection, nothing happened.
    let (code, json, stderr) = chain.run(&["session", "exec", &session_file, &hex(chain.game), "reset"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("`reset`") && stderr.contains("is not allowed by this session"), "{stderr}");
    assert_eq!(json["exit_code"], EXIT_REJECTED, "--json reports errors as JSON too: {json}");

    let inspected = chain.ok(&["session", "inspect", &session_file]);
    assert_eq!(
        (inspected["status"].as_str(), inspected["on_chain_status"].as_str()),
        (Some("active"), Some("cached"))
    );
    assert_eq!(inspected["authorized_by_current_owner"], true);
    assert_eq!(inspected["permissions"][0], format!("may call increase on {:#066x}", chain.game));

    chain.ok(&["session", "revoke", &session_hash, "--account", &account_file, "--keystore", &keystore]);
    let (code, _, stderr) = chain.run(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("revoked"), "{stderr}");
    assert_eq!(chain.count(account).await, 7);

    let inspected = chain.ok(&["session", "inspect", &session_file]);
    assert_eq!(inspected["status"], "revoked");
    let policy = chain.ok(&["policy", "show", &account_file]);
    assert_eq!(policy["session_epoch"], "0x0");
    let sessions = policy["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["record"]["session_hash"], session_hash);
    assert_eq!(sessions[0]["status"], "revoked");

    // Revoke-all moves the epoch (to an unpredictable one); the human output says so too.
    let all = chain.ok(&["session", "revoke", "--all", "--account", &account_file, "--keystore", &keystore]);
    let new_epoch = all["session_epoch"].as_str().unwrap().to_owned();
    assert_ne!(new_epoch, "0x0");
    let policy = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["policy", "show", &account_file])
        .env("STARKNET_RPC", chain.devnet.rpc_url().as_str())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&policy.stdout);
    assert!(text.contains(&format!("session epoch: {new_epoch}")) && text.contains("revoked"), "{text}");

    // A new session picks up the new epoch; registered by the owner, it shows as registered.
    let second = chain.path("second.json");
    let created = chain.ok(&strs(&chain.session_create_args(&allow, &second)));
    assert_eq!(created["epoch"], new_epoch.as_str());
    chain.ok(&["session", "register", &second, "--keystore", &keystore]);
    assert_eq!(chain.ok(&["session", "inspect", &second])["on_chain_status"], "registered");
    chain.ok(&["session", "exec", &second, &hex(chain.game), "increase", "3"]);
    assert_eq!(chain.count(account).await, 10);
}

#[tokio::test]
async fn limits_from_flags_bind_on_chain_and_inspect_states_them() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let session_file = chain.path("limited.json");
    let strk = hex(session_sdk::STRK_TOKEN);
    let mut create = chain.session_create_args(&format!("{}:increase", hex(chain.game)), &session_file);
    create.extend(
        [
            "--allow",
            &format!("{strk}:transfer"),
            "--max-spend",
            &format!("{strk}:1000"),
            "--max-calls",
            "3",
            "--max-fee",
            "1000000000000000000",
            "--arg-rule",
            &format!("{strk}:transfer:0:eq:0xb0b"),
        ]
        .map(str::to_owned),
    );
    let created = chain.ok(&strs(&create));
    assert_eq!(created["policy"]["max_calls"], "3", "amounts in JSON are decimal strings");

    chain.ok(&["session", "exec", &session_file, &strk, "transfer", "0xb0b", "u256:600"]);
    // Another recipient, then more than what is left: refused before sending, exit code 3.
    let (code, _, stderr) =
        chain.run(&["session", "exec", &session_file, &strk, "transfer", "0xca7", "u256:1"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("argument rules"), "{stderr}");
    let (code, _, stderr) =
        chain.run(&["session", "exec", &session_file, &strk, "transfer", "0xb0b", "u256:401"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("may still move in total: 400"), "{stderr}");

    let inspected = chain.ok(&["session", "inspect", &session_file]);
    let limits: Vec<&str> =
        inspected["limits"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(
        limits,
        [
            format!(
                "may transfer or approve 1000 of token {:#066x} in total (600 spent)",
                session_sdk::STRK_TOKEN
            )
            .as_str(),
            "may move no value of any other token",
            "at most 3 calls in total (1 made)",
            "at most 1000000000000000000 FRI of fee per transaction",
        ]
    );
    let permissions = inspected["permissions"].as_array().unwrap();
    assert!(
        permissions.iter().any(|p| p.as_str().unwrap().ends_with("when argument 0 = 0xb0b")),
        "{permissions:?}"
    );
    assert_eq!(inspected["usage"]["spent"][0]["spent"], "600");
    // Auditors read the published limits from the account's events.
    let shown = chain.ok(&["policy", "show", &chain.path("account.json")]);
    assert_eq!(shown["sessions"][0]["record"]["limits"]["max_calls"], "3");
    let limit = &shown["sessions"][0]["record"]["limits"]["spend_limits"][0];
    assert_eq!((limit["token"].as_str(), limit["amount"].as_str()), (Some(strk.as_str()), Some("1000")));

    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    chain.ok(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    let (code, _, stderr) = chain.run(&["session", "exec", &session_file, &hex(chain.game), "increase", "1"]);
    assert_eq!(code, EXIT_REJECTED, "{stderr}");
    assert!(stderr.contains("limit of 3 calls"), "{stderr}");
    assert_eq!(chain.count(account).await, 2);

    // A value entrypoint without a limit for its token could never be used: refused, with a hint.
    let useless = chain.session_create_args(&format!("{strk}:transfer"), &chain.path("useless.json"));
    let (code, _, stderr) = chain.run(&strs(&useless));
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains("--max-spend"), "{stderr}");

    // Malformed limits are usage errors naming the flag.
    let mut bad =
        chain.session_create_args(&format!("{}:increase", hex(chain.game)), &chain.path("bad.json"));
    bad.extend(["--max-spend", &strk].map(str::to_owned));
    let (code, _, stderr) = chain.run(&strs(&bad));
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains("--max-spend"), "{stderr}");
}

#[tokio::test]
async fn bad_input_gets_a_specific_error_and_the_usage_exit_code() {
    let chain = Chain::start().await;
    chain.deployed_account().await;
    let (keystore, account_file, session_file) =
        (chain.path("owner.json"), chain.path("account.json"), chain.path("session.json"));

    let expect_usage = |args: &[&str], expected: &str, session_password: &str| {
        let (code, _, stderr) = chain.run_with_session_password(args, session_password);
        assert_eq!(code, EXIT_USAGE, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
    };
    let unknown = format!("{}:teleport", hex(chain.game));
    expect_usage(
        &strs(&chain.session_create_args(&unknown, &session_file)),
        "has no external entrypoint `teleport`",
        SESSION_PASSWORD,
    );
    expect_usage(
        &["account", "show", "--account", "0xnothex"],
        "malformed account address",
        SESSION_PASSWORD,
    );
    expect_usage(&["session", "exec", "missing.json", "0x1", "increase"], "missing.json", SESSION_PASSWORD);
    assert!(!Path::new(&session_file).exists(), "nothing is written on bad input");

    let allow = format!("{}:increase", hex(chain.game));
    chain.ok(&strs(&chain.session_create_args(&allow, &session_file)));
    let game = hex(chain.game);
    expect_usage(&["session", "exec", &session_file, &game, "increase", "1"], "wrong password", "nope");
    expect_usage(
        &["session", "exec", &session_file, &game, "increase", "u256:-3"],
        "u256:-3",
        SESSION_PASSWORD,
    );

    // A wrong owner password: nothing signed, usage exit code.
    let output = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["session", "revoke", "--all", "--account", &account_file, "--keystore", &keystore])
        .env("STARKNET_RPC", chain.devnet.rpc_url().as_str())
        .env("STARK_SESSION_OWNER_PASSWORD", "not the owner's")
        .output()
        .unwrap();
    let (code, stderr) = (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr));
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains("wrong password") && stderr.contains("hint:"), "{stderr}");
}

#[tokio::test]
async fn devnet_starts_in_the_background_and_stops() {
    use starknet::providers::Provider;

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let port_arg = port.to_string();
    let output = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["--json", "devnet", "start", "--background", "--port", &port_arg])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let started: Value = serde_json::from_slice(&output.stdout).unwrap();
    let url: starknet::providers::Url = started["rpc_url"].as_str().unwrap().parse().unwrap();
    let provider =
        starknet::providers::JsonRpcClient::new(starknet::providers::jsonrpc::HttpTransport::new(url));
    assert!(provider.chain_id().await.is_ok(), "the background devnet answers");

    let stopped =
        Command::cargo_bin("stark-session").unwrap().args(["devnet", "stop", "--port", &port_arg]).output();
    assert!(stopped.unwrap().status.success());
    let mut down = false;
    for _ in 0..50 {
        if provider.chain_id().await.is_err() {
            down = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(down, "devnet still answers after `devnet stop`");
    let again =
        Command::cargo_bin("stark-session").unwrap().args(["devnet", "stop", "--port", &port_arg]).output();
    assert_eq!(again.unwrap().status.code(), Some(EXIT_USAGE));
}
