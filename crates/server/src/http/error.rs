//! The one place a domain error becomes an HTTP status and the JSON error body.

use crate::domain::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use tapin_api::wire::{ErrorBody, ErrorCode};

/// An error answer, kept on the response so the door can give it its
/// audience's shape on the way out.
#[derive(Clone)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub body: tapin_api::wire::ErrorBody,
    pub retry_after_seconds: Option<i64>,
}

pub struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: Box<ErrorBody>,
    pub(crate) retry_after_seconds: Option<i64>,
    /// OAuth's `error` and `error_description`, for the OIDC endpoints.
    pub(crate) oauth: Option<(&'static str, String)>,
}

impl ApiError {
    /// The stable code, as the API writes it (`pass_invalid`).
    pub fn code_str(&self) -> String {
        serde_json::to_value(self.body.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "unknown".into())
    }

    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody::new(code, message)),
            retry_after_seconds: None,
            oauth: None,
        }
    }

    /// The bounded pool is full: try again in a moment.
    pub fn overloaded() -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Overloaded,
            "tapin is busy right now. Try again in a few seconds.",
        );
        err.retry_after_seconds = Some(OVERLOADED_RETRY_SECONDS);
        err
    }

    /// The database does not answer: try again in a few seconds.
    pub fn unavailable() -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "tapin cannot reach its database right now. Try again in a few seconds.",
        );
        err.retry_after_seconds = Some(UNAVAILABLE_RETRY_SECONDS);
        err
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on our side. Try again in a minute.",
        )
    }
}

/// What 503 `unavailable` asks clients to wait: a restarting database is back in seconds.
pub const UNAVAILABLE_RETRY_SECONDS: i64 = 5;

/// What 503 `overloaded` asks clients to wait: a queue drains in well under that.
pub const OVERLOADED_RETRY_SECONDS: i64 = 2;

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

