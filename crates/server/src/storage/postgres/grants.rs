//! Refresh families, logins and device codes on PostgreSQL. A family's row
//! lock orders a rotation with a revocation: the compare-and-set moves the
//! family or finds it gone, never both; an access token written by a
//! rotation that a revocation raced is dead anyway (`ACCESS_TOKEN` reads
//! only tokens whose family stands).

use super::*;
use crate::domain::oidc::{
    AccessGrant, AuthCode, DeviceGrant, DeviceStatus, Login, RefreshFamily, Spent,
};
use crate::domain::store::{Grants, Polled, RefreshLookup};

const FAMILY_COLUMNS: &str = "family, token_hash, client_id, user_id, session_id, code_hash, scope, auth_time, method, created_at, expires_at";
const DEVICE_COLUMNS: &str = "device_hash, user_code, client_id, scope, created_at, expires_at, interval_seconds, status, user_id, session_id, auth_time, method";

fn family_row(r: &Row) -> RefreshFamily {
    RefreshFamily {
        family: r.get(0),
        token_hash: r.get(1),
        client_id: r.get(2),
        user_id: r.get(3),
        session_id: r.get(4),
        code_hash: r.get(5),
        scope: r.get(6),
        auth_time: time(r.get(7)),
        method: sign_in_method(r.get(8)),
        created_at: time(r.get(9)),
        expires_at: time(r.get(10)),
    }
}

fn device_row(r: &Row) -> DeviceGrant {
    DeviceGrant {
        device_hash: r.get(0),
        user_code: r.get(1),
        client_id: r.get(2),
        scope: r.get(3),
        created_at: time(r.get(4)),
        expires_at: time(r.get(5)),
        interval_seconds: r.get(6),
        status: DeviceStatus::parse(r.get::<_, &str>(7)),
        user_id: r.get(8),
        session_id: r.get(9),
        auth_time: r.get::<_, Option<i64>>(10).map(time),
        method: r.get::<_, Option<String>>(11).map(sign_in_method),
    }
}

