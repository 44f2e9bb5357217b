//! JSON bodies of the tapin API, shared so app and server cannot drift apart.
//!
//! Times travel as milliseconds since the Unix epoch (what a browser's `Date`
//! takes), so the app's WebAssembly carries no date parser: chrono's RFC 3339
//! parser was about 13 KB of the first load's code. Graph's shapes
//! (`crate::graph`) keep RFC 3339, as Graph writes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod error;

pub use error::{ErrorBody, ErrorCode};

/// `POST /api/v1/signin/pass`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PassSignIn {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[2-9A-HJKMNP-Z#]{8,48}$", example = "K7XPQ2MZ")
    )]
    pub pass: String,
}

/// The signed-in session, as `GET /api/v1/session` and a successful sign-in return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub upn: String,
    pub display_name: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub expires_at: DateTime<Utc>,
    /// Set when the session came from a one-time pass: passwordless methods
    /// must be registered before it.
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis_or_null))]
    pub passwordless_deadline: Option<DateTime<Utc>>,
    /// The server's clock when it answered, so the app can correct for a skewed client clock.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub server_time: DateTime<Utc>,
    /// An administrator signed in with a passkey or security key: the help desk is open to them.
    #[serde(default)]
    pub admin: bool,
    /// The sign-in may add and remove methods and change the default (a
    /// pass or recovery code, or a passkey or security key in its first 15
    /// minutes); a code's session may only view, rename and sign out everywhere.
    #[serde(default)]
    pub may_change_methods: bool,
}

/// The kinds of sign-in method, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    Passkey,
    SecurityKey,
    AuthenticatorApp,
    Phone,
    AlternatePhone,
    OfficePhone,
    Email,
}

impl MethodKind {
    pub const ALL: [MethodKind; 7] = [
        Self::Passkey,
        Self::SecurityKey,
        Self::AuthenticatorApp,
        Self::Phone,
        Self::AlternatePhone,
        Self::OfficePhone,
        Self::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => "passkey",
            Self::SecurityKey => "security_key",
            Self::AuthenticatorApp => "authenticator_app",
            Self::Phone => "phone",
            Self::AlternatePhone => "alternate_phone",
            Self::OfficePhone => "office_phone",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How many a user may hold . Passkeys and security keys share one limit.
    pub fn limit(self) -> usize {
        match self {
            Self::Passkey | Self::SecurityKey => 10,
            Self::AuthenticatorApp => 5,
            Self::Phone => 2,
            Self::AlternatePhone | Self::OfficePhone | Self::Email => 1,
        }
    }

    /// Kinds counted together against `limit`.
    pub fn shares_limit_with(self, other: MethodKind) -> bool {
        self == other || (self.is_passwordless() && other.is_passwordless())
    }

    /// Passkeys and security keys: limited to the window after a one-time pass sign-in.
    pub fn is_passwordless(self) -> bool {
        matches!(self, Self::Passkey | Self::SecurityKey)
    }

    /// Methods the user names (and may rename); the others are named by their detail.
    pub fn has_name(self) -> bool {
        matches!(
            self,
            Self::Passkey | Self::SecurityKey | Self::AuthenticatorApp
        )
    }

    /// Kinds that are verified with a code sent through a delivery channel.
    pub fn is_phone(self) -> bool {
        matches!(self, Self::Phone | Self::AlternatePhone | Self::OfficePhone)
    }
}

/// A registered method as the owner sees it: secrets never, details masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Method {
    pub id: String,
    pub kind: MethodKind,
    pub name: Option<String>,
    /// Masked phone number or address (`+49•••••••78`); empty for keys and apps.
    pub detail: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub created_at: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis_or_null))]
    pub last_used_at: Option<DateTime<Utc>>,
    pub is_default: bool,
    /// For passkeys and security keys: the authenticator that holds the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<KeyInfo>,
}

/// The authenticator behind a passkey or security key, as people know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyInfo {
    /// The model (`YubiKey 5 Series`, `Google Password Manager`), from the
    /// imported FIDO metadata or the community list of AAGUIDs; none when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model's AAGUID, as the authenticator gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aaguid: Option<String>,
    /// The key can be copied to its holder's other devices (backup eligible);
    /// false: it stays on this device only.
    pub synced: bool,
    /// Its attestation chained to a vendor root tapin trusts.
    pub attested: bool,
    /// Set when the passkey profile no longer lets this key sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<KeyRefusal>,
}

/// Why a passkey profile refuses a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyRefusal {
    /// The FIDO metadata reports this model's keys or attestation as compromised, or revoked.
    Compromised,
    /// Synced passkeys are not allowed: only keys that stay on one device.
    Synced,
    /// Only synced passkeys are allowed.
    DeviceBound,
    /// The key's attestation does not chain to a trusted authenticator vendor.
    NotAttested,
    /// The model is not on the organisation's list of allowed models.
    ModelNotAllowed,
    /// The model is on the organisation's list of blocked models.
    ModelBlocked,
    #[serde(other)]
    Unknown,
}

/// `GET /api/v1/methods`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecurityInfo {
    pub methods: Vec<Method>,
    /// The policy requires this user to register a method before finishing.
    pub registration_required: bool,
    /// Unused recovery codes, when the deployment offers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes_left: Option<u32>,
}

