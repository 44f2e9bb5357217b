//! The schema, as numbered migrations applied once each, one instance at a
//! time (an advisory lock).

use super::*;

/// Each entry is applied once, in order, inside one transaction; the
/// number applied is kept in `tapin_schema`.
pub(in crate::storage) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    upn TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    admin_roles TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    webauthn_handle TEXT UNIQUE
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE passes (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    start_offset_seconds INTEGER NOT NULL,
    lifetime_minutes BIGINT NOT NULL,
    usable_once BOOLEAN NOT NULL,
    used_at BIGINT,
    created_by TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    passwordless_deadline BIGINT,
    pass_id TEXT,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
CREATE TABLE methods (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT,
    detail TEXT NOT NULL,
    secret TEXT,
    credential_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX methods_user ON methods (user_id);
CREATE TABLE pending (
    id TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    code_hash TEXT,
    tries_left BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_expires_at ON pending (expires_at);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    upn TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_upn ON audit (upn, id);
CREATE INDEX audit_event ON audit (event, at);
CREATE INDEX audit_at ON audit (at);
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    next_try_at BIGINT NOT NULL DEFAULT 0,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    give_up_at BIGINT NOT NULL,
    failed BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (failed, next_try_at);
CREATE INDEX outbox_at ON outbox (at);
CREATE TABLE signin_attempts (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX signin_attempts_pair ON signin_attempts (account, client, at);
CREATE INDEX signin_attempts_client ON signin_attempts (client, at);
CREATE INDEX signin_attempts_at ON signin_attempts (at);
CREATE TABLE sends (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    destination TEXT NOT NULL,
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sends_destination ON sends (destination, at);
CREATE INDEX sends_user ON sends (user_id, at);
CREATE INDEX sends_client ON sends (client, at);
CREATE INDEX sends_at ON sends (at);
"#,
    r#"
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    read_only BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
"#,
    "ALTER TABLE users ADD COLUMN time_zone TEXT;",
    r#"
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'pass';
UPDATE sessions SET method = 'passkey' WHERE pass_id IS NULL;
ALTER TABLE methods ADD COLUMN totp_step BIGINT;
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,
    redirect_uris TEXT NOT NULL,
    post_logout_uris TEXT NOT NULL,
    consent BOOLEAN NOT NULL,
    id_token_alg TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    phishing_resistant BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    method TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    replayed_at BIGINT
);
CREATE INDEX oidc_codes_expires_at ON oidc_codes (expires_at);
CREATE TABLE oidc_access_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_access_tokens_code ON oidc_access_tokens (code_hash);
CREATE INDEX oidc_access_tokens_expires_at ON oidc_access_tokens (expires_at);
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE retired_at IS NULL;
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
"#,
    // The method that opened a session (removing it ends the session), and
    // consecutive failed code sign-ins per account.
    r#"
ALTER TABLE sessions ADD COLUMN method_id TEXT;
CREATE INDEX sessions_method ON sessions (method_id);
CREATE TABLE code_failures (
    account TEXT PRIMARY KEY,
    consecutive BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
CREATE TABLE anonymous_starts (
    client TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX anonymous_starts_client ON anonymous_starts (client, at);
CREATE INDEX anonymous_starts_at ON anonymous_starts (at);
"#,
    // The directory: a stable public id for each person, whether they are
    // disabled, and when they last changed.
    r#"
ALTER TABLE users ADD COLUMN object_id TEXT;
UPDATE users SET object_id = gen_random_uuid()::text;
ALTER TABLE users ALTER COLUMN object_id SET NOT NULL;
CREATE UNIQUE INDEX users_object_id ON users (object_id);
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN modified_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET modified_at = created_at;
"#,
    // The directory (SCIM): a person's external id, their other
    // attributes and a version for ETags; groups with members; the
    // provisioning clients' tokens.
    r#"
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE INDEX users_external_id ON users (external_id);
ALTER TABLE users ADD COLUMN profile_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE directory_groups (
    id BIGSERIAL PRIMARY KEY,
    object_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL UNIQUE,
    external_id TEXT,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    -- Administrator roles its members hold while they are in it.
    admin_roles TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES directory_groups(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);
CREATE TABLE provisioning_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
"#,
    // Joiners: when a person's first-day pass was issued (once ever), and
    // an outbox message sealed for its row (a pass on its way to a manager).
    r#"
ALTER TABLE users ADD COLUMN joiner_pass_at BIGINT;
ALTER TABLE outbox ADD COLUMN sealed_for TEXT;
-- The audit page's newest events of one kind.
CREATE INDEX audit_event_id ON audit (event, id);
-- The help desk's search: each person's account name, name and the rest
-- of their name from each later word, lower-cased, so a prefix is a range.
CREATE TABLE user_words (
    kind INTEGER NOT NULL,
    word TEXT COLLATE "C" NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, word, user_id)
);
CREATE INDEX user_words_user ON user_words (user_id);

"#,
    // Applications that lean on tapin: refresh-token families (the
    // current token's hash; spent ones kept to catch reuse), which
    // applications each session signed in to (back-channel logout), device
    // codes (RFC 8628), and what each client may use.
    r#"
ALTER TABLE oidc_clients ADD COLUMN offline_access BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oidc_clients ADD COLUMN device_grant BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE oidc_access_tokens ADD COLUMN family TEXT;
CREATE INDEX oidc_access_tokens_family ON oidc_access_tokens (family);
CREATE INDEX oidc_access_tokens_user ON oidc_access_tokens (user_id);
CREATE TABLE oidc_refresh (
    family TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id TEXT,
    code_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    method TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_refresh_user ON oidc_refresh (user_id);
CREATE INDEX oidc_refresh_code ON oidc_refresh (code_hash);
CREATE INDEX oidc_refresh_client ON oidc_refresh (client_id);
CREATE INDEX oidc_refresh_expires_at ON oidc_refresh (expires_at);
CREATE TABLE oidc_refresh_used (
    token_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL REFERENCES oidc_refresh(family) ON DELETE CASCADE,
    used_at BIGINT NOT NULL
);
CREATE INDEX oidc_refresh_used_family ON oidc_refresh_used (family);
CREATE TABLE oidc_logins (
    session_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, client_id)
);
CREATE TABLE oidc_device_codes (
    device_hash TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    polled_at BIGINT,
    slowed_at BIGINT,
    status TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    session_id TEXT,
    auth_time BIGINT,
    method TEXT,
    used_at BIGINT
);
CREATE INDEX oidc_device_codes_user ON oidc_device_codes (user_id);
CREATE INDEX oidc_device_codes_expires_at ON oidc_device_codes (expires_at);
"#,
    // What a passkey's or security key's authenticator told at registration
    // (its model's AAGUID, attestation, whether it syncs), asked by the
    // passkey profiles at every sign-in.
    "ALTER TABLE methods ADD COLUMN authenticator TEXT;",
];

/// Any number: the advisory lock that lets one instance migrate at a time.
const MIGRATION_LOCK: i64 = 0x7461_7069_6e00;

pub(super) fn migrate(c: &mut postgres::Client) -> StoreResult<()> {
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(backend)?;
    let result = (|| {
        c.batch_execute("CREATE TABLE IF NOT EXISTS tapin_schema (version INTEGER NOT NULL)")
            .map_err(backend)?;
        let version: i32 = c
            .query_opt("SELECT version FROM tapin_schema", &[])
            .map_err(backend)?
            .map_or(0, |r| r.get(0));
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::Backend(format!(
                "the database is at schema version {version}, newer than this tapin knows ({}); run a newer tapin",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let mut tx = c.transaction().map_err(backend)?;
            tx.batch_execute(sql).map_err(backend)?;
            tx.execute("DELETE FROM tapin_schema", &[])
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO tapin_schema (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        // Under the lock: one instance indexes those from before the index.
        super::words::index_everyone(&mut *c)
    })();
    let _ = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}
