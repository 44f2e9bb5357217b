//! The back channel and the end: exchanging a code for tokens (client
//! authentication, PKCE, single use), the claims, `/userinfo`, and
//! RP-initiated logout.

use super::*;

impl Tapin {
    pub(super) fn authenticate_client(&self, auth: &ClientAuth) -> Result<OidcClient> {
        let unknown = || {
            oauth(
                "invalid_client",
                "the client is unknown or its secret is wrong",
            )
        };
        let client_id = auth.client_id.as_deref().ok_or_else(unknown)?;
        let client = self.store.client(client_id)?.ok_or_else(unknown)?;
        match (&client.secret_hash, &auth.client_secret) {
            (Some(hash), Some(secret)) if hash_token(secret) == *hash => Ok(client),
            (None, None) => Ok(client),
            (None, Some(_)) => Err(oauth("invalid_client", "a public client has no secret")),
            _ => Err(unknown()),
        }
    }

    /// The token endpoint: a code (with its PKCE verifier), a refresh
    /// token or an approved device code, for tokens.
    pub fn exchange_code(&self, auth: &ClientAuth, req: &TokenRequest) -> Result<Tokens> {
        let grant = req.grant_type.as_deref();
        if !matches!(
            grant,
            Some("authorization_code" | "refresh_token" | DEVICE_GRANT)
        ) {
            return Err(oauth(
                "unsupported_grant_type",
                "tapin accepts grant_type authorization_code, refresh_token and urn:ietf:params:oauth:grant-type:device_code",
            ));
        }
        let client = self.authenticate_client(auth)?;
        match grant {
            Some("refresh_token") => return self.refresh(&client, req),
            Some(DEVICE_GRANT) => return self.device_token(&client, req),
            _ => {}
        }
        let code = req
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| oauth("invalid_request", "code is missing"))?;
        let now = self.now();
        let code = self
            .open_code(&client, code)
            .ok_or_else(|| oauth("invalid_grant", "the code is not one tapin issued"))?;
        if code.client_id != client.client_id {
            return Err(oauth(
                "invalid_grant",
                "the code was issued to another client",
            ));
        }
        if code.expires_at <= now {
            return Err(oauth("invalid_grant", "the code expired"));
        }
        if req.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
            return Err(oauth(
                "invalid_grant",
                "redirect_uri is not the one the code was issued for",
            ));
        }
        match (&code.code_challenge, req.code_verifier.as_deref()) {
            (Some(challenge), Some(verifier))
                if pkce_shape(verifier) && s256(verifier) == *challenge => {}
            (Some(_), Some(_)) => {
                return Err(oauth(
                    "invalid_grant",
                    "the PKCE code_verifier does not match the challenge",
                ))
            }
            (Some(_), None) => {
                return Err(oauth("invalid_grant", "the PKCE code_verifier is missing"))
            }
            // A verifier with no challenge is a downgrade attempt (RFC 9700 §2.1.1).
            (None, Some(_)) => {
                return Err(oauth(
                    "invalid_grant",
                    "a code_verifier was sent but the request had no code_challenge",
                ))
            }
            (None, None) => {}
        }
        let user = self
            .account_by_id(code.user_id)?
            .ok_or_else(|| oauth("invalid_grant", "the account no longer exists"))?;
        if !self.session_lives(user.id, Some(&code.session_id))? {
            return Err(oauth(
                "invalid_grant",
                "the tapin session that signed the person in has ended",
            ));
        }
        self.issue_tokens(&client, &user, &code, now)
    }

    /// The first tokens of a sign-in (a code exchanged, a device approved):
    /// an access token, an ID token and a new refresh family, stored unless
    /// the code was presented again meanwhile; and the application noted
    /// against the session, for its back-channel logout.
    pub(super) fn issue_tokens(
        &self,
        client: &OidcClient,
        user: &User,
        code: &AuthCode,
        now: DateTime<Utc>,
    ) -> Result<Tokens> {
        let access_token = format!("tapin_at_{}", random_hex(32));
        let expires_at = now + Duration::minutes(ACCESS_TOKEN_TTL_MINUTES);
        let (family, refresh_token) = self.new_family(client, code, now);
        let grant = AccessGrant {
            token_hash: hash_token(&access_token),
            client_id: client.client_id.clone(),
            user_id: user.id,
            code_hash: code.code_hash.clone(),
            scope: code.scope.clone(),
            expires_at,
            session_id: family.session_id.clone(),
            family: Some(family.family.clone()),
            offline: family.session_id.is_none(),
        };
        if let Spent::Replayed { revoked } = self.store.spend_code(code, now, &grant, &family)? {
            let event = super::super::AuditEvent {
                at: now,
                upn: user.upn.clone(),
                event: "oidc_code_replayed".into(),
                detail: format!("{revoked} tokens revoked"),
                actor: format!("client {}", client.client_id),
                client: String::new(),
            };
            // A security event: written before the answer.
            self.store.record_audit(&event)?;
            return Err(oauth(
                "invalid_grant",
                "the code was already used; the tokens it issued are revoked",
            ));
        }
        if client.backchannel_logout_uri.is_some() {
            self.store.record_login(&Login {
                session_id: code.session_id.clone(),
                client_id: client.client_id.clone(),
                subject: self.subject(user)?,
                at: now,
            })?;
        }
        let id_token = self.id_token(client, user, code, now)?;
        Ok(Tokens {
            access_token,
            token_type: "Bearer",
            expires_in: (expires_at - now).num_seconds(),
            id_token: Some(id_token),
            refresh_token: Some(refresh_token),
            scope: code.scope.clone(),
        })
    }

    /// The claims about `user` that `scope` releases.
    pub(super) fn claims(
        &self,
        user: &User,
        scope: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        use serde_json::Value;
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), Value::String(self.subject(user)?));
        let scopes: Vec<&str> = scope.split(' ').collect();
        if scopes.contains(&"profile") {
            claims.insert("preferred_username".into(), Value::String(user.upn.clone()));
            claims.insert("name".into(), Value::String(user.display_name.clone()));
        }
        if scopes.contains(&"email") {
            // Only an address the person proved with a code.
            let email = self
                .store
                .methods_of(user.id)?
                .into_iter()
                .find(|m| m.kind == MethodKind::Email)
                .map(|m| m.detail);
            if let Some(email) = email {
                claims.insert("email".into(), Value::String(email));
                claims.insert("email_verified".into(), Value::Bool(true));
            }
        }
        Ok(claims)
    }

    /// `sub`: the WebAuthn user handle, a random UUID made once per person.
    /// Stable across renames, and never the account name.
    pub(super) fn subject(&self, user: &User) -> Result<String> {
        Ok(self.user_handle(user)?.to_string())
    }

    pub(super) fn id_token(
        &self,
        client: &OidcClient,
        user: &User,
        code: &AuthCode,
        now: DateTime<Utc>,
    ) -> Result<String> {
        use serde_json::{json, Value};
        let mut claims = self.claims(user, &code.scope)?;
        claims.insert("iss".into(), Value::String(self.issuer().to_string()));
        claims.insert("aud".into(), Value::String(client.client_id.clone()));
        claims.insert("iat".into(), json!(now.timestamp()));
        claims.insert(
            "exp".into(),
            json!((now + Duration::minutes(ID_TOKEN_TTL_MINUTES)).timestamp()),
        );
        claims.insert("auth_time".into(), json!(code.auth_time.timestamp()));
        claims.insert("amr".into(), json!(code.method.amr()));
        claims.insert("acr".into(), json!(code.method.acr()));
        claims.insert("sid".into(), Value::String(code.session_id.clone()));
        if let Some(nonce) = &code.nonce {
            claims.insert("nonce".into(), Value::String(nonce.clone()));
        }
        self.sign(&client.id_token_alg, claims)
    }

    /// `/userinfo`: the claims an unexpired access token's scope releases.
    pub fn userinfo(
        &self,
        bearer: &BearerToken,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        let bad = || {
            oauth(
                "invalid_token",
                "the access token is unknown, revoked or expired",
            )
        };
        let grant = self
            .store
            .access_token(&hash_token(bearer.secret()))?
            .ok_or_else(bad)?;
        // A token lives no longer than the session it came from: signing
        // out, sign out everywhere and a revoked pass or method end it too
        // (an offline one lives with its refresh family, which the store
        // ends at sign out everywhere, disabling and removal).
        if grant.expires_at <= self.now()
            || (!grant.offline
                && !self.session_lives(grant.user_id, grant.session_id.as_deref())?)
        {
            return Err(bad());
        }
        let user = self.account_by_id(grant.user_id)?.ok_or_else(bad)?;
        self.claims(&user, &grant.scope)
    }

    /// Whether the session `id` of `user_id` is still open (not signed out,
    /// revoked, expired or idle), without counting this as its use.
    pub(super) fn session_lives(&self, user_id: i64, id: Option<&str>) -> Result<bool> {
        let Some(id) = id else { return Ok(false) };
        let now = self.now();
        Ok(self
            .store
            .sessions_of(user_id)?
            .iter()
            .any(|s| s.id == id && self.is_live(s, now)))
    }

    /// RP-initiated logout: ends the session the ID token names (or the
    /// browser's own) and returns to a registered address only. Without an
    /// ID token, only once the person `confirmed` it.
    pub fn end_session(
        &self,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
        cookie: Option<&SessionCookie>,
        confirmed: bool,
    ) -> Result<Logout> {
        let hint = match id_token_hint.filter(|h| !h.is_empty()) {
            Some(h) => Some(self.verify_own(h).map_err(|_| {
                Error::invalid("The application sent an ID token tapin did not issue.")
            })?),
            None => None,
        };
        let hinted_client = hint
            .as_ref()
            .and_then(|c| c.get("aud"))
            .and_then(|a| a.as_str().map(str::to_string));
        if let (Some(a), Some(b)) = (client_id, hinted_client.as_deref()) {
            if a != b {
                return Err(Error::invalid("client_id is not the ID token's audience."));
            }
        }
        let client = match client_id.map(str::to_string).or(hinted_client) {
            Some(id) => self.store.client(&id)?,
            None => None,
        };
        let redirect = match post_logout_redirect_uri.filter(|u| !u.is_empty()) {
            None => None,
            Some(uri) => {
                let Some(client) = &client else {
                    return Err(Error::invalid(
                        "post_logout_redirect_uri needs id_token_hint or client_id.",
                    ));
                };
                if !client.post_logout_uris.iter().any(|u| u == uri) {
                    return Err(Error::invalid(format!(
                        "The address to return to after signing out is not registered for {}.",
                        client.name
                    )));
                }
                let params: Vec<(&str, &str)> =
                    state.map(|s| vec![("state", s)]).unwrap_or_default();
                Some(with_params(uri, &params))
            }
        };
        if hint.is_none() && !confirmed {
            return Ok(Logout {
                redirect,
                confirm: true,
            });
        }
        // The session the ID token was issued from, whether or not this
        // browser sends its cookie here; and the browser's own.
        if let Some(claims) = &hint {
            let sid = claims.get("sid").and_then(|s| s.as_str());
            let sub = claims.get("sub").and_then(|s| s.as_str());
            if let (Some(sid), Some(sub)) = (sid, sub) {
                if let Some(user) = self.store.user_by_handle(sub)? {
                    let event = self.event(
                        &super::super::Actor::User(user.upn.clone()),
                        &user.upn,
                        "oidc_logout",
                        &format!("session {sid}"),
                        "",
                    );
                    self.store.delete_session_by_id(user.id, sid, &event)?;
                }
            }
        }
        if let Some(cookie) = cookie {
            // Anyone's ID token names their own session: the browser's is
            // ended unasked only when it is the one the token names.
            let hinted = hint
                .as_ref()
                .and_then(|c| c.get("sid"))
                .and_then(|s| s.as_str());
            let own = self.store.session(&cookie.hash())?;
            match own {
                Some(s) if !confirmed && hinted != Some(s.id.as_str()) => {
                    return Ok(Logout {
                        redirect,
                        confirm: true,
                    });
                }
                Some(_) => self.store.delete_session(&cookie.hash())?,
                None => {}
            }
        }
        Ok(Logout {
            redirect,
            confirm: false,
        })
    }
}
