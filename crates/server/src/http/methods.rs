//! Security info over HTTP: methods, passkey sign-in, sign out everywhere.

use super::error::ApiError;
use super::{domain, read_mostly, set_cookie, ApiJson, AppState, Client};
use crate::domain::Person;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use axum::Router;
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
        .route("/api/v1/methods/recovery-codes", post(recovery_codes))
        .route("/api/v1/signin/passkey/start", post(passkey_start))
        .route("/api/v1/signin/passkey/finish", post(passkey_finish))
}

fn json<T: serde::Serialize>(v: T) -> Response {
    super::json_no_store(StatusCode::OK, v)
}

#[utoipa::path(
    get,
    path = "/api/v1/methods",
    responses(
        (status = 200, description = "The signed-in user's methods, strongest first", body = tapin_api::wire::SecurityInfo),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn list(State(s): State<AppState>, who: Person) -> Result<Response, ApiError> {
    Ok(json(read_mostly(&s, move |d| d.security_info(&who)).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/webauthn/start",
    request_body = tapin_api::wire::WebauthnStart,
    responses(
        (status = 200, description = "Options for navigator.credentials.create", body = tapin_api::wire::WebauthnRegistration),
        (status = 400, description = "Not a passkey or security key", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "The passwordless window closed, or a foreign Origin", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit of passkeys and security keys is reached", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn webauthn_start(
    State(s): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<WebauthnStart>,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.start_webauthn(&who, body.kind)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/webauthn/finish",
    request_body = tapin_api::wire::WebauthnFinish,
    responses(
        (status = 201, description = "Registered", body = tapin_api::wire::Method),
        (status = 400, description = "The response did not verify, or the challenge was used or expired", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "The passwordless window closed, or a foreign Origin", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "Already registered, or the limit is reached", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn webauthn_finish(
    State(s): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<WebauthnFinish>,
) -> Result<Response, ApiError> {
    let method = domain(&s, move |d| d.finish_webauthn(&who, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/authenticator/start",
    responses(
        (status = 200, description = "A new secret to show as a QR code", body = tapin_api::wire::TotpRegistration),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit of authenticator apps is reached", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn totp_start(
    State(s): State<AppState>,
    who: Person,
) -> Result<Response, ApiError> {
    Ok(json(domain(&s, move |d| d.start_totp(&who)).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/authenticator/finish",
    request_body = tapin_api::wire::TotpFinish,
    responses(
        (status = 201, description = "Registered", body = tapin_api::wire::Method),
        (status = 400, description = "The code or name is not right (tries_left says how many tries remain)", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit is reached", body = tapin_api::wire::ErrorBody),
        (status = 410, description = "The registration expired or ran out of tries", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn totp_finish(
    State(s): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<TotpFinish>,
) -> Result<Response, ApiError> {
    let method = domain(&s, move |d| d.finish_totp(&who, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/phone/start",
    request_body = tapin_api::wire::PhoneStart,
    responses(
        (status = 200, description = "A code was sent", body = tapin_api::wire::CodeSent),
        (status = 400, description = "The number or kind is not right", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit is reached", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many codes sent to this number, by this user or from this client; see Retry-After", body = tapin_api::wire::ErrorBody),
        (status = 502, description = "The code could not be sent", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn phone_start(
    State(s): State<AppState>,
    who: Person,
    Client(client): Client,
    ApiJson(body): ApiJson<PhoneStart>,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.start_phone(&who, body, &client)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/email/start",
    request_body = tapin_api::wire::EmailStart,
    responses(
        (status = 200, description = "A code was sent", body = tapin_api::wire::CodeSent),
        (status = 400, description = "The address is not right", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit is reached", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many codes sent to this address, by this user or from this client; see Retry-After", body = tapin_api::wire::ErrorBody),
        (status = 502, description = "The code could not be sent", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn email_start(
    State(s): State<AppState>,
    who: Person,
    Client(client): Client,
    ApiJson(body): ApiJson<EmailStart>,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.start_email(&who, body, &client)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/verify",
    request_body = tapin_api::wire::CodeFinish,
    responses(
        (status = 201, description = "Registered", body = tapin_api::wire::Method),
        (status = 400, description = "The code is not right (tries_left says how many tries remain)", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "The limit is reached", body = tapin_api::wire::ErrorBody),
        (status = 410, description = "The code expired or ran out of tries", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn verify(
    State(s): State<AppState>,
    who: Person,
    ApiJson(body): ApiJson<CodeFinish>,
) -> Result<Response, ApiError> {
    let method = domain(&s, move |d| d.verify_code(&who, body)).await?;
    Ok((StatusCode::CREATED, json(method)).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/methods/{id}",
    params(("id" = String, Path, description = "The method's id")),
    request_body = tapin_api::wire::Rename,
    responses(
        (status = 200, description = "Renamed", body = tapin_api::wire::Method),
        (status = 400, description = "The name is not right, or this kind has no name", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such method on this account", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn rename(
    State(s): State<AppState>,
    who: Person,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Rename>,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.rename_method(&who, &id, body)).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/methods/{id}",
    params(("id" = String, Path, description = "The method's id")),
    responses(
        (status = 204, description = "Deleted; the default moved to the strongest method left"),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such method on this account", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn remove(
    State(s): State<AppState>,
    who: Person,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    domain(&s, move |d| d.delete_method(&who, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/{id}/default",
    params(("id" = String, Path, description = "The method's id")),
    responses(
        (status = 200, description = "The new default", body = tapin_api::wire::Method),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such method on this account", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn make_default(
    State(s): State<AppState>,
    who: Person,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.set_default_method(&who, &id)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/signout/everywhere",
    responses(
        (status = 204, description = "Every session of the user ended, this one too"),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn sign_out_everywhere(
    State(s): State<AppState>,
    who: Person,
) -> Result<Response, ApiError> {
    domain(&s, move |d| d.sign_out_everywhere(&who)).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut res, "", 0);
    Ok(res)
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/passkey/start",
    responses(
        (status = 200, description = "Options for navigator.credentials.get", body = tapin_api::wire::PasskeyChallenge),
        (status = 429, description = "Too many sign-ins started from this client; retry_at and Retry-After say when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "security info"
)]
pub(crate) async fn passkey_start(
    State(s): State<AppState>,
    Client(client): Client,
) -> Result<Response, ApiError> {
    Ok(json(
        domain(&s, move |d| d.start_passkey_sign_in(&client)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/passkey/finish",
    request_body = tapin_api::wire::PasskeySignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = tapin_api::wire::SessionInfo),
        (status = 400, description = "The response did not verify, the passkey is unknown, or the challenge was used or expired", body = tapin_api::wire::ErrorBody)
    ),
    tag = "security info"
)]
pub(crate) async fn passkey_finish(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<PasskeySignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| d.finish_passkey_sign_in(body)).await;
    super::metrics::sign_in("passkey", &signed_in);
    Ok(super::signed_in_response(signed_in?))
}

#[utoipa::path(
    post,
    path = "/api/v1/methods/recovery-codes",
    responses(
        (status = 201, description = "Ten new single-use recovery codes, shown only now; the old ones stopped", body = tapin_api::wire::RecoveryCodes),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Recovery codes are off here, or the session was opened with a code (sign in with a passkey, security key or pass)", body = tapin_api::wire::ErrorBody)
    ),
    security(("session" = [])),
    tag = "security info"
)]
pub(crate) async fn recovery_codes(
    State(s): State<AppState>,
    who: Person,
) -> Result<Response, ApiError> {
    let codes = domain(&s, move |d| d.make_recovery_codes(&who)).await?;
    Ok(super::json_no_store(
        StatusCode::CREATED,
        tapin_api::wire::RecoveryCodes { codes },
    ))
}
