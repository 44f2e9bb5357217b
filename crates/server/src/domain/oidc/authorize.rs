//! Answering `/authorize`: checking the request, honouring the tapin
//! session (subject to `prompt`, `max_age`, the client's required strength
//! and consent), keeping a request while the person signs in, and issuing
//! the code.

use super::*;

impl Tapin {
    /// The issuer: the public origin tapin is reached at.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn error_redirect(&self, c: &Checked, error: &str, description: &str) -> Authorize {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(state) = &c.state {
            params.push(("state", state));
        }
        params.push(("iss", self.issuer()));
        Authorize::Redirect(with_params(&c.redirect_uri, &params))
    }

    /// Checks an authorization request and answers it: a code when the
    /// session satisfies it, the sign-in page when one is needed, or an error.
    /// `browser` is the browser's binding (its cookie, or a fresh one the
    /// answer sets): a request kept for sign-in continues only in it.
    pub fn oidc_authorize(
        &self,
        req: AuthorizationRequest,
        who: Option<&Person>,
        browser: &str,
        client_address: &str,
    ) -> Result<Authorize> {
        let Some(client_id) = req.client_id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(Authorize::Refused(Refusal::NoClient));
        };
        let Some(client) = self.store.client(client_id)? else {
            return Ok(Authorize::Refused(Refusal::UnknownClient));
        };
        let Some(redirect_uri) = req.redirect_uri.clone() else {
            return Ok(Authorize::Refused(Refusal::NoRedirect));
        };
        // Exact string match (RFC 9700 §4.1.3): no prefixes, no wildcards;
        // but any port on a loopback address (RFC 8252 §7.3).
        if !redirect_registered(&client.redirect_uris, &redirect_uri) {
            return Ok(Authorize::Refused(Refusal::UnregisteredRedirect(
                client.name,
            )));
        }
        let now = self.now();
        let mut checked = Checked {
            client_id: client.client_id.clone(),
            redirect_uri,
            scope: String::new(),
            state: req.state.clone(),
            nonce: req.nonce.clone().filter(|n| !n.is_empty()),
            code_challenge: None,
            fresh_after: None,
            phishing_resistant: client.phishing_resistant
                || req
                    .acr_values
                    .as_deref()
                    .is_some_and(|v| v.split(' ').any(|a| a == SignInMethod::Passkey.acr())),
            consent: false,
            browser: hash_token(browser),
            device: None,
        };
        // Kept in a row until sign-in: an anonymous caller may not make it large.
        if [&req.state, &req.nonce]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| v.len() > MAX_STATE_LENGTH))
        {
            checked.state = None;
            return Ok(self.error_redirect(
                &checked,
                "invalid_request",
                &format!("state and nonce are at most {MAX_STATE_LENGTH} characters"),
            ));
        }
        if req.response_type.as_deref() != Some("code") {
            return Ok(self.error_redirect(
                &checked,
                "unsupported_response_type",
                "tapin supports the authorization code flow only (response_type=code)",
            ));
        }
        let scopes: Vec<&str> = req
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if !scopes.contains(&"openid") {
            return Ok(self.error_redirect(
                &checked,
                "invalid_scope",
                "the scope must include openid",
            ));
        }
        checked.scope = scopes
            .into_iter()
            .filter(|s| {
                matches!(*s, "openid" | "profile" | "email")
                    || (*s == "offline_access" && client.offline_access)
            })
            .collect::<Vec<_>>()
            .join(" ");
        match (
            req.code_challenge.as_deref(),
            req.code_challenge_method.as_deref(),
        ) {
            (None, _) if client.is_public() => {
                return Ok(self.error_redirect(
                    &checked,
                    "invalid_request",
                    "a public client must send a PKCE code_challenge (S256)",
                ));
            }
            (None, None) => {}
            (None, Some(_)) => {
                return Ok(self.error_redirect(
                    &checked,
                    "invalid_request",
                    "code_challenge_method without code_challenge",
                ));
            }
            (Some(challenge), method) => {
                if method != Some("S256") {
                    return Ok(self.error_redirect(
                        &checked,
                        "invalid_request",
                        "code_challenge_method must be S256",
                    ));
                }
                if !pkce_shape(challenge) {
                    return Ok(self.error_redirect(
                        &checked,
                        "invalid_request",
                        "code_challenge is not an S256 challenge",
                    ));
                }
                checked.code_challenge = Some(challenge.to_string());
            }
        }
        let prompts: Vec<&str> = req
            .prompt
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(unknown) = prompts
            .iter()
            .find(|p| !matches!(**p, "none" | "login" | "consent"))
        {
            return Ok(self.error_redirect(
                &checked,
                "invalid_request",
                &format!("prompt={unknown} is not one tapin knows (none, login, consent)"),
            ));
        }
        checked.consent = prompts.contains(&"consent");
        if prompts.contains(&"none") && prompts.len() > 1 {
            return Ok(self.error_redirect(
                &checked,
                "invalid_request",
                "prompt=none cannot be combined with another prompt",
            ));
        }
        if prompts.contains(&"login") {
            checked.fresh_after = Some(now);
        }
        if let Some(max_age) = req.max_age.as_deref().filter(|s| !s.is_empty()) {
            let Ok(seconds) = max_age.parse::<u32>() else {
                return Ok(self.error_redirect(
                    &checked,
                    "invalid_request",
                    "max_age must be a number of seconds",
                ));
            };
            let after = now - Duration::seconds(i64::from(seconds));
            checked.fresh_after = Some(checked.fresh_after.map_or(after, |t| t.max(after)));
        }
        let session = who.map(|p| (p.user(), p.session()));
        let signed_in = session
            .as_ref()
            .is_some_and(|(_, record)| satisfies(record, &checked, now));
        if let (Some((user, record)), true) = (&session, signed_in) {
            // A client marked for consent asks the person every time.
            if !client.consent && !checked.consent {
                return self.issue_code(&checked, user, record);
            }
        }
        if prompts.contains(&"none") {
            if signed_in {
                return Ok(self.error_redirect(
                    &checked,
                    "consent_required",
                    "the application needs the person's consent, which cannot be asked without showing a page",
                ));
            }
            return Ok(self.error_redirect(
                &checked,
                "login_required",
                "the person is not signed in to tapin, or not recently enough",
            ));
        }
        // Kept for an anonymous browser: limited per client like sign-ins.
        self.reserve_start(client_address)?;
        let state = serde_json::to_string(&checked).map_err(|e| Error::Storage(e.to_string()))?;
        let id = self.request_ceremony(state, now + Duration::minutes(REQUEST_TTL_MINUTES))?;
        Ok(Authorize::SignIn { id })
    }

    pub(super) fn request_ceremony(
        &self,
        state: String,
        expires_at: DateTime<Utc>,
    ) -> Result<String> {
        let id = random_id();
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: None,
                purpose: PURPOSE_AUTHORIZE.into(),
                state,
                code_hash: None,
                tries_left: 1,
                expires_at,
            },
            None,
        )?;
        Ok(id)
    }

    fn live_pending_of(&self, id: &str, purpose: &str) -> Result<Pending> {
        if !is_issued_id(id) {
            return Err(Error::CodeExpired);
        }
        let pending = self.store.pending(id)?.ok_or(Error::CodeExpired)?;
        if pending.purpose != purpose
            || pending.user_id.is_some()
            || pending.expires_at <= self.now()
        {
            return Err(Error::CodeExpired);
        }
        Ok(pending)
    }

    /// The request `id`, if it waits for this browser.
    fn waiting_request(&self, id: &str, browser: &str) -> Result<Checked> {
        let gone = || {
            Error::NotFound("This sign-in request expired, was already used, or was started in another browser. Go back to the application and start again.".into())
        };
        let pending = self
            .live_pending_of(id, PURPOSE_AUTHORIZE)
            .map_err(|_| gone())?;
        let checked: Checked =
            serde_json::from_str(&pending.state).map_err(|e| Error::Storage(e.to_string()))?;
        if browser.is_empty()
            || !super::super::methods::equal_time(&checked.browser, &hash_token(browser))
        {
            return Err(gone());
        }
        Ok(checked)
    }

    /// For the sign-in page: whom the person signs in to, and whether the
    /// current session already satisfies the request.
    pub fn authorization_request(
        &self,
        id: &str,
        who: Option<&Person>,
        browser: &str,
    ) -> Result<RequestInfo> {
        let checked = self.waiting_request(id, browser)?;
        let client = self
            .store
            .client(&checked.client_id)?
            .ok_or_else(|| Error::NotFound("The application was removed.".into()))?;
        let ready = who.is_some_and(|p| satisfies(p.session(), &checked, self.now()));
        Ok(RequestInfo {
            client_name: client.name,
            device: checked.device.is_some(),
            consent: client.consent || checked.consent,
            phishing_resistant: checked.phishing_resistant,
            ready,
        })
    }

    /// After signing in: the waiting request, answered once.
    /// A client marked for consent needs the person's `agreed`
    /// (`Some(false)` sends `access_denied` back).
    pub fn continue_authorization(
        &self,
        id: &str,
        who: Option<&Person>,
        browser: &str,
        agreed: Option<bool>,
    ) -> Result<Authorize> {
        let checked = self.waiting_request(id, browser)?;
        // Asked again now: the person was resolved before the body arrived.
        let who = who.filter(|p| self.still_signed_in(p).is_ok());
        let Some((user, record)) = who.map(|p| (p.user(), p.session())) else {
            return Ok(Authorize::SignIn { id: id.to_string() });
        };
        if !satisfies(record, &checked, self.now()) {
            return Ok(Authorize::SignIn { id: id.to_string() });
        }
        let Some(client) = self.store.client(&checked.client_id)? else {
            return Ok(Authorize::Refused(Refusal::Removed));
        };
        let consent = client.consent || checked.consent;
        if consent && agreed.is_none() {
            return Ok(Authorize::SignIn { id: id.to_string() });
        }
        if self.store.take_pending(id)?.is_none() {
            return Err(Error::NotFound("This sign-in request was already used. Go back to the application and start again.".into()));
        }
        if let Some(device) = &checked.device {
            return self.decide_for_device(&checked, device, user, record, agreed == Some(true));
        }
        if consent && agreed == Some(false) {
            return Ok(self.error_redirect(
                &checked,
                "access_denied",
                "the person did not agree to share their details",
            ));
        }
        self.issue_code(&checked, user, record)
    }

    /// A code: what it is for, sealed for the client with the deployment's
    /// key. Issuing one writes nothing; spending it is the one write of a
    /// sign-in (`cargo xtask bench oidc` measured a stored code's two
    /// commits as most of a sign-in's cost).
    fn issue_code(&self, c: &Checked, user: &User, record: &SessionRecord) -> Result<Authorize> {
        let now = self.now();
        let what = AuthCode {
            code_hash: String::new(),
            client_id: c.client_id.clone(),
            user_id: user.id,
            session_id: record.id.clone(),
            redirect_uri: c.redirect_uri.clone(),
            scope: c.scope.clone(),
            nonce: c.nonce.clone(),
            code_challenge: c.code_challenge.clone(),
            auth_time: record.created_at,
            method: record.method,
            expires_at: now + Duration::seconds(CODE_TTL_SECONDS),
        };
        let json = serde_json::to_string(&what).map_err(|e| Error::Storage(e.to_string()))?;
        let sealed = self
            .keys
            .seal(&code_row(&c.client_id), &json)
            .map_err(Error::Storage)?;
        let code = format!("{CODE_PREFIX}{}", sealed.replace(':', "."));
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = &c.state {
            params.push(("state", state));
        }
        params.push(("iss", self.issuer()));
        Ok(Authorize::Redirect(with_params(&c.redirect_uri, &params)))
    }

    /// What a presented code was issued for, if tapin sealed it for this
    /// client (with any key it still holds); its hash is what spends it.
    pub(super) fn open_code(&self, client: &OidcClient, code: &str) -> Option<AuthCode> {
        let sealed = code.strip_prefix(CODE_PREFIX)?.replace('.', ":");
        let json = self.keys.open(&code_row(&client.client_id), &sealed).ok()?;
        let mut opened: AuthCode = serde_json::from_str(&json).ok()?;
        opened.code_hash = hash_token(code);
        Some(opened)
    }
}

