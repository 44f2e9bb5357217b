//! The SQLite store: one file, migrated at open, WAL so the command line and
//! a running server can share it. One connection writes (behind a mutex:
//! SQLite has one writer anyway); a pool of read-only connections answers
//! reads, so they never queue behind a write and its fsync.

use crate::domain::store::{
    AddOutcome, AttemptKeys, AttemptLimits, LockScope, LockoutCounts, Purged, Reservation,
    SendKeys, SendLimits, SessionRecord, StoreError, StoreResult, StoredPass,
};
use crate::domain::store::{
    Audit, Challenges, Limits, Methods, Outbox, Passes, Policies, Sessions, Upkeep, Users,
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
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: r2d2::Pool<SqliteConnectionManager>,
}

type Reader = r2d2::PooledConnection<SqliteConnectionManager>;

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
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

const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, passwordless_deadline, pass_id, last_seen_at";

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

const METHOD_COLUMNS: &str =
    "id, user_id, kind, name, detail, secret, credential_id, created_at, last_used_at, is_default";
const PENDING_COLUMNS: &str = "id, user_id, purpose, state, code_hash, tries_left, expires_at";

const USER_COLUMNS: &str = "id, upn, display_name, role, admin_roles, groups_json, created_at";
const PASS_COLUMNS: &str = "id, user_id, code_hash, created_at, start_at, start_offset_seconds, lifetime_minutes, usable_once, used_at, created_by";

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

impl Users for SqliteStore {
    fn is_empty(&self) -> StoreResult<bool> {
        let n: Option<i64> = self.read_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        Ok(n.unwrap_or(0) == 0)
    }

    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User> {
        let conn = self.conn();
        let role = match user.role {
            Role::Admin => "admin",
            Role::Member => "member",
        };
        conn.execute(
            "INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![user.upn, user.display_name, role, json(&user.admin_roles), json(&user.groups), ms(at)],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(format!("user {} already exists", user.upn)),
            _ => backend(e),
        })?;
        let id = conn.last_insert_rowid();
        conn.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_row,
        )
        .map_err(backend)
    }

    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>> {
        self.read_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE upn = ?1"),
            [upn],
            user_row,
        )
    }

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.read_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_row,
        )
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"))
            .map_err(backend)?;
        let rows = stmt.query_map([], user_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET webauthn_handle = ?2 WHERE id = ?1 AND webauthn_handle IS NULL",
            params![user_id, fresh],
        )
        .map_err(backend)?;
        conn.query_row(
            "SELECT webauthn_handle FROM users WHERE id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .map_err(backend)
    }

    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>> {
        self.read()?
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE webauthn_handle = ?1"),
                [handle],
                user_row,
            )
            .optional()
            .map_err(backend)
    }
}

impl Policies for SqliteStore {
    fn policy(&self) -> StoreResult<Option<Policy>> {
        let value: Option<String> =
            self.read_row("SELECT value FROM settings WHERE key = 'policy'", [], |r| {
                r.get(0)
            })?;
        value
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| StoreError::Backend(format!("stored policy unreadable: {e}")))
            })
            .transpose()
    }

    fn save_policy(&self, policy: &Policy, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('policy', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json(policy)],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }
}

