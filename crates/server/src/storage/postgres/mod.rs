//! The PostgreSQL store, for several tapin instances on one database. The
//! same rules as SQLite hold across processes: single use by conditional
//! updates (`… WHERE used_at IS NULL`, `DELETE … RETURNING`), and every
//! count-then-insert limit (lockout, sends, methods per user) serialised by
//! a transaction-scoped lock on what it counts: an advisory lock per
//! counter key, taken in one fixed order, or the user's row.
//!
//! The client is the synchronous `postgres` crate behind an r2d2 pool: the
//! domain's store is synchronous and is called from blocking threads.

mod audit;
mod challenges;
mod directory;
mod federation;
mod grants;
mod limits;
mod methods;
mod outbox;
mod passes;
mod policies;
mod sessions;
mod tokens;
mod upkeep;
mod users;
mod words;

mod migrations;
mod pool;
use migrations::migrate;
pub(super) use migrations::MIGRATIONS;
pub use pool::tls_connector;
use pool::{Manager, Pool, SharedReads};

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
    "coalesce(json_agg(json_build_object('id', g.object_id, 'name', g.display_name, 'roles', g.admin_roles::json)), '[]'::json)::text"
);
/// A token's columns, then its user's (for the join on `users u`).
pub(crate) const TOKEN_USER_COLUMNS: &str = concat!(
    "t.id, t.user_id, t.name, t.token_hash, t.read_only, t.created_at, t.expires_at, t.revoked_at, ",
    user_columns!("u.", "coalesce(json_agg(json_build_object('id', g.object_id, 'name', g.display_name, 'roles', g.admin_roles::json)), '[]'::json)::text")
);
use crate::domain::store::{
    AddOutcome, AttemptKeys, AttemptLimits, Change, LockScope, LockoutCounts, Purged, Reservation,
    SendKeys, SendLimits, SessionLookup, SessionRecord, StoreError, StoreFuture, StoreResult,
    StoredPass, KEPT_WHILE_DISABLED, PERSONAL_TABLES,
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
use postgres::error::SqlState;
use postgres::{GenericClient, Row};
use std::path::Path;
use tapin_api::wire::MethodKind;

pub struct PgStore {
    pool: Pool,
    /// The asynchronous client for the one read every authenticated
    /// request makes (`SessionLookup`): no blocking thread, no hop.
    reads: SharedReads,
}

fn backend(e: impl std::error::Error + 'static) -> StoreError {
    // postgres::Error says only "db error"; the server's message is its source.
    let message = match e.source() {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    // No answer from the server (a closed connection, a refused connect):
    // the database is away, not the request wrong.
    let away = (&e as &dyn std::error::Error)
        .downcast_ref::<postgres::Error>()
        .is_some_and(|p| {
            p.is_closed() || std::error::Error::source(p).is_some_and(|s| s.is::<std::io::Error>())
        });
    if away {
        StoreError::Unavailable(message)
    } else {
        StoreError::Backend(message)
    }
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

fn user_at(row: &Row, at: usize) -> User {
    let role: String = row.get(at + 3);
    let admin_roles: String = row.get(at + 4);
    let groups: String = row.get(at + 5);
    let mut user = User {
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
        group_ids: Vec::new(),
        created_at: time(row.get(at + 6)),
        time_zone: row.get(at + 7),
        object_id: row.get(at + 8),
        enabled: row.get(at + 9),
        modified_at: time(row.get(at + 10)),
        own_role: Role::Member,
    };
    user.own_role = user.role;
    let directory: Option<String> = row.get(at + 11);
    super::join_groups(&mut user, directory.as_deref());
    user
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
        method: sign_in_method(r.get::<_, String>(8)),
        method_id: r.get(9),
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
        // Unreadable facts are as if never recorded: derived again from the key.
        authenticator: row
            .get::<_, Option<String>>(10)
            .and_then(|j| serde_json::from_str(&j).ok()),
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
            sealed_for: r.get(10),
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

/// The audit event and the notices of a change, in its transaction.
fn insert_change(c: &mut impl GenericClient, change: &Change) -> StoreResult<()> {
    insert_audit(c, &change.audit)?;
    for notice in &change.notices {
        insert_outgoing(c, notice)?;
    }
    Ok(())
}

fn insert_outgoing(c: &mut impl GenericClient, m: &Outgoing) -> StoreResult<()> {
    c.execute(
        "INSERT INTO outbox (at, channel, recipient, subject, body, give_up_at, sealed_for) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &ms(m.at),
            &m.message.channel.as_str(),
            &m.message.to,
            &m.message.subject,
            &m.message.body,
            &ms(m.give_up_at),
            &m.sealed_for,
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

/// The longest a request waits for a connection the pool cannot make.
const CONNECT_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);
/// The longest it waits when every connection is made and busy.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrating the
    /// schema first (one instance at a time).
    /// TLS as the URL's `sslmode` says (`require` to insist on it; the
    /// default, `prefer`, uses it when the server offers it), verifying the
    /// server's certificate and name against the system's roots, or against
    /// `ca_file` (PEM) when given.
    pub fn open(url: &str, ca_file: Option<&Path>) -> StoreResult<Self> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("the PostgreSQL URL is not valid: {e}")))?;
        let tls = tls_connector(ca_file)?;
        let mut first = config.connect(tls.clone()).map_err(|e| {
            StoreError::Backend(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        })?;
        migrate(&mut first)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from) as u32;
        let pool = r2d2::Pool::builder()
            .max_size((4 * cores).max(8))
            .min_idle(Some(1))
            .test_on_check_out(false)
            // With the database away, a request is answered 503 within
            // this rather than held (it recovers when the database returns).
            .connection_timeout(CONNECT_WITHIN)
            .build(Manager {
                config,
                tls: tls.clone(),
            })
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        let async_config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("the PostgreSQL URL is not valid: {e}")))?;
        let reads = deadpool_postgres::Pool::builder(deadpool_postgres::Manager::from_config(
            async_config,
            tls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        ))
        .max_size(2)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_WITHIN))
        .create_timeout(Some(CONNECT_WITHIN))
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot set up PostgreSQL reads: {e}")))?;
        let reads = SharedReads {
            pool: reads,
            client: std::sync::Mutex::new(None),
        };
        Ok(Self { pool, reads })
    }

    fn client(&self) -> StoreResult<r2d2::PooledConnection<Manager>> {
        self.client_within(CONNECT_WITHIN)
    }

    /// A pooled connection within `wait`, or `Unavailable` when the pool
    /// cannot make one (the database is away). When every connection is
    /// made and busy (the database is there, only loaded), it waits on,
    /// up to `BUSY_WAIT` in all.
    fn client_within(
        &self,
        wait: std::time::Duration,
    ) -> StoreResult<r2d2::PooledConnection<Manager>> {
        let away =
            |e: r2d2::Error| StoreError::Unavailable(format!("no PostgreSQL connection: {e}"));
        match self.pool.get_timeout(wait) {
            Ok(c) => Ok(c),
            Err(_) if self.pool.state().connections >= self.pool.max_size() => self
                .pool
                .get_timeout(BUSY_WAIT.saturating_sub(wait))
                .map_err(away),
            Err(e) => Err(away(e)),
        }
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
        Ok(c.query(&st, params)
            .map_err(backend)?
            .iter()
            .map(row)
            .collect())
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