/// `POST /api/v1/methods/recovery-codes`: ten single-use codes, shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// `POST /api/v1/signin/recovery`: a recovery code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoverySignIn {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[A-HJ-NP-Za-hj-np-z2-9 -]{10,13}$",
            example = "K7XPQ-2MZAB"
        )
    )]
    pub code: String,
}

/// `POST /api/v1/methods/webauthn/start`: `kind` is `passkey` or `security_key`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebauthnStart {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::passwordless_kind))]
    pub kind: MethodKind,
}

/// The options for `navigator.credentials.create` in WebAuthn's JSON form
/// (`{"publicKey": PublicKeyCredentialCreationOptionsJSON}`), and the id of
/// the server-side challenge they belong to. Opaque to the app, which hands
/// them to the browser; the server checks the answer with webauthn-rs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebauthnRegistration {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// `POST /api/v1/methods/webauthn/finish`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebauthnFinish {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::issued_id))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::method_name))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::registration_credential))]
    pub credential: serde_json::Value,
}

/// `POST /api/v1/signin/passkey/start` answers with the options for
/// `navigator.credentials.get` (discoverable: no account name needed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyChallenge {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: serde_json::Value,
}

/// `POST /api/v1/signin/passkey/finish`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasskeySignIn {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::issued_id))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::assertion_credential))]
    pub credential: serde_json::Value,
}

/// `POST /api/v1/methods/authenticator/start`: the secret to show as a QR code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpRegistration {
    pub id: String,
    /// Base32, for people who cannot scan.
    pub secret: String,
    /// `otpauth://totp/...`, the QR code's content.
    pub uri: String,
}

/// `POST /api/v1/methods/authenticator/finish`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpFinish {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::issued_id))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::method_name))]
    pub name: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9]{6}$", example = "123456")
    )]
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhoneChannel {
    Text,
    Call,
}

/// `POST /api/v1/methods/phone/start`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhoneStart {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::phone_kind))]
    pub kind: MethodKind,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^\+[1-9][0-9]{7,14}$", example = "+4915112345678")
    )]
    pub number: String,
    pub channel: PhoneChannel,
}

/// `POST /api/v1/methods/email/start`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailStart {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub address: String,
}

/// A code is on its way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    pub id: String,
    pub sent_to: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/v1/methods/verify`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeFinish {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::issued_id))]
    pub id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9]{6}$", example = "123456")
    )]
    pub code: String,
}

/// `PATCH /api/v1/methods/{id}`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rename {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::method_name))]
    pub name: String,
}

/// A way to sign in that the sign-in page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignInChoice {
    /// A passkey or security key.
    Webauthn,
    /// A code from an authenticator app.
    AuthenticatorApp,
    /// A Temporary Access Pass.
    Pass,
    /// One of the person's recovery codes.
    RecoveryCode,
    /// A code sent by text message to the person's mobile phone.
    Text,
    /// A code read out by a phone call.
    Call,
    /// A code sent by email.
    Email,
}

/// `POST /api/v1/signin/send`: send a sign-in code by text, call or email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendSignInCode {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
    /// `text`, `call` or `email`.
    pub way: SignInChoice,
}

/// `POST /api/v1/signin/sent`: the code that was sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SentCodeSignIn {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::issued_id))]
    pub id: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9]{6}$", example = "123456")
    )]
    pub code: String,
}

/// `POST /api/v1/signin/options`: the ways offered, strongest first. An
/// unknown account gets an answer of the same shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInOptions {
    pub methods: Vec<SignInChoice>,
}

/// `POST /api/v1/signin/options` and `/api/v1/signin/webauthn/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignInAccount {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
}

/// `POST /api/v1/signin/code`: an authenticator app's code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeSignIn {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::account_name))]
    pub upn: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[0-9]{6}$", example = "123456")
    )]
    pub code: String,
}

/// What the sign-in page learns about an application's waiting sign-in request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizationRequestInfo {
    /// The application's name, as its administrator registered it.
    pub client_name: String,
    /// Ask the person to agree before continuing.
    pub consent: bool,
    /// Only a passkey or security key will do.
    pub phishing_resistant: bool,
    /// The current session already satisfies the request: continue at once.
    pub ready: bool,
    /// The person approves a device (the device authorization grant): the
    /// question is "sign in on that device?", not "share your details?".
    #[serde(default)]
    pub device: bool,
}

/// The code a device shows, as the person typed it on `/device`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCode {
    #[cfg_attr(feature = "openapi", schema(max_length = 32, example = "BCDF-GHJK"))]
    pub user_code: String,
}

/// `POST /oauth2/authorize/continue`: the sign-in page answers a waiting
/// request (and, for an application that asks, the person's consent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContinueAuthorization {
    pub request: String,
    /// `Some(true)` agreed, `Some(false)` declined, `None` not asked.
    #[serde(default)]
    pub consent: Option<bool>,
}

/// Where the browser goes next: back to the application, or to sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Continued {
    pub redirect_to: String,
}

#[cfg(test)]
mod tests;
