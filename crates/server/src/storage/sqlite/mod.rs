//! The SQLite store: one file, migrated at open, WAL so the command line and
//! a running server can share it. One connection writes (behind a mutex:
//! SQLite has one writer anyway); a pool of read-only connections answers
//! reads, so they never queue behind a write and its fsync.

mod audit;
mod challenges;
mod directory;
mod federation;
mod grants;
mod limits;
mod methods;
mod migrations;
mod outbox;
mod passes;
mod policies;
mod sessions;
mod tokens;
mod upkeep;
mod users;
mod words;

use super::user_columns;
use super::{
    json, ms, sign_in_method, time, uri_list, CLIENT_COLUMNS, CODE_COLUMNS, GRANT_COLUMNS,
    KEY_COLUMNS, METHOD_COLUMNS, OUTBOX_COLUMNS, PASS_COLUMNS, PENDING_COLUMNS, SESSION_COLUMNS,
    USER_WIDTH,
};

/// A user's columns (`storage::user_columns`), their directory groups'
/// names aggregated as this backend spells it.
pub(crate) const USER_COLUMNS: &str = user_columns!(
    "users.",
    "json_group_array(json_object('id', g.object_id, 'name', g.display_name, 'roles', json(g.admin_roles)))"
);
/// `USER_COLUMNS` of `users u`, for joins.
pub(crate) const U_COLUMNS: &str = user_columns!(
    "u.",
    "json_group_array(json_object('id', g.object_id, 'name', g.display_name, 'roles', json(g.admin_roles)))"
);
/// A token's columns, then its user's (for the join on `users u`).
pub(crate) const TOKEN_USER_COLUMNS: &str = concat!(
    "t.id, t.user_id, t.name, t.token_hash, t.read_only, t.created_at, t.expires_at, t.revoked_at, ",
    user_columns!("u.", "json_group_array(json_object('id', g.object_id, 'name', g.display_name, 'roles', json(g.admin_roles)))")
);
use crate::domain::store::{
    AddOutcome, AttemptKeys, AttemptLimits, Change, LockScope, LockoutCounts, Purged, Reservation,
    SendKeys, SendLimits, SessionRecord, StoreError, StoreResult, StoredPass, KEPT_WHILE_DISABLED,
    PERSONAL_TABLES,
};
use crate::domain::store::{
    ApiToken, Audit, Challenges, Federation, Limits, Methods, Outbox, Passes, Policies, Sessions,
    Tokens, Upkeep, UserSearch, Users,
};
use crate::domain::{
    AdminRole, AuditEvent, AuditFilter, Channel, Message, NewUser, OutboxEntry, Outgoing, Pending,
    QueuedMessage, Role, StoredMethod, User, UserUpdate,
};
use chrono::{DateTime, Utc};
use migrations::migrate;
pub(super) use migrations::MIGRATIONS;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Row};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use tapin_api::wire::MethodKind;

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
    let mut user = User {
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
        group_ids: Vec::new(),
        created_at: time(row.get(at + 6)?),
        time_zone: row.get(at + 7)?,
        object_id: row.get(at + 8)?,
        enabled: row.get(at + 9)?,
        modified_at: time(row.get(at + 10)?),
        own_role: Role::Member,
    };
    user.own_role = user.role;
    let directory: Option<String> = row.get(at + 11)?;
    super::join_groups(&mut user, directory.as_deref());
    Ok(user)
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
        // Unreadable facts are as if never recorded: derived again from the key.
        authenticator: row
            .get::<_, Option<String>>(10)?
            .and_then(|j| serde_json::from_str(&j).ok()),
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

    /// The writer for a step whose loss on power failure costs nothing but
    /// a repeat: committed without waiting for the disk (`synchronous =
    /// NORMAL`, still atomic and ordered, durable across a crash of tapin;
    /// a power loss may forget the last such commits). Used for what an
    /// application's sign-in writes (a spent code, a refresh rotation, their
    /// tokens): forgetting one makes the application sign the person in
    /// again, or lets the holder of a code and its PKCE verifier spend it
    /// once more within its 60 seconds. `cargo xtask bench oidc` measured
    /// the disk's wait as half of a sign-in. Everything else (a spent
    /// one-time pass above all) keeps `FULL`.
    fn relaxed(&self) -> Relaxed<'_> {
        let conn = self.conn();
        let _ = conn.pragma_update(None, "synchronous", "NORMAL");
        Relaxed(conn)
    }
}

/// The writer with `synchronous = NORMAL` until dropped.
pub(super) struct Relaxed<'a>(MutexGuard<'a, Connection>);

impl std::ops::Deref for Relaxed<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl std::ops::DerefMut for Relaxed<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

impl Drop for Relaxed<'_> {
    fn drop(&mut self) {
        let _ = self.0.pragma_update(None, "synchronous", "FULL");
    }
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
            sealed_for: r.get(10)?,
        },
        give_up_at: time(r.get(9)?),
    })
}

fn insert_outgoing(conn: &Connection, m: &Outgoing) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO outbox (at, channel, recipient, subject, body, give_up_at, sealed_for) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ms(m.at),
            m.message.channel.as_str(),
            m.message.to,
            m.message.subject,
            m.message.body,
            ms(m.give_up_at),
            m.sealed_for
        ],
    )
    .map(|_| ())
    .map_err(backend)
}
