//! The tapin server: the pass domain, its storage, the JSON API and the
//! command line, in layers that only depend downwards (http/cli → domain ← storage).

pub mod cli;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod pool;
pub mod storage;
