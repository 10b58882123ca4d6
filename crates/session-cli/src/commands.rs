//! One module per command.

pub mod account;
pub mod demo;
pub mod devnet;
pub mod policy;
pub mod session;
