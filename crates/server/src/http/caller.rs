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
use super::{header_items, read_mostly, AppState};
use crate::domain::{Actor, BearerToken, Error, HelpDeskCredential, Person, SessionCookie};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::http::{header, StatusCode};
use axum::response::Response;
use tapin_api::wire::ErrorCode;

/// The session cookie: `__Host-` pins it to this exact origin and path.
pub const SESSION_COOKIE: &str = "__Host-tapin";
/// The session again, `SameSite=Lax`, for single sign-on from other sites:
/// only `/oauth2/authorize` reads it (`caller::SsoPerson`).
pub const SSO_COOKIE: &str = "__Host-tapin-sso";

pub(crate) fn set_cookie(res: &mut Response, value: &str, max_age: i64) {
    let cookies = [
        format!(
            "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
        ),
        // The single-sign-on twin (see `caller::SsoPerson`): the same session,
        // read only by /oauth2/authorize, sent on another site's top-level
        // navigation.
        format!("{SSO_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"),
    ];
    for cookie in cookies {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// The session cookie's value, if the request has a non-empty one.
fn cookie(parts: &Parts) -> Option<SessionCookie> {
    header_items(&parts.headers, header::COOKIE, ';')
        .find_map(|c| c.strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
        .filter(|t| !t.is_empty())
        .map(SessionCookie::new)
}

/// The person an authorization request comes from, for single sign-on to
/// applications on other sites.
///
/// Threat model. The session cookie is `SameSite=Strict`: a browser sends it
/// on no request another site starts, so no other site can make a signed-in
/// person's browser change anything here (and every state-changing request
/// also has its Origin checked). An application on another registrable
/// domain sends the person to `/oauth2/authorize` by a top-level navigation,
/// which carries no Strict cookie; single sign-on needs the session there.
/// So the session is also set as `__Host-tapin-sso`, `SameSite=Lax` (sent on
/// top-level GET navigations from other sites, never on their subrequests or
/// POSTs), and this extractor is the only reader of it, on the only route
/// that uses it: `GET /oauth2/authorize`. What another site can then cause
/// is what any OpenID provider's single sign-on allows: a code sent to a
/// redirect URI registered for the client named (exact match), bound to the
/// client's PKCE challenge and state, and only when the session already
/// satisfies the request (strength, `max_age`, consent; anything else goes
/// to tapin's own sign-in page, where the Strict cookie rules again). It
/// changes nothing in tapin, reveals nothing to the calling page, and cannot
/// be framed (`frame-ancestors 'none'`). Every other route ignores this
/// cookie, so a request that carries only it is anonymous everywhere else.
pub struct SsoPerson(pub Option<Person>);

impl FromRequestParts<AppState> for SsoPerson {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let cookie = cookie(parts).or_else(|| {
            header_items(&parts.headers, header::COOKIE, ';')
                .find_map(|c| c.strip_prefix(SSO_COOKIE)?.strip_prefix('='))
                .filter(|t| !t.is_empty())
                .map(SessionCookie::new)
        });
        let Some(cookie) = cookie else {
            return Ok(Self(None));
        };
        match resolve(state, cookie).await {
            Ok(p) => Ok(Self(Some(p))),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(Self(None)),
            Err(e) => Err(e),
        }
    }
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
