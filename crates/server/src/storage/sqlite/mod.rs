//! The SQLite store: one file, migrated at open, WAL so the command line and
//! a running server can share it. One connection writes (behind a mutex:
//! SQLite has one writer anyway); a pool of read-only connections answers
//! reads, so they never queue behind a write and its fsync.

mod audit;
mod challenges;
mod federation;
mod limits;
mod methods;
mod outbox;
mod passes;
mod policies;
mod sessions;
mod tokens;
mod upkeep;
mod users;

use super::{
    json, ms, sign_in_method, time, uri_list, CLIENT_COLUMNS, CODE_COLUMNS, GRANT_COLUMNS,
    KEY_COLUMNS, METHOD_COLUMNS, OUTBOX_COLUMNS, PASS_COLUMNS, PENDING_COLUMNS, SESSION_COLUMNS,
    TOKEN_USER_COLUMNS, USER_COLUMNS,
};
use crate::domain::store::{
    AddOutcome, AttemptKeys, AttemptLimits, Change, LockScope, LockoutCounts, Purged, Reservation,
    SendKeys, SendLimits, SessionRecord, StoreError, StoreResult, StoredPass,
};
use crate::domain::store::{
    ApiToken, Audit, Challenges, Federation, Limits, Methods, Outbox, Passes, Policies, Sessions,
    Tokens, Upkeep, UserSearch, Users,
};
use crate::domain::{
    AdminRole, AuditEvent, AuditFilter, Channel, Message, NewUser, OutboxEntry, Outgoing, Pending,
    Policy, QueuedMessage, Role, StoredMethod, User,
};
use chrono::{DateTime, Utc};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Row};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use tapin_api::wire::MethodKind;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    upn TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    admin_roles TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE passes (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    start_at INTEGER NOT NULL,
    start_offset_seconds INTEGER NOT NULL,
    lifetime_minutes INTEGER NOT NULL,
    usable_once INTEGER NOT NULL,
    used_at INTEGER,
    created_by TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    passwordless_deadline INTEGER
);
CREATE TABLE signin_failures (key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX signin_failures_key_at ON signin_failures (key, at);
"#,
    r#"
ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE methods (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT,
    detail TEXT NOT NULL,
    secret TEXT,
    credential_id TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    is_default INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX methods_user ON methods (user_id);
CREATE TABLE pending (
    id TEXT PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    code_hash TEXT,
    tries_left INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    upn TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_upn ON audit (upn, id);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN pass_id TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET id = lower(hex(randomblob(8))), last_seen_at = created_at;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
CREATE INDEX pending_expires_at ON pending (expires_at);
DROP TABLE signin_failures;
CREATE TABLE signin_attempts (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX signin_attempts_pair ON signin_attempts (account, client, at);
CREATE INDEX signin_attempts_client ON signin_attempts (client, at);
CREATE INDEX signin_attempts_at ON signin_attempts (at);
CREATE TABLE sends (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    destination TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sends_destination ON sends (destination, at);
CREATE INDEX sends_user ON sends (user_id, at);
CREATE INDEX sends_client ON sends (client, at);
CREATE INDEX sends_at ON sends (at);
ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_event ON audit (event, at);
CREATE INDEX audit_at ON audit (at);
"#,
    // The outbox becomes a queue: delivered rows leave, failed ones wait for
    // their next try, claimed ones are leased to one sender.
    r#"
ALTER TABLE outbox ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_try_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN give_up_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
UPDATE outbox SET give_up_at = at + 86400000;
CREATE INDEX outbox_due ON outbox (failed, next_try_at);
CREATE INDEX outbox_at ON outbox (at);
"#,
    // The help desk's API tokens, stored as SHA-256 hashes.
    r#"
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    read_only INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
"#,
    // Where each user lives, for the help desk.
    "ALTER TABLE users ADD COLUMN time_zone TEXT;",
    // OpenID Connect: how each session signed in, relying parties, codes,
    // access tokens and ID-token signing keys.
    r#"
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'pass';
UPDATE sessions SET method = 'passkey' WHERE pass_id IS NULL;
ALTER TABLE methods ADD COLUMN totp_step INTEGER;
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    consent INTEGER NOT NULL,
    id_token_alg TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    phishing_resistant INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time INTEGER NOT NULL,
    method TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    replayed_at INTEGER
);
CREATE INDEX oidc_codes_expires_at ON oidc_codes (expires_at);
CREATE TABLE oidc_access_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX oidc_access_tokens_code ON oidc_access_tokens (code_hash);
CREATE INDEX oidc_access_tokens_expires_at ON oidc_access_tokens (expires_at);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE retired_at IS NULL;
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);
"#,
    // The method that opened a session (removing it ends the session), and
    // consecutive failed code sign-ins per account.
    r#"
ALTER TABLE sessions ADD COLUMN method_id TEXT;
CREATE INDEX sessions_method ON sessions (method_id);
CREATE TABLE code_failures (
    account TEXT PRIMARY KEY,
    consecutive INTEGER NOT NULL,
    last_at INTEGER NOT NULL
);
CREATE TABLE anonymous_starts (
    client TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX anonymous_starts_client ON anonymous_starts (client, at);
CREATE INDEX anonymous_starts_at ON anonymous_starts (at);
"#,
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: r2d2::Pool<SqliteConnectionManager>,
}

type Reader = r2d2::PooledConnection<SqliteConnectionManager>;

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn user_row(row: &Row) -> rusqlite::Result<User> {
    user_at(row, 0)
}

/// A user from `USER_COLUMNS` starting at column `at`.
fn user_at(row: &Row, at: usize) -> rusqlite::Result<User> {
    let role: String = row.get(at + 3)?;
    let admin_roles: String = row.get(at + 4)?;
    let groups: String = row.get(at + 5)?;
    Ok(User {
        id: row.get(at)?,
        upn: row.get(at + 1)?,
        display_name: row.get(at + 2)?,
        role: if role == "admin" {
            Role::Admin
        } else {
            Role::Member
        },
        admin_roles: serde_json::from_str::<Vec<AdminRole>>(&admin_roles).unwrap_or_default(),
        groups: serde_json::from_str(&groups).unwrap_or_default(),
        created_at: time(row.get(at + 6)?),
        time_zone: row.get(at + 7)?,
    })
}

fn pass_row(row: &Row) -> rusqlite::Result<StoredPass> {
    Ok(StoredPass {
        id: row.get(0)?,
        user_id: row.get(1)?,
        code_hash: row.get(2)?,
        created_at: time(row.get(3)?),
        start_at: time(row.get(4)?),
        start_offset_seconds: row.get(5)?,
        lifetime_minutes: row.get(6)?,
        usable_once: row.get(7)?,
        used_at: row.get::<_, Option<i64>>(8)?.map(time),
        created_by: row.get(9)?,
    })
}

fn method_row(row: &Row) -> rusqlite::Result<StoredMethod> {
    let kind: String = row.get(2)?;
    Ok(StoredMethod {
        id: row.get(0)?,
        user_id: row.get(1)?,
        kind: MethodKind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown method kind {kind}").into(),
            )
        })?,
        name: row.get(3)?,
        detail: row.get(4)?,
        secret: row.get(5)?,
        credential_id: row.get(6)?,
        created_at: time(row.get(7)?),
        last_used_at: row.get::<_, Option<i64>>(8)?.map(time),
        is_default: row.get(9)?,
    })
}

