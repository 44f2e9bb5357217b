//! The endpoints applications use besides sign-in: introspection (RFC 7662),
//! revocation (RFC 7009), the device authorization grant (RFC 8628) with
//! its `/device` page's step, and CORS for public browser clients. Parsing
//! only; the rules are in `domain::oidc`.

use super::error::ApiError;
use super::oauth::{
    client_auth, oauth_error, oauth_response, BasicAuth, Browser, BROWSER_COOKIE,
    DEVICE_AUTHORIZATION, INTROSPECT, JWKS, REVOKE, TOKEN, USERINFO,
};
use super::{domain, json_no_store, read_mostly, AppState};
use crate::domain::oidc::ClientAuth;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tapin_api::wire::{Continued, DeviceCode};

pub fn back_channel() -> Router<AppState> {
    Router::new()
        .route(INTROSPECT, post(introspect))
        .route(REVOKE, post(revoke))
        .route(DEVICE_AUTHORIZATION, post(device_authorization))
}

pub fn front_channel() -> Router<AppState> {
    Router::new().route("/api/v1/device", post(start_device))
}

#[derive(Deserialize)]
struct TokenForm {
    token: Option<String>,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Deserialize)]
struct DeviceForm {
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn unreadable() -> Response {
    oauth_response((
        "invalid_request",
        "the body must be application/x-www-form-urlencoded".into(),
    ))
}

/// An introspection's or revocation's form: the client, the token and its hint.
fn token_form(
    basic: Option<Result<(String, String), ()>>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Result<(ClientAuth, String, Option<String>), (&'static str, String)> {
    let Ok(Form(form)) = form else {
        return Err((
            "invalid_request",
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    };
    let auth = client_auth(basic, form.client_id, form.client_secret)?;
    let token = form
        .token
        .filter(|t| !t.is_empty())
        .ok_or(("invalid_request", "token is missing".into()))?;
    Ok((auth, token, form.token_type_hint))
}

async fn introspect(
    State(s): State<AppState>,
    BasicAuth(basic): BasicAuth,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (auth, token, hint) = match token_form(basic, form) {
        Ok(parts) => parts,
        Err(e) => return oauth_response(e),
    };
    match read_mostly(&s, move |d| d.introspect(&auth, &token, hint.as_deref())).await {
        Ok(answer) => json_no_store(StatusCode::OK, answer),
        Err(e) => oauth_error(e),
    }
}

async fn revoke(
    State(s): State<AppState>,
    BasicAuth(basic): BasicAuth,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (auth, token, hint) = match token_form(basic, form) {
        Ok(parts) => parts,
        Err(e) => return oauth_response(e),
    };
    match domain(&s, move |d| d.revoke(&auth, &token, hint.as_deref())).await {
        // RFC 7009 §2.2: 200 whether or not there was anything to revoke.
        Ok(()) => json_no_store(StatusCode::OK, serde_json::json!({})),
        Err(e) => oauth_error(e),
    }
}

async fn device_authorization(
    State(s): State<AppState>,
    super::Client(address): super::Client,
    BasicAuth(basic): BasicAuth,
    form: Result<Form<DeviceForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable();
    };
    let auth = match client_auth(basic, form.client_id, form.client_secret) {
        Ok(a) => a,
        Err(e) => return oauth_response(e),
    };
    let scope = form.scope;
    match domain(&s, move |d| {
        d.device_authorization(&auth, scope.as_deref(), &address)
    })
    .await
    {
        Ok(answer) => json_no_store(StatusCode::OK, answer),
        Err(e) => {
            let retry = e.retry_after_seconds;
            let mut res = oauth_error(e);
            if let Some(secs) = retry {
                *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            res
        }
    }
}

/// The `/device` page's POST (the Origin check guards it): the typed code
/// becomes a sign-in request bound to this browser.
async fn start_device(
    State(s): State<AppState>,
    super::Client(address): super::Client,
    Browser(browser): Browser,
    super::ApiJson(body): super::ApiJson<DeviceCode>,
) -> Result<Response, ApiError> {
    let browser = browser.unwrap_or_else(|| crate::domain::methods::random_hex(32));
    let binding = browser.clone();
    let to = match domain(&s, move |d| {
        d.start_device_approval(&body.user_code, &binding, &address)
    })
    .await?
    {
        crate::domain::oidc::Authorize::SignIn { id } => format!("/signin?request={id}"),
        crate::domain::oidc::Authorize::Redirect(to) => to,
        crate::domain::oidc::Authorize::Refused(why) => {
            return Err(crate::domain::Error::invalid(why.english()).into())
        }
    };
    let mut res = json_no_store(StatusCode::OK, Continued { redirect_to: to });
    let cookie = format!(
        "{BROWSER_COOKIE}={browser}; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// CORS for public browser clients (single-page apps): the token, userinfo
/// and JWKS endpoints answer a page whose origin is that of a redirect URI
/// registered for a public client, and nobody else. These endpoints read no
/// cookie, so allowing an origin lends it no ambient credential.
pub async fn cors(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !matches!(path, TOKEN | USERINFO | JWKS) {
        return next.run(req).await;
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let allowed = match origin {
        Some(origin) => {
            let asked = origin.clone();
            read_mostly(&s, move |d| d.cors_allows(&asked))
                .await
                .unwrap_or(false)
                .then_some(origin)
        }
        None => None,
    };
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed.and_then(|o| HeaderValue::from_str(&o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    res
}
