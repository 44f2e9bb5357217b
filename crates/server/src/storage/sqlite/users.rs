//! Users on SQLite.

use super::*;
use crate::domain::store::{Directory, Saved};

impl Users for SqliteStore {
    fn is_empty(&self) -> StoreResult<bool> {
        let n: Option<i64> = self.read_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        Ok(n.unwrap_or(0) == 0)
    }

    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User> {
        let conn = self.conn();
        let role = match user.role {
            Role::Admin => "admin",
            Role::Member => "member",
        };
        conn.execute(
            "INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at, time_zone, object_id, modified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)",
            params![user.upn, user.display_name, role, json(&user.admin_roles), json(&user.groups), ms(at), user.time_zone, uuid::Uuid::new_v4().to_string()],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(format!("user {} already exists", user.upn)),
            _ => backend(e),
        })?;
        let id = conn.last_insert_rowid();
        super::words::index_user(&conn, id)?;
        conn.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_row,
        )
        .map_err(backend)
    }

    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>> {
        self.read_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE upn = ?1"),
            [upn],
            user_row,
        )
    }

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.read_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            user_row,
        )
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"))
            .map_err(backend)?;
        let rows = stmt.query_map([], user_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn find_users(&self, q: &UserSearch) -> StoreResult<Vec<User>> {
        let conn = self.read()?;
        if q.upn_prefix.is_none() && q.name_prefix.is_none() {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY upn LIMIT ?1"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([q.top], user_row).map_err(backend)?;
            return rows.collect::<Result<_, _>>().map_err(backend);
        }
        let (upn, upn_end) = crate::storage::prefix_range(&q.upn_prefix);
        let (name, name_end) = crate::storage::prefix_range(&q.name_prefix);
        let (sql, _) = crate::storage::search_query(USER_COLUMNS, '?', false);
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
        let kinds = if q.name_words { 2 } else { 1 };
        let rows = stmt
            .query_map(
                params![upn, upn_end, name, name_end, kinds, q.top],
                user_row,
            )
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn count_users(&self, q: &UserSearch) -> StoreResult<u64> {
        if q.upn_prefix.is_none() && q.name_prefix.is_none() {
            let n: Option<i64> = self.read_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
            return Ok(n.unwrap_or(0) as u64);
        }
        let (upn, upn_end) = crate::storage::prefix_range(&q.upn_prefix);
        let (name, name_end) = crate::storage::prefix_range(&q.name_prefix);
        let (_, sql) = crate::storage::search_query(USER_COLUMNS, '?', false);
        let kinds = if q.name_words { 2 } else { 1 };
        let n: Option<i64> =
            self.read_row(&sql, params![upn, upn_end, name, name_end, kinds], |r| {
                r.get(0)
            })?;
        Ok(n.unwrap_or(0) as u64)
    }

    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET webauthn_handle = ?2 WHERE id = ?1 AND webauthn_handle IS NULL",
            params![user_id, fresh],
        )
        .map_err(backend)?;
        conn.query_row(
            "SELECT webauthn_handle FROM users WHERE id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .map_err(backend)
    }

    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>> {
        self.read()?
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE webauthn_handle = ?1"),
                [handle],
                user_row,
            )
            .optional()
            .map_err(backend)
    }

    fn user_by_object_id(&self, object_id: &str) -> StoreResult<Option<User>> {
        self.read_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE object_id = ?1"),
            [object_id],
            user_row,
        )
    }

    fn update_user(
        &self,
        user_id: i64,
        update: &UserUpdate,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE users SET upn = coalesce(?2, upn), display_name = coalesce(?3, display_name),
                        time_zone = CASE WHEN ?4 THEN ?5 ELSE time_zone END, modified_at = ?6, version = version + 1
                 WHERE id = ?1",
                params![
                    user_id,
                    update.upn,
                    update.display_name,
                    update.time_zone.is_some(),
                    update.time_zone.clone().flatten(),
                    ms(at)
                ],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
                    "there is already a user {}",
                    update.upn.as_deref().unwrap_or_default()
                )),
                _ => backend(e),
            })?;
        if n == 0 {
            return Ok(false);
        }
        super::words::index_user(&tx, user_id)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn set_enabled(
        &self,
        user_id: i64,
        enabled: bool,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE users SET disabled_at = CASE WHEN ?2 THEN NULL ELSE ?3 END, modified_at = ?3, version = version + 1
                 WHERE id = ?1 AND (disabled_at IS NULL) = NOT ?2",
                params![user_id, enabled, ms(at)],
            )
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        // Methods stay (enabling brings them back); what is live ends.
        super::directory::end_personal(&tx, user_id, false)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn remove_user(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<bool> {
        Ok(self.remove_person(user_id, None, audit)? == Saved::Done)
    }
}
