//! Signing in with a passkey: no account name, no pass. The browser offers
//! the passkeys it holds for this site (a discoverable credential).

use crate::api::{self, Failure};
use crate::nav::use_nav;
use crate::shell::focus_on_mount;
use crate::text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::wire::PasskeySignIn as Finish;

#[component]
pub fn PasskeySignIn() -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let nav = use_nav();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let sign_in = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let challenge = api::start_passkey_sign_in()
                    .await
                    .map_err(|f| text::method_failure(&f))?;
                let credential = crate::widgets::webauthn::get_credential(challenge.options)
                    .await
                    .map_err(text::browser_refusal)?;
                api::finish_passkey_sign_in(Finish {
                    id: challenge.id,
                    credential,
                })
                .await
                .map_err(|f: Failure| text::method_failure(&f))
            }
            .await;
            busy.set(false);
            match result {
                Ok(_) => nav.go("/security-info"),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::PASSKEY_HEADING()}</h1>
        <p>{text::PASSKEY_INTRO()}</p>
        <div id="passkey-error" class="error banner" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get()}
        </div>
        <button type="button" class="primary" disabled=move || busy.get() on:click=sign_in>
            {move || if busy.get() { text::PASSKEY_WAITING() } else { text::PASSKEY_USE() }}
        </button>
        <p><a href="/">{text::PASSKEY_USE_PASS_INSTEAD()}</a></p>
    }
}
