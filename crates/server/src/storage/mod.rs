//! Implementations of the domain's `Store`: SQLite, the embedded default,
//! and PostgreSQL, for several instances on one database.

pub mod postgres;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::domain::{Store, StoreError};
use std::sync::Arc;

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The store `--db` names: a `postgres://` URL or a SQLite file path.
pub fn open(db: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(if is_postgres(db) {
        Arc::new(PgStore::open(db)?)
    } else {
        Arc::new(SqliteStore::open(std::path::Path::new(db))?)
    })
}
