//! Users on SQLite.

use super::*;

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
            "INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at, time_zone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![user.upn, user.display_name, role, json(&user.admin_roles), json(&user.groups), ms(at), user.time_zone],
        )
        .map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(format!("user {} already exists", user.upn)),
            _ => backend(e),
        })?;
        let id = conn.last_insert_rowid();
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
        // substr and instr, not LIKE: what is typed is matched literally.
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE (?1 IS NULL AND ?2 IS NULL)
                    OR (?1 IS NOT NULL AND substr(upn, 1, length(?1)) = ?1)
                    OR (?2 IS NOT NULL AND (lower(substr(display_name, 1, length(?2))) = lower(?2)
                        OR (?3 AND instr(lower(display_name), ' ' || lower(?2)) > 0)))
                 ORDER BY upn LIMIT ?4"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                params![q.upn_prefix, q.name_prefix, q.name_words, q.top],
                user_row,
            )
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
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
}
