//! Users on PostgreSQL.

use super::*;
use crate::domain::store::{Directory, Saved};

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
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let row = tx
            .query_one(
                &format!("INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at, time_zone, object_id, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) RETURNING {USER_COLUMNS}"),
                &[&user.upn, &user.display_name, &role, &json(&user.admin_roles), &json(&user.groups), &ms(at), &user.time_zone, &uuid::Uuid::new_v4().to_string()],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("user {} already exists", user.upn))
                } else {
                    backend(e)
                }
            })?;
        let user = user_row(&row);
        super::words::index_user(&mut tx, user.id)?;
        tx.commit().map_err(backend)?;
        Ok(user)
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
        let top = i64::from(q.top);
        if q.upn_prefix.is_none() && q.name_prefix.is_none() {
            return self.many(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY upn LIMIT $1"),
                &[&top],
                user_row,
            );
        }
        let (upn, upn_end) = crate::storage::prefix_range(&q.upn_prefix);
        let (name, name_end) = crate::storage::prefix_range(&q.name_prefix);
        let kinds: i32 = if q.name_words { 2 } else { 1 };
        let (sql, _) = crate::storage::search_query(USER_COLUMNS, '$', true);
        self.many(
            &sql,
            &[&upn, &upn_end, &name, &name_end, &kinds, &top],
            user_row,
        )
    }

    fn count_users(&self, q: &UserSearch) -> StoreResult<u64> {
        if q.upn_prefix.is_none() && q.name_prefix.is_none() {
            let n = self.one("SELECT COUNT(*) FROM users", &[], |r| r.get::<_, i64>(0))?;
            return Ok(n.unwrap_or(0) as u64);
        }
        let (upn, upn_end) = crate::storage::prefix_range(&q.upn_prefix);
        let (name, name_end) = crate::storage::prefix_range(&q.name_prefix);
        let kinds: i32 = if q.name_words { 2 } else { 1 };
        let (_, sql) = crate::storage::search_query(USER_COLUMNS, '$', true);
        let n = self.one(&sql, &[&upn, &upn_end, &name, &name_end, &kinds], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(n.unwrap_or(0) as u64)
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

    fn user_by_object_id(&self, object_id: &str) -> StoreResult<Option<User>> {
        self.one(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE object_id = $1"),
            &[&object_id],
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
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE users SET upn = coalesce($2, upn), display_name = coalesce($3, display_name),
                        time_zone = CASE WHEN $4 THEN $5 ELSE time_zone END, modified_at = $6, version = version + 1
                 WHERE id = $1",
                &[
                    &user_id,
                    &update.upn,
                    &update.display_name,
                    &update.time_zone.is_some(),
                    &update.time_zone.clone().flatten(),
                    &ms(at),
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!(
                        "there is already a user {}",
                        update.upn.as_deref().unwrap_or_default()
                    ))
                } else {
                    backend(e)
                }
            })?;
        if n == 0 {
            return Ok(false);
        }
        super::words::index_user(&mut tx, user_id)?;
        insert_audit(&mut tx, audit)?;
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
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE users SET disabled_at = CASE WHEN $2 THEN NULL ELSE $3::BIGINT END, modified_at = $3, version = version + 1
                 WHERE id = $1 AND (disabled_at IS NULL) = NOT $2",
                &[&user_id, &enabled, &ms(at)],
            )
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        // Methods stay (enabling brings them back); what is live ends.
        super::directory::end_personal(&mut tx, user_id, false)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn remove_user(&self, user_id: i64, audit: &AuditEvent) -> StoreResult<bool> {
        Ok(self.remove_person(user_id, None, audit)? == Saved::Done)
    }
}
