//! A local, pinned `starknet-devnet`: installed on demand, run as a child process on a free
//! loopback port, and killed when its handle is dropped.
//!
//! ```no_run
//! # async fn example() -> Result<(), local_devnet::DevnetError> {
//! let devnet = local_devnet::Devnet::spawn().await?;
//! println!("devnet at {} on chain {:#x}", devnet.rpc_url(), devnet.chain_id());
//! let funder = devnet.account(0);
//! # let _ = funder;
//! # Ok(()) }
//! ```
//!
//! The process dies with its [`Devnet`] handle, also while a test panics, and (on Linux) with the
//! thread that started it, so a test binary killed mid-run leaves no devnet behind.

#![deny(missing_docs)]

mod install;
mod process;

pub use install::{binary_path, cache_dir, ensure_installed, DEVNET_VERSION};
pub use process::{Devnet, DevnetClient, DevnetOptions, PredeployedAccount};

/// What can go wrong installing, starting or talking to devnet.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// `$STARKNET_DEVNET` names a file that does not exist.
    #[error("STARKNET_DEVNET is set to {path}, which does not exist")]
    BinaryMissing {
        /// The path from the environment.
        path: std::path::PathBuf,
    },
    /// `cargo install starknet-devnet` failed.
    #[error("installing starknet-devnet {DEVNET_VERSION} with cargo failed: {reason}")]
    Install {
        /// Why it failed.
        reason: String,
    },
    /// The binary found is not the pinned version.
    #[error("{path} is {found:?}, expected starknet-devnet {DEVNET_VERSION}")]
    WrongVersion {
        /// The binary.
        path: std::path::PathBuf,
        /// What `--version` printed.
        found: String,
    },
    /// The process could not be started.
    #[error("cannot start {path}: {source}")]
    Spawn {
        /// The binary.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The process exited before it answered.
    #[error("starknet-devnet exited during start-up ({status}); its output:\n{log}")]
    ExitedEarly {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its output.
        log: String,
    },
    /// The process did not answer in time.
    #[error("starknet-devnet did not answer within {seconds} s; its output:\n{log}")]
    Timeout {
        /// How long we waited.
        seconds: u64,
        /// The end of its output.
        log: String,
    },
    /// A devnet JSON-RPC call failed.
    #[error("devnet call {method} failed: {message}")]
    Rpc {
        /// The JSON-RPC method.
        method: String,
        /// The transport or JSON-RPC error.
        message: String,
    },
    /// A local file or socket operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl DevnetError {
    fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