const ASK_ADMIN: &str = "ask your administrator for a Temporary Access Pass";

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use ErrorCode as C;
        use StatusCode as S;
        match e {
            Error::Invalid(message, field) => {
                let mut err = Self::new(S::BAD_REQUEST, C::InvalidInput, message);
                err.body.field = field.map(str::to_string);
                err
            }
            Error::PassInvalid => Self::new(
                S::UNAUTHORIZED,
                C::PassInvalid,
                format!("The account name or Temporary Access Pass is not right. Check both, or {ASK_ADMIN}."),
            ),
            Error::PassExpired(at) => {
                let mut err = Self::new(S::UNAUTHORIZED, C::PassExpired, format!("This Temporary Access Pass expired at {}. To sign in, {ASK_ADMIN}.", utc(at)));
                err.body.expired_at = Some(at);
                err
            }
            Error::PassNotYetValid(at) => {
                let mut err = Self::new(S::UNAUTHORIZED, C::PassNotYetValid, format!("This Temporary Access Pass is valid from {}. Try again then, or {ASK_ADMIN} that starts now.", utc(at)));
                err.body.valid_from = Some(at);
                err
            }
            Error::PassUsed(at) => {
                let mut err = Self::new(S::UNAUTHORIZED, C::PassUsed, format!("This one-time Temporary Access Pass was already used at {}. If that was not you, tell your administrator; otherwise {ASK_ADMIN}.", utc(at)));
                err.body.used_at = Some(at);
                err
            }
            Error::BlockedByPolicy(_) => Self::new(
                S::FORBIDDEN,
                C::BlockedByPolicy,
                "Temporary Access Pass sign in was blocked due to User Credential Policy. Ask your administrator to check the Temporary Access Pass policy for your account.",
            ),
            Error::TooManyAttempts(retry_at) => {
                let mut err = Self::new(S::TOO_MANY_REQUESTS, C::TooManyAttempts, format!("Too many sign-in attempts. Wait until {} and try again, or {ASK_ADMIN}.", utc(retry_at)));
                err.body.retry_at = Some(retry_at);
                err.retry_after_seconds = Some((retry_at - Utc::now()).num_seconds().max(1));
                err
            }
            Error::TooManySends(retry_at) => {
                let mut err = Self::new(S::TOO_MANY_REQUESTS, C::TooManySends, format!("Too many codes were sent. Wait until {} and try again, or choose another method.", utc(retry_at)));
                err.body.retry_at = Some(retry_at);
                err.retry_after_seconds = Some((retry_at - Utc::now()).num_seconds().max(1));
                err
            }
            Error::NotSignedIn => Self::new(S::UNAUTHORIZED, C::NotSignedIn, "You are not signed in, or your session ended. Sign in again."),
            Error::Forbidden(m) => Self::new(S::FORBIDDEN, C::Forbidden, m),
            Error::NotFound(m) => Self::new(S::NOT_FOUND, C::NotFound, m),
            Error::Conflict(m) => Self::new(S::CONFLICT, C::Conflict, m),
            Error::Scim(_, m) => Self::new(S::BAD_REQUEST, C::InvalidInput, m),
            Error::Stale(m) => Self::new(S::PRECONDITION_FAILED, C::Conflict, m),
            Error::PasswordlessWindowClosed(at) => {
                let mut err = Self::new(S::FORBIDDEN, C::PasswordlessWindowClosed, format!("Passkeys and security keys could only be added until {}, within 10 minutes of signing in with a one-time pass. You can still add an authenticator app, phone or email; for a passkey, {ASK_ADMIN}.", utc(at)));
                err.body.expired_at = Some(at);
                err
            }
            Error::LimitReached(kind, limit) => {
                let mut err = Self::new(S::CONFLICT, C::LimitReached, format!("You already have {limit} of this kind ({}), the most allowed. Delete one first.", kind.as_str()));
                err.body.limit = Some(limit);
                err
            }
            Error::CodeInvalid(left) => {
                let mut err = Self::new(S::BAD_REQUEST, C::CodeInvalid, format!("That code is not right. Check it and try again ({left} tries left)."));
                err.body.field = Some("code".into());
                err.body.tries_left = Some(left);
                err
            }
            Error::CodeExpired => {
                let mut err = Self::new(S::GONE, C::CodeExpired, "This code has expired or was tried too often. Start again to get a new one.");
                err.body.field = Some("code".into());
                err
            }
            Error::WebauthnFailed(m) => Self::new(S::BAD_REQUEST, C::WebauthnFailed, format!("Your passkey or security key could not be verified ({m}). Try again.")),
            Error::KeyRefused { refusal, model } => {
                let mut err = Self::new(S::FORBIDDEN, C::KeyNotAllowed, crate::domain::authenticators::refusal_message(refusal, model.as_deref()));
                err.body.refusal = Some(refusal);
                err.body.model = model;
                err
            }
            Error::OAuth(e) => {
                let mut err = Self::new(S::BAD_REQUEST, C::InvalidInput, e.description.clone());
                err.oauth = Some((e.error, e.description));
                err
            }
            Error::SignInCodeInvalid => Self::new(S::BAD_REQUEST, C::CodeInvalid, "The account name or code is not right. Check the code your authenticator app shows now; each code works once."),
            Error::StrongerSignInNeeded(m) => Self::new(S::FORBIDDEN, C::StrongerSignInNeeded, m),
            Error::CodeSignInOff => Self::new(S::FORBIDDEN, C::CodeSignInOff, format!("Signing in with a code is turned off for this account after too many wrong codes in a row. Sign in with a passkey, a security key or a Temporary Access Pass, or {ASK_ADMIN}.")),
            Error::TooManyStarts(retry_at) => {
                let mut err = Self::new(S::TOO_MANY_REQUESTS, C::TooManyAttempts, format!("Too many sign-ins were started from here. Wait until {} and try again.", utc(retry_at)));
                err.body.retry_at = Some(retry_at);
                err.retry_after_seconds = Some((retry_at - Utc::now()).num_seconds().max(1));
                err
            }
            Error::Unavailable(m) => {
                tracing::warn!(error = %m, "the database does not answer");
                Self::unavailable()
            }
            Error::Storage(m) => {
                tracing::error!(error = %m, "storage failure");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Kept for the door, which gives it its audience's shape.
        let failure = Failure {
            status: self.status,
            body: (*self.body).clone(),
            retry_after_seconds: self.retry_after_seconds,
        };
        let mut response = (self.status, Json(*self.body)).into_response();
        response.extensions_mut().insert(failure);
        if let Some(secs) = self.retry_after_seconds {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
