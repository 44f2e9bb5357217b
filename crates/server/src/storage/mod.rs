//! Implementations of the domain's `Store`: SQLite, the embedded default,
//! and PostgreSQL, for several instances on one database.

pub mod postgres;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::domain::{Store, StoreError};
use std::sync::Arc;

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The store `--db` names: a `postgres://` URL (its server's certificate
/// checked against `ca_file` when given) or a SQLite file path.
pub fn open(db: &str, ca_file: Option<&std::path::Path>) -> Result<Arc<dyn Store>, StoreError> {
    Ok(if is_postgres(db) {
        Arc::new(PgStore::open(db, ca_file)?)
    } else {
        Arc::new(SqliteStore::open(std::path::Path::new(db))?)
    })
}

// What both backends read and write the same way: times as milliseconds
// since the epoch, lists as JSON text, and each table's columns in one order.

pub(crate) fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialisable")
}

/// A user's columns, `$t` naming the table (`"users."`, `"u."`), then the
/// names of the directory groups they are in, as a JSON list (`$names`, in
/// the backend's SQL), from an indexed subquery: a group change is seen at
/// the next request.
macro_rules! user_columns {
    ($t:literal, $names:literal) => {
        concat!(
            $t,
            "id, ",
            $t,
            "upn, ",
            $t,
            "display_name, ",
            $t,
            "role, ",
            $t,
            "admin_roles, ",
            $t,
            "groups_json, ",
            $t,
            "created_at, ",
            $t,
            "time_zone, ",
            $t,
            "object_id, ",
            $t,
            "disabled_at IS NULL, ",
            $t,
            "modified_at, ",
            "(SELECT ",
            $names,
            " FROM group_members m JOIN directory_groups g ON g.id = m.group_id WHERE m.user_id = ",
            $t,
            "id)"
        )
    };
}
pub(crate) use user_columns;

/// How many columns `USER_COLUMNS` has.
pub(crate) const USER_WIDTH: usize = 12;
pub(crate) const PASS_COLUMNS: &str = "id, user_id, code_hash, created_at, start_at, start_offset_seconds, lifetime_minutes, usable_once, used_at, created_by";
pub(crate) const SESSION_COLUMNS: &str =
    "id, token_hash, user_id, created_at, expires_at, passwordless_deadline, pass_id, last_seen_at, method, method_id";
pub(crate) const METHOD_COLUMNS: &str =
    "id, user_id, kind, name, detail, secret, credential_id, created_at, last_used_at, is_default, authenticator";
pub(crate) const PENDING_COLUMNS: &str =
    "id, user_id, purpose, state, code_hash, tries_left, expires_at";

pub(crate) const OUTBOX_COLUMNS: &str =
    "id, at, channel, recipient, subject, body, tries, last_error, failed, give_up_at, sealed_for";

/// A session's sign-in method as stored; an unknown name (written by a
/// newer build) counts as the weakest.
pub(crate) fn sign_in_method(name: String) -> crate::domain::store::SignInMethod {
    crate::domain::store::SignInMethod::parse(&name)
        .unwrap_or(crate::domain::store::SignInMethod::Email)
}

pub(crate) const CLIENT_COLUMNS: &str = "client_id, name, secret_hash, redirect_uris, post_logout_uris, consent, id_token_alg, created_at, phishing_resistant, offline_access, device_grant, backchannel_logout_uri";
pub(crate) const CODE_COLUMNS: &str = "code_hash, client_id, user_id, session_id, redirect_uri, scope, nonce, code_challenge, auth_time, method, expires_at";
pub(crate) const GRANT_COLUMNS: &str =
    "token_hash, client_id, user_id, code_hash, scope, expires_at, family";
pub(crate) const KEY_COLUMNS: &str = "kid, alg, sealed_jwk, created_at, retired_at";

