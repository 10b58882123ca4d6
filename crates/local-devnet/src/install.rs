//! Locating and installing the pinned `starknet-devnet` binary.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::DevnetError;

/// The starknet-devnet version this project is tested against.
pub const DEVNET_VERSION: &str = "0.10.1";

/// The project's cache folder outside the clone: `$SESSION_KEYS_CACHE`, else `~/.cache/session-keys`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SESSION_KEYS_CACHE") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("session-keys")
}

fn install_root() -> PathBuf {
    cache_dir().join(format!("starknet-devnet-{DEVNET_VERSION}"))
}

/// The devnet binary to run: `$STARKNET_DEVNET` if set, else the pinned install in [`cache_dir`].
pub fn binary_path() -> PathBuf {
    match std::env::var_os("STARKNET_DEVNET") {
        Some(path) => path.into(),
        None => install_root().join("bin").join("starknet-devnet"),
    }
}

/// Returns the pinned devnet binary, installing it with `cargo install` when it is missing.
///
/// The first install builds devnet from crates.io (about 17 minutes on 2 cores); concurrent
/// callers wait for one install instead of racing.
pub fn ensure_installed() -> Result<PathBuf, DevnetError> {
    let path = binary_path();
    if std::env::var_os("STARKNET_DEVNET").is_some() && !path.exists() {
        return Err(DevnetError::BinaryMissing { path });
    }
    if !path.exists() {
        install()?;
    }
    check_version(&path)?;
    Ok(path)
}

fn install() -> Result<(), DevnetError> {
    let root = install_root();
    std::fs::create_dir_all(cache_dir())
        .map_err(DevnetError::io(format!("cannot create {}", cache_dir().display())))?;
    let lock_path = cache_dir().join(format!("starknet-devnet-{DEVNET_VERSION}.lock"));
    let lock = std::fs::File::create(&lock_path)
        .map_err(DevnetError::io(format!("cannot create {}", lock_path.display())))?;
    lock.lock().map_err(DevnetError::io(format!("cannot lock {}", lock_path.display())))?;
    if binary_path().exists() {
        return Ok(()); // another process installed it while we waited for the lock
    }
    eprintln!(
        "Installing starknet-devnet {DEVNET_VERSION} into {} (first time only, ~17 min on 2 cores)...",
        root.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["install", "starknet-devnet", "--version", DEVNET_VERSION, "--locked", "--root"])
        .arg(&root)
        .env_remove("CARGO_TARGET_DIR") // its own build folder, not the caller's
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|error| DevnetError::Install { reason: format!("cannot run cargo: {error}") })?;
    if !status.success() {
        return Err(DevnetError::Install { reason: format!("cargo install exited with {status}") });
    }
    Ok(())
}

fn check_version(path: &std::path::Path) -> Result<(), DevnetError> {
    let output = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|source| DevnetError::Spawn { path: path.to_owned(), source })?;
    let found = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if found != format!("starknet-devnet {DEVNET_VERSION}") {
        return Err(DevnetError::WrongVersion { path: path.to_owned(), found });
    }
    Ok(())
}