fn session_row(r: &Row) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: r.get(0)?,
        token_hash: r.get(1)?,
        user_id: r.get(2)?,
        created_at: time(r.get(3)?),
        expires_at: time(r.get(4)?),
        passwordless_deadline: r.get::<_, Option<i64>>(5)?.map(time),
        pass_id: r.get(6)?,
        last_seen_at: time(r.get(7)?),
        method: sign_in_method(r.get::<_, String>(8)?),
        method_id: r.get(9)?,
    })
}

fn insert_audit(conn: &Connection, e: &AuditEvent) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO audit (at, upn, event, detail, actor, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ms(e.at), e.upn, e.event, e.detail, e.actor, e.client],
    )
    .map(|_| ())
    .map_err(backend)
}

/// The audit event and the notices of a change, in its transaction.
fn insert_change(conn: &Connection, change: &Change) -> StoreResult<()> {
    insert_audit(conn, &change.audit)?;
    for notice in &change.notices {
        insert_outgoing(conn, notice)?;
    }
    Ok(())
}

fn pending_row(row: &Row) -> rusqlite::Result<Pending> {
    Ok(Pending {
        id: row.get(0)?,
        user_id: row.get(1)?,
        purpose: row.get(2)?,
        state: row.get(3)?,
        code_hash: row.get(4)?,
        tries_left: row.get(5)?,
        expires_at: time(row.get(6)?),
    })
}

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(backend)?;
        // FULL: in WAL mode NORMAL can lose the last commits on power loss,
        // and a spent one-time pass must stay spent.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(backend)?;
        migrate(&mut conn)?;
        // Read-only, checked out per call; WAL gives each read a consistent
        // snapshot of what was committed when it began.
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                c.pragma_update(None, "query_only", true)
            });
        let cores = std::thread::available_parallelism().map_or(2, usize::from) as u32;
        let readers = r2d2::Pool::builder()
            .max_size((2 * cores).max(4))
            .min_idle(Some(1))
            // A broken file shows in the query itself; a test query on every
            // checkout would double the cost of each read.
            .test_on_check_out(false)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StoreError::Backend(format!("cannot open read connections: {e}")))?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers,
        })
    }

    fn read(&self) -> StoreResult<Reader> {
        self.readers
            .get()
            .map_err(|e| StoreError::Backend(format!("no read connection: {e}")))
    }

    /// One row (or none) from a read connection, through its statement cache.
    fn read_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnOnce(&Row) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
        stmt.query_row(params, row).optional().map_err(backend)
    }

    /// One changing statement and, when it changed a row, its audit event,
    /// in one transaction; whether it changed anything.
    fn change_audited(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        if tx.execute(sql, params).map_err(backend)? == 0 {
            return Ok(false);
        }
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction half applied
        // (it rolls back on drop), so the connection is still good to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(backend)?;
    if version as usize > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "the database is at schema version {version}, newer than this tapin knows ({}); run a newer tapin",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

fn outbox_row(r: &Row) -> rusqlite::Result<QueuedMessage> {
    let channel: String = r.get(2)?;
    Ok(QueuedMessage {
        id: r.get(0)?,
        entry: OutboxEntry {
            at: time(r.get(1)?),
            message: Message {
                channel: Channel::parse(&channel).unwrap_or(Channel::Email),
                to: r.get(3)?,
                subject: r.get(4)?,
                body: r.get(5)?,
            },
            tries: r.get(6)?,
            last_error: r.get(7)?,
            failed: r.get(8)?,
        },
        give_up_at: time(r.get(9)?),
    })
}

fn insert_outgoing(conn: &Connection, m: &Outgoing) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO outbox (at, channel, recipient, subject, body, give_up_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ms(m.at),
            m.message.channel.as_str(),
            m.message.to,
            m.message.subject,
            m.message.body,
            ms(m.give_up_at)
        ],
    )
    .map(|_| ())
    .map_err(backend)
}
