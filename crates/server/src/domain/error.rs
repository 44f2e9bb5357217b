//! The one error type of the domain; the HTTP layer maps each variant to a
//! status and a stable code in a single place.

use chrono::{DateTime, Utc};
use tapin_api::validate::ValidationError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String, Option<&'static str>),
    /// Wrong code, no pass, or no such user: deliberately indistinguishable.
    #[error("the account name or Temporary Access Pass is not right")]
    PassInvalid,
    #[error("the Temporary Access Pass expired at {0}")]
    PassExpired(DateTime<Utc>),
    #[error("the Temporary Access Pass is valid from {0}")]
    PassNotYetValid(DateTime<Utc>),
    #[error("the one-time Temporary Access Pass was already used at {0}")]
    PassUsed(DateTime<Utc>),
    #[error("Temporary Access Pass sign in was blocked due to User Credential Policy ({0})")]
    BlockedByPolicy(&'static str),
    #[error("too many sign-in attempts; try again after {0}")]
    TooManyAttempts(DateTime<Utc>),
    #[error("too many codes sent; try again after {0}")]
    TooManySends(DateTime<Utc>),
    #[error("not signed in")]
    NotSignedIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A directory (SCIM) request the protocol refuses, with its `scimType`.
    #[error("{1}")]
    Scim(crate::domain::directory::resources::ScimType, String),
    /// A change made for a version (`If-Match`) the resource has moved on from.
    #[error("{0}")]
    Stale(String),
    #[error("passwordless methods could only be added until {0}")]
    PasswordlessWindowClosed(DateTime<Utc>),
    #[error("already {1} of this kind, the most allowed")]
    LimitReached(tapin_api::wire::MethodKind, u32),
    #[error("the code is not right; {0} tries left")]
    CodeInvalid(u32),
    #[error("the code or challenge expired or was already used")]
    CodeExpired,
    #[error("the passkey or security key response did not verify: {0}")]
    WebauthnFailed(String),
    /// Wrong code, code already used, or no such user: indistinguishable.
    #[error("the account name or code is not right")]
    SignInCodeInvalid,
    /// An OAuth 2.0 / OpenID Connect protocol error (`{error, error_description}`).
    #[error("{}: {}", .0.error, .0.description)]
    OAuth(super::oidc::OAuthError),
    /// Too many wrong codes in a row: code sign-in is off for the account
    /// until a pass or passkey sign-in, or the help desk, turns it back on.
    #[error("code sign-in is off for this account after too many wrong codes")]
    CodeSignInOff,
    /// Too many anonymous starts from one client; try again after this.
    #[error("too many requests; try again after {0}")]
    TooManyStarts(DateTime<Utc>),
    /// The session was opened with a weaker method than the change needs.
    #[error("{0}")]
    StrongerSignInNeeded(String),
    /// The passkey profile refuses the key: to register, or to sign in.
    #[error("{}", super::authenticators::refusal_message(*refusal, model.as_deref()))]
    KeyRefused {
        refusal: tapin_api::wire::KeyRefusal,
        model: Option<String>,
    },
    #[error("storage failed: {0}")]
    Storage(String),
    /// The database does not answer; the request may be tried again soon.
    #[error("the database does not answer: {0}")]
    Unavailable(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into(), None)
    }

    /// A short, stable name of a refused sign-in, for the audit trail.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::PassInvalid => "pass_invalid",
            Self::PassExpired(_) => "pass_expired",
            Self::PassNotYetValid(_) => "pass_not_yet_valid",
            Self::PassUsed(_) => "pass_used",
            Self::BlockedByPolicy(_) => "blocked_by_policy",
            Self::TooManyAttempts(_) => "too_many_attempts",
            _ => "other",
        }
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e.to_string(), Some(e.field))
    }
}

impl From<super::store::StoreError> for Error {
    fn from(e: super::store::StoreError) -> Self {
        match e {
            super::store::StoreError::Conflict(m) => Self::Conflict(m),
            super::store::StoreError::Backend(m) => Self::Storage(m),
            super::store::StoreError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}
