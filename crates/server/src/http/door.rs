//! One door per audience. Each router tapin serves (the app's API, Graph,
//! OAuth's back channel, the pages) is wrapped once, here, with the layers
//! every request needs (body limit, Origin check, timeout, panic guard),
//! and with its audience: the shape its errors take. A route's error shape
//! follows from the router it is in, never from its path.

use super::error::{ApiError, Failure};
use super::security::Origins;
use super::{AppState, BODY_LIMIT_BYTES, REQUEST_TIMEOUT};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{middleware, Json, Router};
use tapin_api::wire::ErrorCode;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Who reads a router's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// tapin's app and scripts: `{code, message, …}`.
    App,
    /// Microsoft Graph clients: `{error: {code, message, innerError}}`.
    Graph,
    /// OAuth clients on the back channel: `{error, error_description}`.
    OAuth,
    /// Directory clients (SCIM): RFC 7644 §3.12's `{schemas, status, detail}`.
    Scim,
}

/// `router` behind its door.
pub fn door(
    router: Router<AppState>,
    audience: Audience,
    origins: Origins,
    state: &AppState,
) -> Router<AppState> {
    // One composed layer: each `Router::layer` boxes the routes once more,
    // and every box is cloned per request (`cargo xtask bench` measured the
    // stack as eight separate layers at 50% of a bare hello on /healthz).
    router.layer(
        ServiceBuilder::new()
            // On the way out of every request: headers, metrics, one log line.
            .layer(middleware::from_fn_with_state(
                state.config.clone(),
                super::edge,
            ))
            .layer(middleware::map_response(move |res: Response| async move {
                audience.shape(res)
            }))
            // The panic guard's body type, back to axum's for the layers above.
            .map_response(|res: axum::http::Response<_>| res.map(axum::body::Body::new))
            .layer(CatchPanicLayer::custom(super::panicked))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .layer(middleware::from_fn_with_state(
                (state.config.clone(), origins),
                super::security::same_origin,
            ))
            // Every route, whether or not it reads a body, refuses a large one.
            .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
            .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)),
    )
}

impl Audience {
    /// The answer in this audience's shape: an error tapin wrote, or the
    /// bare answer of a layer (body limit, timeout, method not allowed).
    pub fn shape(self, mut res: Response) -> Response {
        let status = res.status();
        if !(status.is_client_error() || status.is_server_error()) {
            return res;
        }
        let failure = res.extensions_mut().remove::<Failure>();
        let json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        match (self, failure) {
            (Audience::App, _) => {
                if json {
                    res
                } else {
                    app_bare(res)
                }
            }
            (Audience::Graph, Some(f)) => {
                let mut err = ApiError::new(f.status, f.body.code, f.body.message.clone());
                *err.body = f.body;
                err.retry_after_seconds = f.retry_after_seconds;
                super::graph::GraphFailure(err).into_graph()
            }
            (Audience::Graph, None) if json => res,
            (Audience::Graph, None) => {
                let mut out = super::graph::GraphFailure(bare(status)).into_graph();
                if let Some(allow) = res.headers().get(header::ALLOW) {
                    out.headers_mut().insert(header::ALLOW, allow.clone());
                }
                out
            }
            (Audience::Scim, _)
                if res
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/scim+json")) =>
            {
                res
            }
            (Audience::Scim, failure) => {
                let message = failure.map_or_else(|| bare(status).body.message, |f| f.body.message);
                super::scim::shape_bare(res, message)
            }
            (Audience::OAuth, _) if json => res,
            (Audience::OAuth, _) => {
                let err = bare(status);
                let mut out = (
                    status,
                    Json(serde_json::json!({
                        "error": if status.is_server_error() { "server_error" } else { "invalid_request" },
                        "error_description": err.body.message,
                    })),
                )
                    .into_response();
                out.headers_mut().insert(
                    header::CACHE_CONTROL,
                    header::HeaderValue::from_static("no-store"),
                );
                out
            }
        }
    }
}

/// What a layer's bare answer means, in words.
fn bare(status: StatusCode) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::REQUEST_TIMEOUT => timed_out(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            ErrorCode::InvalidInput,
            "This resource does not support that method.",
        ),
        _ => ApiError::new(
            status,
            ErrorCode::Internal,
            "The request could not be served.",
        ),
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("The request is larger than {BODY_LIMIT_BYTES} bytes."),
    )
}

fn timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::Internal,
        "The request took too long. Try again.",
    )
}

/// The app's API gives its JSON shape to a too-large or too-slow request
/// and leaves other bare answers (405 with `Allow`) as they are.
fn app_bare(res: Response) -> Response {
    match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large().into_response(),
        StatusCode::REQUEST_TIMEOUT => timed_out().into_response(),
        _ => res,
    }
}
