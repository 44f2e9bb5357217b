//! OpenID Connect Back-Channel Logout 1.0: when a tapin session ends, for
//! any reason (signing out, sign out everywhere, a revoked pass or method,
//! expiry, idleness, a disabled or removed person), each application that
//! got tokens from it and registered a `backchannel_logout_uri` is sent a
//! signed logout token naming the session (`sid`) and the person (`sub`).
//!
//! Sessions end in many places; rather than a hook at each, a sweep on every
//! instance finds logins whose session is gone or no longer live, and queues
//! the tokens through the outbox (retried until delivered). Claiming a login
//! and queueing its message is one transaction, so instances sweeping
//! together send each logout once.

use super::*;
use crate::domain::delivery::{Channel, Message, Outgoing};

/// The `events` member that makes a JWT a logout token.
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Logins looked at per sweep.
const SWEEP_BATCH: u32 = 200;
/// A logout token's lifetime (the spec recommends at most two minutes).
const LOGOUT_TOKEN_TTL_SECONDS: i64 = 120;
/// How long the outbox keeps trying an application that does not answer.
const GIVE_UP_AFTER_HOURS: i64 = 1;

impl Tapin {
    /// One sweep: queues a logout token for each application whose session
    /// has ended. Returns how many were queued by this instance.
    pub fn queue_backchannel_logouts(&self) -> Result<usize> {
        let now = self.now();
        let ended =
            self.store
                .ended_logins(now, now - self.settings().session_idle, SWEEP_BATCH)?;
        if ended.is_empty() {
            return Ok(0);
        }
        let mut logouts = Vec::with_capacity(ended.len());
        for login in ended {
            let client = self.store.client(&login.client_id)?;
            let Some((client, uri)) =
                client.and_then(|c| c.backchannel_logout_uri.clone().map(|u| (c, u)))
            else {
                // Nobody to tell: forgotten without a message.
                logouts.push((login, None));
                continue;
            };
            let token = self.logout_token(&client, &login, now)?;
            logouts.push((
                login,
                Some(Outgoing {
                    at: now,
                    message: Message {
                        channel: Channel::Logout,
                        to: uri,
                        subject: client.client_id.clone(),
                        body: token,
                    },
                    give_up_at: now + Duration::hours(GIVE_UP_AFTER_HOURS),
                    sealed_for: None,
                }),
            ));
        }
        let queued = self.store.claim_logins(&logouts)?;
        if queued > 0 {
            self.wake.nudge();
        }
        Ok(queued)
    }

    /// The logout token: `iss`, `aud`, `iat`, `exp`, `jti`, `sub`, `sid` and
    /// the back-channel logout event; never a `nonce`. Signed as the
    /// client's ID tokens are, so it verifies with the same keys.
    fn logout_token(
        &self,
        client: &OidcClient,
        login: &Login,
        now: DateTime<Utc>,
    ) -> Result<String> {
        use serde_json::{json, Value};
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), Value::String(self.issuer().to_string()));
        claims.insert("aud".into(), Value::String(client.client_id.clone()));
        claims.insert("iat".into(), json!(now.timestamp()));
        claims.insert(
            "exp".into(),
            json!((now + Duration::seconds(LOGOUT_TOKEN_TTL_SECONDS)).timestamp()),
        );
        claims.insert("jti".into(), Value::String(random_hex(16)));
        claims.insert("sub".into(), Value::String(login.subject.clone()));
        claims.insert("sid".into(), Value::String(login.session_id.clone()));
        claims.insert("events".into(), json!({ LOGOUT_EVENT: {} }));
        self.sign(&client.id_token_alg, claims)
    }
}
