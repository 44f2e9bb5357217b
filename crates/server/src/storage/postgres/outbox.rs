//! Outbox on PostgreSQL.

use super::*;

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
