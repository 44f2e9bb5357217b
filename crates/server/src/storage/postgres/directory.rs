//! The directory's people, groups and provisioning tokens on PostgreSQL.

use super::*;
use crate::domain::store::{
    Directory, GroupRecord, NewGroup, NewPerson, PersonRecord, ProvisioningToken, Saved,
};

/// A person's directory record, after `USER_COLUMNS`.
const PERSON_COLUMNS: &str = "external_id, profile_json, version, joiner_pass_at";

const GROUP_COLUMNS: &str =
    "id, object_id, display_name, external_id, created_at, modified_at, version, admin_roles";

/// A person's directory record, read after their user columns.
fn person_row(r: &Row) -> PersonRecord {
    PersonRecord {
        external_id: r.get(USER_WIDTH),
        profile: r.get(USER_WIDTH + 1),
        version: r.get(USER_WIDTH + 2),
        joiner_pass_at: r.get::<_, Option<i64>>(USER_WIDTH + 3).map(time),
    }
}

fn group_row(r: &Row) -> GroupRecord {
    GroupRecord {
        id: r.get(0),
        object_id: r.get(1),
        display_name: r.get(2),
        external_id: r.get(3),
        members: Vec::new(),
        created_at: time(r.get(4)),
        modified_at: time(r.get(5)),
        version: r.get(6),
        admin_roles: serde_json::from_str(&r.get::<_, String>(7)).unwrap_or_default(),
    }
}

fn provisioning_row(r: &Row) -> ProvisioningToken {
    ProvisioningToken {
        id: r.get(0),
        name: r.get(1),
        token_hash: r.get(2),
        created_at: time(r.get(3)),
        expires_at: time(r.get(4)),
        revoked_at: r.get::<_, Option<i64>>(5).map(time),
    }
}

fn taken<'a>(what: &'static str, name: &'a str) -> impl Fn(postgres::Error) -> StoreError + 'a {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("there is already a {what} {name}"))
        } else {
            backend(e)
        }
    }
}

fn members_of(c: &mut impl GenericClient, group_id: i64) -> StoreResult<Vec<(String, String)>> {
    Ok(c.query(
        "SELECT u.object_id, u.upn FROM group_members m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = $1 ORDER BY u.upn",
        &[&group_id],
    )
    .map_err(backend)?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

fn set_members(tx: &mut impl GenericClient, group_id: i64, members: &[String]) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM group_members WHERE group_id = $1",
        &[&group_id],
    )
    .map_err(backend)?;
    tx.execute(
        "INSERT INTO group_members (group_id, user_id) SELECT $1, id FROM users WHERE object_id = ANY($2) ON CONFLICT DO NOTHING",
        &[&group_id, &members],
    )
    .map_err(backend)?;
    Ok(())
}

/// Locks the row and says whether it is at `expected`; `None`: gone.
fn at_version(
    tx: &mut impl GenericClient,
    table: &str,
    id: i64,
    expected: Option<i64>,
) -> StoreResult<Option<bool>> {
    let version: Option<i64> = tx
        .query_opt(
            &format!("SELECT version FROM {table} WHERE id = $1 FOR UPDATE"),
            &[&id],
        )
        .map_err(backend)?
        .map(|r| r.get(0));
    Ok(version.map(|v| expected.is_none_or(|e| e == v)))
}

impl PgStore {
    /// `work` on the row of `table` (locked) with its audit event, in one
    /// transaction, if the row is still at `expected`.
    fn conditional(
        &self,
        table: &str,
        id: i64,
        expected: Option<i64>,
        audit: &AuditEvent,
        work: impl FnOnce(&mut postgres::Transaction<'_>) -> StoreResult<()>,
    ) -> StoreResult<Saved> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        match at_version(&mut tx, table, id, expected)? {
            None => return Ok(Saved::Gone),
            Some(false) => return Ok(Saved::Stale),
            Some(true) => {}
        }
        work(&mut tx)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(Saved::Done)
    }
}