const CODE_PREFIX: &str = "tapin_ac_";

/// What a code is bound to: a code sealed for one client opens for no other.
fn code_row(client_id: &str) -> String {
    crate::domain::secrets::row("oidc_codes", client_id)
}

fn satisfies(record: &SessionRecord, c: &Checked, now: DateTime<Utc>) -> bool {
    c.fresh_after.is_none_or(|t| record.created_at >= t)
        && (!c.phishing_resistant
            || record
                .permits(
                    crate::domain::strength::Action::PhishingResistantSignIn,
                    now,
                )
                .is_ok())
}

/// Whether `uri` is one of `registered`: the same string, or, for a native
/// application's loopback redirect (`http://127.0.0.1` or `http://[::1]`),
/// the same but for the port it picked at run time (RFC 8252 §7.3).
/// `localhost` is not a loopback address here (RFC 8252 §8.3).
pub(super) fn redirect_registered(registered: &[String], uri: &str) -> bool {
    if registered.iter().any(|r| r == uri) {
        return true;
    }
    let Ok(asked) = url::Url::parse(uri) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.scheme() == "http"
            && matches!(
                u.host(),
                Some(url::Host::Ipv4(ip)) if ip == std::net::Ipv4Addr::LOCALHOST
            )
            || u.scheme() == "http"
                && matches!(u.host(), Some(url::Host::Ipv6(ip)) if ip == std::net::Ipv6Addr::LOCALHOST)
    };
    if !loopback(&asked) || asked.fragment().is_some() {
        return false;
    }
    registered.iter().any(|r| {
        url::Url::parse(r).is_ok_and(|mut r| {
            if !loopback(&r) {
                return false;
            }
            let mut a = asked.clone();
            // Ports differ by design; everything else must match exactly.
            let _ = r.set_port(None);
            let _ = a.set_port(None);
            r == a
        })
    })
}

#[cfg(test)]
mod loopback_tests {
    use super::redirect_registered;

    #[test]
    fn a_loopback_redirect_may_use_any_port_and_nothing_else_may() {
        let reg = vec![
            "http://127.0.0.1/callback".to_string(),
            "http://[::1]/cb".to_string(),
            "https://app.example/cb".to_string(),
            "http://localhost/cb".to_string(),
        ];
        assert!(redirect_registered(&reg, "http://127.0.0.1:51234/callback"));
        assert!(redirect_registered(&reg, "http://127.0.0.1/callback"));
        assert!(redirect_registered(&reg, "http://[::1]:8080/cb"));
        assert!(!redirect_registered(&reg, "http://127.0.0.1:51234/other"));
        assert!(!redirect_registered(
            &reg,
            "http://127.0.0.1:51234/callback?x=1"
        ));
        assert!(!redirect_registered(&reg, "https://app.example:8443/cb"));
        assert!(!redirect_registered(&reg, "http://localhost:9999/cb"));
        assert!(!redirect_registered(&reg, "http://127.0.0.2:80/callback"));
        assert!(redirect_registered(&reg, "https://app.example/cb"));
    }
}
