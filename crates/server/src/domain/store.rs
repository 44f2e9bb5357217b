//! The storage capability the domain needs, implemented by `crate::storage`.
//! Every method is one atomic step; nothing half done is ever visible.

use super::model::{NewUser, User};
use super::policy::Policy;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Backend(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPass {
    pub id: String,
    pub user_id: i64,
    /// Argon2id PHC string; the code itself is never stored.
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub start_at: DateTime<Utc>,
    pub start_offset_seconds: i32,
    pub lifetime_minutes: u32,
    pub usable_once: bool,
    pub used_at: Option<DateTime<Utc>>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session token; the token lives only in the cookie.
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub passwordless_deadline: Option<DateTime<Utc>>,
}

pub trait Store: Send + Sync {
    fn is_empty(&self) -> StoreResult<bool>;
    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User>;
    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>>;
    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    fn users(&self) -> StoreResult<Vec<User>>;

    fn policy(&self) -> StoreResult<Option<Policy>>;
    fn save_policy(&self, policy: &Policy) -> StoreResult<()>;

    /// Stores the user's pass, replacing any earlier one.
    fn replace_pass(&self, pass: &StoredPass) -> StoreResult<()>;
    fn pass_of(&self, user_id: i64) -> StoreResult<Option<StoredPass>>;
    fn delete_pass(&self, user_id: i64) -> StoreResult<bool>;

    /// Starts a session; when `consume_pass` names a one-time pass, marks it
    /// used in the same transaction and starts nothing (returning false) if
    /// another redemption got there first.
    fn start_session(
        &self,
        session: &SessionRecord,
        consume_pass: Option<&str>,
    ) -> StoreResult<bool>;
    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;
    fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    fn record_failure(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Failure times for `key` at or after `since`, oldest first.
    fn failures_since(&self, key: &str, since: DateTime<Utc>) -> StoreResult<Vec<DateTime<Utc>>>;
    fn clear_failures(&self, key: &str) -> StoreResult<()>;
}
