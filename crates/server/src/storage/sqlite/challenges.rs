//! Challenges on SQLite.

use super::*;

impl Challenges for SqliteStore {
    fn put_pending(&self, p: &Pending, message: Option<&Outgoing>) -> StoreResult<()> {
        // Expired ones go in the purge, promptly after they expire.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO pending ({PENDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![
                p.id,
                p.user_id,
                p.purpose,
                p.state,
                p.code_hash,
                p.tries_left,
                ms(p.expires_at)
            ],
        )
        .map_err(backend)?;
        if let Some(m) = message {
            insert_outgoing(&tx, m)?;
        }
        tx.commit().map_err(backend)
    }

    fn pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.read()?
            .query_row(
                &format!("SELECT {PENDING_COLUMNS} FROM pending WHERE id = ?1"),
                [id],
                pending_row,
            )
            .optional()
            .map_err(backend)
    }

    fn take_pending(&self, id: &str) -> StoreResult<Option<Pending>> {
        self.conn()
            .query_row(
                &format!("DELETE FROM pending WHERE id = ?1 RETURNING {PENDING_COLUMNS}"),
                [id],
                pending_row,
            )
            .optional()
            .map_err(backend)
    }

    fn spend_try(&self, id: &str) -> StoreResult<Option<u32>> {
        self.conn()
            .query_row(
                "UPDATE pending SET tries_left = tries_left - 1 WHERE id = ?1 AND tries_left > 0 RETURNING tries_left",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }
}
