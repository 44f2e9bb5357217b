//! `navigator.credentials` with WebAuthn's JSON forms: the server's options
//! go to the browser through `PublicKeyCredential.parse*OptionsFromJSON`, and
//! the answer comes back through `toJSON()`. Browsers without those get the
//! same conversion here (base64url for every binary field).
//!
//! Why not webauthn-rs-proto's `wasm` feature: it pulled `url`, `idna` and
//! typed copies of every WebAuthn structure into this bundle (measured:
//! security-info bundle 204 KB brotli with it; see `cargo xtask size`).

use js_sys::{Array, Function, Object, Reflect, Uint8Array, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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
    let name = Reflect::get(&e, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "AbortError" => BrowserRefusal::NotAllowed,
        "InvalidStateError" => BrowserRefusal::AlreadyRegistered,
        _ => BrowserRefusal::Unsupported,
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

// ---- base64url, for browsers without the JSON helpers ----------------------

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => continue,
        };
        bits = bits << 6 | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

fn bytes_of(value: &JsValue) -> JsValue {
    match value.as_string() {
        Some(text) => Uint8Array::from(decode(&text).as_slice()).into(),
        None => value.clone(),
    }
}

fn text_of(buffer: &JsValue) -> JsValue {
    if buffer.is_null() || buffer.is_undefined() {
        return JsValue::NULL;
    }
    JsValue::from_str(&encode(&Uint8Array::new(buffer).to_vec()))
}

/// The options' binary fields as bytes: `challenge`, `user.id` and the ids
/// in `excludeCredentials` / `allowCredentials`.
fn options_from_json(options: &JsValue) {
    set(options, "challenge", &bytes_of(&get(options, "challenge")));
    let user = get(options, "user");
    if user.is_object() {
        set(&user, "id", &bytes_of(&get(&user, "id")));
    }
    for list in ["excludeCredentials", "allowCredentials"] {
        let items = get(options, list);
        if Array::is_array(&items) {
            for item in Array::from(&items).iter() {
                set(&item, "id", &bytes_of(&get(&item, "id")));
            }
        }
    }
}

/// The credential in WebAuthn's JSON form.
fn credential_to_json(cred: &JsValue) -> JsValue {
    let response = get(cred, "response");
    let json = Object::new();
    set(&json, "id", &get(cred, "id"));
    set(&json, "rawId", &text_of(&get(cred, "rawId")));
    set(&json, "type", &get(cred, "type"));
    let body = Object::new();
    for field in [
        "clientDataJSON",
        "attestationObject",
        "authenticatorData",
        "signature",
        "userHandle",
    ] {
        let value = get(&response, field);
        if !value.is_undefined() {
            set(&body, field, &text_of(&value));
        }
    }
    set(&json, "response", &body);
    set(&json, "clientExtensionResults", &Object::new());
    json.into()
}

// ---- the ceremonies -------------------------------------------------------

fn container() -> Result<web_sys::CredentialsContainer, BrowserRefusal> {
    let navigator = leptos::prelude::window().navigator();
    let has = Reflect::has(&navigator, &JsValue::from_str("credentials")).unwrap_or(false);
    if !has {
        return Err(BrowserRefusal::Unsupported);
    }
    Ok(navigator.credentials())
}

/// Drops `null` members: the server writes an absent option as `null`, and
/// the browser's dictionaries refuse `null` where a list or text belongs
/// (an excluded credential's `transports`, for one).
fn without_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// `{publicKey}` ready for the browser, through `helper` where it exists.
/// The server's `mediation` is left out: webauthn-rs writes `conditional`
/// into every discoverable challenge, but a request a button starts is
/// modal (a conditional one waits for an autofill field the page may not
/// have, and a browser would show nothing).
fn browser_options(mut options: serde_json::Value, helper: &str) -> Result<Object, BrowserRefusal> {
    without_nulls(&mut options);
    // A credential-protection request the server does not enforce is left
    // out: Chromium refuses the whole ceremony (NotSupportedError) when it
    // asks for user verification on a key that is not discoverable.
    if let Some(ext) = options
        .pointer_mut("/publicKey/extensions")
        .and_then(|e| e.as_object_mut())
    {
        if ext.get("enforceCredentialProtectionPolicy") != Some(&serde_json::Value::Bool(true)) {
            ext.remove("credentialProtectionPolicy");
            ext.remove("enforceCredentialProtectionPolicy");
        }
    }
    let parsed = JSON::parse(&options.to_string()).map_err(|_| BrowserRefusal::Unsupported)?;
    let public_key = get(&parsed, "publicKey");
    let class = get(&leptos::prelude::window(), "PublicKeyCredential");
    let from_json = get(&class, helper).dyn_into::<Function>().ok();
    let public_key = match from_json {
        Some(f) => f.call1(&class, &public_key).map_err(refusal)?,
        None => {
            options_from_json(&public_key);
            public_key
        }
    };
    let request = Object::new();
    set(&request, "publicKey", &public_key);
    Ok(request)
}

async fn answer(
    promise: Result<js_sys::Promise, JsValue>,
) -> Result<serde_json::Value, BrowserRefusal> {
    let cred = JsFuture::from(promise.map_err(refusal)?)
        .await
        .map_err(refusal)?;
    if cred.is_null() || cred.is_undefined() {
        return Err(BrowserRefusal::NotAllowed);
    }
    let to_json = get(&cred, "toJSON").dyn_into::<Function>().ok();
    let json = match to_json.and_then(|f| f.call0(&cred).ok()) {
        Some(json) => json,
        None => credential_to_json(&cred),
    };
    let text = JSON::stringify(&json)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or(BrowserRefusal::Unsupported)?;
    serde_json::from_str(&text).map_err(|_| BrowserRefusal::Unsupported)
}

pub async fn create(options: serde_json::Value) -> Result<serde_json::Value, BrowserRefusal> {
    let request = browser_options(options, "parseCreationOptionsFromJSON")?;
    answer(container()?.create_with_options(request.unchecked_ref())).await
}

pub async fn get_credential(
    options: serde_json::Value,
) -> Result<serde_json::Value, BrowserRefusal> {
    let request = browser_options(options, "parseRequestOptionsFromJSON")?;
    answer(container()?.get_with_options(request.unchecked_ref())).await
}

/// Whether this browser offers passkeys in a field marked
/// `autocomplete="username webauthn"`.
pub async fn autofill_available() -> bool {
    let class = get(&leptos::prelude::window(), "PublicKeyCredential");
    let Ok(check) = get(&class, "isConditionalMediationAvailable").dyn_into::<Function>() else {
        return false;
    };
    let Some(promise) = check
        .call0(&class)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    else {
        return false;
    };
    JsFuture::from(promise)
        .await
        .is_ok_and(|v| v.as_bool() == Some(true))
}

/// A passkey the person picks from the account field's autofill: pending
/// until they do, or until `signal` aborts it (the typed way goes on).
pub async fn autofill(
    options: serde_json::Value,
    signal: &web_sys::AbortSignal,
) -> Result<serde_json::Value, BrowserRefusal> {
    let request = browser_options(options, "parseRequestOptionsFromJSON")?;
    set(&request, "mediation", &JsValue::from_str("conditional"));
    set(&request, "signal", signal);
    answer(container()?.get_with_options(request.unchecked_ref())).await
}
