//! The steps of the first load.

pub mod account;
pub mod pass;
