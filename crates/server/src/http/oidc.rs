//! The OpenID Connect endpoints: discovery, keys, authorize, token,
//! userinfo and logout. Errors use OAuth's `{error, error_description}`;
//! parsing only, the rules are in `domain::oidc`.

use super::error::ApiError;
pub use super::oauth::*;
use super::pages::{html_escape, page, Lang};
use super::{domain, json_no_store, no_store, read_mostly, AppState};
use crate::domain::oidc::{AuthorizationRequest, Authorize, TokenRequest, SIGNING_ALGORITHMS};
use crate::domain::{Person, SessionCookie};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::json;
use tapin_api::wire::{ContinueAuthorization, Continued};

/// The relying parties' back channel: authenticated by a client secret or
/// an access token, answered in OAuth's error shape.
pub fn back_channel() -> Router<AppState> {
    Router::new()
        .route(TOKEN, axum::routing::post(token))
        .route(USERINFO, get(userinfo).post(userinfo))
        .route(JWKS, get(jwks))
}

/// What a browser visits: discovery, keys, authorization and logout.
pub fn front_channel() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(AUTHORIZE, get(authorize))
        .route(
            "/oauth2/authorize/continue",
            axum::routing::post(continue_authorization),
        )
        .route(LOGOUT, get(logout).post(confirm_logout))
        .route("/api/v1/signin/request/{id}", get(request_info))
}

async fn discovery(State(s): State<AppState>) -> Response {
    let iss = s.tapin.issuer().to_string();
    let mut res = axum::Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}{AUTHORIZE}"),
        "token_endpoint": format!("{iss}{TOKEN}"),
        "userinfo_endpoint": format!("{iss}{USERINFO}"),
        "jwks_uri": format!("{iss}{JWKS}"),
        "end_session_endpoint": format!("{iss}{LOGOUT}"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", crate::domain::oidc::DEVICE_GRANT],
        "device_authorization_endpoint": format!("{iss}{}", DEVICE_AUTHORIZATION),
        "introspection_endpoint": format!("{iss}{}", INTROSPECT),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint": format!("{iss}{}", REVOKE),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "name", "preferred_username", "email", "email_verified"],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    }))
    .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    res
}

async fn jwks(State(s): State<AppState>) -> Response {
    match read_mostly(&s, |d| d.jwks()).await {
        Ok(keys) => {
            let mut res = axum::Json(keys).into_response();
            // Short: a rotation must reach relying parties soon.
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            );
            res
        }
        Err(e) => oauth_error(e),
    }
}

/// A page for a request that cannot go back to the application, in the
/// browser's language: the sentence `key` of the sign-in catalogs.
fn refused(lang: Lang, key: &str, app: &str) -> Response {
    let body = format!("<p>{}</p>", html_escape(&lang.say(key, app)));
    no_store(page(
        lang,
        StatusCode::BAD_REQUEST,
        &lang.say("SGN_REFUSED_TITLE", ""),
        &body,
    ))
}

fn redirect(lang: Lang, to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => no_store((StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response()),
        Err(_) => refused(lang, "SGN_REFUSED_AGAIN", ""),
    }
}

