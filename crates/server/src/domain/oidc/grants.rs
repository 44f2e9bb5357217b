//! Refresh tokens (rotated at every use, a reused one ends its family),
//! token introspection (RFC 7662) and revocation (RFC 7009).
//!
//! A family is one sign-in to one application: the code exchange starts it,
//! every refresh moves it to a new token. It is bound to the tapin session
//! that signed the person in, unless the client may have `offline_access`
//! and asked for it; either way it ends when the person is disabled or
//! removed, signs out everywhere, or the client is removed (the store
//! deletes it), and every access token it issued ends with it.

use super::*;
use crate::domain::store::RefreshLookup;

/// How long a refresh token is good for if it is not used.
pub const REFRESH_TTL_DAYS: i64 = 30;

/// A refresh-token family as stored: the hash of its current token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    pub family: String,
    pub token_hash: String,
    pub client_id: String,
    pub user_id: i64,
    /// The tapin session it lives with; `None` for `offline_access`.
    pub session_id: Option<String>,
    pub code_hash: String,
    pub scope: String,
    pub auth_time: DateTime<Utc>,
    pub method: SignInMethod,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An application that got tokens from a tapin session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub session_id: String,
    pub client_id: String,
    /// The person's `sub`, kept so a logout can be told after they are removed.
    pub subject: String,
    pub at: DateTime<Utc>,
}

