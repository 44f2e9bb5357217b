//! Sessions on PostgreSQL.

use super::*;

impl Sessions for PgStore {
    fn start_session(&self, s: &SessionRecord, consume_pass: Option<&str>) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        if let Some(id) = consume_pass {
            // The row lock makes every other redemption wait, then find it used.
            let n = tx
                .execute(
                    "UPDATE passes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                    &[&ms(s.created_at), &id],
                )
                .map_err(backend)?;
            if n != 1 {
                return Ok(false);
            }
        }
        tx.execute(
            &format!(
                "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &s.id,
                &s.token_hash,
                &s.user_id,
                &ms(s.created_at),
                &ms(s.expires_at),
                &s.passwordless_deadline.map(ms),
                &s.pass_id,
                &ms(s.last_seen_at),
                &s.method.as_str(),
                &s.method_id,
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        self.one(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"),
            &[&token_hash],
            session_row,
        )
    }

    fn session_with_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRecord, User)>> {
        self.one(SESSION_WITH_USER, &[&token_hash], |r| {
            (session_row(r), user_at(r, 10))
        })
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.exec("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .map(|_| ())
    }

    fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.exec(
            "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE token_hash = $1",
            &[&token_hash, &ms(at)],
        )
        .map(|_| ())
    }

    fn sessions_of(&self, user_id: i64) -> StoreResult<Vec<SessionRecord>> {
        self.many(
            &format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at, id"
            ),
            &[&user_id],
            session_row,
        )
    }

    fn delete_session_by_id(
        &self,
        user_id: i64,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "DELETE FROM sessions WHERE user_id = $1 AND id = $2",
            &[&user_id, &id],
            audit,
        )
    }

    fn delete_sessions_of(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .map_err(backend)?;
        // Everywhere means offline_access too.
        tx.execute("DELETE FROM oidc_refresh WHERE user_id = $1", &[&user_id])
            .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }
}

/// A session and its user, in one statement (one snapshot).
/// A disabled person's sessions open nothing, whichever instance disabled them.
const SESSION_WITH_USER: &str = concat!(
    "SELECT s.id, s.token_hash, s.user_id, s.created_at, s.expires_at, s.passwordless_deadline, s.pass_id, s.last_seen_at, s.method, s.method_id, ",
    super::user_columns!("u.", "coalesce(json_agg(json_build_object('name', g.display_name, 'roles', g.admin_roles::json)), '[]'::json)::text"),
    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled_at IS NULL"
);

impl SessionLookup for PgStore {
    fn session_with_user<'a>(
        &'a self,
        token_hash: &'a str,
    ) -> StoreFuture<'a, Option<(SessionRecord, User)>> {
        Box::pin(async move {
            let client = self.reads.client().await?;
            let st = client
                .prepare_cached(SESSION_WITH_USER)
                .await
                .map_err(backend)?;
            Ok(client
                .query_opt(&st, &[&token_hash])
                .await
                .map_err(backend)?
                .as_ref()
                .map(|r| (session_row(r), user_at(r, 10))))
        })
    }
}
