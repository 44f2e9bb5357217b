//! ID-token signing keys: made with josekit (OpenSSL underneath), kept as
//! private JSON Web Keys sealed with the deployment's secret key, published
//! as a JWKS, rotated by `tapin keys rotate`.
//!
//! Each instance keeps the keys it last read opened (unsealed, parsed, a
//! signer and a verifier made) for `KEY_CACHE_SECONDS`: `cargo xtask bench
//! oidc` measured reading, unsealing and parsing them for every token as
//! most of a sign-in's cost. A rotation on this instance is seen at once,
//! on any other within those seconds; the retired key stays published and
//! valid for verification, so a token signed meanwhile still verifies.

use super::super::methods::random_hex;
use super::super::{AuditEvent, Error, Result, Tapin};
use super::SigningKey;
use chrono::Duration;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier, ES256, RS256};
use josekit::jwt::JwtPayload;
use std::sync::{Arc, Mutex};

/// How long an instance uses the keys it read before reading them again.
const KEY_CACHE_SECONDS: i64 = 5;

/// A key, opened once.
struct OpenKey {
    record: SigningKey,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    public: serde_json::Value,
}

/// This instance's opened keys and when they were read.
#[derive(Default)]
pub struct KeyCache(Mutex<Option<ReadKeys>>);

/// When the keys were read, and the keys.
type ReadKeys = (chrono::DateTime<chrono::Utc>, Arc<Vec<OpenKey>>);

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

/// ES256 for every client unless it asks for RS256.
pub const SIGNING_ALGORITHMS: [&str; 2] = ["ES256", "RS256"];
/// How long an ID token is valid; a retired key stays published this long
/// (and a minute more) so tokens it signed still verify.
pub const ID_TOKEN_TTL_MINUTES: i64 = 60;

fn jose(e: josekit::JoseError) -> Error {
    Error::Storage(format!("signing key: {e}"))
}

fn generate(alg: &str) -> Result<Jwk> {
    let mut jwk = match alg {
        "ES256" => Jwk::generate_ec_key(EcCurve::P256),
        "RS256" => Jwk::generate_rsa_key(2048),
        other => {
            return Err(Error::invalid(format!(
                "unsupported signing algorithm {other}"
            )))
        }
    }
    .map_err(jose)?;
    jwk.set_key_id(random_hex(8));
    jwk.set_algorithm(alg);
    jwk.set_key_use("sig");
    Ok(jwk)
}

impl Tapin {
    fn new_signing_key(&self, alg: &str) -> Result<SigningKey> {
        let jwk = generate(alg)?;
        let kid = jwk.key_id().unwrap_or_default().to_string();
        Ok(SigningKey {
            sealed_jwk: self
                .keys
                .seal(
                    &crate::domain::secrets::row("signing_keys", &kid),
                    &jwk.to_string(),
                )
                .map_err(Error::Storage)?,
            kid,
            alg: alg.to_string(),
            created_at: self.now(),
            retired_at: None,
        })
    }

    /// Makes the first key of each algorithm, unless one exists (called as
    /// the server starts; several instances starting together make one).
    pub fn ensure_signing_keys(&self) -> Result<()> {
        let keys = self.store.signing_keys()?;
        for alg in SIGNING_ALGORITHMS {
            if !keys.iter().any(|k| k.alg == alg && k.retired_at.is_none()) {
                self.store
                    .add_first_signing_key(&self.new_signing_key(alg)?)?;
            }
        }
        self.forget_keys();
        Ok(())
    }

    /// New keys for every algorithm; the old ones stay published until the
    /// ID tokens they signed have expired. Returns the new key ids.
    pub fn rotate_signing_keys(&self) -> Result<Vec<String>> {
        let fresh = SIGNING_ALGORITHMS
            .iter()
            .map(|alg| self.new_signing_key(alg))
            .collect::<Result<Vec<_>>>()?;
        let now = self.now();
        let kids: Vec<String> = fresh.iter().map(|k| k.kid.clone()).collect();
        let audit = AuditEvent {
            at: now,
            upn: String::new(),
            event: "signing_keys_rotated".into(),
            detail: format!("new keys {}", kids.join(", ")),
            actor: "operator".into(),
            client: String::new(),
        };
        self.store
            .rotate_signing_keys(&fresh, now, now - retention(), &audit)?;
        self.forget_keys();
        Ok(kids)
    }

