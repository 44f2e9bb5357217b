//! Passes on PostgreSQL.

use super::*;

/// The pass's row, in the caller's transaction.
pub(super) fn insert_pass(c: &mut impl GenericClient, p: &StoredPass) -> StoreResult<()> {
    c.execute(
        &format!(
            "INSERT INTO passes ({PASS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        &[
            &p.id,
            &p.user_id,
            &p.code_hash,
            &ms(p.created_at),
            &ms(p.start_at),
            &p.start_offset_seconds,
            &i64::from(p.lifetime_minutes),
            &p.usable_once,
            &p.used_at.map(ms),
            &p.created_by,
        ],
    )
    .map(|_| ())
    .map_err(backend)
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
        insert_pass(&mut tx, p)?;
        tx.commit().map_err(backend)
    }

    fn pass_of(&self, user_id: i64) -> StoreResult<Option<StoredPass>> {
        self.one(
            &format!("SELECT {PASS_COLUMNS} FROM passes WHERE user_id = $1"),
            &[&user_id],
            pass_row,
        )
    }

    fn delete_pass(&self, user_id: i64, id: Option<&str>, audit: &AuditEvent) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if tx
            .execute(
                "DELETE FROM passes WHERE user_id = $1 AND ($2::TEXT IS NULL OR id = $2::TEXT)",
                &[&user_id, &id],
            )
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
