//! Limits on PostgreSQL.

use super::*;

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
        tx.execute("DELETE FROM code_failures WHERE account = $1", &[&account])
            .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(n as usize)
    }

    fn reserve_code_try(
        &self,
        account: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Option<u32>> {
        let row = self
            .client()?
            .query_opt(
                "INSERT INTO code_failures (account, consecutive, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (account) DO UPDATE SET consecutive = code_failures.consecutive + 1, last_at = $2
                 WHERE code_failures.consecutive < $3
                 RETURNING consecutive",
                &[&account, &ms(at), &i64::from(limit)],
            )
            .map_err(backend)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u32))
    }

    fn reserve_start(
        &self,
        client: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Result<(), DateTime<Utc>>> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        lock_key(&mut tx, &format!("start-client:{client}"))?;
        let inserted = tx
            .execute(
                "INSERT INTO anonymous_starts (client, at) SELECT $1, $2
                 WHERE (SELECT COUNT(*) FROM anonymous_starts WHERE client = $1 AND at >= $3) < $4",
                &[&client, &ms(at), &ms(since), &i64::from(limit)],
            )
            .map_err(backend)?;
        let outcome = if inserted == 1 {
            Ok(())
        } else {
            let oldest: Option<i64> = tx
                .query_one(
                    "SELECT MIN(at) FROM anonymous_starts WHERE client = $1 AND at >= $2",
                    &[&client, &ms(since)],
                )
                .map_err(backend)?
                .get(0);
            Err(time(oldest.unwrap_or_else(|| ms(at))))
        };
        tx.commit().map_err(backend)?;
        Ok(outcome)
    }

    fn forget_code_failures(&self, account: &str) -> StoreResult<()> {
        self.client()?
            .execute("DELETE FROM code_failures WHERE account = $1", &[&account])
            .map(|_| ())
            .map_err(backend)
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
