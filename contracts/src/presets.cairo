//! Deployable contracts that only wire components together.

pub mod session_account;