pub(crate) fn uri_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The directory groups a person is in (`[{name, roles}]`, from
/// `user_columns!`): each group's name counts as one of theirs, and the
/// administrator roles a group grants are theirs while they are in it.
pub(crate) fn join_groups(user: &mut crate::domain::User, directory: Option<&str>) {
    #[derive(serde::Deserialize)]
    struct Membership {
        #[serde(default)]
        id: String,
        name: String,
        #[serde(default)]
        roles: Vec<serde_json::Value>,
    }
    let groups: Vec<Membership> = directory
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    for g in groups {
        if !g.id.is_empty() && !user.group_ids.contains(&g.id) {
            user.group_ids.push(g.id);
        }
        if !user.groups.contains(&g.name) {
            user.groups.push(g.name);
        }
        // A role this build does not know grants nothing.
        for role in g
            .roles
            .into_iter()
            .filter_map(|r| serde_json::from_value(r).ok())
        {
            user.role = crate::domain::Role::Admin;
            if !user.admin_roles.contains(&role) {
                user.admin_roles.push(role);
            }
        }
    }
}

/// A value the audit query binds.
pub(crate) enum AuditArg {
    Text(String),
    Millis(i64),
}

/// The audit trail's query for `f`, written for both backends (`$n` or
/// `?n`): only the filters given, so each is answered by its index (one
/// person's by `(upn, id)`, a kind's by `(event, id)`, a time range's by
/// `at`), the newest `f.newest` of them, oldest first.
pub(crate) fn audit_query(f: &crate::domain::AuditFilter, mark: char) -> (String, Vec<AuditArg>) {
    let mut args = Vec::new();
    let mut terms = Vec::new();
    let mut bind = |term: &str, arg: AuditArg| {
        args.push(arg);
        terms.push(format!("{term} {mark}{}", args.len()));
    };
    if let Some(upn) = &f.upn {
        bind("upn =", AuditArg::Text(upn.clone()));
    }
    if let Some(event) = &f.event {
        bind("event =", AuditArg::Text(event.clone()));
    }
    if let Some(since) = f.since {
        bind("at >=", AuditArg::Millis(since.timestamp_millis()));
    }
    if let Some(until) = f.until {
        bind("at <", AuditArg::Millis(until.timestamp_millis()));
    }
    let filter = if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    };
    let newest = if f.upn.is_some() || f.event.is_some() {
        "id DESC"
    } else {
        "at DESC, id DESC"
    };
    let limit = f.newest.map_or(String::new(), |n| format!("LIMIT {n}"));
    (
        format!(
            "SELECT at, upn, event, detail, actor, client FROM (
               SELECT id, at, upn, event, detail, actor, client FROM audit {filter}
               ORDER BY {newest} {limit}) newest
             ORDER BY id"
        ),
        args,
    )
}

/// What the help desk's search finds a person by, as rows of `user_words`
/// `(kind, word)`: 0 their account name, 1 their whole name, 2 their name
/// from each later word on ("love" finds "Ada Lovelace"). Lower-cased
/// here, once, for both backends; a prefix is then a range of one index.
pub(crate) fn search_words(upn: &str, display_name: &str) -> Vec<(i32, String)> {
    let name = display_name.to_lowercase();
    let mut words = vec![(0, upn.to_lowercase()), (1, name.clone())];
    words.extend(
        name.char_indices()
            .filter(|&(i, c)| c == ' ' && i + 1 < name.len())
            .map(|(i, _)| (2, name[i + 1..].to_string()))
            .filter(|(_, w)| !w.starts_with(' ')),
    );
    words
}

/// The lowest and the first string past every string that starts with
/// `prefix` (lower-cased): a prefix as a range, matched literally.
pub(crate) fn prefix_range(prefix: &Option<String>) -> (Option<String>, Option<String>) {
    match prefix {
        Some(p) => {
            let p = p.to_lowercase();
            let end = format!("{p}{}", char::MAX);
            (Some(p), Some(end))
        }
        None => (None, None),
    }
}

/// The search of `UserSearch` over `user_words` (`?n` or `$n`): up to
/// `top` by account name, and up to `top` by name, then by account name.
/// Binds: 1–2 the account-name range, 3–4 the name range, 5 the highest
/// kind of name word (1, or 2 for every word), 6 `top`.
pub(crate) fn search_query(columns: &str, mark: char, cast: bool) -> (String, String) {
    let p = |n: u8, t: &str| {
        if cast {
            format!("{mark}{n}::{t}")
        } else {
            format!("{mark}{n}")
        }
    };
    let matches = format!(
        "SELECT user_id FROM (SELECT user_id FROM user_words WHERE kind = 0 AND word >= {} AND word < {} ORDER BY word LIMIT {}) by_upn
         UNION SELECT user_id FROM (SELECT user_id FROM user_words WHERE kind IN (1, {}) AND word >= {} AND word < {} LIMIT {}) by_name",
        p(1, "text"), p(2, "text"), p(6, "bigint"), p(5, "int"), p(3, "text"), p(4, "text"), p(6, "bigint")
    );
    (
        format!(
            "SELECT {columns} FROM users WHERE id IN ({matches}) ORDER BY upn LIMIT {}",
            p(6, "bigint")
        ),
        format!(
            "SELECT COUNT(*) FROM (SELECT user_id FROM user_words WHERE kind = 0 AND word >= {} AND word < {}
             UNION SELECT user_id FROM user_words WHERE kind IN (1, {}) AND word >= {} AND word < {}) m",
            p(1, "text"), p(2, "text"), p(5, "int"), p(3, "text"), p(4, "text")
        ),
    )
}
