//! A devnet starts on a free port, answers, and never outlives its owner: not when the handle is
//! dropped, not when the owning test panics, and not when the owning process is killed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use local_devnet::{Devnet, DevnetOptions};
use starknet::core::types::Felt;
use starknet::core::utils::cairo_short_string_to_felt;
use starknet::providers::Provider;

/// Whether a process with this pid exists (and is not a zombie we are responsible for).
fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.split_whitespace().nth(2).is_none_or(|state| state != "Z"),
        Err(_) => false,
    }
}

fn wait_until_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !is_running(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test]
async fn two_devnets_run_side_by_side_and_stop_on_drop() {
    let (first, second) = tokio::join!(Devnet::spawn(), Devnet::spawn());
    let (first, second) = (first.expect("first devnet"), second.expect("second devnet"));
    assert_ne!(first.port(), second.port());

    let sepolia = cairo_short_string_to_felt("SN_SEPOLIA").unwrap();
    for devnet in [&first, &second] {
        assert_eq!(devnet.chain_id(), sepolia);
        assert_eq!(devnet.accounts().len(), 4);
        assert_eq!(devnet.provider().chain_id().await.unwrap(), sepolia);
        assert!(devnet.provider().block_number().await.is_ok());
    }
    // Same seed, same accounts.
    assert_eq!(first.accounts()[0].address, second.accounts()[0].address);

    let (first_pid, second_pid) = (first.pid(), second.pid());
    assert!(is_running(first_pid) && is_running(second_pid));
    drop(first);
    assert!(wait_until_gone(first_pid), "dropped devnet {first_pid} still runs");
    assert!(is_running(second_pid), "dropping one devnet must not stop the other");
    drop(second);
    assert!(wait_until_gone(second_pid));
}

#[tokio::test]
async fn mint_and_time_control_change_chain_state() {
    let devnet = Devnet::spawn_with(DevnetOptions { start_time: Some(1_700_000_000), ..Default::default() })
        .await
        .unwrap();
    let address = devnet.accounts()[1].address;
    let before = devnet.mint(address, 0).await.unwrap();
    let after = devnet.mint(address, 1_000).await.unwrap();
    assert_eq!(after, before + 1_000);

    devnet.set_time(1_800_000_000).await.unwrap();
    devnet.increase_time(100).await.unwrap();
    let timestamp = devnet.latest_block_timestamp().await.unwrap();
    assert!(timestamp >= 1_800_000_100, "timestamp {timestamp}");
    assert_ne!(devnet.accounts()[1].address, Felt::ZERO);
}

#[test]
fn devnet_is_killed_when_the_owning_test_panics() {
    let pid = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = pid.clone();
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let devnet = runtime.block_on(Devnet::spawn()).unwrap();
        *seen.lock().unwrap() = Some(devnet.pid());
        panic!("simulated test failure while devnet {} runs", devnet.pid());
    })
    .join();
    assert!(outcome.is_err(), "the thread was meant to panic");
    let pid = pid.lock().unwrap().expect("devnet started before the panic");
    assert!(wait_until_gone(pid), "devnet {pid} outlived the panicking test");
}

/// Env var telling the helper below where to write the devnet pid (it does nothing otherwise).
const HELPER_ENV: &str = "LOCAL_DEVNET_ORPHAN_HELPER_PID_FILE";

/// Helper for the next test: starts devnet, writes its pid, then waits to be killed.
#[test]
#[ignore = "helper process for devnet_dies_when_its_owner_process_is_killed"]
fn orphan_helper() {
    let Some(pid_file) = std::env::var_os(HELPER_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let devnet = runtime.block_on(Devnet::spawn()).unwrap();
    std::fs::write(pid_file, devnet.pid().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn devnet_dies_when_its_owner_process_is_killed() {
    let pid_file = std::env::temp_dir().join(format!("orphan-helper-{}.pid", std::process::id()));
    let _ = std::fs::remove_file(&pid_file);
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args(["orphan_helper", "--exact", "--ignored", "--test-threads=1"])
        .env(HELPER_ENV, &pid_file)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        if let Some(pid) =
            std::fs::read_to_string(&pid_file).ok().and_then(|text| text.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the helper did not start devnet");
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_file(&pid_file);
    assert!(is_running(pid));
    helper.kill().unwrap(); // SIGKILL: no destructor runs in the helper
    helper.wait().unwrap();
    assert!(wait_until_gone(pid), "devnet {pid} was orphaned by its killed owner");
}
