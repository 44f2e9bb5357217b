//! The JSON API and the app's files over HTTP: parse, call the domain, map errors.

pub mod admin;
pub mod assets;
pub mod caller;
pub mod client;
pub mod door;
pub mod error;
pub mod graph;
pub mod methods;
pub mod metrics;
mod oauth;
pub mod oidc;
mod oidc_grants;
pub mod openapi;
mod pages;
pub mod scim;
pub mod security;
pub mod serve;
pub mod signin;

use crate::domain::{Person, SessionCookie, Tapin};
use crate::pool::{HashPool, Ticket};
use assets::Assets;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use error::ApiError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tapin_api::wire::{ErrorBody, ErrorCode, PassSignIn, SessionInfo};

pub(crate) use caller::set_cookie;
pub use caller::{SESSION_COOKIE, SSO_COOKIE};
/// Large enough for any form tapin has; anything bigger is refused unread.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

#[derive(Clone, Default)]
pub struct HttpConfig {
    /// When set (normalised), state-changing requests must carry exactly this Origin.
    pub public_origin: Option<String>,
    /// Send Strict-Transport-Security (only when served over TLS).
    pub hsts: bool,
    /// Proxies whose forwarded headers name the client.
    pub trusted_proxies: client::TrustedProxies,
}

#[derive(Clone)]
pub struct AppState {
    pub tapin: Arc<Tapin>,
    pub assets: Arc<Assets>,
    pub config: Arc<HttpConfig>,
    /// Where pass checks (Argon2id) run, bounded.
    pub pool: Arc<HashPool>,
    /// The store's reads may run on the async workers (`Store::reads_in_place`).
    pub in_place: bool,
}

/// The client a request comes from, as lockout and send limits count it.
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(ApiError::internal)?;
        let ip = state.config.trusted_proxies.client(peer, &parts.headers);
        Ok(Self(client::client_key(ip)))
    }
}

pub fn router(state: AppState) -> Router {
    use door::{door, Audience};
    use security::Origins;
    let app = Router::new()
        .route("/api/v1/signin/pass", post(sign_in_with_pass))
        .route("/api/v1/session", get(session))
        .route("/api/v1/signout", post(sign_out))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/{*rest}", any(no_such_endpoint))
        .merge(methods::routes())
        .merge(signin::routes())
        .merge(oidc::front_channel())
        .merge(oidc_grants::front_channel())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    Router::new()
        .merge(door(app, Audience::App, Origins::Own, &state))
        .merge(door(
            admin::routes(),
            Audience::App,
            Origins::OwnOrBearer,
            &state,
        ))
        .merge(door(
            graph::routes(),
            Audience::Graph,
            Origins::OwnOrBearer,
            &state,
        ))
        // The directory's door: a provisioning token is no ambient
        // credential, and /scim/v2 reads no cookie, so any origin may call.
        .merge(door(scim::routes(), Audience::Scim, Origins::Any, &state))
        .merge(door(
            oidc::back_channel()
                .merge(oidc_grants::back_channel())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    oidc_grants::cors,
                )),
            Audience::OAuth,
            Origins::Any,
            &state,
        ))
        .merge(door(
            Router::new().fallback(static_or_app),
            Audience::App,
            Origins::Own,
            &state,
        ))
        .with_state(state)
}

/// The longest any request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A panic in one request answers 500 and leaves the process serving.
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::internal().into_response()
}