/// RFC 7662's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten)]
    pub claims: Option<IntrospectedToken>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntrospectedToken {
    pub scope: String,
    pub client_id: String,
    pub sub: String,
    pub username: String,
    pub token_type: &'static str,
    pub exp: i64,
    pub iss: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Which kind of token a caller says it sent (RFC 7009 §2.1).
fn hints_refresh(hint: Option<&str>) -> bool {
    hint == Some("refresh_token")
}

impl Tapin {
    /// A new family for a code just exchanged, and its first refresh token.
    pub(super) fn new_family(
        &self,
        client: &OidcClient,
        code: &AuthCode,
        now: DateTime<Utc>,
    ) -> (RefreshFamily, String) {
        let token = format!("tapin_rt_{}", random_hex(32));
        let offline = client.offline_access && code.scope.split(' ').any(|s| s == "offline_access");
        (
            RefreshFamily {
                family: random_hex(16),
                token_hash: hash_token(&token),
                client_id: client.client_id.clone(),
                user_id: code.user_id,
                session_id: (!offline).then(|| code.session_id.clone()),
                code_hash: code.code_hash.clone(),
                scope: code.scope.clone(),
                auth_time: code.auth_time,
                method: code.method,
                created_at: now,
                expires_at: now + Duration::days(REFRESH_TTL_DAYS),
            },
            token,
        )
    }

    /// `grant_type=refresh_token`: a new access token, ID token and refresh
    /// token; the presented one is spent. Presenting a spent one ends the
    /// family and is audited.
    pub(super) fn refresh(&self, client: &OidcClient, req: &TokenRequest) -> Result<Tokens> {
        let presented = req
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| oauth("invalid_request", "refresh_token is missing"))?;
        let hash = hash_token(presented);
        let now = self.now();
        let family = match self.store.refresh_token(&hash)? {
            RefreshLookup::Current(f) if f.client_id == client.client_id => f,
            RefreshLookup::Used(f) if f.client_id == client.client_id => {
                self.end_reused_family(&f, now)?;
                return Err(oauth(
                    "invalid_grant",
                    "the refresh token was already used; every token of this sign-in is revoked",
                ));
            }
            _ => {
                return Err(oauth(
                    "invalid_grant",
                    "the refresh token is unknown, revoked or expired",
                ))
            }
        };
        let ended = || {
            oauth(
                "invalid_grant",
                "the sign-in behind this refresh token has ended",
            )
        };
        if family.expires_at <= now {
            return Err(oauth("invalid_grant", "the refresh token expired"));
        }
        let user = self.account_by_id(family.user_id)?.ok_or_else(ended)?;
        if family.session_id.is_some()
            && !self.session_lives(user.id, family.session_id.as_deref())?
        {
            return Err(ended());
        }
        // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
        let scope = match req.scope.as_deref().filter(|s| !s.is_empty()) {
            None => family.scope.clone(),
            Some(asked) => {
                let granted: Vec<&str> = family.scope.split(' ').collect();
                if let Some(extra) = asked.split(' ').find(|s| !granted.contains(s)) {
                    return Err(oauth(
                        "invalid_scope",
                        format!("{extra} was not granted to this sign-in"),
                    ));
                }
                asked.to_string()
            }
        };
        let token = format!("tapin_rt_{}", random_hex(32));
        let access_token = format!("tapin_at_{}", random_hex(32));
        let expires_at = now + Duration::minutes(ACCESS_TOKEN_TTL_MINUTES);
        let grant = AccessGrant {
            token_hash: hash_token(&access_token),
            client_id: client.client_id.clone(),
            user_id: user.id,
            code_hash: family.code_hash.clone(),
            scope: scope.clone(),
            expires_at,
            session_id: family.session_id.clone(),
            family: Some(family.family.clone()),
            offline: family.session_id.is_none(),
        };
        if !self.store.rotate_refresh(
            &family.family,
            &hash,
            &hash_token(&token),
            now + Duration::days(REFRESH_TTL_DAYS),
            &grant,
            now,
        )? {
            // Two presentations of one token at once: the other won, so
            // this one is a copy.
            self.end_reused_family(&family, now)?;
            return Err(oauth(
                "invalid_grant",
                "the refresh token was already used; every token of this sign-in is revoked",
            ));
        }
        let code = AuthCode {
            code_hash: family.code_hash.clone(),
            client_id: client.client_id.clone(),
            user_id: user.id,
            session_id: family.session_id.clone().unwrap_or_default(),
            redirect_uri: String::new(),
            scope: scope.clone(),
            nonce: None,
            code_challenge: None,
            auth_time: family.auth_time,
            method: family.method,
            expires_at: now,
        };
        let id_token = self.id_token(client, &user, &code, now)?;
        Ok(Tokens {
            access_token,
            token_type: "Bearer",
            expires_in: (expires_at - now).num_seconds(),
            id_token: Some(id_token),
            refresh_token: Some(token),
            scope,
        })
    }

    fn end_reused_family(&self, family: &RefreshFamily, now: DateTime<Utc>) -> Result<()> {
        let upn = self
            .store
            .user_by_id(family.user_id)?
            .map(|u| u.upn)
            .unwrap_or_default();
        let event = super::super::AuditEvent {
            at: now,
            upn,
            event: "oidc_refresh_reused".into(),
            detail: format!(
                "a spent refresh token was presented; sign-in {} ended",
                family.family
            ),
            actor: format!("client {}", family.client_id),
            client: String::new(),
        };
        self.store.revoke_family(&family.family, Some(&event))?;
        Ok(())
    }

    /// RFC 7662 for a confidential client: whether `token` (an access or
    /// refresh token) is good now, and what it stands for. Access tokens
    /// are answered for any confidential client (a resource server is one);
    /// refresh tokens only for the client they were issued to.
    pub fn introspect(
        &self,
        auth: &ClientAuth,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Introspection> {
        let client = self.authenticate_client(auth)?;
        if client.is_public() {
            return Err(oauth(
                "invalid_client",
                "introspection is for confidential clients (resource servers)",
            ));
        }
        let inactive = Introspection {
            active: false,
            claims: None,
        };
        let hash = hash_token(token);
        let now = self.now();
        let access = if hints_refresh(hint) {
            None
        } else {
            self.store.access_token(&hash)?
        };
        let (user_id, client_id, scope, exp, session, token_type) = match access {
            Some(g) => {
                if g.expires_at <= now
                    || (!g.offline && !self.session_lives(g.user_id, g.session_id.as_deref())?)
                {
                    return Ok(inactive);
                }
                (
                    g.user_id,
                    g.client_id,
                    g.scope,
                    g.expires_at,
                    g.session_id,
                    "access_token",
                )
            }
            None => match self.store.refresh_token(&hash)? {
                RefreshLookup::Current(f)
                    if f.client_id == client.client_id
                        && f.expires_at > now
                        && (f.session_id.is_none()
                            || self.session_lives(f.user_id, f.session_id.as_deref())?) =>
                {
                    (
                        f.user_id,
                        f.client_id,
                        f.scope,
                        f.expires_at,
                        f.session_id,
                        "refresh_token",
                    )
                }
                _ => return Ok(inactive),
            },
        };
        let Some(user) = self.account_by_id(user_id)? else {
            return Ok(inactive);
        };
        Ok(Introspection {
            active: true,
            claims: Some(IntrospectedToken {
                scope,
                client_id,
                sub: self.subject(&user)?,
                username: user.upn,
                token_type,
                exp: exp.timestamp(),
                iss: self.issuer().to_string(),
                sid: session,
            }),
        })
    }

    /// RFC 7009: ends a token the calling client was issued (a refresh
    /// token ends its whole family). An unknown token, or one issued to
    /// another client, is answered the same way: nothing to revoke.
    pub fn revoke(&self, auth: &ClientAuth, token: &str, hint: Option<&str>) -> Result<()> {
        let client = self.authenticate_client(auth)?;
        let hash = hash_token(token);
        if !hints_refresh(hint) && self.store.revoke_access_token(&hash, &client.client_id)? {
            return Ok(());
        }
        match self.store.refresh_token(&hash)? {
            RefreshLookup::Current(f) | RefreshLookup::Used(f)
                if f.client_id == client.client_id =>
            {
                self.store.revoke_family(&f.family, None)?;
            }
            _ => {
                if hints_refresh(hint) {
                    self.store.revoke_access_token(&hash, &client.client_id)?;
                }
            }
        }
        Ok(())
    }
}
