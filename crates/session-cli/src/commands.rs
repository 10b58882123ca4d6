//! One module per command.

pub mod account;
pub mod call;
pub mod class;
pub mod completions;
pub mod demo;
pub mod devnet;
pub mod policy;
pub mod session;
