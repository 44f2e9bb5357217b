//! The PostgreSQL store, for several tapin instances on one database. The
//! same rules as SQLite hold across processes: single use by conditional
//! updates (`… WHERE used_at IS NULL`, `DELETE … RETURNING`), and every
//! count-then-insert limit (lockout, sends, methods per user) serialised by
//! a transaction-scoped lock on what it counts: an advisory lock per
//! counter key, taken in one fixed order, or the user's row.
//!
//! The client is the synchronous `postgres` crate behind an r2d2 pool: the
//! domain's store is synchronous and is called from blocking threads.

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
use postgres::error::SqlState;
use postgres::{GenericClient, NoTls, Row};
use std::collections::HashMap;
use std::path::Path;
use tapin_api::wire::MethodKind;

/// Each entry is applied once, in order, inside one transaction; the
/// number applied is kept in `tapin_schema`.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    upn TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    admin_roles TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    webauthn_handle TEXT UNIQUE
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE passes (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    start_offset_seconds INTEGER NOT NULL,
    lifetime_minutes BIGINT NOT NULL,
    usable_once BOOLEAN NOT NULL,
    used_at BIGINT,
    created_by TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    passwordless_deadline BIGINT,
    pass_id TEXT,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
CREATE TABLE methods (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT,
    detail TEXT NOT NULL,
    secret TEXT,
    credential_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX methods_user ON methods (user_id);
CREATE TABLE pending (
    id TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    code_hash TEXT,
    tries_left BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_expires_at ON pending (expires_at);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    upn TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_upn ON audit (upn, id);
CREATE INDEX audit_event ON audit (event, at);
CREATE INDEX audit_at ON audit (at);
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    next_try_at BIGINT NOT NULL DEFAULT 0,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    give_up_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (failed, next_try_at);
CREATE INDEX outbox_at ON outbox (at);
CREATE TABLE signin_attempts (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX signin_attempts_pair ON signin_attempts (account, client, at);
CREATE INDEX signin_attempts_client ON signin_attempts (client, at);
CREATE INDEX signin_attempts_at ON signin_attempts (at);
CREATE TABLE sends (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    destination TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sends_destination ON sends (destination, at);
CREATE INDEX sends_user ON sends (user_id, at);
CREATE INDEX sends_client ON sends (client, at);
CREATE INDEX sends_at ON sends (at);
"#];

/// Any number: the advisory lock that lets one instance migrate at a time.
const MIGRATION_LOCK: i64 = 0x7461_7069_6e00;

type Pool = r2d2::Pool<Manager>;

/// Connections for the pool, each with its prepared statements. Written
/// here rather than taken from r2d2_postgres because that one has no
/// statement cache: every query then costs a Parse round trip before its
/// Execute: `cargo xtask bench` measured an authenticated GET on
/// PostgreSQL at 5,400 requests per second without the cache and 14,600
/// with it, on the same 2-core machine.
struct Manager {
    config: postgres::Config,
}

pub struct Conn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl Conn {
    /// `sql` prepared once per connection.
    fn prepared(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl std::ops::Deref for Conn {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        &self.client
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

pub struct PgStore {
    pool: Pool,
}

fn backend(e: impl std::error::Error) -> StoreError {
    // postgres::Error says only "db error"; the server's message is its source.
    match e.source() {
        Some(source) => StoreError::Backend(format!("{e}: {source}")),
        None => StoreError::Backend(e.to_string()),
    }
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

fn describe(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

const USER_COLUMNS: &str = "id, upn, display_name, role, admin_roles, groups_json, created_at";
const PASS_COLUMNS: &str = "id, user_id, code_hash, created_at, start_at, start_offset_seconds, lifetime_minutes, usable_once, used_at, created_by";
const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, passwordless_deadline, pass_id, last_seen_at";
const METHOD_COLUMNS: &str =
    "id, user_id, kind, name, detail, secret, credential_id, created_at, last_used_at, is_default";
const PENDING_COLUMNS: &str = "id, user_id, purpose, state, code_hash, tries_left, expires_at";
const OUTBOX_COLUMNS: &str =
    "id, at, channel, recipient, subject, body, tries, last_error, failed, give_up_at";

fn user_at(row: &Row, at: usize) -> User {
    let role: String = row.get(at + 3);
    let admin_roles: String = row.get(at + 4);
    let groups: String = row.get(at + 5);
    User {
        id: row.get(at),
        upn: row.get(at + 1),
        display_name: row.get(at + 2),
        role: if role == "admin" {
            Role::Admin
        } else {
            Role::Member
        },
        admin_roles: serde_json::from_str::<Vec<AdminRole>>(&admin_roles).unwrap_or_default(),
        groups: serde_json::from_str(&groups).unwrap_or_default(),
        created_at: time(row.get(at + 6)),
    }
}

fn user_row(row: &Row) -> User {
    user_at(row, 0)
}

fn pass_row(row: &Row) -> StoredPass {
    StoredPass {
        id: row.get(0),
        user_id: row.get(1),
        code_hash: row.get(2),
        created_at: time(row.get(3)),
        start_at: time(row.get(4)),
        start_offset_seconds: row.get(5),
        lifetime_minutes: row.get::<_, i64>(6) as u32,
        usable_once: row.get(7),
        used_at: row.get::<_, Option<i64>>(8).map(time),
        created_by: row.get(9),
    }
}

fn session_row(r: &Row) -> SessionRecord {
    SessionRecord {
        id: r.get(0),
        token_hash: r.get(1),
        user_id: r.get(2),
        created_at: time(r.get(3)),
        expires_at: time(r.get(4)),
        passwordless_deadline: r.get::<_, Option<i64>>(5).map(time),
        pass_id: r.get(6),
        last_seen_at: time(r.get(7)),
    }
}

fn method_row(row: &Row) -> StoreResult<StoredMethod> {
    let kind: String = row.get(2);
    Ok(StoredMethod {
        id: row.get(0),
        user_id: row.get(1),
        kind: MethodKind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown method kind {kind}")))?,
        name: row.get(3),
        detail: row.get(4),
        secret: row.get(5),
        credential_id: row.get(6),
        created_at: time(row.get(7)),
        last_used_at: row.get::<_, Option<i64>>(8).map(time),
        is_default: row.get(9),
    })
}

fn pending_row(row: &Row) -> Pending {
    Pending {
        id: row.get(0),
        user_id: row.get(1),
        purpose: row.get(2),
        state: row.get(3),
        code_hash: row.get(4),
        tries_left: row.get::<_, i64>(5) as u32,
        expires_at: time(row.get(6)),
    }
}

fn outbox_row(r: &Row) -> QueuedMessage {
    let channel: String = r.get(2);
    QueuedMessage {
        id: r.get(0),
        entry: OutboxEntry {
            at: time(r.get(1)),
            message: Message {
                channel: Channel::parse(&channel).unwrap_or(Channel::Email),
                to: r.get(3),
                subject: r.get(4),
                body: r.get(5),
            },
            tries: r.get::<_, i64>(6) as u32,
            last_error: r.get(7),
            failed: r.get(8),
        },
        give_up_at: time(r.get(9)),
    }
}

fn insert_audit(c: &mut impl GenericClient, e: &AuditEvent) -> StoreResult<()> {
    c.execute(
        "INSERT INTO audit (at, upn, event, detail, actor, client) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&ms(e.at), &e.upn, &e.event, &e.detail, &e.actor, &e.client],
    )
    .map(|_| ())
    .map_err(backend)
}

fn insert_outgoing(c: &mut impl GenericClient, m: &Outgoing) -> StoreResult<()> {
    c.execute(
        "INSERT INTO outbox (at, channel, recipient, subject, body, give_up_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &ms(m.at),
            &m.message.channel.as_str(),
            &m.message.to,
            &m.message.subject,
            &m.message.body,
            &ms(m.give_up_at),
        ],
    )
    .map(|_| ())
    .map_err(backend)
}

/// One try at reserving: `None` when refused by a count that no longer holds.
fn try_reserve(
    tx: &mut postgres::Transaction<'_>,
    keys: &AttemptKeys,
    at: DateTime<Utc>,
    since: DateTime<Utc>,
    limits: &AttemptLimits,
) -> StoreResult<Option<Reservation>> {
    let (pair, account, client) = (
        i64::from(limits.per_pair),
        i64::from(limits.per_account),
        i64::from(limits.per_client),
    );
    let inserted = tx
        .query_opt(
            "INSERT INTO signin_attempts (account, client, at)
             SELECT $1, $2, $3 WHERE
               (SELECT COUNT(*) FROM signin_attempts WHERE account = $1 AND client = $2 AND at >= $4) < $5
               AND (SELECT COUNT(*) FROM signin_attempts WHERE account = $1 AND at >= $4) < $6
               AND (SELECT COUNT(*) FROM signin_attempts WHERE client = $2 AND at >= $4) < $7
             RETURNING id",
            &[&keys.account, &keys.client, &ms(at), &ms(since), &pair, &account, &client],
        )
        .map_err(backend)?
        .map(|r| r.get::<_, i64>(0));
    let scopes = [
        (LockScope::Pair, "account = $1 AND client = $2", pair),
        (
            LockScope::Account,
            "account = $1 AND $2::text IS NOT NULL",
            account,
        ),
        (
            LockScope::Client,
            "client = $2 AND $1::text IS NOT NULL",
            client,
        ),
    ];
    for (scope, cond, limit) in scopes {
        let held: i64 = tx
            .query_one(
                &format!("SELECT COUNT(*) FROM signin_attempts WHERE {cond} AND at >= $3"),
                &[&keys.account, &keys.client, &ms(since)],
            )
            .map_err(backend)?
            .get(0);
        if held < limit {
            continue;
        }
        if let Some(id) = inserted {
            // This attempt fills the counter, should it fail.
            return Ok(Some(Reservation::Reserved {
                id,
                reaches: Some(scope),
            }));
        }
        let newest = tx
            .query_opt(
                &format!("SELECT at FROM signin_attempts WHERE {cond} AND at >= $3 ORDER BY at DESC LIMIT 1 OFFSET $4"),
                &[&keys.account, &keys.client, &ms(since), &(limit.max(1) - 1)],
            )
            .map_err(backend)?;
        // Gone meanwhile (a success forgot attempts): try again.
        return Ok(newest.map(|r| Reservation::Locked {
            scope,
            newest_counted: time(r.get(0)),
        }));
    }
    Ok(inserted.map(|id| Reservation::Reserved { id, reaches: None }))
}

/// Serialises everyone counting `key` until this transaction ends.
fn lock_key(c: &mut impl GenericClient, key: &str) -> StoreResult<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .map(|_| ())
    .map_err(backend)
}

fn migrate(c: &mut postgres::Client) -> StoreResult<()> {
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(backend)?;
    let result = (|| {
        c.batch_execute("CREATE TABLE IF NOT EXISTS tapin_schema (version INTEGER NOT NULL)")
            .map_err(backend)?;
        let version: i32 = c
            .query_opt("SELECT version FROM tapin_schema", &[])
            .map_err(backend)?
            .map_or(0, |r| r.get(0));
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::Backend(format!(
                "the database is at schema version {version}, newer than this tapin knows ({}); run a newer tapin",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let mut tx = c.transaction().map_err(backend)?;
            tx.batch_execute(sql).map_err(backend)?;
            tx.execute("DELETE FROM tapin_schema", &[])
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO tapin_schema (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        Ok(())
    })();
    let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrating the
    /// schema first (one instance at a time).
    pub fn open(url: &str) -> StoreResult<Self> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("the PostgreSQL URL is not valid: {e}")))?;
        let mut first = config.connect(NoTls).map_err(|e| {
            StoreError::Backend(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        })?;
        migrate(&mut first)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from) as u32;
        let pool = r2d2::Pool::builder()
            .max_size((4 * cores).max(8))
            .min_idle(Some(1))
            .test_on_check_out(false)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(Manager { config })
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Self { pool })
    }

    fn client(&self) -> StoreResult<r2d2::PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| StoreError::Backend(format!("no PostgreSQL connection: {e}")))
    }

    fn one<T>(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        row: impl FnOnce(&Row) -> T,
    ) -> StoreResult<Option<T>> {
        let mut c = self.client()?;
        let st = c.prepared(sql).map_err(backend)?;
        Ok(c.query_opt(&st, params).map_err(backend)?.as_ref().map(row))
    }

    fn many<T>(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        row: impl Fn(&Row) -> T,
    ) -> StoreResult<Vec<T>> {
        let mut c = self.client()?;
        let st = c.prepared(sql).map_err(backend)?;
        Ok(c.query(&st, params).map_err(backend)?.iter().map(row).collect())
    }

    fn exec(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> StoreResult<u64> {
        let mut c = self.client()?;
        let st = c.prepared(sql).map_err(backend)?;
        c.execute(&st, params).map_err(backend)
    }

    /// One changing statement and, when it changed a row, its audit event.
    fn change_audited(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if tx.execute(sql, params).map_err(backend)? == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}

impl Users for PgStore {
    fn is_empty(&self) -> StoreResult<bool> {
        let n = self.one("SELECT COUNT(*) FROM users", &[], |r| r.get::<_, i64>(0))?;
        Ok(n.unwrap_or(0) == 0)
    }

    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User> {
        let role = match user.role {
            Role::Admin => "admin",
            Role::Member => "member",
        };
        let row = self
            .client()?
            .query_one(
                &format!("INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"),
                &[&user.upn, &user.display_name, &role, &json(&user.admin_roles), &json(&user.groups), &ms(at)],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("user {} already exists", user.upn))
                } else {
                    backend(e)
                }
            })?;
        Ok(user_row(&row))
    }

    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE upn = $1"),
            &[&upn],
            user_row,
        )
    }

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &[&id],
            user_row,
        )
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        self.many(
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"),
            &[],
            user_row,
        )
    }

    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String> {
        let mut c = self.client()?;
        c.execute(
            "UPDATE users SET webauthn_handle = $2 WHERE id = $1 AND webauthn_handle IS NULL",
            &[&user_id, &fresh],
        )
        .map_err(backend)?;
        c.query_one(
            "SELECT webauthn_handle FROM users WHERE id = $1",
            &[&user_id],
        )
        .map(|r| r.get(0))
        .map_err(backend)
    }

    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE webauthn_handle = $1"),
            &[&handle],
            user_row,
        )
    }
}

