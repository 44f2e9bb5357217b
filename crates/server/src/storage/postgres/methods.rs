//! Methods on PostgreSQL.

use super::*;

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
        change: &Change,
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
            &format!("INSERT INTO methods ({METHOD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
            &[
                &m.id, &m.user_id, &m.kind.as_str(), &m.name, &m.detail, &m.secret, &m.credential_id,
                &ms(m.created_at), &m.last_used_at.map(ms), &(any == 0),
                &m.authenticator.as_ref().map(json),
            ],
        );
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(AddOutcome::Duplicate),
            Err(e) => return Err(backend(e)),
        }
        insert_change(&mut tx, change)?;
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
        change: &Change,
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
        // The sessions the lost method opened end with it.
        tx.execute(
            "DELETE FROM sessions WHERE user_id = $1 AND method_id = $2",
            &[&user_id, &id],
        )
        .map_err(backend)?;
        // And a sign-in code already sent to it stops working.
        tx.execute(
            "DELETE FROM pending WHERE user_id = $1 AND purpose = 'signin:sent' AND state LIKE '% ' || $2",
            &[&user_id, &id],
        )
        .map_err(backend)?;
        if let Some(next) = new_default {
            tx.execute(
                "UPDATE methods SET is_default = (id = $2) WHERE user_id = $1",
                &[&user_id, &next],
            )
            .map_err(backend)?;
        }
        insert_change(&mut tx, change)?;
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

    fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        at: DateTime<Utc>,
        change: &Change,
    ) -> StoreResult<()> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])
            .map_err(backend)?;
        for h in hashes {
            tx.execute(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)",
                &[&user_id, h, &ms(at)],
            )
            .map_err(backend)?;
        }
        insert_change(&mut tx, change)?;
        tx.commit().map_err(backend)
    }

    fn use_recovery_code(&self, user_id: i64, hash: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        self.exec(
            "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            &[&user_id, &hash, &ms(at)],
        )
        .map(|n| n == 1)
    }

    fn recovery_codes_left(&self, user_id: i64) -> StoreResult<u32> {
        Ok(self
            .one(
                "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
                &[&user_id],
                |r| r.get::<_, i64>(0),
            )?
            .unwrap_or(0) as u32)
    }

    fn use_totp_step(&self, id: &str, step: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        self.exec(
            "UPDATE methods SET totp_step = $2, last_used_at = $3 WHERE id = $1 AND (totp_step IS NULL OR totp_step < $2)",
            &[&id, &step, &ms(at)],
        )
        .map(|n| n == 1)
    }

    fn method_used(&self, id: &str, at: DateTime<Utc>, secret: Option<&str>) -> StoreResult<()> {
        self.exec(
            "UPDATE methods SET last_used_at = $2, secret = COALESCE($3, secret) WHERE id = $1",
            &[&id, &ms(at), &secret],
        )
        .map(|_| ())
    }
}