impl Passes for SqliteStore {
    fn replace_pass(&self, p: &StoredPass, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM passes WHERE user_id = ?1", [p.user_id])
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND pass_id IS NOT NULL",
            [p.user_id],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.execute(
            &format!("INSERT INTO passes ({PASS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                p.id, p.user_id, p.code_hash, ms(p.created_at), ms(p.start_at), p.start_offset_seconds,
                p.lifetime_minutes, p.usable_once, p.used_at.map(ms), p.created_by
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn pass_of(&self, user_id: i64) -> StoreResult<Option<StoredPass>> {
        self.read()?
            .query_row(
                &format!("SELECT {PASS_COLUMNS} FROM passes WHERE user_id = ?1"),
                [user_id],
                pass_row,
            )
            .optional()
            .map_err(backend)
    }

    fn delete_pass(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute("DELETE FROM passes WHERE user_id = ?1", [user_id])
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND pass_id IS NOT NULL",
            [user_id],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}

impl Sessions for SqliteStore {
    fn start_session(&self, s: &SessionRecord, consume_pass: Option<&str>) -> StoreResult<bool> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock up front, so two processes sharing the
        // file serialise here instead of both reading the pass as unused.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        if let Some(id) = consume_pass {
            let n = tx
                .execute(
                    "UPDATE passes SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL",
                    params![ms(s.created_at), id],
                )
                .map_err(backend)?;
            if n != 1 {
                return Ok(false);
            }
        }
        tx.execute(
            &format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
            ),
            params![
                s.id,
                s.token_hash,
                s.user_id,
                ms(s.created_at),
                ms(s.expires_at),
                s.passwordless_deadline.map(ms),
                s.pass_id,
                ms(s.last_seen_at)
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn session_with_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        // One read, one snapshot: the session and its user together.
        self.read_row(
            "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.passwordless_deadline, s.pass_id, s.last_seen_at,
                    u.id, u.upn, u.display_name, u.role, u.admin_roles, u.groups_json, u.created_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
            [token_hash],
            |r| Ok((session_row(r)?, user_at(r, 8)?)),
        )
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.read_row(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1"),
            [token_hash],
            session_row,
        )
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(|_| ())
            .map_err(backend)
    }

    fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn()
            .execute(
                "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?2) WHERE token_hash = ?1",
                params![token_hash, ms(at)],
            )
            .map(|_| ())
            .map_err(backend)
    }

    fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<SessionRecord>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at, id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([user_id], session_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn delete_session_by_id(
        &self,
        user_id: i64,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "DELETE FROM sessions WHERE user_id = ?1 AND id = ?2",
            params![user_id, id],
            audit,
        )
    }

    fn delete_sessions_of(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
            .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }
}

impl Limits for SqliteStore {
    fn reserve_attempt(
        &self,
        keys: &AttemptKeys,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limits: &AttemptLimits,
    ) -> StoreResult<Reservation> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        // One statement counts all three and inserts only under every limit.
        let inserted = tx
            .execute(
                "INSERT INTO signin_attempts (account, client, at)
                 SELECT ?1, ?2, ?3 WHERE
                   (SELECT COUNT(*) FROM signin_attempts WHERE account = ?1 AND client = ?2 AND at >= ?4) < ?5
                   AND (SELECT COUNT(*) FROM signin_attempts WHERE account = ?1 AND at >= ?4) < ?6
                   AND (SELECT COUNT(*) FROM signin_attempts WHERE client = ?2 AND at >= ?4) < ?7",
                params![
                    keys.account, keys.client, ms(at), ms(since),
                    limits.per_pair, limits.per_account, limits.per_client
                ],
            )
            .map_err(backend)?;
        let scopes = [
            (
                LockScope::Pair,
                "account = ?1 AND client = ?2",
                limits.per_pair,
            ),
            (LockScope::Account, "account = ?1", limits.per_account),
            (LockScope::Client, "client = ?2", limits.per_client),
        ];
        let count = |cond: &str| -> StoreResult<u32> {
            tx.query_row(
                &format!("SELECT COUNT(*) FROM signin_attempts WHERE {cond} AND at >= ?3"),
                params![keys.account, keys.client, ms(since)],
                |r| r.get(0),
            )
            .map_err(backend)
        };
        let outcome = if inserted == 1 {
            let id = tx.last_insert_rowid();
            let mut reaches = None;
            for (scope, cond, limit) in scopes {
                if count(cond)? >= limit {
                    reaches = Some(scope);
                    break;
                }
            }
            Reservation::Reserved { id, reaches }
        } else {
            let mut locked = None;
            for (scope, cond, limit) in scopes {
                if count(cond)? >= limit {
                    let newest: i64 = tx
                        .query_row(
                            &format!("SELECT at FROM signin_attempts WHERE {cond} AND at >= ?3 ORDER BY at DESC LIMIT 1 OFFSET ?4"),
                            params![keys.account, keys.client, ms(since), limit.max(1) - 1],
                            |r| r.get(0),
                        )
                        .map_err(backend)?;
                    locked = Some(Reservation::Locked {
                        scope,
                        newest_counted: time(newest),
                    });
                    break;
                }
            }
            locked.ok_or_else(|| StoreError::Backend("attempt refused under every limit".into()))?
        };
        tx.commit().map_err(backend)?;
        Ok(outcome)
    }

    fn attempt_succeeded(&self, id: i64, keys: Option<&AttemptKeys>) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM signin_attempts WHERE id = ?1", [id])
            .map_err(backend)?;
        if let Some(keys) = keys {
            tx.execute(
                "DELETE FROM signin_attempts WHERE account = ?1 AND client = ?2",
                params![keys.account, keys.client],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn lockout_counts(&self, account: &str, since: DateTime<Utc>) -> StoreResult<LockoutCounts> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT client, COUNT(*) AS n FROM signin_attempts WHERE account = ?1 AND at >= ?2
                 GROUP BY client ORDER BY n DESC, client",
            )
            .map_err(backend)?;
        let clients: Vec<(String, u32)> = stmt
            .query_map(params![account, ms(since)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?;
        Ok(LockoutCounts {
            account: clients.iter().map(|(_, n)| n).sum(),
            clients,
        })
    }

    fn clear_lockout(&self, account: &str, audit: &AuditEvent) -> StoreResult<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute("DELETE FROM signin_attempts WHERE account = ?1", [account])
            .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(n)
    }

    fn reserve_send(
        &self,
        keys: &SendKeys,
        at: DateTime<Utc>,
        limits: &SendLimits,
    ) -> StoreResult<Result<(), (DateTime<Utc>, chrono::Duration)>> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let since = |w: chrono::Duration| ms(at - w);
        let inserted = tx
            .execute(
                "INSERT INTO sends (user_id, destination, client, at)
                 SELECT ?1, ?2, ?3, ?4 WHERE
                   (SELECT COUNT(*) FROM sends WHERE destination = ?2 AND at > ?5) < ?6
                   AND (SELECT COUNT(*) FROM sends WHERE user_id = ?1 AND at > ?7) < ?8
                   AND (SELECT COUNT(*) FROM sends WHERE client = ?3 AND at > ?9) < ?10",
                params![
                    keys.user_id,
                    keys.destination,
                    keys.client,
                    ms(at),
                    since(limits.per_destination.1),
                    limits.per_destination.0,
                    since(limits.per_user.1),
                    limits.per_user.0,
                    since(limits.per_client.1),
                    limits.per_client.0
                ],
            )
            .map_err(backend)?;
        if inserted == 1 {
            tx.commit().map_err(backend)?;
            return Ok(Ok(()));
        }
        let scopes = [
            ("destination = ?2", limits.per_destination),
            ("user_id = ?1", limits.per_user),
            ("client = ?3", limits.per_client),
        ];
        for (cond, (limit, window)) in scopes {
            let newest: Option<i64> = tx
                .query_row(
                    &format!("SELECT at FROM sends WHERE {cond} AND at > ?4 ORDER BY at DESC LIMIT 1 OFFSET ?5"),
                    params![keys.user_id, keys.destination, keys.client, since(window), limit.max(1) - 1],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if let Some(newest) = newest {
                return Ok(Err((time(newest), window)));
            }
        }
        Err(StoreError::Backend("send refused under every limit".into()))
    }
}

impl Methods for SqliteStore {
    fn methods_of(&self, user_id: i64) -> StoreResult<Vec<StoredMethod>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {METHOD_COLUMNS} FROM methods WHERE user_id = ?1 ORDER BY created_at, id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([user_id], method_row).map_err(backend)?;
        let mut methods: Vec<StoredMethod> = rows.collect::<Result<_, _>>().map_err(backend)?;
        methods.sort_by_key(|m| (m.kind, m.created_at));
        Ok(methods)
    }

    fn add_method(
        &self,
        m: &StoredMethod,
        sharing: &[MethodKind],
        limit: usize,
        pending_id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<AddOutcome> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let taken = tx
            .execute("DELETE FROM pending WHERE id = ?1", [pending_id])
            .map_err(backend)?;
        if taken != 1 {
            return Ok(AddOutcome::PendingGone);
        }
        let kinds: Vec<String> = sharing
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        let held: i64 = tx
            .query_row(
                &format!(
                    "SELECT COUNT(*) FROM methods WHERE user_id = ?1 AND kind IN ({})",
                    kinds.join(",")
                ),
                [m.user_id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if held as usize >= limit {
            // Nothing is written: dropping the transaction rolls the DELETE back too.
            return Ok(AddOutcome::LimitReached);
        }
        let any: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM methods WHERE user_id = ?1",
                [m.user_id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let inserted = tx.execute(
            &format!("INSERT INTO methods ({METHOD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                m.id, m.user_id, m.kind.as_str(), m.name, m.detail, m.secret, m.credential_id,
                ms(m.created_at), m.last_used_at.map(ms), any == 0
            ],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                return Ok(AddOutcome::Duplicate)
            }
            Err(e) => return Err(backend(e)),
        }
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(AddOutcome::Added)
    }

    fn rename_method(
        &self,
        user_id: i64,
        id: &str,
        name: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "UPDATE methods SET name = ?3 WHERE user_id = ?1 AND id = ?2",
            params![user_id, id, name],
            audit,
        )
    }

    fn delete_method(
        &self,
        user_id: i64,
        id: &str,
        new_default: Option<&str>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM methods WHERE user_id = ?1 AND id = ?2",
                params![user_id, id],
            )
            .map_err(backend)?;
        if n != 1 {
            return Ok(false);
        }
        if let Some(next) = new_default {
            tx.execute(
                "UPDATE methods SET is_default = (id = ?2) WHERE user_id = ?1",
                params![user_id, next],
            )
            .map_err(backend)?;
        }
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn set_default_method(&self, user_id: i64, id: &str, audit: &AuditEvent) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let exists: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM methods WHERE user_id = ?1 AND id = ?2",
                params![user_id, id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if exists != 1 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE methods SET is_default = (id = ?2) WHERE user_id = ?1",
            params![user_id, id],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn method_used(&self, id: &str, at: DateTime<Utc>, secret: Option<&str>) -> StoreResult<()> {
        self.conn()
            .execute(
                "UPDATE methods SET last_used_at = ?2, secret = COALESCE(?3, secret) WHERE id = ?1",
                params![id, ms(at), secret],
            )
            .map(|_| ())
            .map_err(backend)
    }
}

impl Challenges for SqliteStore {
    fn put_pending(&self, p: &Pending, message: Option<&Outgoing>) -> StoreResult<()> {
        // Expired ones go in the purge, promptly after they expire.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO pending ({PENDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![
                p.id,
                p.user_id,
                p.purpose,
                p.state,
                p.code_hash,
                p.tries_left,
                ms(p.expires_at)
            ],
        )
        .map_err(backend)?;
        if let Some(m) = message {
            insert_outgoing(&tx, m)?;
        }
        tx.commit().map_err(backend)
    }

    fn pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.read()?
            .query_row(
                &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = ?1"),
                [id],
                pending_row,
            )
            .optional()
            .map_err(backend)
    }

    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.conn()
            .query_row(
                &format!("DELETE FROM pending WHERE id = ?1 RETURNING {PENDING_COLUMNS}"),
                [id],
                pending_row,
            )
            .optional()
            .map_err(backend)
    }

    fn spend_try(&self, id: &str) -> StoreResult<Option<u32>> {
        self.conn()
            .query_row(
                "UPDATE pending SET tries_left = tries_left - 1 WHERE id = ?1 AND tries_left > 0 RETURNING tries_left",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }
}