/// On the way out of every request: the security headers and one log line.
async fn edge(
    State(config): State<Arc<HttpConfig>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let metered = metrics::installed();
    let logged = tracing::enabled!(tracing::Level::INFO);
    if !metered && !logged {
        // Nothing to count or log: only the headers (the common case for
        // a deployment without --metrics-addr at the default log level).
        let mut res = next.run(req).await;
        security::headers(&config, res.headers_mut());
        return res;
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    // The route's pattern, not the path: ids in paths would make a series each.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("app", |m| m.as_str())
        .to_string();
    let started = Instant::now();
    let mut res = next.run(req).await;
    security::headers(&config, res.headers_mut());
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    if metered {
        ::metrics::counter!(metrics::REQUESTS, "route" => route.clone(), "method" => method.to_string(), "status" => status.to_string()).increment(1);
        ::metrics::histogram!(metrics::LATENCY, "route" => route).record(elapsed.as_secs_f64());
    }
    // The method, path and outcome only: never bodies, query strings or cookies.
    tracing::info!(%method, %path, status, ms = elapsed.as_millis() as u64, "request");
    res
}

/// A JSON body whose every rejection (malformed, wrong type, too large)
/// becomes the ordinary error body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidInput,
                "Send the request as application/json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        ErrorCode::PayloadTooLarge,
                        format!("The request is larger than {BODY_LIMIT_BYTES} bytes."),
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::InvalidInput,
                        "The request body could not be read.",
                    )
                }
            })?;
        // Every body tapin takes is an object: serde would otherwise read a
        // struct from an array of its fields in order.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidInput,
                "The request body must be a JSON object.",
            ));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidInput,
                format!(
                    "The request is not valid JSON of the expected shape: {}",
                    rejection.body_text()
                ),
            )),
        }
    }
}

/// Domain work that checks a pass: admitted to the bounded pool first (503
/// at once when it is full), then run off the async workers, with only the
/// Argon2id check itself on the pool's threads.
pub(crate) async fn hashing<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Tapin, &Ticket) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let ticket = state.pool.admit().map_err(|_| ApiError::overloaded())?;
    let tapin = state.tapin.clone();
    tokio::task::spawn_blocking(move || work(&tapin, &ticket))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(ApiError::from)
}

/// Runs blocking domain work (SQLite) off the async workers.
pub(crate) async fn domain<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Tapin) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let tapin = state.tapin.clone();
    tokio::task::spawn_blocking(move || work(&tapin))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(ApiError::from)
}

/// Domain work that only reads. On an embedded store (SQLite's read
/// connections, a few microseconds each) it runs in place on the async
/// worker: handing it to the blocking pool costs two thread wake-ups, which
/// `cargo xtask bench` showed were most of an authenticated GET's time. Its
/// one possible write (session activity, at most once a minute) is a
/// single row. A networked store goes to a blocking thread as usual.
pub(crate) async fn read_mostly<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Tapin) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    if state.in_place {
        work(&state.tapin).map_err(ApiError::from)
    } else {
        domain(state, work).await
    }
}

/// The trimmed items of every `name` header, split on `separator`.
pub(crate) fn header_items(
    headers: &HeaderMap,
    name: header::HeaderName,
    separator: char,
) -> impl Iterator<Item = &str> {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(move |v| v.split(separator))
        .map(str::trim)
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/pass",
    request_body = PassSignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionInfo),
        (status = 400, description = "The account name or pass is not of the right shape (field says which)", body = ErrorBody),
        (status = 401, description = "Wrong pass, unknown account or no pass (one answer for all); or the pass expired, is not valid yet, or was used", body = ErrorBody),
        (status = 403, description = "Blocked by the Temporary Access Pass policy, or a foreign Origin", body = ErrorBody),
        (status = 429, description = "Too many attempts; retry_at and Retry-After say when", body = ErrorBody),
        (status = 503, description = "At capacity; try again after Retry-After seconds", body = ErrorBody),
    ),
    tag = "sign-in"
)]
pub(crate) async fn sign_in_with_pass(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<PassSignIn>,
) -> Result<Response, ApiError> {
    let signed_in = hashing(&state, move |t, check| {
        t.sign_in_with_pass_checked_by(check, &body.upn, &body.pass, &client)
    })
    .await;
    metrics::sign_in("pass", &signed_in);
    Ok(signed_in_response(signed_in?))
}

/// A JSON answer no cache keeps.
pub(crate) fn json_no_store<T: serde::Serialize>(status: StatusCode, v: T) -> Response {
    no_store((status, Json(v)).into_response())
}