fn answer(lang: Lang, outcome: Result<Authorize, ApiError>) -> Response {
    match outcome {
        Ok(Authorize::Redirect(to)) => redirect(lang, &to),
        Ok(Authorize::SignIn { id }) => redirect(lang, &format!("/signin?request={id}")),
        Ok(Authorize::Refused(why)) => refused(lang, why.key(), why.app()),
        Err(e) => {
            let key = if e.retry_after_seconds.is_some() {
                "SGN_REFUSED_BUSY"
            } else {
                "SGN_REFUSED_AGAIN"
            };
            let mut res = refused(lang, key, "");
            if let Some(secs) = e.retry_after_seconds {
                *res.status_mut() = e.status;
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            res
        }
    }
}

async fn authorize(
    State(s): State<AppState>,
    super::Client(client): super::Client,
    super::caller::SsoPerson(who): super::caller::SsoPerson,
    Browser(browser): Browser,
    headers: HeaderMap,
    Query(req): Query<AuthorizationRequest>,
) -> Response {
    let browser = browser.unwrap_or_else(|| crate::domain::methods::random_hex(32));
    let binding = browser.clone();
    let outcome = domain(&s, move |d| {
        d.oidc_authorize(req, who.as_ref(), &binding, &client)
    })
    .await;
    let waits = matches!(outcome, Ok(Authorize::SignIn { .. }));
    let mut res = answer(Lang::of(&headers), outcome);
    // Set again each time, so it outlives every request it binds.
    if waits {
        let cookie = format!(
            "{BROWSER_COOKIE}={browser}; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax"
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// A POST from the sign-in page (the Origin check guards it): the waiting
/// request, answered once, in the browser that made it. The page then
/// goes where the answer says (a form's redirect to the application would
/// be refused by `form-action 'self'`).
async fn continue_authorization(
    State(s): State<AppState>,
    who: Option<Person>,
    Browser(browser): Browser,
    super::ApiJson(q): super::ApiJson<ContinueAuthorization>,
) -> Result<Response, ApiError> {
    let browser = browser.unwrap_or_default();
    let to = match domain(&s, move |d| {
        d.continue_authorization(&q.request, who.as_ref(), &browser, q.consent)
    })
    .await?
    {
        Authorize::Redirect(to) => to,
        Authorize::SignIn { id } => format!("/signin?request={id}"),
        Authorize::Refused(why) => return Err(crate::domain::Error::invalid(why.english()).into()),
    };
    Ok(json_no_store(StatusCode::OK, Continued { redirect_to: to }))
}

async fn request_info(
    State(s): State<AppState>,
    who: Option<Person>,
    Browser(browser): Browser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let browser = browser.unwrap_or_default();
    let info = read_mostly(&s, move |d| {
        d.authorization_request(&id, who.as_ref(), &browser)
    })
    .await?;
    Ok(json_no_store(
        StatusCode::OK,
        tapin_api::wire::AuthorizationRequestInfo {
            client_name: info.client_name,
            consent: info.consent,
            phishing_resistant: info.phishing_resistant,
            ready: info.ready,
            device: info.device,
        },
    ))
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(flatten)]
    request: TokenRequest,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn token(
    State(s): State<AppState>,
    BasicAuth(basic): BasicAuth,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_response((
            "invalid_request",
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    };
    let auth = match client_auth(basic, form.client_id.clone(), form.client_secret.clone()) {
        Ok(auth) => auth,
        Err(e) => return oauth_response(e),
    };
    let request = form.request;
    match domain(&s, move |d| d.exchange_code(&auth, &request)).await {
        Ok(tokens) => {
            let mut res = json_no_store(StatusCode::OK, tokens);
            res.headers_mut()
                .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => oauth_error(e),
    }
}

async fn userinfo(State(s): State<AppState>, AccessToken(bearer): AccessToken) -> Response {
    let Some(bearer) = bearer else {
        return oauth_response((
            "invalid_token",
            "send the access token as Authorization: Bearer".into(),
        ));
    };
    match read_mostly(&s, move |d| d.userinfo(&bearer)).await {
        Ok(claims) => json_no_store(StatusCode::OK, claims),
        Err(e) => oauth_error(e),
    }
}

/// An access token sent as `Authorization: Bearer`, if one was.
struct AccessToken(Option<crate::domain::BearerToken>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AccessToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| crate::domain::BearerToken::new(t.trim())),
        ))
    }
}

#[derive(Clone, Deserialize)]
struct LogoutQuery {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

async fn logout(
    State(s): State<AppState>,
    cookie: Option<SessionCookie>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
) -> Response {
    end_session(s, cookie, Lang::of(&headers), q, false).await
}

/// The confirmation's POST (the Origin check guards it).
async fn confirm_logout(
    State(s): State<AppState>,
    cookie: Option<SessionCookie>,
    headers: HeaderMap,
    form: Result<Form<LogoutQuery>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = Lang::of(&headers);
    match form {
        Ok(Form(q)) => end_session(s, cookie, lang, q, true).await,
        Err(_) => refused(lang, "SGN_REFUSED_LOGOUT", ""),
    }
}

async fn end_session(
    s: AppState,
    cookie: Option<SessionCookie>,
    lang: Lang,
    q: LogoutQuery,
    confirmed: bool,
) -> Response {
    let asked = q.clone();
    let outcome = domain(&s, move |d| {
        d.end_session(
            q.id_token_hint.as_deref(),
            q.client_id.as_deref(),
            q.post_logout_redirect_uri.as_deref(),
            q.state.as_deref(),
            cookie.as_ref(),
            confirmed,
        )
    })
    .await;
    match outcome {
        Ok(logout) if logout.confirm => confirm_page(lang, &asked),
        Ok(logout) => {
            let mut res = redirect(lang, logout.redirect.as_deref().unwrap_or("/?signed_out=1"));
            super::set_cookie(&mut res, "", 0);
            res
        }
        Err(_) => refused(lang, "SGN_REFUSED_LOGOUT", ""),
    }
}

/// "Sign out of tapin?" with a button that POSTs the same request back.
fn confirm_page(lang: Lang, q: &LogoutQuery) -> Response {
    let hidden: String = [
        ("client_id", &q.client_id),
        ("post_logout_redirect_uri", &q.post_logout_redirect_uri),
        ("state", &q.state),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref().map(|v| {
            format!(
                "<input type=\"hidden\" name=\"{k}\" value=\"{}\">",
                html_escape(v)
            )
        })
    })
    .collect();
    let body = format!(
        "<p>{}</p><form method=\"post\" action=\"{LOGOUT}\">{hidden}<button type=\"submit\">{}</button></form>",
        html_escape(&lang.say("SGN_LOGOUT_TEXT", "")),
        html_escape(&lang.say("SGN_LOGOUT_BUTTON", "")),
    );
    no_store(page(
        lang,
        StatusCode::OK,
        &lang.say("SGN_LOGOUT_TITLE", ""),
        &body,
    ))
}
