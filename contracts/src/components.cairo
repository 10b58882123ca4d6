//! One component per concern, so another account can embed them.

pub mod outside_execution;
pub mod owner;
pub mod session;
