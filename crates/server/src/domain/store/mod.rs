//! The storage capability the domain needs, implemented by `crate::storage`.
//! Every method is one atomic step; nothing half done is ever visible.

use super::delivery::{Channel, OutboxEntry, Outgoing, QueuedMessage};
use super::methods::{AuditEvent, AuditFilter, Pending, StoredMethod};
use super::model::{NewUser, User, UserUpdate};
use super::oidc::{AccessGrant, OidcClient, SigningKey};
pub use super::strength::SignInMethod;
mod directory;
mod grants;
mod records;
mod settings;

use chrono::{DateTime, Utc};
pub use directory::Directory;
pub use grants::{Grants, Polled, RefreshLookup};
pub use records::*;
pub use settings::{read_setting, save_setting, Policies};
use tapin_api::wire::MethodKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Backend(String),
    /// The database cannot be reached right now (a networked store); a
    /// moment later it may be.
    #[error("{0}")]
    Unavailable(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A future a store capability returns: plain `std`, no runtime named.
pub type StoreFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<T>> + Send + 'a>>;

/// The door's read, asynchronously: a session and its user by the hash
/// of its token, in one snapshot (as `Store::session_with_user`).
pub trait SessionLookup: Send + Sync {
    fn session_with_user<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<(SessionRecord, User)>>;
}

/// Given a sealed value's row (`secrets::row(table, id)`) and the value,
/// what to store instead (`None`: leave it).
pub type Reseal<'a> = dyn Fn(&str, &str) -> Result<Option<String>, String> + 'a;

/// Everything the domain needs from storage, as small capabilities a
/// backend implements one by one (SQLite and PostgreSQL in `crate::storage`).
/// Each method is one atomic step: a change and its audit event commit
/// together, and every limit is checked in the step that records it.
pub trait Store:
    Users
    + Policies
    + Passes
    + Sessions
    + Limits
    + Methods
    + Challenges
    + Audit
    + Outbox
    + Tokens
    + Federation
    + Grants
    + Directory
    + Upkeep
{
}

impl<
        T: Users
            + Policies
            + Passes
            + Sessions
            + Limits
            + Methods
            + Challenges
            + Audit
            + Outbox
            + Tokens
            + Federation
            + Grants
            + Directory
            + Upkeep,
    > Store for T
{
}

/// People and their WebAuthn user handles.
pub trait Users: Send + Sync {
    fn is_empty(&self) -> StoreResult<bool>;

    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User>;

    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>>;

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;

    fn users(&self) -> StoreResult<Vec<User>>;

    /// Users matching any part of `search`, by account name, at most `search.top`.
    fn find_users(&self, search: &UserSearch) -> StoreResult<Vec<User>>;

    /// How many users `search` matches, without its `top`.
    fn count_users(&self, search: &UserSearch) -> StoreResult<u64>;

    /// The user's WebAuthn user handle, created on first use.
    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String>;

    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>>;

    /// A person by their public id (Graph's and SCIM's `id`).
    fn user_by_object_id(&self, object_id: &str) -> StoreResult<Option<User>>;

    /// Changes what `update` sets, with its audit event, in one
    /// transaction. `Conflict` when the new account name is taken; false
    /// (nothing written) when there is no such user.
    fn update_user(
        &self,
        user_id: i64,
        update: &UserUpdate,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Disables (`enabled` false) or enables the person, with its audit
    /// event, in one transaction that also ends every session, the pass,
    /// every ceremony in flight, unredeemed OIDC code, access token and API
    /// token of theirs (on enabling, whatever a race let start while they
    /// were disabled). False (nothing written) when they already were so.
    fn set_enabled(
        &self,
        user_id: i64,
        enabled: bool,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Removes the person and everything of theirs but the audit trail,
    /// with its audit event. False when there was no such user.
    fn remove_user(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<bool>;
}

/// What of a person's is live and ends when they are disabled, enabled
/// or removed (every table that holds their rows, but the audit trail, the
/// outbox and `KEPT_WHILE_DISABLED`).
pub const PERSONAL_TABLES: [&str; 9] = [
    "sessions",
    "passes",
    "pending",
    "sends",
    "api_tokens",
    "oidc_codes",
    "oidc_access_tokens",
    "oidc_refresh",
    "oidc_device_codes",
];

/// What stays while a person is disabled (enabling brings it back) and goes
/// when they are removed.
pub const KEPT_WHILE_DISABLED: [&str; 3] = ["methods", "recovery_codes", "group_members"];

/// One pass per user; replacing or deleting it ends the sessions it opened.
pub trait Passes: Send + Sync {
    /// Stores the user's pass, replacing any earlier one and ending every
    /// session a pass of theirs opened, with its audit event, in one transaction.
    fn replace_pass(&self, pass: &StoredPass, audit: &AuditEvent) -> StoreResult<()>;

    fn pass_of(&self, user_id: i64) -> StoreResult<Option<StoredPass>>;

    /// Deletes the pass (only if its id is `id`, when given) and the
    /// sessions it opened; false (and nothing written) when there was none.
    fn delete_pass(&self, user_id: i64, id: Option<&str>, audit: &AuditEvent) -> StoreResult<bool>;
}

/// Signed-in sessions; a one-time pass is spent as one starts.
pub trait Sessions: Send + Sync {
    /// Starts a session; when `consume_pass` names a one-time pass, marks it
    /// used in the same transaction and starts nothing (returning false) if
    /// another redemption got there first.
    fn start_session(
        &self,
        session: &SessionRecord,
        consume_pass: Option<&str>,
    ) -> StoreResult<bool>;

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>>;

    /// The session and its user, read together.
    fn session_with_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, User)>>;

    fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// Records activity on a session (for the idle timeout).
    fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// The user's sessions, oldest first.
    fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<SessionRecord>>;

    /// Ends one session of the user by its public id (with its audit event).
    fn delete_session_by_id(&self, user_id: i64, id: &str, audit: &AuditEvent)
        -> StoreResult<bool>;

    /// Ends every session of the user.
    fn delete_sessions_of(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<()>;
}

/// Smart lockout and send limits: counted and checked in one step.
pub trait Limits: Send + Sync {
    /// In one statement: counts the attempts of `keys` since `since` against
    /// `limits` and, when none is reached, records this attempt.
    fn reserve_attempt(
        &self,
        keys: &AttemptKeys,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limits: &AttemptLimits,
    ) -> StoreResult<Reservation>;

    /// The attempt proved the code, or was never evaluated: it stops
    /// counting, and with `keys` this pair's earlier failures too.
    fn attempt_succeeded(&self, id: i64, keys: Option<&AttemptKeys>) -> StoreResult<()>;

    fn lockout_counts(&self, account: &str, since: DateTime<Utc>) -> StoreResult<LockoutCounts>;

    /// Forgets every failure against the account; returns how many.
    /// Code sign-in, if failures turned it off, is on again.
    fn clear_lockout(&self, account: &str, audit: &AuditEvent) -> StoreResult<usize>;

    /// In one statement: counts a code sign-in try as a failure against the
    /// account's consecutive ones, unless `limit` were already reached.
    /// `Some(n)`: this try is the n-th in a row; `None`: code sign-in is off.
    fn reserve_code_try(
        &self,
        account: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Option<u32>>;

    /// The account proved itself: its consecutive code failures are gone.
    fn forget_code_failures(&self, account: &str) -> StoreResult<()>;

    /// In one statement: counts `client`'s anonymous starts (sign-in
    /// ceremonies, authorization requests kept for sign-in) since `since`
    /// and, under `limit`, records this one. `Err(at)`: the oldest counted,
    /// whose ageing out makes room.
    fn reserve_start(
        &self,
        client: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Result<(), DateTime<Utc>>>;

    /// In one statement: counts earlier sends against each limit and, when
    /// none is reached, records this one. `Err(newest_counted)` of the limit
    /// reached otherwise, with the window it counts in.
    fn reserve_send(
        &self,
        keys: &SendKeys,
        at: DateTime<Utc>,
        limits: &SendLimits,
    ) -> StoreResult<Result<(), (DateTime<Utc>, chrono::Duration)>>;
}

/// Registered sign-in methods, with the per-kind limits.
pub trait Methods: Send + Sync {
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
        change: &Change,
    ) -> StoreResult<AddOutcome>;

    fn rename_method(
        &self,
        user_id: i64,
        id: &str,
        name: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes a method and, in the same transaction, makes `new_default` the default.
    fn delete_method(
        &self,
        user_id: i64,
        id: &str,
        new_default: Option<&str>,
        change: &Change,
    ) -> StoreResult<bool>;

    fn set_default_method(&self, user_id: i64, id: &str, audit: &AuditEvent) -> StoreResult<bool>;

    /// In one statement: records a sign-in with the authenticator-app code
    /// of time step `step`, unless that step or a later one was used already.
    fn use_totp_step(&self, id: &str, step: i64, at: DateTime<Utc>) -> StoreResult<bool>;

    /// In one transaction: the user's recovery codes become `hashes` (the
    /// old ones stop), with the change's audit event and notices.
    fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        at: DateTime<Utc>,
        change: &Change,
    ) -> StoreResult<()>;

    /// In one statement: spends the unused recovery code with this hash.
    fn use_recovery_code(&self, user_id: i64, hash: &str, at: DateTime<Utc>) -> StoreResult<bool>;

    /// How many of the user's recovery codes are unused.
    fn recovery_codes_left(&self, user_id: i64) -> StoreResult<u32>;

    /// Records a use; `secret` replaces the stored secret (a passkey's counter moved).
    fn method_used(&self, id: &str, at: DateTime<Utc>, secret: Option<&str>) -> StoreResult<()>;
}

/// Registration and sign-in challenges and the codes sent: each taken once.
pub trait Challenges: Send + Sync {
    /// Stores a challenge or code and, in the same transaction, the message
    /// that carries the code.
    fn put_pending(&self, pending: &Pending, message: Option<&Outgoing>) -> StoreResult<()>;

    fn pending(&self, id: &str) -> StoreResult<Option<Pending>>;

    /// Deletes and returns it: whoever takes it first is the only one to get it.
    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>>;

    /// Spends one try before the code is compared, in one statement:
    /// `None` when none was left (or it is gone), else the tries still left.
    fn spend_try(&self, id: &str) -> StoreResult<Option<u32>>;
}

/// The help desk's API tokens: stored as hashes, revoked, never shown again.
pub trait Tokens: Send + Sync {
    fn insert_token(&self, token: &ApiToken, audit: &AuditEvent) -> StoreResult<()>;

    /// The token with this hash and the administrator it acts for.
    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<(ApiToken, User)>>;

    /// Every token with its administrator, newest first.
    fn tokens(&self) -> StoreResult<Vec<(ApiToken, User)>>;

    /// Marks the token revoked (once); false when there is none to revoke.
    fn revoke_token(&self, id: &str, at: DateTime<Utc>, audit: &AuditEvent) -> StoreResult<bool>;
}

/// The OpenID Connect provider's state: clients, access tokens and
/// signing keys.
pub trait Federation: Send + Sync {
    fn insert_client(&self, client: &OidcClient, audit: &AuditEvent) -> StoreResult<()>;

    fn client(&self, client_id: &str) -> StoreResult<Option<OidcClient>>;

    /// Every client, oldest first.
    fn clients(&self) -> StoreResult<Vec<OidcClient>>;

    /// Removes the client with its codes and access tokens; false when none.
    fn remove_client(&self, client_id: &str, audit: &AuditEvent) -> StoreResult<bool>;

    /// Replaces a confidential client's secret hash; false when none.
    fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    fn access_token(&self, token_hash: &str) -> StoreResult<Option<AccessGrant>>;

    /// Every signing key, newest first.
    fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;

    /// Inserts `key` only when no unretired key of its algorithm exists, in
    /// one statement (instances starting together make one key, not two).
    fn add_first_signing_key(&self, key: &SigningKey) -> StoreResult<bool>;

    /// In one transaction: retires every current key at `at`, forgets keys
    /// retired before `forget_before`, and adds `keys`.
    fn rotate_signing_keys(
        &self,
        keys: &[SigningKey],
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
}

/// The audit trail.
pub trait Audit: Send + Sync {
    fn record_audit(&self, event: &AuditEvent) -> StoreResult<()>;

    /// Oldest first, filtered.
    fn audit_events(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
}

/// Messages waiting for delivery, claimed by one sender at a time.
pub trait Outbox: Send + Sync {
    fn enqueue(&self, message: &Outgoing) -> StoreResult<()>;

    /// Every message not yet delivered, oldest first.
    fn outbox(&self) -> StoreResult<Vec<OutboxEntry>>;

    /// In one statement: reserves until `lease_until` up to `limit` messages
    /// on `channels` that are due at `now` and not reserved by another sender.
    fn claim_outbox(
        &self,
        channels: &[Channel],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMessage>>;

    /// Delivered: the message (and the code in it) leaves the database.
    fn outbox_delivered(&self, id: i64) -> StoreResult<()>;

    /// A try failed: retried from `next_try` or, without one, given up.
    fn outbox_failed(
        &self,
        id: i64,
        next_try: Option<DateTime<Utc>>,
        error: &str,
    ) -> StoreResult<()>;
}

/// Readiness, backup, purging and re-sealing: what operators run.
pub trait Upkeep: Send + Sync {
    /// Whether the database answers and its schema is the one this build knows.
    fn ready(&self) -> StoreResult<()>;

    /// Whether a read takes microseconds and never waits on the network
    /// (an embedded database): the HTTP layer may then run it in place
    /// instead of on a blocking thread.
    fn reads_in_place(&self) -> bool {
        false
    }

    /// The session lookup every authenticated request makes, without
    /// holding a thread, for a store that can (a networked database).
    fn session_lookup(&self) -> Option<&dyn SessionLookup> {
        None
    }

    /// A consistent copy of the whole database at `path`, taken online.
    fn backup_to(&self, path: &std::path::Path) -> StoreResult<()>;

    /// Removes what has expired: sessions (ended or idle since
    /// `idle_before`), challenges and codes, and attempts and sends older
    /// than the longest window that counts them, and outbox messages written
    /// before `outbox_before` (given up, or waiting for a channel).
    fn purge(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
        sends_before: DateTime<Utc>,
        outbox_before: DateTime<Utc>,
    ) -> StoreResult<Purged>;

    /// Re-encrypts every sealed secret (authenticator seeds, pending ones
    /// too, signing keys, passes waiting in the outbox) with `reseal`, given the value's row
    /// (`secrets::row(table, id)`) and the value, in one transaction;
    /// returns how many. `reseal` answers `None` to leave a value as it is.
    fn reseal_secrets(&self, reseal: &Reseal<'_>) -> StoreResult<usize>;
}