pub(crate) fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The session as JSON, with its cookie.
pub(crate) fn signed_in_response(signed_in: crate::domain::SignedIn) -> Response {
    let max_age = (signed_in.session.expires_at - signed_in.session.server_time)
        .num_seconds()
        .max(0);
    let mut res = Json(&signed_in.session).into_response();
    set_cookie(&mut res, &signed_in.token, max_age);
    no_store(res)
}

#[utoipa::path(
    get,
    path = "/api/v1/session",
    responses(
        (status = 200, description = "The signed-in session", body = SessionInfo),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorBody),
    ),
    security(("session" = [])),
    tag = "sign-in"
)]
pub(crate) async fn session(
    State(state): State<AppState>,
    who: Person,
) -> Result<Response, ApiError> {
    // From the principal alone: no store, no thread.
    let info: SessionInfo = state.tapin.session(&who)?;
    let mut res = Json(info).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[utoipa::path(
    post,
    path = "/api/v1/signout",
    responses((status = 204, description = "Signed out (also when no session was there)")),
    tag = "sign-in"
)]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    cookie: Option<SessionCookie>,
) -> Result<Response, ApiError> {
    if let Some(cookie) = cookie {
        domain(&state, move |t| t.sign_out(&cookie)).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut res, "", 0);
    Ok(res)
}

#[utoipa::path(
    get,
    path = "/healthz",
    responses((status = 200, description = "The process is up", body = Object)),
    tag = "operations"
)]
pub(crate) async fn healthz() -> Response {
    no_store(Json(serde_json::json!({"status": "ok"})).into_response())
}

#[utoipa::path(
    get,
    path = "/readyz",
    responses(
        (status = 200, description = "The database answers and its schema is current", body = Object),
        (status = 503, description = "Not ready; `message` says why", body = ErrorBody),
    ),
    tag = "operations"
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match domain(&state, |t| t.ready()).await {
        Ok(()) => no_store(Json(serde_json::json!({"status": "ready"})).into_response()),
        Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => no_store(
            ApiError {
                body: Box::new(ErrorBody::new(
                    ErrorCode::Unavailable,
                    "Not ready: the database does not answer.",
                )),
                ..e
            }
            .into_response(),
        ),
        Err(_) => no_store(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "Not ready: the database does not answer or its schema is not current.",
            )
            .into_response(),
        ),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)),
    tag = "meta"
)]
pub(crate) async fn openapi() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| openapi::document().to_json().unwrap_or_default());
    ([(header::CONTENT_TYPE, "application/json")], doc.as_str()).into_response()
}

/// Under `/api/`, a path no route has.
async fn no_such_endpoint() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such API endpoint.",
    )
}

/// Routes of the second, lazily loaded bundle (security info and passkey sign-in).
const METHODS_ROUTES: &[&str] = &["/security-info", "/passkey"];
/// Routes of the third: the help desk.
const ADMIN_ROUTES: &[&str] = &["/admin"];
const SIGNIN_ROUTES: &[&str] = &["/signin", "/device"];

/// Files of the built app; any other path outside the API is one of the
/// app's own routes, so it gets the page and the app's router takes over.
async fn static_or_app(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    if let Some(asset) = state.assets.get(path) {
        return assets::respond(asset, req.headers());
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let under = |routes: &[&str]| {
        routes
            .iter()
            .any(|r| path == *r || path.starts_with(&format!("{r}/")))
    };
    let page = if under(METHODS_ROUTES) {
        state.assets.get("/methods.html")
    } else if under(ADMIN_ROUTES) {
        state.assets.get("/admin.html")
    } else if under(SIGNIN_ROUTES) {
        state.assets.get("/signin.html")
    } else {
        state.assets.index()
    };
    match page {
        Some(index) if !last.contains('.') => assets::respond(index, req.headers()),
        Some(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The tapin app has not been built. Start tapin with `cargo xtask run`, which builds it.",
        )
            .into_response(),
    }
}