impl Policies for PgStore {
    fn policy(&self) -> StoreResult<Option<Policy>> {
        let value = self.one(
            "SELECT value FROM settings WHERE key = 'policy'",
            &[],
            |r| r.get::<_, String>(0),
        )?;
        value
            .map(|v| serde_json::from_str(&v).map_err(backend))
            .transpose()
    }

    fn save_policy(&self, policy: &Policy, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('policy', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&json(policy)],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }
}

impl Passes for PgStore {
    fn replace_pass(&self, p: &StoredPass, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute("DELETE FROM passes WHERE user_id = $1", &[&p.user_id])
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND pass_id IS NOT NULL",
            &[&p.user_id],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.execute(
            &format!("INSERT INTO passes ({PASS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[
                &p.id, &p.user_id, &p.code_hash, &ms(p.created_at), &ms(p.start_at), &p.start_offset_seconds,
                &i64::from(p.lifetime_minutes), &p.usable_once, &p.used_at.map(ms), &p.created_by,
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn pass_of(&self, user_id: i64) -> StoreResult<Option<StoredPass>> {
        self.one(
            &format!("SELECT {PASS_COLUMNS} FROM passes WHERE user_id = $1"),
            &[&user_id],
            pass_row,
        )
    }

    fn delete_pass(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if tx
            .execute("DELETE FROM passes WHERE user_id = $1", &[&user_id])
            .map_err(backend)?
            == 0
        {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND pass_id IS NOT NULL",
            &[&user_id],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}

impl Sessions for PgStore {
    fn start_session(&self, s: &SessionRecord, consume_pass: Option<&str>) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if let Some(id) = consume_pass {
            // The row lock makes every other redemption wait, then find it used.
            let n = tx
                .execute(
                    "UPDATE passes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                    &[&ms(s.created_at), &id],
                )
                .map_err(backend)?;
            if n != 1 {
                return Ok(false);
            }
        }
        tx.execute(
            &format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ),
            &[
                &s.id,
                &s.token_hash,
                &s.user_id,
                &ms(s.created_at),
                &ms(s.expires_at),
                &s.passwordless_deadline.map(ms),
                &s.pass_id,
                &ms(s.last_seen_at),
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.one(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"),
            &[&token_hash],
            session_row,
        )
    }

    fn session_with_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        self.one(
            "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.passwordless_deadline, s.pass_id, s.last_seen_at,
                    u.id, u.upn, u.display_name, u.role, u.admin_roles, u.groups_json, u.created_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
            &[&token_hash],
            |r| (session_row(r), user_at(r, 8)),
        )
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.exec("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map(|_| ())
    }

    fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.exec(
            "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE token_hash = $1",
            &[&token_hash, &ms(at)],
        )
        .map(|_| ())
    }

    fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<SessionRecord>> {
        self.many(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at, id"
            ),
            &[&user_id],
            session_row,
        )
    }

    fn delete_session_by_id(
        &self,
        user_id: i64,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "DELETE FROM sessions WHERE user_id = $1 AND id = $2",
            &[&user_id, &id],
            audit,
        )
    }

    fn delete_sessions_of(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }
}

impl Limits for PgStore {
    fn reserve_attempt(
        &self,
        keys: &AttemptKeys,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limits: &AttemptLimits,
    ) -> StoreResult<Reservation> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        // Account, then client: everyone takes them in this order.
        lock_key(&mut tx, &format!("attempt-account:{}", keys.account))?;
        lock_key(&mut tx, &format!("attempt-client:{}", keys.client))?;
        // The locks keep other attempts out, but a success may delete
        // attempts meanwhile (READ COMMITTED: each statement sees it), so a
        // refusal that no count confirms any more is tried again.
        let mut outcome = None;
        for _ in 0..3 {
            outcome = try_reserve(&mut tx, keys, at, since, limits)?;
            if outcome.is_some() {
                break;
            }
        }
        let outcome = outcome
            .ok_or_else(|| StoreError::Backend("attempt refused under every limit".into()))?;
        tx.commit().map_err(backend)?;
        Ok(outcome)
    }

    fn attempt_succeeded(&self, id: i64, keys: Option<&AttemptKeys>) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute("DELETE FROM signin_attempts WHERE id = $1", &[&id])
            .map_err(backend)?;
        if let Some(keys) = keys {
            tx.execute(
                "DELETE FROM signin_attempts WHERE account = $1 AND client = $2",
                &[&keys.account, &keys.client],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn lockout_counts(&self, account: &str, since: DateTime<Utc>) -> StoreResult<LockoutCounts> {
        let clients: Vec<(String, u32)> = self.many(
            "SELECT client, COUNT(*) AS n FROM signin_attempts WHERE account = $1 AND at >= $2
             GROUP BY client ORDER BY n DESC, client",
            &[&account, &ms(since)],
            |r| (r.get(0), r.get::<_, i64>(1) as u32),
        )?;
        Ok(LockoutCounts {
            account: clients.iter().map(|(_, n)| n).sum(),
            clients,
        })
    }

    fn clear_lockout(&self, account: &str, audit: &AuditEvent) -> StoreResult<usize> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM signin_attempts WHERE account = $1",
                &[&account],
            )
            .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(n as usize)
    }

    fn reserve_send(
        &self,
        keys: &SendKeys,
        at: DateTime<Utc>,
        limits: &SendLimits,
    ) -> StoreResult<Result<(), (DateTime<Utc>, chrono::Duration)>> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        // Destination, user, client: everyone takes them in this order.
        lock_key(&mut tx, &format!("send-destination:{}", keys.destination))?;
        lock_key(&mut tx, &format!("send-user:{}", keys.user_id))?;
        lock_key(&mut tx, &format!("send-client:{}", keys.client))?;
        let since = |w: chrono::Duration| ms(at - w);
        let inserted = tx
            .execute(
                "INSERT INTO sends (user_id, destination, client, at)
                 SELECT $1, $2, $3, $4 WHERE
                   (SELECT COUNT(*) FROM sends WHERE destination = $2 AND at > $5) < $6
                   AND (SELECT COUNT(*) FROM sends WHERE user_id = $1 AND at > $7) < $8
                   AND (SELECT COUNT(*) FROM sends WHERE client = $3 AND at > $9) < $10",
                &[
                    &keys.user_id,
                    &keys.destination,
                    &keys.client,
                    &ms(at),
                    &since(limits.per_destination.1),
                    &i64::from(limits.per_destination.0),
                    &since(limits.per_user.1),
                    &i64::from(limits.per_user.0),
                    &since(limits.per_client.1),
                    &i64::from(limits.per_client.0),
                ],
            )
            .map_err(backend)?;
        if inserted == 1 {
            tx.commit().map_err(backend)?;
            return Ok(Ok(()));
        }
        let scopes = [
            (
                "destination = $2 AND $1::bigint IS NOT NULL AND $3::text IS NOT NULL",
                limits.per_destination,
            ),
            (
                "user_id = $1 AND $2::text IS NOT NULL AND $3::text IS NOT NULL",
                limits.per_user,
            ),
            (
                "client = $3 AND $1::bigint IS NOT NULL AND $2::text IS NOT NULL",
                limits.per_client,
            ),
        ];
        for (cond, (limit, window)) in scopes {
            let newest = tx
                .query_opt(
                    &format!("SELECT at FROM sends WHERE {cond} AND at > $4 ORDER BY at DESC LIMIT 1 OFFSET $5"),
                    &[&keys.user_id, &keys.destination, &keys.client, &since(window), &(i64::from(limit.max(1)) - 1)],
                )
                .map_err(backend)?
                .map(|r| r.get::<_, i64>(0));
            if let Some(newest) = newest {
                return Ok(Err((time(newest), window)));
            }
        }
        Err(StoreError::Backend("send refused under every limit".into()))
    }
}

