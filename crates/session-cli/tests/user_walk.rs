//! The CLI as a new user meets it — a game developer setting up a bot session, then an auditor:
//! no crash on any numeric input, nothing silently turned into something else, refusals a person
//! can read with the documented exit codes, and the commands users reach for. Every refusal is
//! checked to have sent nothing (the account's nonce is unchanged).

mod support;

use assert_cmd::Command;
use serde_json::Value;
use starknet::core::types::{BlockId, BlockTag, Felt};
use starknet::providers::Provider;
use support::{hex, strs, Chain, EXIT_REJECTED, EXIT_USAGE, OWNER_PASSWORD, SESSION_PASSWORD};

const EXIT_NETWORK: i32 = 4;
/// Nothing listens here: a node that is down.
const DEAD_NODE: &str = "http://127.0.0.1:9/rpc";

async fn nonce(chain: &Chain, account: Felt) -> Felt {
    chain.devnet.provider().get_nonce(BlockId::Tag(BlockTag::PreConfirmed), account).await.unwrap()
}

/// Runs the binary with `--json`, extra environment, no `STARKNET_RPC` unless given.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut command = Command::cargo_bin("stark-session").unwrap();
    command.arg("--json").args(args).env_remove("STARKNET_RPC");
    command
        .env("STARK_SESSION_OWNER_PASSWORD", OWNER_PASSWORD)
        .env("STARK_SESSION_PASSWORD", SESSION_PASSWORD);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&output.stderr).into_owned())
}

fn expect(chain: &Chain, args: &[&str], code: i32, expected: &str) -> Value {
    let (actual, json, stderr) = chain.run(args);
    assert_eq!(actual, code, "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr}");
    assert_eq!(json["exit_code"], code, "{args:?}: the JSON error document: {json}");
    json
}

/// A session for the game's `increase` (plus `extra` arguments), written to `name`.
fn game_session(chain: &Chain, name: &str, extra: &[&str]) -> String {
    let path = chain.path(name);
    let mut args = chain.session_create_args(&format!("{}:increase", hex(chain.game)), &path);
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    chain.ok(&strs(&args));
    path
}

