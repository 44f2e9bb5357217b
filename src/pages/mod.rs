//! The steps of the flow, one module each.

pub mod account;
pub mod pass;
pub mod security_info;
