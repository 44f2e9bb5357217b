//! The sign-in page's endpoints: which methods to offer, a passkey or
//! security key named by `allowCredentials`, and an authenticator-app code.
//! A pass signs in through `/api/v1/signin/pass`.

use super::error::ApiError;
use super::{domain, json_no_store, signed_in_response, ApiJson, AppState, Client};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use tapin_api::wire::{
    CodeSignIn, PasskeySignIn, RecoverySignIn, SendSignInCode, SentCodeSignIn, SignInAccount,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/signin/options", post(options))
        .route("/api/v1/signin/webauthn/start", post(webauthn_start))
        .route("/api/v1/signin/webauthn/finish", post(webauthn_finish))
        .route("/api/v1/signin/code", post(code))
        .route("/api/v1/signin/recovery", post(recovery))
        .route("/api/v1/signin/send", post(send))
        .route("/api/v1/signin/sent", post(sent))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/send",
    request_body = SendSignInCode,
    responses(
        (status = 200, description = "A code is on its way; `sent_to` is the masked address (an unknown account gets one of the same shape)", body = tapin_api::wire::CodeSent),
        (status = 400, description = "Not an account name, or a way that sends nothing", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Codes by text, call or email do not sign in on this deployment", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many codes sent; retry_at says when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn send(
    State(s): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<SendSignInCode>,
) -> Result<Response, ApiError> {
    let sent = domain(&s, move |d| {
        d.send_sign_in_code(&body.upn, body.way, &client)
    })
    .await?;
    Ok(json_no_store(StatusCode::OK, sent))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/sent",
    request_body = SentCodeSignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = tapin_api::wire::SessionInfo),
        (status = 400, description = "Wrong code (tries_left says how many remain)", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Codes by text, call or email do not sign in on this deployment", body = tapin_api::wire::ErrorBody),
        (status = 410, description = "The code expired, ran out of tries, or was used", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many attempts; retry_at and Retry-After say when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn sent(
    State(s): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<SentCodeSignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| {
        d.sign_in_with_sent_code(&body.upn, &body.id, &body.code, &client)
    })
    .await;
    super::metrics::sign_in("sent_code", &signed_in);
    Ok(signed_in_response(signed_in?))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/recovery",
    request_body = RecoverySignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set. The page then sends the person to security info", body = tapin_api::wire::SessionInfo),
        (status = 400, description = "Wrong code, a code already used, or an unknown account (one answer for all); or not a recovery code's shape", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "This deployment does not offer recovery codes", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many attempts; retry_at and Retry-After say when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn recovery(
    State(s): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<RecoverySignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| {
        d.sign_in_with_recovery_code(&body.upn, &body.code, &client)
    })
    .await;
    super::metrics::sign_in("recovery_code", &signed_in);
    Ok(signed_in_response(signed_in?))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/options",
    request_body = SignInAccount,
    responses(
        (status = 200, description = "The ways to sign in, strongest first; an unknown account gets an answer of the same shape", body = tapin_api::wire::SignInOptions),
        (status = 400, description = "The account name is not of the right shape", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn options(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<SignInAccount>,
) -> Result<Response, ApiError> {
    let options = domain(&s, move |d| d.sign_in_options(&body.upn)).await?;
    Ok(json_no_store(StatusCode::OK, options))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/webauthn/start",
    request_body = SignInAccount,
    responses(
        (status = 200, description = "Options for navigator.credentials.get, naming the account's keys in allowCredentials", body = tapin_api::wire::PasskeyChallenge),
        (status = 400, description = "The account name is not of the right shape", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many sign-ins started from this client; retry_at and Retry-After say when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn webauthn_start(
    State(s): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<SignInAccount>,
) -> Result<Response, ApiError> {
    let challenge = domain(&s, move |d| d.start_webauthn_sign_in(&body.upn, &client)).await?;
    Ok(json_no_store(StatusCode::OK, challenge))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/webauthn/finish",
    request_body = PasskeySignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = tapin_api::wire::SessionInfo),
        (status = 400, description = "The response did not verify, the key is unknown, or the challenge was used or expired", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn webauthn_finish(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<PasskeySignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| d.finish_webauthn_sign_in(body)).await;
    super::metrics::sign_in("webauthn", &signed_in);
    Ok(signed_in_response(signed_in?))
}

#[utoipa::path(
    post,
    path = "/api/v1/signin/code",
    request_body = CodeSignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = tapin_api::wire::SessionInfo),
        (status = 400, description = "Wrong code, a code already used, or an unknown account (one answer for all); or not six digits", body = tapin_api::wire::ErrorBody),
        (status = 429, description = "Too many attempts; retry_at and Retry-After say when", body = tapin_api::wire::ErrorBody)
    ),
    tag = "sign-in"
)]
pub(crate) async fn code(
    State(s): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<CodeSignIn>,
) -> Result<Response, ApiError> {
    let signed_in = domain(&s, move |d| {
        d.sign_in_with_code(&body.upn, &body.code, &client)
    })
    .await;
    super::metrics::sign_in("authenticator_app", &signed_in);
    Ok(signed_in_response(signed_in?))
}