#[tokio::test]
async fn numeric_flags_at_their_maximum_never_crash_and_json_amounts_are_strings() {
    let chain = Chain::start().await;
    chain.deployed_account().await;
    let strk = hex(session_sdk::STRK_TOKEN);
    let (u64_max, u128_max) = (u64::MAX.to_string(), u128::MAX.to_string());
    let u128_below_max = (u128::MAX - 1).to_string();
    let u256_max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    let path = chain.path("huge.json");
    let mut create = chain.session_create_args(&format!("{strk}:transfer"), &path);
    create.extend(
        [
            "--max-fee",
            &u128_below_max,
            "--fee-budget",
            &u128_max,
            "--max-calls",
            &u64_max,
            "--max-spend",
            &format!("{strk}:{u256_max}"),
            "--max-spend",
            &format!("{strk}:{u128_max}/1d"),
        ]
        .map(str::to_owned),
    );
    let created = chain.ok(&strs(&create));
    // Above 2^53, a JSON number would lose precision (or, before, crash the command): strings.
    assert_eq!(created["policy"]["max_fee_per_tx"], u128_below_max.as_str());
    assert!(created["policy"]["spend_limits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|limit| limit["amount"].is_string()));
    // The file written, the auditor's commands read the account without trouble.
    let inspected = chain.ok(&["session", "inspect", &path]);
    assert_eq!(inspected["usage"]["calls"], "0");
    chain.ok(&["policy", "show", &chain.path("account.json")]);

    // One past each type's maximum: a usage error naming the flag, never a crash.
    let game = format!("{}:increase", hex(chain.game));
    let over = [
        ("--max-calls", "18446744073709551616", "max-calls"),
        ("--max-fee", "340282366920938463463374607431768211456", "does not fit in a u128"),
        ("--fee-budget", "340282366920938463463374607431768211456", "does not fit in a u128"),
        ("--expires-in", "18446744073709551615d", "too long"),
    ];
    for (flag, value, expected) in over {
        let mut args = chain.session_create_args(&game, &chain.path("over.json"));
        args.extend([flag.to_owned(), value.to_owned()]);
        expect(&chain, &strs(&args), EXIT_USAGE, expected);
    }
    let mut args = chain.session_create_args(&game, &chain.path("over.json"));
    args.extend(["--max-spend".to_owned(), format!("{strk}:{u256_max}0")]);
    expect(&chain, &strs(&args), EXIT_USAGE, "does not fit in a u256");
    let (code, _, stderr) = chain.run(&["devnet", "mint", &hex(chain.game), &format!("{u128_max}0")]);
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(!std::path::Path::new(&chain.path("over.json")).exists());
}

#[tokio::test]
async fn input_that_would_become_something_else_is_refused_and_nothing_is_sent() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let session = game_session(&chain, "game.json", &[]);
    let before = nonce(&chain, account).await;
    let game = hex(chain.game);

    // A felt at the field prime would be reduced to 0 and sent as such.
    let prime = "0x800000000000011000000000000000000000000000000000000000000000001";
    expect(&chain, &["session", "exec", &session, &game, "increase", prime], EXIT_USAGE, "field prime");
    let create = |extra: &[&str]| {
        let mut args = chain.session_create_args(&format!("{game}:increase"), &chain.path("refused.json"));
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        args
    };
    expect(&chain, &strs(&create(&["--expires-in", "0s"])), EXIT_USAGE, "no time at all");
    expect(&chain, &strs(&create(&["--expires-at", "2020-01-01"])), EXIT_USAGE, "not in the future");
    let the_account = format!("{}:set_owner", hex(account));
    expect(&chain, &strs(&create(&["--allow", &the_account])), EXIT_USAGE, "never call the account itself");

    // A keystore that is not the account's owner: refused before anything is signed or sent.
    chain.ok(&[
        "account",
        "create",
        "--keystore",
        &chain.path("other.json"),
        "--output",
        &chain.path("other-account.json"),
    ]);
    let mut other_owner = create(&[]);
    let position = other_owner.iter().position(|arg| arg == "--keystore").unwrap();
    other_owner[position + 1] = chain.path("other.json");
    expect(&chain, &strs(&other_owner), EXIT_USAGE, &format!("is not the owner of {}", hex(account)));
    let other = chain.path("other.json");
    expect(
        &chain,
        &["session", "register", &session, "--keystore", &other],
        EXIT_USAGE,
        "is not the owner of",
    );
    let account_file = chain.path("account.json");
    expect(
        &chain,
        &["session", "revoke", "--all", "--account", &account_file, "--keystore", &other],
        EXIT_USAGE,
        "is not the owner of",
    );
    assert!(!std::path::Path::new(&chain.path("refused.json")).exists());
    assert_eq!(nonce(&chain, account).await, before, "nothing was sent");
}

#[tokio::test]
async fn risky_but_valid_choices_are_warned_about() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let strk = hex(session_sdk::STRK_TOKEN);
    let warned = |name: &str, extra: &[&str], session_password: &str, expected: &str| {
        let mut args = chain.session_create_args(&format!("{}:increase", hex(chain.game)), &chain.path(name));
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let (code, _, stderr) = chain.run_with_session_password(&strs(&args), session_password);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("warning:") && stderr.contains(expected),
            "expected {expected:?} in {stderr}"
        );
    };
    warned(
        "long.json",
        &["--expires-in", "30d"],
        SESSION_PASSWORD,
        "a leaked session key is usable that long",
    );
    warned("empty.json", &[], "", "is empty");
    warned(
        "budget.json",
        &["--max-fee", "1000", "--fee-budget", "10"],
        SESSION_PASSWORD,
        "is below --max-fee",
    );
    let zero = format!("{strk}:0");
    warned(
        "zero.json",
        &["--allow", &format!("{strk}:transfer"), "--max-spend", &zero],
        SESSION_PASSWORD,
        "is 0",
    );
    let past_arity = format!("{}:increase:1:eq:5", hex(chain.game));
    warned("arity.json", &["--arg-rule", &past_arity], SESSION_PASSWORD, "takes 1 calldata felts");

    let (account_file, keystore) = (chain.path("account.json"), chain.path("owner.json"));
    let (code, _, stderr) =
        chain.run(&["session", "revoke", "0x1234", "--account", &account_file, "--keystore", &keystore]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("never mention session 0x1234"), "{stderr}");
    assert!(nonce(&chain, account).await > Felt::ONE, "the revocation was sent");
}

