//! tapin as an OpenID Connect provider (authorization code flow with PKCE,
//! OpenID Connect Core 1.0, RFC 9700, RFC 9207): the rules of authorizing,
//! exchanging a code and ending a session. HTTP only parses and renders.

pub mod clients;
mod keys;

pub use clients::NewClient;
pub use keys::{ID_TOKEN_TTL_MINUTES, SIGNING_ALGORITHMS};

use super::methods::{hash_token, is_issued_id, random_hex, random_id};
use super::Pending;
use super::{Error, Result, SessionRecord, Tapin, User};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tapin_api::wire::MethodKind;

/// How long an authorization code may be exchanged (RFC 9700 asks for short).
pub const CODE_TTL_SECONDS: i64 = 60;
/// How long an access token opens `/userinfo`.
pub const ACCESS_TOKEN_TTL_MINUTES: i64 = 10;
/// How long a person has to sign in before an authorization request lapses.
const REQUEST_TTL_MINUTES: i64 = 15;
const PURPOSE_AUTHORIZE: &str = "oidc:authorize";

/// How a session's person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Pass,
    Passkey,
    SecurityKey,
    AuthenticatorApp,
    Text,
    Call,
    Email,
    RecoveryCode,
}

impl SignInMethod {
    pub const ALL: [SignInMethod; 8] = [
        Self::Pass,
        Self::Passkey,
        Self::SecurityKey,
        Self::AuthenticatorApp,
        Self::Text,
        Self::Call,
        Self::Email,
        Self::RecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Passkey => "passkey",
            Self::SecurityKey => "security_key",
            Self::AuthenticatorApp => "authenticator_app",
            Self::Text => "text",
            Self::Call => "call",
            Self::Email => "email",
            Self::RecoveryCode => "recovery_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// RFC 8176 authentication method references. A passkey or security key
    /// verifies the person (PIN or biometric) as well as the device: `mfa`.
    /// A Temporary Access Pass is a shared secret the help desk handed over:
    /// `pwd`, as RFC 8176 has no closer value.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Self::Pass => &["pwd"],
            Self::Passkey => &["swk", "user", "mfa"],
            Self::SecurityKey => &["hwk", "user", "mfa"],
            Self::AuthenticatorApp | Self::Email | Self::RecoveryCode => &["otp"],
            Self::Text => &["sms"],
            Self::Call => &["tel"],
        }
    }

    /// The `acr` of ID tokens: phishing-resistant, a pass, or a code.
    pub fn acr(self) -> &'static str {
        match self {
            Self::Passkey | Self::SecurityKey => "urn:tapin:acr:phishing-resistant",
            Self::Pass | Self::RecoveryCode => "urn:tapin:acr:pass",
            _ => "urn:tapin:acr:code",
        }
    }

    /// What the session may change. A pass is the help desk's recovery
    /// path (Entra counts it as strong authentication): it must be able to
    /// remove the passkey a person lost. A code is one factor that can be
    /// phished or intercepted, so it cannot touch a passkey.
    pub fn strength(self) -> u8 {
        match self {
            // A recovery code is the person's own recovery path, like a pass.
            Self::Passkey | Self::SecurityKey | Self::Pass | Self::RecoveryCode => 2,
            _ => 1,
        }
    }

    /// The method a sign-in with a registered method of `kind` counts as.
    pub fn of_kind(kind: MethodKind) -> Self {
        match kind {
            MethodKind::Passkey => Self::Passkey,
            MethodKind::SecurityKey => Self::SecurityKey,
            MethodKind::AuthenticatorApp => Self::AuthenticatorApp,
            MethodKind::Phone | MethodKind::AlternatePhone => Self::Text,
            MethodKind::OfficePhone => Self::Call,
            MethodKind::Email => Self::Email,
        }
    }
}

/// The strength a session needs to change a method of `kind`.
pub fn strength_to_change(kind: MethodKind) -> u8 {
    SignInMethod::of_kind(kind).strength()
}

