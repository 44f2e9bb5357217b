//! Upkeep on SQLite.

use super::*;

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
                .map_err(backend)?
                + tx.execute(
                    "DELETE FROM anonymous_starts WHERE at < ?1",
                    [ms(attempts_before)],
                )
                .map_err(backend)?
                // Wrong codes at names that are nobody's, a month old.
                + tx.execute(
                    "DELETE FROM code_failures WHERE last_at < ?1 AND account NOT IN (SELECT upn FROM users)",
                    [ms(now - chrono::Duration::days(30))],
                )
                .map_err(backend)?,
            sends: tx
                .execute("DELETE FROM sends WHERE at <= ?1", [ms(sends_before)])
                .map_err(backend)?,
            outbox: tx
                .execute("DELETE FROM outbox WHERE at < ?1", [ms(outbox_before)])
                .map_err(backend)?,
            grants: tx
                .execute(
                    "DELETE FROM oidc_access_tokens WHERE expires_at <= ?1",
                    [ms(now)],
                )
                .map_err(backend)?
                + tx.execute(
                    "DELETE FROM oidc_codes WHERE expires_at <= ?1",
                    [ms(now - chrono::Duration::hours(1))],
                )
                .map_err(backend)?
                + tx.execute("DELETE FROM oidc_refresh WHERE expires_at <= ?1", [ms(now)])
                    .map_err(backend)?
                + tx.execute(
                    "DELETE FROM oidc_device_codes WHERE expires_at <= ?1",
                    [ms(now - chrono::Duration::hours(1))],
                )
                .map_err(backend)?,
        };
        tx.commit().map_err(backend)?;
        Ok(purged)
    }

    fn reseal_secrets(&self, reseal: &crate::domain::store::Reseal<'_>) -> StoreResult<usize> {
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
            (
                "signing_keys",
                "SELECT kid, sealed_jwk FROM signing_keys",
                "UPDATE signing_keys SET sealed_jwk = ?2 WHERE kid = ?1",
            ),
            (
                "outbox",
                "SELECT sealed_for, body FROM outbox WHERE sealed_for IS NOT NULL",
                "UPDATE outbox SET body = ?2 WHERE sealed_for = ?1",
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
                let next = reseal(&crate::domain::secrets::row(table, &id), &value)
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
