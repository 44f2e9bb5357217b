//! `navigator.credentials` through web-sys; webauthn-rs-proto converts the
//! server's options in and the authenticator's answer out.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// Why the browser gave no credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserRefusal {
    /// Cancelled, timed out, or no suitable authenticator (`NotAllowedError`).
    NotAllowed,
    /// This authenticator already holds a credential for the account (`InvalidStateError`).
    AlreadyRegistered,
    /// No WebAuthn here at all, or anything else.
    Unsupported,
}

fn refusal(e: JsValue) -> BrowserRefusal {
    let name = js_sys::Reflect::get(&e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "AbortError" => BrowserRefusal::NotAllowed,
        "InvalidStateError" => BrowserRefusal::AlreadyRegistered,
        _ => BrowserRefusal::Unsupported,
    }
}

async fn credential(
    promise: Result<js_sys::Promise, JsValue>,
) -> Result<web_sys::PublicKeyCredential, BrowserRefusal> {
    let value = JsFuture::from(promise.map_err(refusal)?)
        .await
        .map_err(refusal)?;
    value
        .dyn_into::<web_sys::PublicKeyCredential>()
        .map_err(|_| BrowserRefusal::NotAllowed)
}

fn container() -> Result<web_sys::CredentialsContainer, BrowserRefusal> {
    let navigator = leptos::prelude::window().navigator();
    let has = js_sys::Reflect::has(&navigator, &JsValue::from_str("credentials")).unwrap_or(false);
    if !has {
        return Err(BrowserRefusal::Unsupported);
    }
    Ok(navigator.credentials())
}

pub async fn create(
    options: CreationChallengeResponse,
) -> Result<RegisterPublicKeyCredential, BrowserRefusal> {
    let options: web_sys::CredentialCreationOptions = options.into();
    let cred = credential(container()?.create_with_options(&options)).await?;
    Ok(cred.into())
}

pub async fn get(options: RequestChallengeResponse) -> Result<PublicKeyCredential, BrowserRefusal> {
    let options: web_sys::CredentialRequestOptions = options.into();
    let cred = credential(container()?.get_with_options(&options)).await?;
    Ok(cred.into())
}