/// Ends what is live of a person (`PERSONAL_TABLES`), and with `all` what
/// stays while they are disabled too.
pub(super) fn end_personal(
    tx: &mut impl GenericClient,
    user_id: i64,
    all: bool,
) -> StoreResult<()> {
    let kept: &[&str] = if all { &KEPT_WHILE_DISABLED } else { &[] };
    for table in PERSONAL_TABLES.iter().chain(kept) {
        tx.execute(
            &format!("DELETE FROM {table} WHERE user_id = $1"),
            &[&user_id],
        )
        .map_err(backend)?;
    }
    Ok(())
}

impl Directory for PgStore {
    fn insert_provisioning_token(
        &self,
        t: &ProvisioningToken,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO provisioning_tokens (id, name, token_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)",
            &[&t.id, &t.name, &t.token_hash, &ms(t.created_at), &ms(t.expires_at)],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn provisioning_token_by_hash(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<ProvisioningToken>> {
        self.one(
            "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM provisioning_tokens WHERE token_hash = $1",
            &[&token_hash],
            provisioning_row,
        )
    }

    fn provisioning_tokens(&self) -> StoreResult<Vec<ProvisioningToken>> {
        self.many(
            "SELECT id, name, token_hash, created_at, expires_at, revoked_at FROM provisioning_tokens ORDER BY created_at DESC, id",
            &[],
            provisioning_row,
        )
    }

    fn revoke_provisioning_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let n = tx
            .execute(
                "UPDATE provisioning_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &ms(at)],
            )
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn person(&self, user_id: i64) -> StoreResult<Option<(User, PersonRecord)>> {
        self.one(
            &format!("SELECT {USER_COLUMNS}, {PERSON_COLUMNS} FROM users WHERE id = $1"),
            &[&user_id],
            |r| (user_row(r), person_row(r)),
        )
    }

    fn people(&self) -> StoreResult<Vec<(User, PersonRecord)>> {
        self.many(
            &format!("SELECT {USER_COLUMNS}, {PERSON_COLUMNS} FROM users ORDER BY upn"),
            &[],
            |r| (user_row(r), person_row(r)),
        )
    }

    fn users_by_external_id(&self, external_id: &str) -> StoreResult<Vec<User>> {
        self.many(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE external_id = $1 ORDER BY upn"),
            &[&external_id],
            user_row,
        )
    }

    fn create_person(
        &self,
        p: &NewPerson,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<User> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO users (upn, display_name, role, admin_roles, groups_json, created_at, time_zone, object_id, modified_at, disabled_at, external_id, profile_json, version)
                     VALUES ($1, $2, 'member', '[]', '[]', $3, $4, $5, $3, CASE WHEN $6 THEN NULL ELSE $3::BIGINT END, $7, $8, 1)
                     RETURNING {USER_COLUMNS}"
                ),
                &[&p.upn, &p.display_name, &ms(at), &p.time_zone, &uuid::Uuid::new_v4().to_string(), &p.enabled, &p.external_id, &p.profile],
            )
            .map_err(taken("user", &p.upn))?;
        let user = user_row(&row);
        super::words::index_user(&mut tx, user.id)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(user)
    }