#[tokio::test]
async fn refusals_name_entrypoints_and_rules_and_exit_codes_follow_the_table() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let (game, strk) = (hex(chain.game), hex(session_sdk::STRK_TOKEN));
    let session = game_session(&chain, "game.json", &[]);
    let paying = game_session(
        &chain,
        "pay.json",
        &[
            "--allow",
            &format!("{strk}:transfer"),
            "--max-spend",
            &format!("{strk}:1strk"),
            "--arg-rule",
            &format!("{strk}:transfer:0:eq:0xb0b"),
        ],
    );
    chain.ok(&["session", "exec", &session, &game, "increase", "1"]);
    let before = nonce(&chain, account).await;

    let refused = expect(
        &chain,
        &["session", "exec", &session, &game, "reset"],
        EXIT_REJECTED,
        "is not allowed by this session",
    );
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains(&format!("`reset` on {game}"))
            && message.contains(&format!("it allows: `increase` on {game}")),
        "{message}"
    );
    expect(
        &chain,
        &["session", "exec", &paying, &strk, "transfer", "0xca7", "u256:1"],
        EXIT_REJECTED,
        "argument 0 is 0xca7, but must be 0xb0b",
    );
    expect(
        &chain,
        &["session", "exec", &session, &game, "bogus"],
        EXIT_USAGE,
        "has no external entrypoint `bogus`",
    );
    expect(
        &chain,
        &["session", "exec", &session, &game, "increase"],
        EXIT_USAGE,
        "`increase` takes 1 calldata felts, 0 given",
    );
    // Not a session account: a usage error, not a chain refusal.
    expect(&chain, &["policy", "show", &game], EXIT_USAGE, "is not a session account");
    expect(&chain, &["account", "show", "--account", &game], EXIT_USAGE, "is not a session account");
    // Already registered: said in words.
    let keystore = chain.path("owner.json");
    chain.ok(&["session", "register", &session, "--keystore", &keystore]);
    expect(
        &chain,
        &["session", "register", &session, "--keystore", &keystore],
        EXIT_REJECTED,
        "already registered",
    );
    let after_register = nonce(&chain, account).await;
    assert_eq!(after_register, before + Felt::ONE, "only the one registration was sent");

    // A node that is down is exit code 4, everywhere.
    let (account_file, account_hex) = (chain.path("account.json"), hex(account));
    for args in [
        vec!["policy", "show", account_file.as_str()],
        vec!["account", "show", "--account", account_file.as_str()],
        vec!["session", "inspect", session.as_str()],
        vec!["session", "exec", session.as_str(), game.as_str(), "increase", "1"],
        vec!["call", game.as_str(), "get", account_hex.as_str()],
    ] {
        let mut args = args;
        args.extend(["--rpc-url", DEAD_NODE]);
        let (code, json, stderr) = run_env(&args, &[]);
        assert_eq!(code, EXIT_NETWORK, "{args:?}: {stderr}");
        assert_eq!(json["exit_code"], EXIT_NETWORK);
    }

    // Argument errors are JSON too under --json, with the usage exit code.
    let (code, json, _) = run_env(&["session", "exec"], &[]);
    assert_eq!((code, json["exit_code"].as_i64()), (EXIT_USAGE, Some(2)), "{json}");
    let (code, json, _) = run_env(&["session", "create", "--account"], &[]);
    assert_eq!((code, json["exit_code"].as_i64()), (EXIT_USAGE, Some(2)), "{json}");

    // An explicit --rpc-url or --network wins over STARKNET_RPC.
    let url = chain.devnet.rpc_url().to_string();
    let (code, _, stderr) = run_env(
        &["account", "show", "--account", &account_file, "--rpc-url", &url],
        &[("STARKNET_RPC", DEAD_NODE)],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_env(
        &["account", "show", "--account", &account_file, "--network", "devnet"],
        &[("STARKNET_RPC", &url)],
    );
    assert_eq!(code, EXIT_NETWORK, "--network devnet (port 5050) must win over STARKNET_RPC: {stderr}");
    assert!(stderr.contains("127.0.0.1:5050"), "{stderr}");
    assert_eq!(nonce(&chain, account).await, after_register, "no refusal sent anything");
}

