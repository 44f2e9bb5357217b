//! `/device`: the code a device without a browser shows (a kiosk, a TV, a
//! command-line tool), typed here or opened from the device's link or QR
//! code. The code becomes a sign-in request; the sign-in page then asks
//! the person to sign in and to approve the named device.

use super::{api, text, Header};
use crate::shell::focus_on_mount;
use crate::text as common;
use leptos::prelude::*;

/// What `?` says: the answer just given, or a code to fill in.
enum Arrived {
    Approved,
    Denied,
    Code(String),
}

fn arrived() -> Arrived {
    let search = leptos::prelude::window()
        .location()
        .search()
        .unwrap_or_default();
    let query = search.trim_start_matches('?');
    if query.split('&').any(|p| p == "approved") {
        return Arrived::Approved;
    }
    if query.split('&').any(|p| p == "denied") {
        return Arrived::Denied;
    }
    let code = super::url_param(&search, "user_code")
        .map(|c| {
            c.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .unwrap_or_default();
    Arrived::Code(code)
}

#[component]
pub fn Device() -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let body = match arrived() {
        Arrived::Approved => {
            view! { <p role="status">{text::SGN_DEVICE_APPROVED()}</p> }.into_any()
        }
        Arrived::Denied => view! { <p role="status">{text::SGN_DEVICE_DENIED()}</p> }.into_any(),
        Arrived::Code(code) => view! { <CodeForm code/> }.into_any(),
    };
    view! {
        <Header id=None/>
        <main class="card">
            <h1 tabindex="-1" node_ref=heading>{text::SGN_DEVICE_HEADING()}</h1>
            {body}
        </main>
    }
}

#[component]
fn CodeForm(code: String) -> impl IntoView {
    let value = RwSignal::new(code);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed: String = value
            .get_untracked()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        if typed.len() != 8 {
            error.set(Some(text::SGN_DEVICE_SHAPE().to_string()));
            return;
        }
        error.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::device(typed).await {
                Ok(next) => crate::nav::leave(&next.redirect_to),
                Err(f) => {
                    busy.set(false);
                    error.set(Some(match &f {
                        crate::api::Failure::Api(body)
                            if body.code == tapin_api::wire::ErrorCode::NotFound =>
                        {
                            text::SGN_DEVICE_UNKNOWN().to_string()
                        }
                        _ => common::method_failure(&f),
                    }));
                }
            }
        });
    };
    view! {
        <p>{text::SGN_DEVICE_INTRO()}</p>
        <div id="device-error" class="error banner" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get()}
        </div>
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="user-code">{text::SGN_DEVICE_LABEL()}</label>
                <p id="user-code-hint" class="hint">{text::SGN_DEVICE_HINT()}</p>
                <input id="user-code" name="user_code" type="text" class="code" autocomplete="off"
                    autocapitalize="characters" spellcheck="false" aria-describedby="user-code-hint" required
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {text::SGN_DEVICE_NEXT()}
            </button>
        </form>
    }
}