fn insert_grant(c: &mut impl GenericClient, g: &AccessGrant) -> StoreResult<()> {
    c.execute(
        &format!(
            "INSERT INTO oidc_access_tokens ({GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ),
        &[
            &g.token_hash,
            &g.client_id,
            &g.user_id,
            &g.code_hash,
            &g.scope,
            &ms(g.expires_at),
            &g.family,
        ],
    )
    .map(|_| ())
    .map_err(backend)
}

/// What an application's sign-in writes is committed without waiting for
/// the disk (as on SQLite, `SqliteStore::relaxed` says why that is safe):
/// a crash of the database may forget the last such commits, never half
/// of one.
fn relaxed(tx: &mut postgres::Transaction<'_>) -> StoreResult<()> {
    tx.batch_execute("SET LOCAL synchronous_commit TO OFF")
        .map_err(backend)
}

impl Grants for PgStore {
    fn spend_code(
        &self,
        c: &AuthCode,
        at: DateTime<Utc>,
        access: &AccessGrant,
        f: &RefreshFamily,
    ) -> StoreResult<Spent> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        relaxed(&mut tx)?;
        // The primary key orders two spends of one code: the second insert
        // waits for the first to commit, then finds it.
        let fresh = tx
            .execute(
                &format!("INSERT INTO oidc_codes ({CODE_COLUMNS}, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (code_hash) DO NOTHING"),
                &[
                    &c.code_hash,
                    &c.client_id,
                    &c.user_id,
                    &c.session_id,
                    &c.redirect_uri,
                    &c.scope,
                    &c.nonce,
                    &c.code_challenge,
                    &ms(c.auth_time),
                    &c.method.as_str(),
                    &ms(c.expires_at),
                    &ms(at),
                ],
            )
            .map_err(backend)?
            == 1;
        if !fresh {
            tx.execute(
                "UPDATE oidc_codes SET replayed_at = $2 WHERE code_hash = $1",
                &[&c.code_hash, &ms(at)],
            )
            .map_err(backend)?;
            let revoked = tx
                .execute(
                    "DELETE FROM oidc_access_tokens WHERE code_hash = $1",
                    &[&c.code_hash],
                )
                .map_err(backend)?
                + tx.execute(
                    "DELETE FROM oidc_refresh WHERE code_hash = $1",
                    &[&c.code_hash],
                )
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            return Ok(Spent::Replayed {
                revoked: revoked as usize,
            });
        }
        tx.execute(
            &format!("INSERT INTO oidc_refresh ({FAMILY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
            &[
                &f.family,
                &f.token_hash,
                &f.client_id,
                &f.user_id,
                &f.session_id,
                &f.code_hash,
                &f.scope,
                &ms(f.auth_time),
                &f.method.as_str(),
                &ms(f.created_at),
                &ms(f.expires_at),
            ],
        )
        .map_err(backend)?;
        insert_grant(&mut tx, access)?;
        tx.commit().map_err(backend)?;
        Ok(Spent::Issued)
    }

    fn refresh_token(&self, token_hash: &str) -> StoreResult<RefreshLookup> {
        if let Some(f) = self.one(
            &format!("SELECT {FAMILY_COLUMNS} FROM oidc_refresh WHERE token_hash = $1"),
            &[&token_hash],
            family_row,
        )? {
            return Ok(RefreshLookup::Current(f));
        }
        let columns = FAMILY_COLUMNS
            .split(", ")
            .map(|c| format!("f.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(self
            .one(
                &format!("SELECT {columns} FROM oidc_refresh_used u JOIN oidc_refresh f ON f.family = u.family WHERE u.token_hash = $1"),
                &[&token_hash],
                family_row,
            )?
            .map_or(RefreshLookup::Unknown, RefreshLookup::Used))
    }

    fn rotate_refresh(
        &self,
        family: &str,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        access: &AccessGrant,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        relaxed(&mut tx)?;
        let moved = tx
            .execute(
                "UPDATE oidc_refresh SET token_hash = $3, expires_at = $4 WHERE family = $1 AND token_hash = $2",
                &[&family, &old_hash, &new_hash, &ms(expires_at)],
            )
            .map_err(backend)?;
        if moved != 1 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO oidc_refresh_used (token_hash, family, used_at) VALUES ($1, $2, $3)",
            &[&old_hash, &family, &ms(at)],
        )
        .map_err(backend)?;
        insert_grant(&mut tx, access)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn revoke_family(&self, family: &str, audit: Option<&AuditEvent>) -> StoreResult<bool> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute("DELETE FROM oidc_refresh WHERE family = $1", &[&family])
            .map_err(backend)?;
        tx.execute(
            "DELETE FROM oidc_access_tokens WHERE family = $1",
            &[&family],
        )
        .map_err(backend)?;
        if let Some(audit) = audit {
            insert_audit(&mut tx, audit)?;
        }
        tx.commit().map_err(backend)?;
        Ok(n == 1)
    }

    fn revoke_access_token(&self, token_hash: &str, client_id: &str) -> StoreResult<bool> {
        self.exec(
            "DELETE FROM oidc_access_tokens WHERE token_hash = $1 AND client_id = $2",
            &[&token_hash, &client_id],
        )
        .map(|n| n == 1)
    }

    fn record_login(&self, l: &Login) -> StoreResult<()> {
        self.exec(
            "INSERT INTO oidc_logins (session_id, client_id, subject, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&l.session_id, &l.client_id, &l.subject, &ms(l.at)],
        )
        .map(|_| ())
    }

    fn ended_logins(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Login>> {
        self.many(
            "SELECT l.session_id, l.client_id, l.subject, l.created_at FROM oidc_logins l
             LEFT JOIN sessions s ON s.id = l.session_id
             WHERE s.id IS NULL OR s.expires_at <= $1 OR s.last_seen_at <= $2 LIMIT $3",
            &[&ms(now), &ms(idle_before), &i64::from(limit)],
            |r| Login {
                session_id: r.get(0),
                client_id: r.get(1),
                subject: r.get(2),
                at: time(r.get(3)),
            },
        )
    }

    fn claim_logins(&self, logouts: &[(Login, Option<Outgoing>)]) -> StoreResult<usize> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        let mut queued = 0;
        for (login, message) in logouts {
            let gone = tx
                .execute(
                    "DELETE FROM oidc_logins WHERE session_id = $1 AND client_id = $2",
                    &[&login.session_id, &login.client_id],
                )
                .map_err(backend)?;
            if let (1, Some(m)) = (gone, message) {
                insert_outgoing(&mut tx, m)?;
                queued += 1;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(queued)
    }

    fn insert_device(&self, g: &DeviceGrant, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO oidc_device_codes ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL)"),
            &[
                &g.device_hash,
                &g.user_code,
                &g.client_id,
                &g.scope,
                &ms(g.created_at),
                &ms(g.expires_at),
                &g.interval_seconds,
                &g.status.as_str(),
            ],
        )
        .map_err(|e| {
            if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
                StoreError::Conflict("that user code is taken; try again".into())
            } else {
                backend(e)
            }
        })?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn device_by_user_code(&self, user_code: &str) -> StoreResult<Option<DeviceGrant>> {
        self.one(
            &format!("SELECT {DEVICE_COLUMNS} FROM oidc_device_codes WHERE user_code = $1"),
            &[&user_code],
            device_row,
        )
    }

    fn decide_device(
        &self,
        g: &DeviceGrant,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "UPDATE oidc_device_codes SET status = $2, user_id = $3, session_id = $4, auth_time = $5, method = $6
             WHERE device_hash = $1 AND status = 'pending' AND expires_at > $7",
            &[
                &g.device_hash,
                &g.status.as_str(),
                &g.user_id,
                &g.session_id,
                &g.auth_time.map(ms),
                &g.method.map(|m| m.as_str()),
                &ms(at),
            ],
            audit,
        )
    }

    fn poll_device(
        &self,
        device_hash: &str,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Polled>> {
        // Every SET sees the row as it was: "too soon" is judged on the
        // last poll, and an approval is taken only by a poll in time.
        let soon = "(polled_at IS NOT NULL AND $3 - polled_at < interval_seconds * 1000)";
        let now = ms(at);
        self.one(
            &format!(
                "UPDATE oidc_device_codes SET
                    polled_at = $3,
                    slowed_at = CASE WHEN {soon} THEN $3 ELSE slowed_at END,
                    interval_seconds = interval_seconds + CASE WHEN {soon} THEN 5 ELSE 0 END,
                    used_at = CASE WHEN status = 'approved' AND used_at IS NULL AND NOT {soon} THEN $3 ELSE used_at END
                 WHERE device_hash = $1 AND client_id = $2
                 RETURNING {DEVICE_COLUMNS}, used_at, slowed_at"
            ),
            &[&device_hash, &client_id, &now],
            |r| Polled {
                grant: device_row(r),
                taken: r.get::<_, Option<i64>>(12) == Some(now),
                too_soon: r.get::<_, Option<i64>>(13) == Some(now),
            },
        )
    }
}