    fn private_jwk(&self, key: &SigningKey) -> Result<Jwk> {
        let text = self
            .keys
            .open(
                &crate::domain::secrets::row("signing_keys", &key.kid),
                &key.sealed_jwk,
            )
            .map_err(Error::Storage)?;
        Jwk::from_bytes(text.as_bytes()).map_err(jose)
    }

    fn forget_keys(&self) {
        *self.signing.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn open_key(&self, key: SigningKey) -> Result<OpenKey> {
        let jwk = self.private_jwk(&key)?;
        // to_public_key keeps only the key material (and use).
        let mut public = jwk.to_public_key().map_err(jose)?;
        public.set_key_id(&key.kid);
        public.set_algorithm(&key.alg);
        public.set_key_use("sig");
        let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match key.alg.as_str()
        {
            "RS256" => (
                Box::new(RS256.signer_from_jwk(&jwk).map_err(jose)?),
                Box::new(RS256.verifier_from_jwk(&public).map_err(jose)?),
            ),
            _ => (
                Box::new(ES256.signer_from_jwk(&jwk).map_err(jose)?),
                Box::new(ES256.verifier_from_jwk(&public).map_err(jose)?),
            ),
        };
        Ok(OpenKey {
            record: key,
            signer,
            verifier,
            public: serde_json::Value::Object(public.as_ref().clone()),
        })
    }

    /// Every key, newest first, opened: from this instance's cache when it
    /// was read within `KEY_CACHE_SECONDS`.
    fn open_keys(&self) -> Result<Arc<Vec<OpenKey>>> {
        let now = self.now();
        {
            let cached = self.signing.0.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((read_at, keys)) = cached.as_ref() {
                let age = now - *read_at;
                if age >= Duration::zero() && age < Duration::seconds(KEY_CACHE_SECONDS) {
                    return Ok(keys.clone());
                }
            }
        }
        let keys = Arc::new(
            self.store
                .signing_keys()?
                .into_iter()
                .map(|k| self.open_key(k))
                .collect::<Result<Vec<_>>>()?,
        );
        *self.signing.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((now, keys.clone()));
        Ok(keys)
    }

    /// The public keys that verify ID tokens still valid: current ones and
    /// those retired within an ID token's lifetime.
    pub fn jwks(&self) -> Result<serde_json::Value> {
        let horizon = self.now() - retention();
        let keys: Vec<serde_json::Value> = self
            .open_keys()?
            .iter()
            .filter(|k| k.record.retired_at.is_none_or(|t| t >= horizon))
            .map(|k| k.public.clone())
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Signs `claims` with the newest current key of `alg`.
    pub(super) fn sign(
        &self,
        alg: &str,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> Result<String> {
        let keys = self.open_keys()?;
        let key = keys
            .iter()
            .find(|k| k.record.alg == alg && k.record.retired_at.is_none())
            .ok_or_else(|| {
                Error::Storage(format!(
                    "no {alg} signing key; restart tapin serve to make one"
                ))
            })?;
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&key.record.kid);
        let payload = JwtPayload::from_map(claims).map_err(jose)?;
        josekit::jwt::encode_with_signer(&payload, &header, &*key.signer).map_err(jose)
    }

    /// The claims of an ID token tapin signed with a key it still publishes
    /// (expiry not checked: a logout hint may be old).
    pub(super) fn verify_own(
        &self,
        jwt: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        let header = josekit::jwt::decode_header(jwt).map_err(jose)?;
        let kid = header
            .claim("kid")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::invalid("no kid"))?
            .to_string();
        let keys = self.open_keys()?;
        let key = keys
            .iter()
            .find(|k| k.record.kid == kid)
            .ok_or_else(|| Error::invalid("unknown key"))?;
        let (payload, _) = josekit::jwt::decode_with_verifier(jwt, &*key.verifier).map_err(jose)?;
        if payload.issuer() != Some(self.issuer()) {
            return Err(Error::invalid("another issuer"));
        }
        Ok(payload.claims_set().clone())
    }
}

fn retention() -> Duration {
    Duration::minutes(ID_TOKEN_TTL_MINUTES + 1)
}
