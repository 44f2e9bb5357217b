//! The storage capability the domain needs, implemented by `crate::storage`.
//! Every method is one atomic step; nothing half done is ever visible.

use super::delivery::OutboxEntry;
use super::methods::{AuditEvent, Pending, StoredMethod};
use super::model::{NewUser, User};
use super::policy::Policy;
use chrono::{DateTime, Utc};
use tapin_api::wire::MethodKind;

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

    /// Ends every session of the user.
    fn delete_sessions_of(&self, user_id: i64) -> StoreResult<()>;

    /// The user's WebAuthn user handle, created on first use.
    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String>;
    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>>;

    /// The user's methods, strongest kind first, then oldest first.
    fn methods_of(&self, user_id: i64) -> StoreResult<Vec<StoredMethod>>;
    /// In one transaction: takes `pending_id` (which must still exist), checks
    /// the user holds fewer than `limit` methods of the kinds in `sharing`,
    /// and inserts the method, making it the default when it is the first.
    fn add_method(
        &self,
        method: &StoredMethod,
        sharing: &[MethodKind],
        limit: usize,
        pending_id: &str,
    ) -> StoreResult<AddOutcome>;
    fn rename_method(&self, user_id: i64, id: &str, name: &str) -> StoreResult<bool>;
    /// Deletes a method and, in the same transaction, makes `new_default` the default.
    fn delete_method(&self, user_id: i64, id: &str, new_default: Option<&str>)
        -> StoreResult<bool>;
    fn set_default_method(&self, user_id: i64, id: &str) -> StoreResult<bool>;
    /// Records a use; `secret` replaces the stored secret (a passkey's counter moved).
    fn method_used(&self, id: &str, at: DateTime<Utc>, secret: Option<&str>) -> StoreResult<()>;

    fn put_pending(&self, pending: &Pending) -> StoreResult<()>;
    fn pending(&self, id: &str) -> StoreResult<Option<Pending>>;
    /// Deletes and returns it: whoever takes it first is the only one to get it.
    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>>;
    /// Spends one try; returns the tries left, deleting it when none are.
    fn spend_try(&self, id: &str) -> StoreResult<u32>;

    fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Oldest first; only `upn`'s when given.
    fn audit_events(&self, upn: Option<&str>) -> StoreResult<Vec<AuditEvent>>;

    fn push_outbox(&self, entry: &OutboxEntry) -> StoreResult<()>;
    fn outbox(&self) -> StoreResult<Vec<OutboxEntry>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    LimitReached,
    /// The challenge was already used or has gone.
    PendingGone,
    /// The credential is already registered.
    Duplicate,
}