    fn save_person(
        &self,
        user_id: i64,
        p: &NewPerson,
        expected: Option<i64>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved> {
        self.conditional("users", user_id, expected, audit, |tx| {
            let was_enabled: bool = tx
                .query_one(
                    "SELECT disabled_at IS NULL FROM users WHERE id = $1",
                    &[&user_id],
                )
                .map_err(backend)?
                .get(0);
            tx.execute(
                "UPDATE users SET upn = $2, display_name = $3, time_zone = $4, external_id = $5, profile_json = $6,
                        disabled_at = CASE WHEN $7 THEN NULL ELSE coalesce(disabled_at, $8) END,
                        modified_at = $8, version = version + 1
                 WHERE id = $1",
                &[&user_id, &p.upn, &p.display_name, &p.time_zone, &p.external_id, &p.profile, &p.enabled, &ms(at)],
            )
            .map_err(taken("user", &p.upn))?;
            super::words::index_user(tx, user_id)?;
            if was_enabled != p.enabled {
                end_personal(tx, user_id, false)?;
            }
            Ok(())
        })
    }

    fn issue_joiner_pass(
        &self,
        p: &StoredPass,
        message: &Outgoing,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        // Reserved in one statement (the row stays locked to the commit):
        // a second provisioning of the same joiner finds it taken.
        let reserved = tx
            .execute(
                "UPDATE users SET joiner_pass_at = $2
                 WHERE id = $1 AND joiner_pass_at IS NULL AND disabled_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM passes WHERE user_id = $1)",
                &[&p.user_id, &ms(p.created_at)],
            )
            .map_err(backend)?;
        if reserved == 0 {
            return Ok(false);
        }
        super::passes::insert_pass(&mut tx, p)?;
        insert_outgoing(&mut tx, message)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn remove_person(
        &self,
        user_id: i64,
        expected: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved> {
        self.conditional("users", user_id, expected, audit, |tx| {
            end_personal(tx, user_id, true)?;
            tx.execute("DELETE FROM users WHERE id = $1", &[&user_id])
                .map_err(backend)?;
            Ok(())
        })
    }

    fn groups(&self) -> StoreResult<Vec<GroupRecord>> {
        let mut c = self.client()?;
        let groups: Vec<GroupRecord> = c
            .query(
                &format!("SELECT {GROUP_COLUMNS} FROM directory_groups ORDER BY display_name"),
                &[],
            )
            .map_err(backend)?
            .iter()
            .map(group_row)
            .collect();
        groups
            .into_iter()
            .map(|mut g| {
                g.members = members_of(&mut **c, g.id)?;
                Ok(g)
            })
            .collect()
    }

    fn group(&self, object_id: &str) -> StoreResult<Option<GroupRecord>> {
        let mut c = self.client()?;
        let found = c
            .query_opt(
                &format!("SELECT {GROUP_COLUMNS} FROM directory_groups WHERE object_id = $1"),
                &[&object_id],
            )
            .map_err(backend)?
            .map(|r| group_row(&r));
        found
            .map(|mut g| {
                g.members = members_of(&mut **c, g.id)?;
                Ok(g)
            })
            .transpose()
    }

    fn create_group(
        &self,
        g: &NewGroup,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<GroupRecord> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let row = tx
            .query_one(
                &format!("INSERT INTO directory_groups (object_id, display_name, external_id, created_at, modified_at, version) VALUES ($1, $2, $3, $4, $4, 1) RETURNING {GROUP_COLUMNS}"),
                &[&uuid::Uuid::new_v4().to_string(), &g.display_name, &g.external_id, &ms(at)],
            )
            .map_err(taken("group", &g.display_name))?;
        let mut out = group_row(&row);
        set_members(&mut tx, out.id, &g.members)?;
        out.members = members_of(&mut tx, out.id)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(out)
    }

    fn save_group(
        &self,
        id: i64,
        g: &NewGroup,
        expected: Option<i64>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved> {
        self.conditional("directory_groups", id, expected, audit, |tx| {
            tx.execute(
                "UPDATE directory_groups SET display_name = $2, external_id = $3, modified_at = $4, version = version + 1 WHERE id = $1",
                &[&id, &g.display_name, &g.external_id, &ms(at)],
            )
            .map_err(taken("group", &g.display_name))?;
            set_members(&mut *tx, id, &g.members)?;
            Ok(())
        })
    }

    fn remove_group(
        &self,
        id: i64,
        expected: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved> {
        self.conditional("directory_groups", id, expected, audit, |tx| {
            tx.execute("DELETE FROM group_members WHERE group_id = $1", &[&id])
                .map_err(backend)?;
            tx.execute("DELETE FROM directory_groups WHERE id = $1", &[&id])
                .map_err(backend)?;
            Ok(())
        })
    }

    fn set_group_roles(
        &self,
        id: i64,
        roles: &[AdminRole],
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved> {
        self.conditional("directory_groups", id, None, audit, |tx| {
            tx.execute(
                "UPDATE directory_groups SET admin_roles = $2, modified_at = $3, version = version + 1 WHERE id = $1",
                &[&id, &json(&roles), &ms(at)],
            )
            .map_err(backend)?;
            Ok(())
        })
    }
}
