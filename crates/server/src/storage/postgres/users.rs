//! Users on PostgreSQL.

use super::*;

impl Users for PgStore {
    fn is_empty(&self) -> StoreResult<bool> {
        let n = self.one("SELECT COUNT(*) FROM users", &[], |r| r.get::<_, i64>(0))?;
        Ok(n.unwrap_or(0) == 0)
    }

    fn insert_user(&self, user: &NewUser, at: DateTime<Utc>) -> StoreResult<User> {
        let role = match user.role {
            Role::Admin => "admin",
            Role::Member => "member",
        };
        let row = self
            .client()?
            .query_one(
                &format!("INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"),
                &[&user.upn, &user.display_name, &role, &json(&user.admin_roles), &json(&user.groups), &ms(at), &user.time_zone],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("user {} already exists", user.upn))
                } else {
                    backend(e)
                }
            })?;
        Ok(user_row(&row))
    }

    fn user_by_upn(&self, upn: &str) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE upn = $1"),
            &[&upn],
            user_row,
        )
    }

    fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &[&id],
            user_row,
        )
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        self.many(
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn"),
            &[],
            user_row,
        )
    }

    fn find_users(&self, q: &UserSearch) -> StoreResult<Vec<User>> {
        // left() and position(), not LIKE: what is typed is matched literally.
        self.many(
            &format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE ($1::TEXT IS NULL AND $2::TEXT IS NULL)
                    OR ($1::TEXT IS NOT NULL AND left(upn, length($1::TEXT)) = $1::TEXT)
                    OR ($2::TEXT IS NOT NULL AND (lower(left(display_name, length($2::TEXT))) = lower($2::TEXT)
                        OR ($3 AND position(' ' || lower($2::TEXT) in lower(display_name)) > 0)))
                 ORDER BY upn LIMIT $4"
            ),
            &[&q.upn_prefix, &q.name_prefix, &q.name_words, &i64::from(q.top)],
            user_row,
        )
    }

    fn user_handle(&self, user_id: i64, fresh: &str) -> StoreResult<String> {
        let mut c = self.client()?;
        c.execute(
            "UPDATE users SET webauthn_handle = $2 WHERE id = $1 AND webauthn_handle IS NULL",
            &[&user_id, &fresh],
        )
        .map_err(backend)?;
        c.query_one(
            "SELECT webauthn_handle FROM users WHERE id = $1",
            &[&user_id],
        )
        .map(|r| r.get(0))
        .map_err(backend)
    }

    fn user_by_handle(&self, handle: &str) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE webauthn_handle = $1"),
            &[&handle],
            user_row,
        )
    }
}