impl Methods for PgStore {
    fn methods_of(&self, user_id: i64) -> StoreResult<Vec<StoredMethod>> {
        let mut methods = self
            .many(
                &format!("SELECT {METHOD_COLUMNS} FROM methods WHERE user_id = $1 ORDER BY created_at, id"),
                &[&user_id],
                method_row,
            )?
            .into_iter()
            .collect::<StoreResult<Vec<_>>>()?;
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
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        // The user's row lock serialises every addition for this user, so
        // the count below cannot be outrun by another instance.
        tx.execute(
            "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
            &[&m.user_id],
        )
        .map_err(backend)?;
        if tx
            .execute("DELETE FROM pending WHERE id = $1", &[&pending_id])
            .map_err(backend)?
            != 1
        {
            return Ok(AddOutcome::PendingGone);
        }
        let kinds: Vec<String> = sharing.iter().map(|k| k.as_str().to_string()).collect();
        let held: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM methods WHERE user_id = $1 AND kind = ANY($2)",
                &[&m.user_id, &kinds],
            )
            .map_err(backend)?
            .get(0);
        if held as usize >= limit {
            // Nothing is written: dropping the transaction rolls the DELETE back too.
            return Ok(AddOutcome::LimitReached);
        }
        let any: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM methods WHERE user_id = $1",
                &[&m.user_id],
            )
            .map_err(backend)?
            .get(0);
        let inserted = tx.execute(
            &format!("INSERT INTO methods ({METHOD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[
                &m.id, &m.user_id, &m.kind.as_str(), &m.name, &m.detail, &m.secret, &m.credential_id,
                &ms(m.created_at), &m.last_used_at.map(ms), &(any == 0),
            ],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(AddOutcome::Duplicate),
            Err(e) => return Err(backend(e)),
        }
        insert_audit(&mut tx, audit)?;
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
            "UPDATE methods SET name = $3 WHERE user_id = $1 AND id = $2",
            &[&user_id, &id, &name],
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
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if tx
            .execute(
                "DELETE FROM methods WHERE user_id = $1 AND id = $2",
                &[&user_id, &id],
            )
            .map_err(backend)?
            != 1
        {
            return Ok(false);
        }
        if let Some(next) = new_default {
            tx.execute(
                "UPDATE methods SET is_default = (id = $2) WHERE user_id = $1",
                &[&user_id, &next],
            )
            .map_err(backend)?;
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn set_default_method(&self, user_id: i64, id: &str, audit: &AuditEvent) -> StoreResult<bool> {
        // One statement: nothing changes unless the method is the user's.
        self.change_audited(
            "UPDATE methods SET is_default = (id = $2) WHERE user_id = $1
               AND EXISTS (SELECT 1 FROM methods WHERE user_id = $1 AND id = $2)",
            &[&user_id, &id],
            audit,
        )
    }

    fn method_used(&self, id: &str, at: DateTime<Utc>, secret: Option<&str>) -> StoreResult<()> {
        self.exec(
            "UPDATE methods SET last_used_at = $2, secret = COALESCE($3, secret) WHERE id = $1",
            &[&id, &ms(at), &secret],
        )
        .map(|_| ())
    }
}

