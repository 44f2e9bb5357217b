//! The sign-in page's calls: the waiting request, the ways offered, and
//! each way of signing in.

use crate::api::{read, send_json, Failure};
use crate::http::Request;
use tapin_api::wire::{
    AuthorizationRequestInfo, CodeSignIn, PasskeyChallenge, PasskeySignIn, SessionInfo,
    SignInAccount, SignInOptions,
};

pub async fn request(id: &str) -> Result<AuthorizationRequestInfo, Failure> {
    read(
        Request::get(&format!("/api/v1/signin/request/{id}"))
            .send()
            .await,
    )
    .await
}

pub async fn continue_request(
    request: String,
    consent: Option<bool>,
) -> Result<tapin_api::wire::Continued, Failure> {
    send_json(
        Request::post("/oauth2/authorize/continue"),
        &tapin_api::wire::ContinueAuthorization { request, consent },
    )
    .await
}

/// The code a device shows: a sign-in request that approves it.
pub async fn device(user_code: String) -> Result<tapin_api::wire::Continued, Failure> {
    send_json(
        Request::post("/api/v1/device"),
        &tapin_api::wire::DeviceCode { user_code },
    )
    .await
}

pub async fn options(upn: String) -> Result<SignInOptions, Failure> {
    send_json(
        Request::post("/api/v1/signin/options"),
        &SignInAccount { upn },
    )
    .await
}

pub async fn start_webauthn(upn: String) -> Result<PasskeyChallenge, Failure> {
    send_json(
        Request::post("/api/v1/signin/webauthn/start"),
        &SignInAccount { upn },
    )
    .await
}

pub async fn finish_webauthn(finish: PasskeySignIn) -> Result<SessionInfo, Failure> {
    send_json(Request::post("/api/v1/signin/webauthn/finish"), &finish).await
}

pub async fn code(upn: String, code: String) -> Result<SessionInfo, Failure> {
    send_json(
        Request::post("/api/v1/signin/code"),
        &CodeSignIn { upn, code },
    )
    .await
}

pub async fn recovery(upn: String, code: String) -> Result<SessionInfo, Failure> {
    send_json(
        Request::post("/api/v1/signin/recovery"),
        &tapin_api::wire::RecoverySignIn { upn, code },
    )
    .await
}

pub async fn send(
    upn: String,
    way: tapin_api::wire::SignInChoice,
) -> Result<tapin_api::wire::CodeSent, Failure> {
    send_json(
        Request::post("/api/v1/signin/send"),
        &tapin_api::wire::SendSignInCode { upn, way },
    )
    .await
}

pub async fn sent(upn: String, id: String, code: String) -> Result<SessionInfo, Failure> {
    send_json(
        Request::post("/api/v1/signin/sent"),
        &tapin_api::wire::SentCodeSignIn { upn, id, code },
    )
    .await
}
