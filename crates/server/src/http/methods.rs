//! Security info over HTTP: methods, passkey sign-in, sign out everywhere.

use super::error::ApiError;
use super::{domain, no_store, session_token, set_cookie, ApiJson, AppState, Client};
use crate::domain::Error;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use axum::{Json, Router};
use tapin_api::wire::{
    CodeFinish, EmailStart, PasskeySignIn, PhoneStart, Rename, TotpFinish, WebauthnFinish,
    WebauthnStart,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/methods", axum::routing::get(list))
        .route("/api/v1/methods/webauthn/start", post(webauthn_start))
        .route("/api/v1/methods/webauthn/finish", post(webauthn_finish))
        .route("/api/v1/methods/authenticator/start", post(totp_start))
        .route("/api/v1/methods/authenticator/finish", post(totp_finish))
        .route("/api/v1/methods/phone/start", post(phone_start))
        .route("/api/v1/methods/email/start", post(email_start))
        .route("/api/v1/methods/verify", post(verify))
        .route("/api/v1/methods/{id}", patch(rename).delete(remove))
        .route("/api/v1/methods/{id}/default", post(make_default))
        .route("/api/v1/signout/everywhere", post(sign_out_everywhere))
        .route("/api/v1/signin/passkey/start", post(passkey_start))
        .route("/api/v1/signin/passkey/finish", post(passkey_finish))
}

fn token(headers: &HeaderMap) -> Result<String, ApiError> {
    session_token(headers).ok_or_else(|| ApiError::from(Error::NotSignedIn))
}

fn json<T: serde::Serialize>(v: T) -> Response {
    no_store(Json(v).into_response())
}

async fn list(State(s): State<AppState>, h: HeaderMap) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(domain(&s, move |d| d.security_info(&t)).await?))
}

async fn webauthn_start(
    State(s): State<AppState>,
    h: HeaderMap,
    ApiJson(body): ApiJson<WebauthnStart>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(
        domain(&s, move |d| d.start_webauthn(&t, body.kind)).await?,
    ))
}

async fn webauthn_finish(
    State(s): State<AppState>,
    h: HeaderMap,
    ApiJson(body): ApiJson<WebauthnFinish>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    let method = domain(&s, move |d| d.finish_webauthn(&t, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

async fn totp_start(State(s): State<AppState>, h: HeaderMap) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(domain(&s, move |d| d.start_totp(&t)).await?))
}

async fn totp_finish(
    State(s): State<AppState>,
    h: HeaderMap,
    ApiJson(body): ApiJson<TotpFinish>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    let method = domain(&s, move |d| d.finish_totp(&t, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

async fn phone_start(
    State(s): State<AppState>,
    h: HeaderMap,
    Client(client): Client,
    ApiJson(body): ApiJson<PhoneStart>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(
        domain(&s, move |d| d.start_phone(&t, body, &client)).await?,
    ))
}

async fn email_start(
    State(s): State<AppState>,
    h: HeaderMap,
    Client(client): Client,
    ApiJson(body): ApiJson<EmailStart>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(
        domain(&s, move |d| d.start_email(&t, body, &client)).await?,
    ))
}

async fn verify(
    State(s): State<AppState>,
    h: HeaderMap,
    ApiJson(body): ApiJson<CodeFinish>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    let method = domain(&s, move |d| d.verify_code(&t, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

async fn rename(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Rename>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(
        domain(&s, move |d| d.rename_method(&t, &id, body)).await?,
    ))
}

async fn remove(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    domain(&s, move |d| d.delete_method(&t, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn make_default(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    Ok(json(
        domain(&s, move |d| d.set_default_method(&t, &id)).await?,
    ))
}

async fn sign_out_everywhere(
    State(s): State<AppState>,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    let t = token(&h)?;
    domain(&s, move |d| d.sign_out_everywhere(&t)).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut res, "", 0);
    Ok(res)
}

async fn passkey_start(State(s): State<AppState>) -> Result<Response, ApiError> {
    Ok(json(domain(&s, |d| d.start_passkey_sign_in()).await?))
}

async fn passkey_finish(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<PasskeySignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| d.finish_passkey_sign_in(body)).await?;
    Ok(super::signed_in_response(signed_in))
}
