//! What every OAuth endpoint shares: their paths, OAuth's error answers,
//! how a client proves itself, and the cookie that binds a waiting request
//! to its browser. `oidc` (sign-in) and `oidc_grants` (what comes after)
//! both build on this, and neither on the other.

use super::error::ApiError;
use super::json_no_store;
use crate::domain::oidc::ClientAuth;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

pub const AUTHORIZE: &str = "/oauth2/authorize";
pub const TOKEN: &str = "/oauth2/token";
pub const USERINFO: &str = "/oauth2/userinfo";
pub const JWKS: &str = "/oauth2/jwks";
pub const LOGOUT: &str = "/oauth2/logout";
pub const DEVICE_AUTHORIZATION: &str = "/oauth2/device_authorization";
pub const INTROSPECT: &str = "/oauth2/introspect";
pub const REVOKE: &str = "/oauth2/revoke";

/// `{error, error_description}` with the status RFC 6749 §5.2 gives it.
pub fn oauth_error(e: ApiError) -> Response {
    oauth_response(e.oauth.unwrap_or(("server_error", e.body.message)))
}

pub fn oauth_response((error, description): (&'static str, String)) -> Response {
    let status = match error {
        "invalid_client" => StatusCode::UNAUTHORIZED,
        "invalid_token" => StatusCode::UNAUTHORIZED,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut res = json_no_store(
        status,
        json!({ "error": error, "error_description": description }),
    );
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if error == "invalid_token" {
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"")
        } else {
            "Basic realm=\"tapin\"".to_string()
        };
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    res
}

/// The cookie that binds a waiting authorization request to the browser
/// that made it: a same-site page cannot continue a request it created in
/// its own name in someone else's browser. Host-only, never sent cross-site
/// on a subrequest; Lax so it rides along the application's redirect.
pub const BROWSER_COOKIE: &str = "__Host-tapin-authz";

/// This browser's binding, if it has one of the right shape.
pub struct Browser(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            super::header_items(&parts.headers, header::COOKIE, ';')
                .find_map(|c| {
                    c.strip_prefix(BROWSER_COOKIE)?
                        .strip_prefix('=')
                        .map(str::to_string)
                })
                .filter(|b| b.len() == 64 && b.bytes().all(|c| c.is_ascii_hexdigit())),
        ))
    }
}

/// A client's `Authorization: Basic` credentials (RFC 6749 §2.3.1: the
/// form-urlencoded id and secret), if it sent them; `Some(Err)` when they
/// are malformed.
pub struct BasicAuth(pub Option<Result<(String, String), ()>>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for BasicAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(basic_auth(&parts.headers)))
    }
}

fn basic_auth(h: &HeaderMap) -> Option<Result<(String, String), ()>> {
    use base64::Engine;
    let value = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(Err(()));
    };
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some(Ok((unescape(id), unescape(secret))))
}

/// How the client proved itself: `Authorization: Basic`, or the form's
/// `client_id` (and `client_secret`); never both ways at once.
pub fn client_auth(
    basic: Option<Result<(String, String), ()>>,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<ClientAuth, (&'static str, String)> {
    match basic {
        Some(Ok((id, secret))) => {
            if client_secret.is_some() {
                return Err((
                    "invalid_request",
                    "use one way of client authentication, not two".into(),
                ));
            }
            Ok(ClientAuth {
                client_id: Some(id),
                client_secret: Some(secret),
            })
        }
        Some(Err(())) => Err((
            "invalid_client",
            "the Authorization header is not valid Basic credentials".into(),
        )),
        None => Ok(ClientAuth {
            client_id,
            client_secret,
        }),
    }
}