impl Challenges for PgStore {
    fn put_pending(&self, p: &Pending, message: Option<&Outgoing>) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO pending ({PENDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &p.id,
                &p.user_id,
                &p.purpose,
                &p.state,
                &p.code_hash,
                &i64::from(p.tries_left),
                &ms(p.expires_at),
            ],
        )
        .map_err(backend)?;
        if let Some(m) = message {
            insert_outgoing(&mut tx, m)?;
        }
        tx.commit().map_err(backend)
    }

    fn pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.one(
            &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = $1"),
            &[&id],
            pending_row,
        )
    }

    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.one(
            &format!("DELETE FROM pending WHERE id = $1 RETURNING {PENDING_COLUMNS}"),
            &[&id],
            pending_row,
        )
    }

    fn spend_try(&self, id: &str) -> StoreResult<Option<u32>> {
        self.one(
            "UPDATE pending SET tries_left = tries_left - 1 WHERE id = $1 AND tries_left > 0 RETURNING tries_left",
            &[&id],
            |r| r.get::<_, i64>(0) as u32,
        )
    }
}

impl Audit for PgStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&mut **self.client()?, e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        self.many(
            "SELECT at, upn, event, detail, actor, client FROM audit
             WHERE ($1::text IS NULL OR upn = $1) AND ($2::text IS NULL OR event = $2)
               AND ($3::bigint IS NULL OR at >= $3) AND ($4::bigint IS NULL OR at < $4)
             ORDER BY id",
            &[&f.upn, &f.event, &f.since.map(ms), &f.until.map(ms)],
            |r| AuditEvent {
                at: time(r.get(0)),
                upn: r.get(1),
                event: r.get(2),
                detail: r.get(3),
                actor: r.get(4),
                client: r.get(5),
            },
        )
    }
}

