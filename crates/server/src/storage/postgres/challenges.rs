//! Challenges on PostgreSQL.

use super::*;

impl Challenges for PgStore {
    fn put_pending(&self, p: &Pending, message: Option<&Outgoing>) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO pending ({PENDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &p.id,
                &p.user_id,
                &p.purpose,
                &p.state,
                &p.code_hash,
                &i64::from(p.tries_left),
                &ms(p.expires_at),
            ],
        )
        .map_err(backend)?;
        if let Some(m) = message {
            insert_outgoing(&mut tx, m)?;
        }
        tx.commit().map_err(backend)
    }

    fn pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.one(
            &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = $1"),
            &[&id],
            pending_row,
        )
    }

    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.one(
            &format!("DELETE FROM pending WHERE id = $1 RETURNING {PENDING_COLUMNS}"),
            &[&id],
            pending_row,
        )
    }

    fn spend_try(&self, id: &str) -> StoreResult<Option<u32>> {
        self.one(
            "UPDATE pending SET tries_left = tries_left - 1 WHERE id = $1 AND tries_left > 0 RETURNING tries_left",
            &[&id],
            |r| r.get::<_, i64>(0) as u32,
        )
    }
}
