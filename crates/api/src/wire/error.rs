//! The one error shape of the app's API, and its stable codes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stable machine-readable error codes; the app words each in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    PassInvalid,
    PassExpired,
    PassNotYetValid,
    PassUsed,
    BlockedByPolicy,
    TooManyAttempts,
    NotSignedIn,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Internal,
    /// Passkeys and security keys could only be added in the first minutes after a one-time pass sign-in.
    PasswordlessWindowClosed,
    /// The user already has as many methods of this kind as allowed.
    LimitReached,
    /// The verification code is not the one sent (tries remain).
    CodeInvalid,
    /// The verification code or challenge expired, ran out of tries, or was already used.
    CodeExpired,
    /// The browser's WebAuthn response did not verify (wrong origin, replayed, or unknown credential).
    WebauthnFailed,
    /// The code could not be sent through the configured channel.
    DeliveryFailed,
    /// The change clashes with the current state (for example, the credential is already registered).
    Conflict,
    /// The server is at capacity; try again after `Retry-After` seconds.
    Overloaded,
    /// Too many verification codes were sent; try again at `retry_at`.
    TooManySends,
    /// The session was opened with a weaker method than this change needs
    /// (a code cannot remove a passkey), or too long ago: sign in again.
    StrongerSignInNeeded,
    /// Too many wrong codes in a row: code sign-in is off for this account
    /// until a pass, passkey or security key signs in, or the help desk clears it.
    CodeSignInOff,
    /// The database does not answer right now; try again after `Retry-After` seconds.
    Unavailable,
    /// The organisation's passkey profile does not allow this passkey or
    /// security key (`refusal` says why): to register, or any more to sign in.
    KeyNotAllowed,
    /// Anything a newer server says that this app does not know yet.
    #[serde(other)]
    Unknown,
}

/// Every error the API returns has this shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub expired_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub used_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::millis))]
    pub retry_at: Option<DateTime<Utc>>,
    /// With `code_invalid`: how many more tries the code has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
    /// With `limit_reached`: the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// With `key_not_allowed`: why the passkey profile refuses the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<super::KeyRefusal>,
    /// With `key_not_allowed`: the key's model, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            expired_at: None,
            valid_from: None,
            used_at: None,
            retry_at: None,
            tries_left: None,
            limit: None,
            refusal: None,
            model: None,
        }
    }
}
