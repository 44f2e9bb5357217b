//! API tokens on SQLite.

use super::*;

fn token_user(r: &Row) -> rusqlite::Result<(ApiToken, User)> {
    Ok((
        ApiToken {
            id: r.get(0)?,
            user_id: r.get(1)?,
            name: r.get(2)?,
            token_hash: r.get(3)?,
            read_only: r.get(4)?,
            created_at: time(r.get(5)?),
            expires_at: time(r.get(6)?),
            revoked_at: r.get::<_, Option<i64>>(7)?.map(time),
        },
        user_at(r, 8)?,
    ))
}

impl Tokens for SqliteStore {
    fn insert_token(&self, t: &ApiToken, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, read_only, created_at, expires_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
            params![t.id, t.user_id, t.name, t.token_hash, t.read_only, ms(t.created_at), ms(t.expires_at)],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<(ApiToken, User)>> {
        self.read_row(
            &format!("SELECT {TOKEN_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1 AND u.disabled_at IS NULL"),
            [token_hash],
            token_user,
        )
    }

    fn tokens(&self) -> StoreResult<Vec<(ApiToken, User)>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {TOKEN_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at DESC, t.id"))
            .map_err(backend)?;
        let rows = stmt.query_map([], token_user).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn revoke_token(&self, id: &str, at: DateTime<Utc>, audit: &AuditEvent) -> StoreResult<bool> {
        self.change_audited(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, ms(at)],
            audit,
        )
    }
}
