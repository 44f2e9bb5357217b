//! Upkeep on PostgreSQL.

use super::*;

impl Upkeep for PgStore {
    fn session_lookup(&self) -> Option<&dyn SessionLookup> {
        Some(self)
    }

    fn ready(&self) -> StoreResult<()> {
        // Asked by load balancers: answered at once when the database is away.
        let mut c = self.client_within(std::time::Duration::from_millis(200))?;
        let version = c
            .query_opt("SELECT version FROM tapin_schema", &[])
            .map_err(super::backend)?
            .map_or(0, |r| r.get::<_, i32>(0));
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
            )? + run(
                "DELETE FROM anonymous_starts WHERE at < $1",
                &[&ms(attempts_before)],
            )? + run(
                // Wrong codes at names that are nobody's, a month old.
                "DELETE FROM code_failures WHERE last_at < $1 AND account NOT IN (SELECT upn FROM users)",
                &[&ms(now - chrono::Duration::days(30))],
            )?,
            sends: run("DELETE FROM sends WHERE at <= $1", &[&ms(sends_before)])?,
            outbox: run("DELETE FROM outbox WHERE at < $1", &[&ms(outbox_before)])?,
            grants: run(
                "DELETE FROM oidc_access_tokens WHERE expires_at <= $1",
                &[&ms(now)],
            )? + run(
                "DELETE FROM oidc_codes WHERE expires_at <= $1",
                &[&ms(now - chrono::Duration::hours(1))],
            )? + run(
                "DELETE FROM oidc_refresh WHERE expires_at <= $1",
                &[&ms(now)],
            )? + run(
                "DELETE FROM oidc_device_codes WHERE expires_at <= $1",
                &[&ms(now - chrono::Duration::hours(1))],
            )?,
        };
        tx.commit().map_err(backend)?;
        Ok(purged)
    }

    fn reseal_secrets(&self, reseal: &crate::domain::store::Reseal<'_>) -> StoreResult<usize> {
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
            (
                "signing_keys",
                "SELECT kid, sealed_jwk FROM signing_keys",
                "UPDATE signing_keys SET sealed_jwk = $2 WHERE kid = $1",
            ),
            (
                "outbox",
                "SELECT sealed_for, body FROM outbox WHERE sealed_for IS NOT NULL",
                "UPDATE outbox SET body = $2 WHERE sealed_for = $1",
            ),
        ] {
            let rows: Vec<(String, String)> = tx
                .query(select, &[])
                .map_err(backend)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for (id, value) in rows {
                let next = reseal(&crate::domain::secrets::row(table, &id), &value)
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
