//! Headers every response carries, and the Origin check on state-changing requests.

use super::error::ApiError;
use super::HttpConfig;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tapin_api::wire::ErrorCode;

/// Which state-changing requests a router takes, by their Origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origins {
    /// Only from tapin's own pages (the session cookie is ambient).
    Own,
    /// From tapin's pages, or from anywhere with `Authorization`: a bearer
    /// token is no ambient credential (a foreign page cannot make a browser
    /// send one without CORS, which tapin never grants), and those routes
    /// then ignore the cookie.
    OwnOrBearer,
    /// From anywhere: the relying parties' back channel, authenticated by
    /// a client secret or an access token, never by a cookie.
    Any,
}

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn headers(config: &HttpConfig, h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if config.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
}

/// Refuses a state-changing request whose Origin is missing or not ours; with
/// SameSite=Strict cookies this closes cross-site request forgery twice over.
/// Which requests are let through unasked is the router's [`Origins`].
pub async fn same_origin(
    State((config, origins)): State<(Arc<HttpConfig>, Origins)>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    match origins {
        Origins::Any => return next.run(req).await,
        Origins::OwnOrBearer if req.headers().contains_key(header::AUTHORIZATION) => {
            return next.run(req).await
        }
        Origins::OwnOrBearer | Origins::Own => {}
    }
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let allowed = match (origin, &config.public_origin) {
        (Some(o), Some(expected)) => o == expected,
        (Some(o), None) => match (o.split_once("://"), host) {
            (Some((scheme, authority)), Some(host)) => {
                matches!(scheme, "http" | "https") && authority == host
            }
            _ => false,
        },
        (None, _) => false,
    };
    if allowed {
        next.run(req).await
    } else {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "This request did not come from the tapin page, so it was refused. Open tapin directly and try again.").into_response()
    }
}
