//! JSON bodies of the tapin API, shared so app and server cannot drift apart.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/signin/pass`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassSignIn {
    pub upn: String,
    pub pass: String,
}

/// The signed-in session, as `GET /api/v1/session` and a successful sign-in return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub upn: String,
    pub display_name: String,
    pub expires_at: DateTime<Utc>,
    /// Set when the session came from a one-time pass: passwordless methods
    /// must be registered before it.
    pub passwordless_deadline: Option<DateTime<Utc>>,
    /// The server's clock when it answered, so the app can correct for a skewed client clock.
    pub server_time: DateTime<Utc>,
}

/// Stable machine-readable error codes; the app words each in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Anything a newer server says that this app does not know yet.
    #[serde(other)]
    Unknown,
}

/// Every error the API returns has this shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_snake_case_on_the_wire() {
        let body = ErrorBody::new(ErrorCode::PassNotYetValid, "later");
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["code"], "pass_not_yet_valid");
        assert!(json.get("expired_at").is_none());
    }

    #[test]
    fn unknown_error_codes_from_a_newer_server_still_parse() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"code":"something_new","message":"m"}"#).unwrap();
        assert_eq!(body.code, ErrorCode::Unknown);
    }
}
