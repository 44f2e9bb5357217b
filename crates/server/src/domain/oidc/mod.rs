//! tapin as an OpenID Connect provider (authorization code flow with PKCE,
//! OpenID Connect Core 1.0, RFC 9700, RFC 9207): the rules of authorizing,
//! exchanging a code and ending a session. HTTP only parses and renders.

mod authorize;
mod backchannel;
pub mod clients;
mod device;
mod grants;
mod keys;
mod token;

pub use backchannel::LOGOUT_EVENT;
pub use clients::NewClient;
pub use device::{DeviceAuthorization, DeviceGrant, DeviceStatus, DEVICE_GRANT};
pub use grants::{Introspection, Login, RefreshFamily, REFRESH_TTL_DAYS};
pub use keys::{KeyCache, ID_TOKEN_TTL_MINUTES, SIGNING_ALGORITHMS};

use super::caller::{BearerToken, Person, SessionCookie};
use super::methods::{hash_token, is_issued_id, random_hex, random_id};
pub use super::strength::SignInMethod;
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

impl SignInMethod {
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
        use crate::domain::strength::Strength;
        match self.strength() {
            Strength::PhishingResistant => "urn:tapin:acr:phishing-resistant",
            Strength::Recovery => "urn:tapin:acr:pass",
            Strength::Code => "urn:tapin:acr:code",
        }
    }
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
    /// May use the device authorization grant (RFC 8628).
    pub device_grant: bool,
    /// May ask for `offline_access`: refresh tokens that outlive the session.
    pub offline_access: bool,
    /// Where a signed logout token is posted when a session it got tokens
    /// from ends (OpenID Connect Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
}

impl OidcClient {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
}

/// An authorization code: what it was issued for. The code itself is this,
/// sealed for its client (nothing is written when it is issued); a spent
/// code is kept by its hash to refuse it, and revoke what it issued, if it
/// comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    #[serde(skip)]
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

/// What spending a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// First use: spent now, its tokens stored.
    Issued,
    /// Already used: the tokens it issued are revoked now.
    Replayed { revoked: usize },
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
    /// The tapin session behind it: when that session ends, the token
    /// stops working (unless `offline`).
    pub session_id: Option<String>,
    /// The refresh family it came from: ending the family ends it.
    pub family: Option<String>,
    /// Issued under `offline_access`: it outlives the session, not the family.
    pub offline: bool,
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
    /// `prompt=consent`: ask the person even if the client does not.
    #[serde(default)]
    consent: bool,
    /// SHA-256 of the browser binding the request was made in: every later
    /// step must come from a browser holding that binding's cookie.
    #[serde(default)]
    browser: String,
    /// A device's code being approved (the device authorization grant):
    /// the answer goes to the device, not to a redirect URI.
    #[serde(default)]
    device: Option<String>,
}

/// The longest `state` or `nonce` tapin keeps for a client.
pub const MAX_STATE_LENGTH: usize = 512;

/// Where `/authorize` sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorize {
    /// Not safe to send back to the client (unknown client, unregistered
    /// redirect URI): tell the person, redirect nowhere.
    Refused(Refusal),
    /// Back to the client with a code or an error.
    Redirect(String),
    /// To the sign-in page, which continues request `id` once signed in.
    SignIn { id: String },
}

/// Why a request cannot even go back to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoClient,
    UnknownClient,
    NoRedirect,
    /// The address is not registered for this application (its name).
    UnregisteredRedirect(String),
    Removed,
}

impl Refusal {
    /// The sentence's key in the sign-in catalogs (`{app}` is `app()`).
    pub fn key(&self) -> &'static str {
        match self {
            Self::NoClient => "SGN_REFUSED_NO_CLIENT",
            Self::UnknownClient => "SGN_REFUSED_UNKNOWN_CLIENT",
            Self::NoRedirect => "SGN_REFUSED_NO_REDIRECT",
            Self::UnregisteredRedirect(_) => "SGN_REFUSED_REDIRECT",
            Self::Removed => "SGN_REFUSED_REMOVED",
        }
    }

    pub fn app(&self) -> &str {
        match self {
            Self::UnregisteredRedirect(app) => app,
            _ => "",
        }
    }

    /// In English, for an API answer.
    pub fn english(&self) -> String {
        match self {
            Self::NoClient => "The application did not say who it is (client_id is missing).".into(),
            Self::UnknownClient => {
                "The application is not registered with tapin. Tell its administrator.".into()
            }
            Self::NoRedirect => {
                "The application did not say where to return (redirect_uri is missing).".into()
            }
            Self::UnregisteredRedirect(app) => format!("The application asked to return to an address that is not registered for {app}. Tell its administrator."),
            Self::Removed => "The application was removed.".into(),
        }
    }
}

/// What the sign-in page learns about a waiting request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub client_name: String,
    /// The person approves a device (the device authorization grant).
    pub device: bool,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
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
    pub refresh_token: Option<String>,
    /// A narrower scope on refresh.
    pub scope: Option<String>,
    pub device_code: Option<String>,
}

/// Where `/logout` sends the browser, and which session it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub redirect: Option<String>,
    /// Nothing was ended: without an ID token naming the session, the
    /// person confirms first (a link on any page could sign them out).
    pub confirm: bool,
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
        for m in SignInMethod::ALL {
            assert_eq!(SignInMethod::parse(m.as_str()), Some(m));
        }
    }
}
