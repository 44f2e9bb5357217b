//! Sessions on SQLite.

use super::*;

impl Sessions for SqliteStore {
    fn start_session(&self, s: &SessionRecord, consume_pass: Option<&str>) -> StoreResult<bool> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock up front, so two processes sharing the
        // file serialise here instead of both reading the pass as unused.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        if let Some(id) = consume_pass {
            let n = tx
                .execute(
                    "UPDATE passes SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL",
                    params![ms(s.created_at), id],
                )
                .map_err(backend)?;
            if n != 1 {
                return Ok(false);
            }
        }
        tx.execute(
            &format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                s.id,
                s.token_hash,
                s.user_id,
                ms(s.created_at),
                ms(s.expires_at),
                s.passwordless_deadline.map(ms),
                s.pass_id,
                ms(s.last_seen_at),
                s.method.as_str(),
                s.method_id
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn session_with_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        // One read, one snapshot: the session and its user together.
        self.read_row(
            &format!("SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.passwordless_deadline, s.pass_id, s.last_seen_at, s.method, s.method_id, {U_COLUMNS}
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND u.disabled_at IS NULL"),
            [token_hash],
            |r| Ok((session_row(r)?, user_at(r, 10)?)),
        )
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.read_row(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1"),
            [token_hash],
            session_row,
        )
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])
            .map(|_| ())
            .map_err(backend)
    }

    fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.conn()
            .execute(
                "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?2) WHERE token_hash = ?1",
                params![token_hash, ms(at)],
            )
            .map(|_| ())
            .map_err(backend)
    }

    fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<SessionRecord>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at, id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([user_id], session_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn delete_session_by_id(
        &self,
        user_id: i64,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "DELETE FROM sessions WHERE user_id = ?1 AND id = ?2",
            params![user_id, id],
            audit,
        )
    }

    fn delete_sessions_of(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])
            .map_err(backend)?;
        // Everywhere means offline_access too.
        tx.execute("DELETE FROM oidc_refresh WHERE user_id = ?1", [user_id])
            .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }
}