impl Audit for SqliteStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&self.conn(), e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, upn, event, detail, actor, client FROM audit
                 WHERE (?1 IS NULL OR upn = ?1) AND (?2 IS NULL OR event = ?2)
                   AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
                 ORDER BY id",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                params![f.upn, f.event, f.since.map(ms), f.until.map(ms)],
                |r| {
                    Ok(AuditEvent {
                        at: time(r.get(0)?),
                        upn: r.get(1)?,
                        event: r.get(2)?,
                        detail: r.get(3)?,
                        actor: r.get(4)?,
                        client: r.get(5)?,
                    })
                },
            )
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

impl Outbox for SqliteStore {
    fn enqueue(&self, m: &Outgoing) -> StoreResult<()> {
        insert_outgoing(&self.conn(), m)
    }

    fn outbox(&self) -> StoreResult<Vec<OutboxEntry>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| outbox_row(r).map(|q| q.entry))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn claim_outbox(
        &self,
        channels: &[Channel],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMessage>> {
        let wanted: String = channels
            .iter()
            .map(|c| format!(",{}", c.as_str()))
            .collect::<String>()
            + ",";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "UPDATE outbox SET claimed_until = ?3 WHERE id IN (
                    SELECT id FROM outbox
                    WHERE failed = 0 AND next_try_at <= ?1 AND claimed_until <= ?1
                      AND instr(?4, ',' || channel || ',') > 0
                    ORDER BY id LIMIT ?2)
                 RETURNING {OUTBOX_COLUMNS}"
            ))
            .map_err(backend)?;
        let mut claimed = stmt
            .query_map(params![ms(now), limit, ms(lease_until), wanted], outbox_row)
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        claimed.sort_by_key(|q| q.id);
        Ok(claimed)
    }

    fn outbox_delivered(&self, id: i64) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM outbox WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(backend)
    }

    fn outbox_failed(
        &self,
        id: i64,
        next_try: Option<DateTime<Utc>>,
        error: &str,
    ) -> StoreResult<()> {
        self.conn()
            .execute(
                "UPDATE outbox SET tries = tries + 1, last_error = ?2, claimed_until = 0,
                    next_try_at = coalesce(?3, next_try_at), failed = (?3 IS NULL)
                 WHERE id = ?1",
                params![id, error, next_try.map(ms)],
            )
            .map(|_| ())
            .map_err(backend)
    }
}

