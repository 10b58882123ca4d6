//! `session-paymaster`: a self-hostable SNIP-29 paymaster for session accounts.
//!
//! It relays session-signed SNIP-9 outside executions (`paymaster_executeDirectTransaction`, or
//! `paymaster_executeTransaction` with the typed data and the whole session signature) from
//! several relayer accounts, sponsored or paid in a token, under rules per API key: allowed
//! contracts and entrypoints, daily budgets per key and per user (FRI), requests per minute and a
//! maximum fee per transaction. State lives in SQLite (default) or PostgreSQL (several
//! instances behind one load balancer share budgets and relayer nonces).
//!
//! - [`config`]: the TOML file and environment variables.
//! - [`store`]: requests, spend, relayer nonces; migrations.
//! - [`service`]: the SNIP-29 methods and the rules.
//! - [`http`]: JSON-RPC, `/metrics`, `/health`.

#![deny(missing_docs)]

pub mod config;
pub mod http;
pub mod metrics;
pub mod service;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::Config;
pub use service::Paymaster;

/// A server listening in this process.
pub struct RunningServer {
    /// The address it listens on.
    pub address: SocketAddr,
    /// The paymaster behind it.
    pub paymaster: Arc<Paymaster>,
    /// The server task (aborting it stops the server).
    pub task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The JSON-RPC URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the paymaster of `config` and serves it on `config.listen` (port 0: any free port).
pub async fn serve(config: Config) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.listen))?;
    let address = listener.local_addr()?;
    let paymaster = Paymaster::start(config).await?;
    let app = http::router(paymaster.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the server stopped");
        }
    });
    Ok(RunningServer { address, paymaster, task })
}
