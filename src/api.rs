//! The app's client for the tapin JSON API (same origin, cookie session).

use crate::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tapin_api::wire::{
    CodeFinish, CodeSent, EmailStart, ErrorBody, Method, MethodKind, PassSignIn, PasskeyChallenge,
    PasskeySignIn, PhoneStart, Rename, SecurityInfo, SessionInfo, TotpFinish, TotpRegistration,
    WebauthnFinish, WebauthnRegistration, WebauthnStart,
};

/// Why a call failed: the server's error body, or no usable answer at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Api(ErrorBody),
    Network,
}

async fn error_of(response: Response) -> Failure {
    response
        .json::<ErrorBody>()
        .await
        .map(Failure::Api)
        .unwrap_or(Failure::Network)
}

pub(crate) async fn read<T: DeserializeOwned>(
    response: Result<Response, crate::http::Error>,
) -> Result<T, Failure> {
    let response = response.map_err(|_| Failure::Network)?;
    if response.ok() {
        response.json::<T>().await.map_err(|_| Failure::Network)
    } else {
        Err(error_of(response).await)
    }
}

/// For answers without a body (204).
async fn done(response: Result<Response, crate::http::Error>) -> Result<(), Failure> {
    let response = response.map_err(|_| Failure::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(response).await)
    }
}

pub(crate) async fn send_json<B: Serialize, T: DeserializeOwned>(
    request: RequestBuilder,
    body: &B,
) -> Result<T, Failure> {
    let request = request.json(body).map_err(|_| Failure::Network)?;
    read(request.send().await).await
}

pub async fn sign_in_with_pass(upn: String, pass: String) -> Result<SessionInfo, Failure> {
    send_json(
        Request::post("/api/v1/signin/pass"),
        &PassSignIn { upn, pass },
    )
    .await
}

pub async fn session() -> Result<SessionInfo, Failure> {
    read(Request::get("/api/v1/session").send().await).await
}

pub async fn sign_out() -> Result<(), Failure> {
    done(Request::post("/api/v1/signout").send().await).await
}

pub async fn sign_out_everywhere() -> Result<(), Failure> {
    done(Request::post("/api/v1/signout/everywhere").send().await).await
}

pub async fn security_info() -> Result<SecurityInfo, Failure> {
    read(Request::get("/api/v1/methods").send().await).await
}

pub async fn start_webauthn(kind: MethodKind) -> Result<WebauthnRegistration, Failure> {
    send_json(
        Request::post("/api/v1/methods/webauthn/start"),
        &WebauthnStart { kind },
    )
    .await
}

pub async fn finish_webauthn(finish: WebauthnFinish) -> Result<Method, Failure> {
    send_json(Request::post("/api/v1/methods/webauthn/finish"), &finish).await
}

pub async fn start_totp() -> Result<TotpRegistration, Failure> {
    read(
        Request::post("/api/v1/methods/authenticator/start")
            .send()
            .await,
    )
    .await
}

pub async fn finish_totp(finish: TotpFinish) -> Result<Method, Failure> {
    send_json(
        Request::post("/api/v1/methods/authenticator/finish"),
        &finish,
    )
    .await
}

pub async fn start_phone(start: PhoneStart) -> Result<CodeSent, Failure> {
    send_json(Request::post("/api/v1/methods/phone/start"), &start).await
}

pub async fn start_email(start: EmailStart) -> Result<CodeSent, Failure> {
    send_json(Request::post("/api/v1/methods/email/start"), &start).await
}

pub async fn verify_code(finish: CodeFinish) -> Result<Method, Failure> {
    send_json(Request::post("/api/v1/methods/verify"), &finish).await
}

pub async fn rename(id: String, name: String) -> Result<Method, Failure> {
    send_json(
        Request::patch(&format!("/api/v1/methods/{id}")),
        &Rename { name },
    )
    .await
}

pub async fn delete(id: String) -> Result<(), Failure> {
    done(
        Request::delete(&format!("/api/v1/methods/{id}"))
            .send()
            .await,
    )
    .await
}

pub async fn make_default(id: String) -> Result<Method, Failure> {
    read(
        Request::post(&format!("/api/v1/methods/{id}/default"))
            .send()
            .await,
    )
    .await
}

pub async fn start_passkey_sign_in() -> Result<PasskeyChallenge, Failure> {
    read(Request::post("/api/v1/signin/passkey/start").send().await).await
}

pub async fn finish_passkey_sign_in(finish: PasskeySignIn) -> Result<SessionInfo, Failure> {
    send_json(Request::post("/api/v1/signin/passkey/finish"), &finish).await
}

pub async fn make_recovery_codes() -> Result<tapin_api::wire::RecoveryCodes, Failure> {
    read(Request::post("/api/v1/methods/recovery-codes").send().await).await
}
