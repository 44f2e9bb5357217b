//! Limits on SQLite.

use super::*;

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
        tx.execute("DELETE FROM code_failures WHERE account = ?1", [account])
            .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(n)
    }

    fn reserve_code_try(
        &self,
        account: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Option<u32>> {
        self.conn()
            .query_row(
                "INSERT INTO code_failures (account, consecutive, last_at) VALUES (?1, 1, ?2)
                 ON CONFLICT (account) DO UPDATE SET consecutive = consecutive + 1, last_at = ?2
                 WHERE consecutive < ?3
                 RETURNING consecutive",
                params![account, ms(at), limit],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn reserve_start(
        &self,
        client: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Result<(), DateTime<Utc>>> {
        let conn = self.conn();
        let inserted = conn
            .execute(
                "INSERT INTO anonymous_starts (client, at) SELECT ?1, ?2
                 WHERE (SELECT COUNT(*) FROM anonymous_starts WHERE client = ?1 AND at >= ?3) < ?4",
                params![client, ms(at), ms(since), limit],
            )
            .map_err(backend)?;
        if inserted == 1 {
            return Ok(Ok(()));
        }
        let oldest: i64 = conn
            .query_row(
                "SELECT MIN(at) FROM anonymous_starts WHERE client = ?1 AND at >= ?2",
                params![client, ms(since)],
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(Err(time(oldest)))
    }

    fn forget_code_failures(&self, account: &str) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM code_failures WHERE account = ?1", [account])
            .map(|_| ())
            .map_err(backend)
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