#[tokio::test]
async fn what_users_reach_for() {
    let chain = Chain::start().await;
    let account = chain.deployed_account().await;
    let game = hex(chain.game);
    let strk = hex(session_sdk::STRK_TOKEN);

    // Funding from the CLI, and reading a view.
    let fresh = "0x5eed";
    let minted = chain.ok(&["devnet", "mint", fresh, "2strk"]);
    assert_eq!(minted["balance"], "2000000000000000000");
    let balance = chain.ok(&["call", &strk, "balance_of", fresh]);
    assert_eq!(balance["result"][0], "0x1bc16d674ec80000");
    let shown = chain.ok(&["account", "show", "--account", &chain.path("account.json")]);
    let strk_balance: u128 = shown["balances"]["STRK"].as_str().unwrap().parse().unwrap();
    assert!(
        strk_balance > 9_000_000_000_000_000_000,
        "10 STRK minted, less the deployment fee: {strk_balance}"
    );

    // Several calls in one transaction, and a dry run that sends nothing.
    let session = game_session(&chain, "game.json", &["--max-calls", "3"]);
    let before = nonce(&chain, account).await;
    let increase = |amount: &str| format!("{game}:increase:{amount}");
    chain.ok(&["session", "exec", &session, "--call", &increase("2"), "--call", &increase("3")]);
    assert_eq!(chain.count(account).await, 5);
    assert_eq!(nonce(&chain, account).await, before + Felt::ONE, "both calls in one transaction");
    let dry = chain.ok(&["session", "exec", &session, &game, "increase", "1", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert!(dry["estimated_fee"].as_str().unwrap().parse::<u128>().unwrap() > 0);
    assert_eq!(chain.count(account).await, 5);
    assert_eq!(nonce(&chain, account).await, before + Felt::ONE, "a dry run sends nothing");

    // Plain statuses with what is left; the third call uses the limit up.
    let listed = chain.ok(&["session", "list", &session]);
    assert_eq!(listed["sessions"][0]["status"], "active");
    assert_eq!(listed["sessions"][0]["remaining"][0], "1 calls left");
    chain.ok(&["session", "exec", &session, &game, "increase", "1"]);
    let listed = chain.ok(&["session", "list", chain.dir.path().to_str().unwrap()]);
    let row =
        listed["sessions"].as_array().unwrap().iter().find(|row| row["file"] == session.as_str()).unwrap();
    assert_eq!(row["status"], "exhausted");
    let daily = game_session(
        &chain,
        "daily.json",
        &["--allow", &format!("{strk}:transfer"), "--max-spend", &format!("{strk}:0.5strk/1d")],
    );
    let text = Command::cargo_bin("stark-session")
        .unwrap()
        .args(["session", "inspect", &daily, "--rpc-url", chain.devnet.rpc_url().as_str()])
        .env("STARK_SESSION_PASSWORD", SESSION_PASSWORD)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("status:         active")
            && text.contains("window, which resets at")
            && text.contains(" UTC"),
        "{text}"
    );

    // Shell completions, and a busy port refused at once.
    let completions =
        Command::cargo_bin("stark-session").unwrap().args(["completions", "bash"]).output().unwrap();
    assert!(String::from_utf8_lossy(&completions.stdout).contains("stark-session"));
    let started = std::time::Instant::now();
    let port = chain.devnet.port().to_string();
    let (code, _, stderr) = chain.run(&["devnet", "start", "--port", &port]);
    assert_eq!(code, EXIT_USAGE, "{stderr}");
    assert!(stderr.contains(&format!("port {port} is not free")), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "a busy port fails at once");
}

#[tokio::test]
async fn the_class_is_declared_from_the_cli_on_a_fresh_network() {
    let devnet = local_devnet::Devnet::spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keystore = dir.path().join("funded.json");
    let funded = &devnet.accounts()[0];
    let key = starknet::signers::SigningKey::from_secret_scalar(funded.private_key);
    session_sdk::save_keystore(&key, &keystore, OWNER_PASSWORD).unwrap();
    let url = devnet.rpc_url().to_string();
    let declare = [
        "class",
        "declare",
        "--from",
        &hex(funded.address),
        "--keystore",
        keystore.to_str().unwrap(),
        "--rpc-url",
        &url,
    ];
    let (code, json, stderr) = run_env(&declare, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json["declared"], true);
    let artifact = session_bindings::session_account_artifact().unwrap();
    assert!(session_sdk::is_class_declared(&devnet.provider(), artifact.class_hash).await.unwrap());
    let (code, json, _) = run_env(&declare, &[]);
    assert_eq!((code, json["already_declared"].as_bool()), (0, Some(true)));
}

#[tokio::test]
async fn auditors_see_names_that_match_selectors_and_what_sessions_may_call() {
    let chain = Chain::start().await;
    chain.deployed_account().await;
    let session = game_session(&chain, "game.json", &[]);
    chain.ok(&["session", "exec", &session, &hex(chain.game), "increase", "1"]);

    // A name edited by hand (the selector left as it was) is caught, not displayed.
    let edited = chain.path("edited.json");
    let text = std::fs::read_to_string(&session).unwrap();
    std::fs::write(&edited, text.replace("\"increase\"", "\"withdraw_all\"")).unwrap();
    expect(&chain, &["session", "inspect", &edited], EXIT_USAGE, "entrypoint does not match");

    // With the session file, `policy show` says what the session may call (the chain has the root).
    let shown = chain.ok(&["policy", "show", &chain.path("account.json"), "--session", &session]);
    let methods = shown["sessions"][0]["allowed_methods"].as_array().unwrap();
    assert_eq!(methods[0], format!("increase on {:#066x}", chain.game));
}