impl Outbox for PgStore {
    fn enqueue(&self, m: &Outgoing) -> StoreResult<()> {
        insert_outgoing(&mut **self.client()?, m)
    }

    fn outbox(&self) -> StoreResult<Vec<OutboxEntry>> {
        self.many(
            &format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"),
            &[],
            |r| outbox_row(r).entry,
        )
    }

    fn claim_outbox(
        &self,
        channels: &[Channel],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMessage>> {
        let wanted: Vec<String> = channels.iter().map(|c| c.as_str().to_string()).collect();
        // SKIP LOCKED: instances claiming at once take different rows.
        let mut claimed = self.many(
            &format!(
                "UPDATE outbox SET claimed_until = $3 WHERE id IN (
                    SELECT id FROM outbox
                    WHERE NOT failed AND next_try_at <= $1 AND claimed_until <= $1 AND channel = ANY($4)
                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                 RETURNING {OUTBOX_COLUMNS}"
            ),
            &[&ms(now), &i64::from(limit), &ms(lease_until), &wanted],
            outbox_row,
        )?;
        claimed.sort_by_key(|q| q.id);
        Ok(claimed)
    }

    fn outbox_delivered(&self, id: i64) -> StoreResult<()> {
        self.exec("DELETE FROM outbox WHERE id = $1", &[&id])
            .map(|_| ())
    }

    fn outbox_failed(
        &self,
        id: i64,
        next_try: Option<DateTime<Utc>>,
        error: &str,
    ) -> StoreResult<()> {
        self.exec(
            "UPDATE outbox SET tries = tries + 1, last_error = $2, claimed_until = 0,
                next_try_at = COALESCE($3, next_try_at), failed = ($3::bigint IS NULL)
             WHERE id = $1",
            &[&id, &error, &next_try.map(ms)],
        )
        .map(|_| ())
    }
}

impl Upkeep for PgStore {
    fn ready(&self) -> StoreResult<()> {
        let version = self
            .one("SELECT version FROM tapin_schema", &[], |r| {
                r.get::<_, i32>(0)
            })?
            .unwrap_or(0);
        if version as usize == MIGRATIONS.len() {
            Ok(())
        } else {
            Err(StoreError::Backend(format!(
                "the database is at schema version {version}, this tapin expects {}",
                MIGRATIONS.len()
            )))
        }
    }