/// A relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    pub client_id: String,
    pub name: String,
    /// SHA-256 of a confidential client's secret; `None` for a public client.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    /// Show the consent screen before the first code.
    pub consent: bool,
    /// `ES256` (the default) or `RS256`, for older clients.
    pub id_token_alg: String,
    /// Only a passkey or security key signs in to it.
    pub phishing_resistant: bool,
    pub created_at: DateTime<Utc>,
}

impl OidcClient {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

/// An authorization code as stored: its hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCode {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: i64,
    /// The tapin session that signed the person in (the ID token's `sid`).
    pub session_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge.
    pub code_challenge: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub method: SignInMethod,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// First use: the code, now spent.
    Fresh(AuthCode),
    /// Already used: the access tokens it issued are revoked now.
    Replayed {
        client_id: String,
        user_id: i64,
        revoked: usize,
    },
    Unknown,
}

/// An access token as stored: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    pub token_hash: String,
    pub client_id: String,
    pub user_id: i64,
    pub code_hash: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// A signing key: the private JSON Web Key sealed with the secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub sealed_jwk: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// An OAuth error (`{error, error_description}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

fn oauth(error: &'static str, description: impl Into<String>) -> Error {
    Error::OAuth(OAuthError {
        error,
        description: description.into(),
    })
}

/// `/authorize`'s parameters as they came.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub acr_values: Option<String>,
}

/// A checked request, kept while the person signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checked {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    /// The session must have been opened at or after this (`prompt=login`, `max_age`).
    fresh_after: Option<DateTime<Utc>>,
    /// Only a passkey or security key will do (the client's rule, or `acr_values`).
    #[serde(default)]
    phishing_resistant: bool,
}

/// Where `/authorize` sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorize {
    /// Not safe to send back to the client (unknown client, unregistered
    /// redirect URI): tell the person, redirect nowhere.
    Refused(String),
    /// Back to the client with a code or an error.
    Redirect(String),
    /// To the sign-in page, which continues request `id` once signed in.
    SignIn { id: String },
}

/// What the sign-in page learns about a waiting request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub client_name: String,
    /// The application asks the person to agree before it learns who they are.
    pub consent: bool,
    /// Only a passkey or security key will do.
    pub phishing_resistant: bool,
    /// The current session is enough: continue without asking.
    pub ready: bool,
}

/// `/token`'s answer.
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
}

/// How a client proved itself at `/token`.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

/// Where `/logout` sends the browser, and which session it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub redirect: Option<String>,
}

