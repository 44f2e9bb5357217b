//! Outbox on SQLite.

use super::*;

impl Outbox for SqliteStore {
    fn enqueue(&self, m: &Outgoing) -> StoreResult<()> {
        insert_outgoing(&self.conn(), m)
    }

    fn outbox(&self) -> StoreResult<Vec<OutboxEntry>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id"))
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| outbox_row(r).map(|q| q.entry))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn claim_outbox(
        &self,
        channels: &[Channel],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMessage>> {
        let wanted: String = channels
            .iter()
            .map(|c| format!(",{}", c.as_str()))
            .collect::<String>()
            + ",";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "UPDATE outbox SET claimed_until = ?3 WHERE id IN (
                    SELECT id FROM outbox
                    WHERE failed = 0 AND next_try_at <= ?1 AND claimed_until <= ?1
                      AND instr(?4, ',' || channel || ',') > 0
                    ORDER BY id LIMIT ?2)
                 RETURNING {OUTBOX_COLUMNS}"
            ))
            .map_err(backend)?;
        let mut claimed = stmt
            .query_map(params![ms(now), limit, ms(lease_until), wanted], outbox_row)
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        claimed.sort_by_key(|q| q.id);
        Ok(claimed)
    }

    fn outbox_delivered(&self, id: i64) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM outbox WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(backend)
    }

    fn outbox_failed(
        &self,
        id: i64,
        next_try: Option<DateTime<Utc>>,
        error: &str,
    ) -> StoreResult<()> {
        self.conn()
            .execute(
                "UPDATE outbox SET tries = tries + 1, last_error = ?2, claimed_until = 0,
                    next_try_at = coalesce(?3, next_try_at), failed = (?3 IS NULL)
                 WHERE id = ?1",
                params![id, error, next_try.map(ms)],
            )
            .map(|_| ())
            .map_err(backend)
    }
}
