//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: the organisation's
//! directory provisions people and groups. Only a provisioning token
//! (`tapin token create --provisioning`) opens it; no session, no other
//! token. Errors take RFC 7644 §3.12's shape, with `scimType`; bodies are
//! `application/scim+json`.

mod discovery;
mod handlers;

use crate::domain::directory::resources::{self, ScimType};
use crate::domain::{Actor, BearerToken, Error};
use crate::http::error::ApiError;
use crate::http::{domain, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

pub const BASE: &str = "/scim/v2";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SCIM_JSON: &str = "application/scim+json";

pub fn routes() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(discovery::config))
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route(
            "/scim/v2/ResourceTypes/{name}",
            get(discovery::resource_type),
        )
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{id}", get(discovery::schema))
        .route("/scim/v2/Users", get(list::<Users>).post(create::<Users>))
        .route(
            "/scim/v2/Users/{id}",
            get(read::<Users>)
                .put(replace::<Users>)
                .patch(patch::<Users>)
                .delete(delete::<Users>),
        )
        .route(
            "/scim/v2/Groups",
            get(list::<Groups>).post(create::<Groups>),
        )
        .route(
            "/scim/v2/Groups/{id}",
            get(read::<Groups>)
                .put(replace::<Groups>)
                .patch(patch::<Groups>)
                .delete(delete::<Groups>),
        )
        .route("/scim/v2/{*rest}", axum::routing::any(no_such_resource))
}

async fn no_such_resource() -> ScimFailure {
    ScimFailure::new(
        StatusCode::NOT_FOUND,
        None,
        "There is no such SCIM resource.",
    )
}

// ---- errors -----------------------------------------------------------------------

/// A failure in RFC 7644 §3.12's shape.
#[derive(Debug)]
pub struct ScimFailure {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimFailure {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }
}

impl From<Error> for ScimFailure {
    fn from(e: Error) -> Self {
        match e {
            Error::Scim(ScimType::Uniqueness, m) => {
                Self::new(StatusCode::CONFLICT, Some("uniqueness"), m)
            }
            Error::Scim(kind, m) => Self::new(StatusCode::BAD_REQUEST, Some(kind.as_str()), m),
            Error::Stale(m) => Self::new(StatusCode::PRECONDITION_FAILED, None, m),
            Error::Conflict(m) => Self::new(StatusCode::CONFLICT, Some("uniqueness"), m),
            Error::Invalid(m, _) => Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), m),
            other => {
                let api = ApiError::from(other);
                Self::new(api.status, None, api.body.message.clone())
            }
        }
    }
}

impl From<ApiError> for ScimFailure {
    fn from(e: ApiError) -> Self {
        Self::new(e.status, None, e.body.message.clone())
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tapin SCIM\""),
            );
        }
        res
    }
}

/// A bare answer of a layer (405, 413, 408, 503) in SCIM's shape.
pub fn shape_bare(res: Response, message: String) -> Response {
    let status = res.status();
    let allow = res.headers().get(header::ALLOW).cloned();
    let mut out = ScimFailure::new(status, None, message).into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}

pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

// ---- who is asking -------------------------------------------------------------------

/// The provisioning client behind `Authorization: Bearer`: the only
/// credential `/scim/v2` takes.
pub struct Provisioner {
    bearer: BearerToken,
}

impl FromRequestParts<AppState> for Provisioner {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimFailure> {
        let refused = || {
            ScimFailure::new(
                StatusCode::UNAUTHORIZED,
                None,
                "Send a provisioning token (tapin token create --provisioning) as 'Authorization: Bearer TOKEN'.",
            )
        };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(BearerToken::new)
            .ok_or_else(refused)?;
        let check = bearer.clone();
        domain(state, move |t| t.provisioner(&check))
            .await
            .map_err(|_| refused())?;
        Ok(Self { bearer })
    }
}

/// Runs directory work as the provisioning client, its token asked again
/// at the moment of acting (one revoked while the body was on its way
/// finishes nothing).
pub(super) async fn provisioning<T: Send + 'static>(
    state: &AppState,
    who: Provisioner,
    work: impl FnOnce(&crate::domain::Tapin, &Actor) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, ScimFailure> {
    let outcome = domain(state, move |t| {
        let actor = t.provisioner(&who.bearer).map_err(|_| Error::NotSignedIn)?;
        Ok(work(t, &actor))
    })
    .await;
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(e.into()),
    }
}

/// `If-Match`: the version a change is made for (none, or `*`: any).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimFailure> {
        match parts.headers.get(header::IF_MATCH).map(|v| v.to_str()) {
            None => Ok(Self(None)),
            Some(Ok(v)) => resources::if_match(v).map(Self).map_err(ScimFailure::from),
            Some(Err(_)) => Err(ScimFailure::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                "If-Match is an ETag this server gave",
            )),
        }
    }
}

/// A SCIM body: JSON, sent as `application/scim+json` or `application/json`.
pub struct ScimBody(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ScimBody {
    type Rejection = ScimFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ScimFailure> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|v| v == SCIM_JSON || v == "application/json");
        if !json {
            return Err(ScimFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "Send the body as application/scim+json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                let status = e.status();
                ScimFailure::new(status, None, e.body_text())
            })?;
        serde_json::from_slice(&bytes).map(Self).map_err(|e| {
            ScimFailure::new(
                StatusCode::BAD_REQUEST,
                Some("invalidSyntax"),
                format!("The body is not JSON: {e}"),
            )
        })
    }
}