fn s256(verifier: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn pkce_shape(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => uri.to_string(),
    }
}

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
    pub fn oidc_authorize(
        &self,
        req: AuthorizationRequest,
        session_token: Option<&str>,
    ) -> Result<Authorize> {
        let Some(client_id) = req.client_id.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(Authorize::Refused(
                "The application did not say who it is (client_id is missing).".into(),
            ));
        };
        let Some(client) = self.store.client(client_id)? else {
            return Ok(Authorize::Refused(
                "The application is not registered with tapin. Tell its administrator.".into(),
            ));
        };
        let Some(redirect_uri) = req.redirect_uri.clone() else {
            return Ok(Authorize::Refused(
                "The application did not say where to return (redirect_uri is missing).".into(),
            ));
        };
        // Exact string match (RFC 9700 §4.1.3): no prefixes, no wildcards.
        if !client.redirect_uris.iter().any(|u| *u == redirect_uri) {
            return Ok(Authorize::Refused(format!(
                "The application asked to return to an address that is not registered for {}. Tell its administrator.",
                client.name
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
        };
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
            .filter(|s| matches!(*s, "openid" | "profile" | "email"))
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
        let session = session_token.and_then(|t| self.live_session(t).ok());
        let signed_in = session
            .as_ref()
            .is_some_and(|(_, record)| satisfies(record, &checked));
        if let (Some((user, record)), true) = (&session, signed_in) {
            // A client marked for consent asks the person every time.
            if !client.consent {
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
        let state = serde_json::to_string(&checked).map_err(|e| Error::Storage(e.to_string()))?;
        let id = self.request_ceremony(state, now + Duration::minutes(REQUEST_TTL_MINUTES))?;
        Ok(Authorize::SignIn { id })
    }

    fn request_ceremony(&self, state: String, expires_at: DateTime<Utc>) -> Result<String> {
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

    fn waiting_request(&self, id: &str) -> Result<Checked> {
        let pending = self.live_pending_of(id, PURPOSE_AUTHORIZE).map_err(|_| {
            Error::NotFound("This sign-in request expired or was already used. Go back to the application and start again.".into())
        })?;
        serde_json::from_str(&pending.state).map_err(|e| Error::Storage(e.to_string()))
    }

    /// For the sign-in page: whom the person signs in to, and whether the
    /// current session already satisfies the request.
    pub fn authorization_request(
        &self,
        id: &str,
        session_token: Option<&str>,
    ) -> Result<RequestInfo> {
        let checked = self.waiting_request(id)?;
        let client = self
            .store
            .client(&checked.client_id)?
            .ok_or_else(|| Error::NotFound("The application was removed.".into()))?;
        let ready = session_token
            .and_then(|t| self.live_session(t).ok())
            .is_some_and(|(_, record)| satisfies(&record, &checked));
        Ok(RequestInfo {
            client_name: client.name,
            consent: client.consent,
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
        session_token: Option<&str>,
        agreed: Option<bool>,
    ) -> Result<Authorize> {
        let checked = self.waiting_request(id)?;
        let Some((user, record)) = session_token.and_then(|t| self.live_session(t).ok()) else {
            return Ok(Authorize::SignIn { id: id.to_string() });
        };
        if !satisfies(&record, &checked) {
            return Ok(Authorize::SignIn { id: id.to_string() });
        }
        let Some(client) = self.store.client(&checked.client_id)? else {
            return Ok(Authorize::Refused("The application was removed.".into()));
        };
        if client.consent && agreed.is_none() {
            return Ok(Authorize::SignIn { id: id.to_string() });
        }
        if self.store.take_pending(id)?.is_none() {
            return Err(Error::NotFound("This sign-in request was already used. Go back to the application and start again.".into()));
        }
        if client.consent && agreed == Some(false) {
            return Ok(self.error_redirect(
                &checked,
                "access_denied",
                "the person did not agree to share their details",
            ));
        }
        self.issue_code(&checked, &user, &record)
    }

    fn issue_code(&self, c: &Checked, user: &User, record: &SessionRecord) -> Result<Authorize> {
        let code = random_hex(32);
        let now = self.now();
        self.store.insert_code(&AuthCode {
            code_hash: hash_token(&code),
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
        })?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = &c.state {
            params.push(("state", state));
        }
        params.push(("iss", self.issuer()));
        Ok(Authorize::Redirect(with_params(&c.redirect_uri, &params)))
    }

    fn authenticate_client(&self, auth: &ClientAuth) -> Result<OidcClient> {
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

    /// The token endpoint: a code (with its PKCE verifier) for tokens.
    pub fn exchange_code(&self, auth: &ClientAuth, req: &TokenRequest) -> Result<Tokens> {
        if req.grant_type.as_deref() != Some("authorization_code") {
            return Err(oauth(
                "unsupported_grant_type",
                "tapin accepts grant_type=authorization_code only",
            ));
        }
        let client = self.authenticate_client(auth)?;
        let code = req
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| oauth("invalid_request", "code is missing"))?;
        let now = self.now();
        let code = match self.store.redeem_code(&hash_token(code), now)? {
            Redemption::Fresh(code) => code,
            Redemption::Unknown => {
                return Err(oauth("invalid_grant", "the code is not one tapin issued"))
            }
            Redemption::Replayed {
                client_id,
                user_id,
                revoked,
            } => {
                let upn = self
                    .store
                    .user_by_id(user_id)?
                    .map(|u| u.upn)
                    .unwrap_or_default();
                let event = super::AuditEvent {
                    at: now,
                    upn,
                    event: "oidc_code_replayed".into(),
                    detail: format!("{revoked} access tokens revoked"),
                    actor: format!("client {client_id}"),
                    client: String::new(),
                };
                // A security event: written before the answer.
                self.store.record_audit(&event)?;
                return Err(oauth(
                    "invalid_grant",
                    "the code was already used; the tokens it issued are revoked",
                ));
            }
        };
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
            .store
            .user_by_id(code.user_id)?
            .ok_or_else(|| oauth("invalid_grant", "the account no longer exists"))?;
        let access_token = format!("tapin_at_{}", random_hex(32));
        let expires_at = now + Duration::minutes(ACCESS_TOKEN_TTL_MINUTES);
        let stored = self.store.insert_access_token(&AccessGrant {
            token_hash: hash_token(&access_token),
            client_id: client.client_id.clone(),
            user_id: user.id,
            code_hash: code.code_hash.clone(),
            scope: code.scope.clone(),
            expires_at,
        })?;
        if !stored {
            return Err(oauth(
                "invalid_grant",
                "the code was presented twice; the tokens it issued are revoked",
            ));
        }
        let id_token = self.id_token(&client, &user, &code, now)?;
        Ok(Tokens {
            access_token,
            token_type: "Bearer",
            expires_in: (expires_at - now).num_seconds(),
            id_token,
            scope: code.scope,
        })
    }

    /// The claims about `user` that `scope` releases.
    fn claims(
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
    fn subject(&self, user: &User) -> Result<String> {
        Ok(self.user_handle(user)?.to_string())
    }

    fn id_token(
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
        access_token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        let bad = || {
            oauth(
                "invalid_token",
                "the access token is unknown, revoked or expired",
            )
        };
        let grant = self
            .store
            .access_token(&hash_token(access_token))?
            .ok_or_else(bad)?;
        if grant.expires_at <= self.now() {
            return Err(bad());
        }
        let user = self.store.user_by_id(grant.user_id)?.ok_or_else(bad)?;
        self.claims(&user, &grant.scope)
    }

    /// RP-initiated logout: ends the session the ID token names (or the
    /// browser's own) and returns to a registered address only.
    pub fn end_session(
        &self,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
        session_token: Option<&str>,
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
        // The session the ID token was issued from, whether or not this
        // browser sends its cookie here; and the browser's own.
        if let Some(claims) = &hint {
            let sid = claims.get("sid").and_then(|s| s.as_str());
            let sub = claims.get("sub").and_then(|s| s.as_str());
            if let (Some(sid), Some(sub)) = (sid, sub) {
                if let Some(user) = self.store.user_by_handle(sub)? {
                    let event = self.event(
                        &super::Actor::User(user.upn.clone()),
                        &user.upn,
                        "oidc_logout",
                        &format!("session {sid}"),
                        "",
                    );
                    self.store.delete_session_by_id(user.id, sid, &event)?;
                }
            }
        }
        if let Some(token) = session_token {
            self.store.delete_session(&hash_token(token))?;
        }
        Ok(Logout { redirect })
    }
}

fn satisfies(record: &SessionRecord, c: &Checked) -> bool {
    c.fresh_after.is_none_or(|t| record.created_at >= t)
        && (!c.phishing_resistant
            || matches!(
                record.method,
                SignInMethod::Passkey | SignInMethod::SecurityKey
            ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_unpadded_base64url_of_sha256() {
        // Computed independently with Python's hashlib and base64.
        assert_eq!(
            s256("dBjftJeZ4CVP-mJ92K9uDp1RKa5dS0b5iamf1A3cOMM"),
            "kKx_Rld_f9YKYeA-AXl4kMbhzY7ALeonsLcb_3MAy_w"
        );
        assert!(pkce_shape("dBjftJeZ4CVP-mJ92K9uDp1RKa5dS0b5iamf1A3cOMM"));
        assert!(!pkce_shape("short"));
    }

    #[test]
    fn amr_uses_rfc_8176_values() {
        assert_eq!(SignInMethod::SecurityKey.amr(), ["hwk", "user", "mfa"]);
        assert_eq!(SignInMethod::AuthenticatorApp.amr(), ["otp"]);
        assert!(SignInMethod::Text.strength() < SignInMethod::Passkey.strength());
        for m in SignInMethod::ALL {
            assert_eq!(SignInMethod::parse(m.as_str()), Some(m));
        }
    }
}
