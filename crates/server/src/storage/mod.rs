//! Implementations of the domain's `Store`: SQLite, the embedded default.

pub mod sqlite;

pub use sqlite::SqliteStore;