    fn backup_to(&self, _path: &Path) -> StoreResult<()> {
        Err(StoreError::Backend(
            "tapin backup copies SQLite databases; back up PostgreSQL with pg_dump".into(),
        ))
    }

    fn purge(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
        sends_before: DateTime<Utc>,
        outbox_before: DateTime<Utc>,
    ) -> StoreResult<Purged> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let mut run = |sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]| {
            tx.execute(sql, params).map(|n| n as usize).map_err(backend)
        };
        let purged = Purged {
            sessions: run(
                "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
                &[&ms(now), &ms(idle_before)],
            )?,
            pending: run("DELETE FROM pending WHERE expires_at <= $1", &[&ms(now)])?,
            attempts: run(
                "DELETE FROM signin_attempts WHERE at < $1",
                &[&ms(attempts_before)],
            )?,
            sends: run("DELETE FROM sends WHERE at <= $1", &[&ms(sends_before)])?,
            outbox: run("DELETE FROM outbox WHERE at < $1", &[&ms(outbox_before)])?,
        };
        tx.commit().map_err(backend)?;
        Ok(purged)
    }

    fn reseal_secrets(
        &self,
        reseal: &dyn Fn(&str) -> Result<Option<String>, String>,
    ) -> StoreResult<usize> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let mut changed = 0;
        for (table, select, update) in [
            (
                "methods",
                "SELECT id, secret FROM methods WHERE kind = 'authenticator_app' AND secret IS NOT NULL FOR UPDATE",
                "UPDATE methods SET secret = $2 WHERE id = $1",
            ),
            (
                "pending",
                "SELECT id, state FROM pending WHERE purpose = 'register:authenticator_app' FOR UPDATE",
                "UPDATE pending SET state = $2 WHERE id = $1",
            ),
        ] {
            let rows: Vec<(String, String)> = tx
                .query(select, &[])
                .map_err(backend)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for (id, value) in rows {
                let next = reseal(&value)
                    .map_err(|e| StoreError::Backend(format!("{table} {id}: {e}")))?;
                if let Some(next) = next {
                    tx.execute(update, &[&id, &next]).map_err(backend)?;
                    changed += 1;
                }
            }
        }
        tx.commit().map_err(backend)?;
        Ok(changed)
    }
}
