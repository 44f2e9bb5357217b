//! The edge's half of "who is calling": extractors that read a credential
//! from the request and pass it through one of the domain's doors
//! (`domain::caller`). A handler that needs a caller names the principal
//! in its arguments; it never sees a header or a token.
//!
//! - [`Person`]: the session cookie of a live session (401 otherwise).
//! - `Option<Person>`: the same, or nobody (pages that work either way).
//! - [`HelpDesk`]: an administrator, by API token or by a session strong
//!   enough for the help desk. A request with a bearer token is judged by
//!   it alone.
//! - [`SessionCookie`]: the cookie itself, live or not, for signing out.

use super::error::ApiError;
use super::{header_items, read_mostly, AppState, SESSION_COOKIE};
use crate::domain::{Actor, BearerToken, Error, HelpDeskCredential, Person, SessionCookie};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use tapin_api::wire::ErrorCode;

/// The session cookie's value, if the request has a non-empty one.
fn cookie(parts: &Parts) -> Option<SessionCookie> {
    header_items(&parts.headers, header::COOKIE, ';')
        .find_map(|c| c.strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .filter(|t| !t.is_empty())
        .map(SessionCookie::new)
}

impl FromRequestParts<AppState> for SessionCookie {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        cookie(parts).ok_or_else(|| Error::NotSignedIn.into())
    }
}

impl OptionalFromRequestParts<AppState> for SessionCookie {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Option<Self>, ApiError> {
        Ok(cookie(parts))
    }
}

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let cookie = cookie(parts).ok_or(Error::NotSignedIn)?;
        resolve(state, cookie).await
    }
}

impl OptionalFromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    /// Nobody when there is no cookie or its session ended; a failing
    /// store is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        let Some(cookie) = cookie(parts) else {
            return Ok(None);
        };
        match resolve(state, cookie).await.map(Some) {
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(None),
            other => other,
        }
    }
}

/// The person behind a cookie: without a thread where the store allows
/// (PostgreSQL), on the blocking door otherwise or when it must write.
async fn resolve(state: &AppState, cookie: SessionCookie) -> Result<Person, ApiError> {
    if let Some(found) = state.tapin.person_without_blocking(&cookie).await {
        return found.map_err(ApiError::from);
    }
    read_mostly(state, move |t| t.person(&cookie)).await
}

/// The acting administrator of a help-desk request, and the credential
/// that made them one: `acting` asks the door again when the work runs.
pub struct HelpDesk {
    pub actor: Actor,
    pub credential: HelpDeskCredential,
}

impl FromRequestParts<AppState> for HelpDesk {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let bearer = auth
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(BearerToken::new)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        ErrorCode::NotSignedIn,
                        "Send the API token as 'Authorization: Bearer TOKEN'.",
                    )
                })?;
            let credential = HelpDeskCredential::Bearer(bearer);
            return read_mostly(state, move |t| {
                t.help_desk(&credential)
                    .map(|actor| HelpDesk { actor, credential })
            })
            .await
            .map_err(token_refused);
        }
        let cookie = cookie(parts).ok_or(Error::NotSignedIn)?;
        let who = resolve(state, cookie.clone()).await?;
        Ok(HelpDesk {
            actor: state.tapin.admin_by_session(&who)?,
            credential: HelpDeskCredential::Session(cookie),
        })
    }
}

/// An API token's refusal, in words that say which.
pub(crate) fn token_refused(e: ApiError) -> ApiError {
    match e.status {
        StatusCode::UNAUTHORIZED => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::NotSignedIn,
            "The API token is not valid: unknown, revoked or expired, or its administrator lost the role.",
        ),
        _ => e,
    }
}