impl Upkeep for SqliteStore {
    fn reads_in_place(&self) -> bool {
        true
    }

    fn ready(&self) -> StoreResult<()> {
        let version: i64 = self
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(backend)?;
        if version as usize == MIGRATIONS.len() {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "the database is at schema version {version}, this tapin expects {}",
                MIGRATIONS.len()
            )))
        }
    }

    fn backup_to(&self, path: &Path) -> StoreResult<()> {
        // SQLite's online backup: a consistent snapshot while others keep writing.
        self.conn()
            .backup(rusqlite::MAIN_DB, path, None)
            .map_err(backend)
    }

    fn purge(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
        sends_before: DateTime<Utc>,
        outbox_before: DateTime<Utc>,
    ) -> StoreResult<Purged> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let purged = Purged {
            sessions: tx
                .execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
                    params![ms(now), ms(idle_before)],
                )
                .map_err(backend)?,
            pending: tx
                .execute("DELETE FROM pending WHERE expires_at <= ?1", [ms(now)])
                .map_err(backend)?,
            attempts: tx
                .execute(
                    "DELETE FROM signin_attempts WHERE at < ?1",
                    [ms(attempts_before)],
                )
                .map_err(backend)?,
            sends: tx
                .execute("DELETE FROM sends WHERE at <= ?1", [ms(sends_before)])
                .map_err(backend)?,
            outbox: tx
                .execute("DELETE FROM outbox WHERE at < ?1", [ms(outbox_before)])
                .map_err(backend)?,
        };
        tx.commit().map_err(backend)?;
        Ok(purged)
    }

    fn reseal_secrets(
        &self,
        reseal: &dyn Fn(&str) -> Result<Option<String>, String>,
    ) -> StoreResult<usize> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let mut changed = 0;
        for (table, select, update) in [
            (
                "methods",
                "SELECT id, secret FROM methods WHERE kind = 'authenticator_app' AND secret IS NOT NULL",
                "UPDATE methods SET secret = ?2 WHERE id = ?1",
            ),
            (
                "pending",
                "SELECT id, state FROM pending WHERE purpose = 'register:authenticator_app'",
                "UPDATE pending SET state = ?2 WHERE id = ?1",
            ),
        ] {
            let rows: Vec<(String, String)> = {
                let mut stmt = tx.prepare(select).map_err(backend)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            for (id, value) in rows {
                let next = reseal(&value)
                    .map_err(|e| StoreError::Backend(format!("{table} {id}: {e}")))?;
                if let Some(next) = next {
                    tx.execute(update, params![id, next]).map_err(backend)?;
                    changed += 1;
                }
            }
        }
        tx.commit().map_err(backend)?;
        Ok(changed)
    }
}

const OUTBOX_COLUMNS: &str =
    "id, at, channel, recipient, subject, body, tries, last_error, failed, give_up_at";

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
