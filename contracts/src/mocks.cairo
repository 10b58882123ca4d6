//! Contracts that exist only for the end-to-end security tests.

pub mod callback_caller;
