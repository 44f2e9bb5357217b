//! The OpenID Connect provider's rows on PostgreSQL.

use super::*;
use crate::domain::oidc::{AccessGrant, OidcClient, SigningKey};

/// An access token that still stands: with its session (the refresh
/// family's, or its code's for tokens from before families), and none whose
/// family has ended.
const ACCESS_TOKEN: &str = "SELECT t.token_hash, t.client_id, t.user_id, t.code_hash, t.scope, t.expires_at,
    coalesce(f.session_id, c.session_id), t.family, f.family IS NOT NULL AND f.session_id IS NULL
    FROM oidc_access_tokens t LEFT JOIN oidc_codes c ON c.code_hash = t.code_hash LEFT JOIN oidc_refresh f ON f.family = t.family
    WHERE t.token_hash = $1 AND (t.family IS NULL OR f.family IS NOT NULL)";

fn client_row(r: &Row) -> OidcClient {
    OidcClient {
        client_id: r.get(0),
        name: r.get(1),
        secret_hash: r.get(2),
        redirect_uris: uri_list(r.get(3)),
        post_logout_uris: uri_list(r.get(4)),
        consent: r.get(5),
        id_token_alg: r.get(6),
        created_at: time(r.get(7)),
        phishing_resistant: r.get(8),
        offline_access: r.get(9),
        device_grant: r.get(10),
        backchannel_logout_uri: r.get(11),
    }
}

fn grant_row(r: &Row) -> AccessGrant {
    AccessGrant {
        token_hash: r.get(0),
        client_id: r.get(1),
        user_id: r.get(2),
        code_hash: r.get(3),
        scope: r.get(4),
        expires_at: time(r.get(5)),
        session_id: r.get(6),
        family: r.get(7),
        offline: r.get(8),
    }
}

fn key_row(r: &Row) -> SigningKey {
    SigningKey {
        kid: r.get(0),
        alg: r.get(1),
        sealed_jwk: r.get(2),
        created_at: time(r.get(3)),
        retired_at: r.get::<_, Option<i64>>(4).map(time),
    }
}

fn insert_key(c: &mut impl GenericClient, k: &SigningKey) -> StoreResult<bool> {
    c.execute(
        &format!("INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
        &[
            &k.kid,
            &k.alg,
            &k.sealed_jwk,
            &ms(k.created_at),
            &k.retired_at.map(ms),
        ],
    )
    .map(|n| n == 1)
    .map_err(backend)
}

impl Federation for PgStore {
    fn insert_client(&self, c: &OidcClient, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        tx.execute(
            &format!("INSERT INTO oidc_clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            &[
                &c.client_id,
                &c.name,
                &c.secret_hash,
                &json(&c.redirect_uris),
                &json(&c.post_logout_uris),
                &c.consent,
                &c.id_token_alg,
                &ms(c.created_at),
                &c.phishing_resistant,
                &c.offline_access,
                &c.device_grant,
                &c.backchannel_logout_uri,
            ],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn client(&self, client_id: &str) -> StoreResult<Option<OidcClient>> {
        self.one(
            &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = $1"),
            &[&client_id],
            client_row,
        )
    }

    fn clients(&self) -> StoreResult<Vec<OidcClient>> {
        self.many(
            &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY created_at, client_id"),
            &[],
            client_row,
        )
    }

    fn remove_client(&self, client_id: &str, audit: &AuditEvent) -> StoreResult<bool> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "DELETE FROM oidc_access_tokens WHERE client_id = $1",
            &[&client_id],
        )
        .map_err(backend)?;
        tx.execute("DELETE FROM oidc_codes WHERE client_id = $1", &[&client_id])
            .map_err(backend)?;
        let n = tx
            .execute(
                "DELETE FROM oidc_clients WHERE client_id = $1",
                &[&client_id],
            )
            .map_err(backend)?;
        if n == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }

    fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.change_audited(
            "UPDATE oidc_clients SET secret_hash = $2 WHERE client_id = $1 AND secret_hash IS NOT NULL",
            &[&client_id, &secret_hash],
            audit,
        )
    }

    fn access_token(&self, token_hash: &str) -> StoreResult<Option<AccessGrant>> {
        self.one(ACCESS_TOKEN, &[&token_hash], grant_row)
    }

    fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        self.many(
            &format!("SELECT {KEY_COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid"),
            &[],
            key_row,
        )
    }

    fn add_first_signing_key(&self, key: &SigningKey) -> StoreResult<bool> {
        self.exec(
            &format!("INSERT INTO signing_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"),
            &[&key.kid, &key.alg, &key.sealed_jwk, &ms(key.created_at), &key.retired_at.map(ms)],
        )
        .map(|n| n == 1)
    }

    fn rotate_signing_keys(
        &self,
        keys: &[SigningKey],
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut conn = self.client()?;
        let mut tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
            &[&ms(at)],
        )
        .map_err(backend)?;
        tx.execute(
            "DELETE FROM signing_keys WHERE retired_at < $1",
            &[&ms(forget_before)],
        )
        .map_err(backend)?;
        for k in keys {
            insert_key(&mut tx, k)?;
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }
}
