//! Passkey autofill on the sign-in page's account field: a conditional
//! WebAuthn request, where the browser has one, beside the typed way.

use crate::text as common;
use crate::widgets::webauthn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::wire::PasskeySignIn;

/// Offers the person's passkeys in the account field's autofill, where the
/// browser can: a passkey picked there signs in at once; leaving the
/// account step (an account typed and accepted) aborts the request.
pub fn offer(error: RwSignal<Option<String>>, done: impl Fn() + Copy + 'static) {
    let controller = StoredValue::new(web_sys::AbortController::new().ok());
    on_cleanup(move || {
        if let Some(a) = controller.get_value() {
            a.abort();
        }
    });
    spawn_local(async move {
        let Some(signal) = controller.get_value().map(|a| a.signal()) else {
            return;
        };
        if !webauthn::autofill_available().await || signal.aborted() {
            return;
        }
        let Ok(challenge) = crate::api::start_passkey_sign_in().await else {
            return;
        };
        // Aborted or dismissed: the typed way is still there, nothing to say.
        let Ok(credential) = webauthn::autofill(challenge.options, &signal).await else {
            return;
        };
        match crate::api::finish_passkey_sign_in(PasskeySignIn {
            id: challenge.id,
            credential,
        })
        .await
        {
            Ok(_) => done(),
            Err(f) => error.set(Some(common::method_failure(&f))),
        }
    });
}
