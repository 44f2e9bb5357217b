//! The help desk's own endpoints under `/api/v1/admin/` (what Graph has no
//! resource for: a user's whole picture, lockouts, the audit trail), in
//! tapin's error shape. Passes and the policy go through `/graph/v1.0/`.

use crate::graph::TemporaryAccessPassMethod;
use crate::wire::Method;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/admin/me`: the acting administrator and what their roles allow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminMe {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    /// The Entra role names, kebab-case.
    pub roles: Vec<String>,
    pub read_users: bool,
    pub manage_members: bool,
    pub manage_admins: bool,
    pub edit_policy: bool,
    pub read_audit: bool,
    /// May register, remove and re-key applications (OpenID Connect clients).
    #[serde(default)]
    pub manage_clients: bool,
}

/// `GET /api/v1/admin/users/{id}`: everything the help desk sees of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDetail {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    /// `member` or `admin`.
    pub role: String,
    /// False once the person is disabled (a leaver): nothing of theirs signs in.
    #[serde(default = "yes")]
    pub enabled: bool,
    pub groups: Vec<String>,
    /// Where the user lives (IANA name), when known.
    #[serde(default)]
    pub time_zone: Option<String>,
    pub methods: Vec<Method>,
    pub pass: Option<TemporaryAccessPassMethod>,
    pub lockout: LockoutState,
    pub sessions: Vec<AdminSession>,
    /// Whether the asking administrator may change this user.
    pub may_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockoutState {
    /// A lockout limit is reached: the right pass is refused until it clears.
    pub locked: bool,
    /// Failed attempts against the account within the window.
    pub failures: u32,
    pub window_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminSession {
    pub id: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub created_at: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub last_seen_at: DateTime<Utc>,
    /// Opened with a Temporary Access Pass (else with a passkey or security key).
    pub from_pass: bool,
}

/// The body of `DELETE /api/v1/admin/users/{id}/methods/{methodId}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MethodRemoval {
    /// Why (the user lost it, for example); kept in the audit trail.
    #[serde(default)]
    pub reason: String,
}

/// One entry of `GET /api/v1/admin/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub at: DateTime<Utc>,
    pub upn: String,
    pub event: String,
    pub detail: String,
    pub actor: String,
    pub client: String,
}

/// An application that signs people in with tapin (an OpenID Connect client).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcClientView {
    pub client_id: String,
    pub name: String,
    /// No secret: a single-page or native app, PKCE required.
    pub public: bool,
    pub consent: bool,
    pub phishing_resistant: bool,
    pub id_token_alg: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/admin/clients`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOidcClient {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, example = "Wiki")
    )]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10, example = json!(["https://wiki.contoso.com/callback"])))]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub post_logout_uris: Vec<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub phishing_resistant: bool,
    /// May ask for `offline_access`: refresh tokens that outlive the session.
    #[serde(default)]
    pub offline_access: bool,
    /// May use the device authorization grant (RFC 8628).
    #[serde(default)]
    pub device_grant: bool,
    /// Where logout tokens are posted when a session it signed in with ends
    /// (OpenID Connect Back-Channel Logout 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
}

/// A registered application's id and, for a confidential one, its secret:
/// shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedOidcClient {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

fn yes() -> bool {
    true
}
