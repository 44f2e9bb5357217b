//! The Graph-shaped admin API under `/graph/v1.0/`: Microsoft Graph v1.0's
//! authentication-methods resources (names, types, statuses and the
//! `{"error": {"code", "message"}}` shape), calling the same domain
//! operations as the command line and the admin pages.

mod fido2;
mod handlers;
mod provision;
mod shapes;

pub(crate) use fido2::*;
pub(crate) use handlers::*;
pub(crate) use provision::*;
pub use shapes::*;

use crate::domain::{Actor, Error, IssueOptions, PassView, PolicyChange, Tapin, Target, User};
use crate::domain::{Policy, StoredMethod, UserSearch};
use crate::http::caller::HelpDesk;
use crate::http::error::ApiError;
use crate::http::{domain, ApiJson, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use std::collections::HashMap;
use tapin_api::graph::{
    AuthenticationMethod, Collection, GraphError, GraphErrorDetail, GraphGroup, GraphInnerError,
    GraphUser, MethodTarget, NewTemporaryAccessPass, TemporaryAccessPassConfiguration,
    TemporaryAccessPassConfigurationPatch, TemporaryAccessPassMethod, UserPatch,
};
use tapin_api::wire::{ErrorCode, MethodKind};

pub const BASE: &str = "/graph/v1.0";
pub(in crate::http) const POLICY: &str = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

pub fn routes() -> Router<AppState> {
    let methods = "/graph/v1.0/users/{id}/authentication";
    Router::new()
        .route("/graph/v1.0/users", get(list_users))
        .route("/graph/v1.0/groups", get(list_groups))
        .route(
            "/graph/v1.0/users/{id}",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route(&format!("{methods}/methods"), get(list_methods))
        .route(
            &format!("{methods}/temporaryAccessPassMethods"),
            get(list_passes).post(create_pass),
        )
        .route(
            &format!("{methods}/temporaryAccessPassMethods/{{method_id}}"),
            get(get_pass).delete(delete_pass),
        )
        .route(
            &format!("{methods}/fido2Methods"),
            post(create_fido2_method),
        )
        .route(
            &format!("{methods}/fido2Methods/{{method_id}}"),
            get(get_fido2_method).delete(delete_fido2),
        )
        .route(
            &format!("{methods}/softwareOathMethods/{{method_id}}"),
            delete(delete_oath),
        )
        .route(
            &format!("{methods}/phoneMethods/{{method_id}}"),
            delete(delete_phone),
        )
        .route(
            &format!("{methods}/emailMethods/{{method_id}}"),
            delete(delete_email),
        )
        .route(
            "/graph/v1.0/users/{id}/revokeSignInSessions",
            post(revoke_sessions),
        )
        .route(POLICY, get(get_policy).patch(patch_policy))
        .route(fido2::FIDO2, get(get_fido2).patch(patch_fido2))
        .route("/graph/{*rest}", axum::routing::any(no_such_resource))
}

pub(in crate::http) async fn no_such_resource() -> GraphFailure {
    GraphFailure(ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such resource: tapin serves the Temporary Access Pass and authentication-method resources of Graph v1.0.",
    ))
}

// ---- errors -----------------------------------------------------------------

/// A failure in Graph's shape; tapin's own code rides along in `innerError`.
pub struct GraphFailure(pub ApiError);

impl<E: Into<ApiError>> From<E> for GraphFailure {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

/// Graph's `error.code` for a status.
pub(in crate::http) fn graph_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "InvalidAuthenticationToken",
        403 => "accessDenied",
        404 => "Request_ResourceNotFound",
        405 => "methodNotAllowed",
        408 => "timeout",
        409 => "conflict",
        413 => "requestTooLarge",
        415 => "unsupportedMediaType",
        429 => "tooManyRequests",
        503 => "serviceNotAvailable",
        _ => "generalException",
    }
}

impl GraphFailure {
    pub fn into_graph(self) -> Response {
        let ApiError {
            status,
            body,
            retry_after_seconds,
            ..
        } = self.0;
        let inner = serde_json::to_value(body.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "internal".into());
        let error = GraphError {
            error: GraphErrorDetail {
                code: graph_code(status).into(),
                message: body.message,
                inner_error: GraphInnerError {
                    code: inner,
                    field: body.field,
                    date: Utc::now(),
                },
            },
        };
        let mut res = (status, Json(error)).into_response();
        if let Some(secs) = retry_after_seconds {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"tapin\""),
            );
        }
        res
    }
}

impl IntoResponse for GraphFailure {
    fn into_response(self) -> Response {
        self.into_graph()
    }
}

pub(in crate::http) fn bad(message: impl Into<String>, field: &'static str) -> GraphFailure {
    let mut err = ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message);
    err.body.field = Some(field.into());
    GraphFailure(err)
}

pub(in crate::http) type GraphResult = Result<Response, GraphFailure>;

// ---- who is asking -------------------------------------------------------------

/// Runs domain work as the caller.
pub(in crate::http) async fn acting<T: Send + 'static>(
    state: &AppState,
    desk: HelpDesk,
    work: impl FnOnce(&Tapin, &Actor) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, GraphFailure> {
    Ok(
        domain(state, move |t| t.as_help_desk(&desk.credential, work))
            .await
            .map_err(crate::http::caller::token_refused)?,
    )
}

use crate::http::json_no_store as json;

/// `ConsistencyLevel: eventual`, which Graph asks of `$count` on users.
pub struct Eventual(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Eventual {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .headers
                .get("consistencylevel")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("eventual")),
        ))
    }
}

/// A JSON body, its rejections in Graph's shape.
pub struct GraphJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S>
    for GraphJson<T>
{
    type Rejection = GraphFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| Self(v))
            .map_err(GraphFailure)
    }
}
