//! The SQLite store: one file, migrated at open, WAL so the command line and
//! a running server can share it.

use crate::domain::store::{SessionRecord, Store, StoreError, StoreResult, StoredPass};
use crate::domain::{AdminRole, NewUser, Policy, Role, User};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

const MIGRATIONS: &[&str] = &[r#"
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
"#];

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

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
    let role: String = row.get(3)?;
    let admin_roles: String = row.get(4)?;
    let groups: String = row.get(5)?;
    Ok(User {
        id: row.get(0)?,
        upn: row.get(1)?,
        display_name: row.get(2)?,
        role: if role == "admin" {
            Role::Admin
        } else {
            Role::Member
        },
        admin_roles: serde_json::from_str::<Vec<AdminRole>>(&admin_roles).unwrap_or_default(),
        groups: serde_json::from_str(&groups).unwrap_or_default(),
        created_at: time(row.get(6)?),
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

const USER_COLUMNS: &str = "id, upn, display_name, role, admin_roles, groups_json, created_at";
const PASS_COLUMNS: &str = "id, user_id, code_hash, created_at, start_at, start_offset_seconds, lifetime_minutes, usable_once, used_at, created_by";

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut conn = Connection::open(path).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(backend)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
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
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction().map_err(backend)?;
        tx.execute_batch(sql).map_err(backend)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn is_empty(&self) -> StoreResult<bool> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(n == 0)
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
        self.conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE upn = ?1"),
                [upn],
                user_row,
            )
            .optional()
            .map_err(backend)
    }

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.conn()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id],
                user_row,
            )
            .optional()
            .map_err(backend)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"))
            .map_err(backend)?;
        let rows = stmt.query_map([], user_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn policy(&self) -> StoreResult<Option<Policy>> {
        let value: Option<String> = self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = 'policy'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(backend)?;
        value
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| StoreError::Backend(format!("stored policy unreadable: {e}")))
            })
            .transpose()
    }

    fn save_policy(&self, policy: &Policy) -> StoreResult<()> {
        self.conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES ('policy', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [json(policy)],
            )
            .map(|_| ())
            .map_err(backend)
    }

    fn replace_pass(&self, p: &StoredPass) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM passes WHERE user_id = ?1", [p.user_id])
            .map_err(backend)?;
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
        self.conn()
            .query_row(
                &format!("SELECT {PASS_COLUMNS} FROM passes WHERE user_id = ?1"),
                [user_id],
                pass_row,
            )
            .optional()
            .map_err(backend)
    }

    fn delete_pass(&self, user_id: i64) -> StoreResult<bool> {
        let n = self
            .conn()
            .execute("DELETE FROM passes WHERE user_id = ?1", [user_id])
            .map_err(backend)?;
        Ok(n > 0)
    }

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
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, passwordless_deadline) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.token_hash, s.user_id, ms(s.created_at), ms(s.expires_at), s.passwordless_deadline.map(ms)],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.conn()
            .query_row(
                "SELECT token_hash, user_id, created_at, expires_at, passwordless_deadline FROM sessions WHERE token_hash = ?1",
                [token_hash],
                |r| {
                    Ok(SessionRecord {
                        token_hash: r.get(0)?,
                        user_id: r.get(1)?,
                        created_at: time(r.get(2)?),
                        expires_at: time(r.get(3)?),
                        passwordless_deadline: r.get::<_, Option<i64>>(4)?.map(time),
                    })
                },
            )
            .optional()
            .map_err(backend)
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(|_| ())
            .map_err(backend)
    }

    fn record_failure(&self, key: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn()
            .execute(
                "INSERT INTO signin_failures (key, at) VALUES (?1, ?2)",
                params![key, ms(at)],
            )
            .map(|_| ())
            .map_err(backend)
    }

    fn failures_since(&self, key: &str, since: DateTime<Utc>) -> StoreResult<Vec<DateTime<Utc>>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT at FROM signin_failures WHERE key = ?1 AND at >= ?2 ORDER BY at")
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![key, ms(since)], |r| r.get::<_, i64>(0))
            .map_err(backend)?;
        rows.map(|r| r.map(time))
            .collect::<Result<_, _>>()
            .map_err(backend)
    }

    fn clear_failures(&self, key: &str) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM signin_failures WHERE key = ?1", [key])
            .map(|_| ())
            .map_err(backend)
    }
}
