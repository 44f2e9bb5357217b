//! Step 1: the account name, checked as it is typed with the shared rules.

use crate::nav::use_nav;
use crate::shell::{focus_on_mount, take_takeover, Account};
use crate::text;
use leptos::prelude::*;
use tapin_api::normalize_upn;

#[component]
pub fn AccountStep() -> impl IntoView {
    let account = expect_context::<Account>();
    // Typed into the page before the app started: that wins over a name
    // remembered from earlier.
    let takeover = take_takeover().unwrap_or_default();
    let initial = if takeover.upn.is_empty() {
        account.0.get_untracked()
    } else {
        takeover.upn.clone()
    };
    let value = RwSignal::new(initial);
    let touched = RwSignal::new(false);
    let error = move || {
        touched
            .get()
            .then(|| {
                normalize_upn(&value.get())
                    .err()
                    .map(|e| text::invalid_field(&e))
            })
            .flatten()
    };
    let heading = NodeRef::<leptos::html::H1>::new();
    let nav = use_nav();
    let input = NodeRef::<leptos::html::Input>::new();
    let go_on = move || {
        touched.set(true);
        match normalize_upn(&value.get_untracked()) {
            Ok(upn) => {
                account.remember(upn);
                nav.go("/pass");
            }
            Err(_) => {
                if let Some(i) = input.get() {
                    let _ = i.focus();
                }
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go_on();
    };
    if takeover.continued {
        // "Next" was pressed before the app arrived: carry on from there.
        Effect::new(move |_| go_on());
    } else if takeover.focused {
        // Someone is typing: keep the cursor where they are.
        Effect::new(move |_| {
            if let Some(i) = input.get() {
                let _ = i.focus();
                let end = value.get_untracked().len() as u32;
                let _ = i.set_selection_range(end, end);
            }
        });
    } else {
        focus_on_mount(heading);
    }
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ACCOUNT_HEADING()}</h1>
        <p>{text::ACCOUNT_INTRO()}</p>
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="upn">{text::ACCOUNT_LABEL()}</label>
                <p id="upn-hint" class="hint">{text::ACCOUNT_HINT()}</p>
                <input
                    id="upn"
                    name="username"
                    type="email"
                    autocomplete="username"
                    inputmode="email"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    node_ref=input
                    prop:value=move || value.get()
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby=move || if error().is_some() { "upn-hint upn-error" } else { "upn-hint" }
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| if !value.get_untracked().is_empty() { touched.set(true) }
                />
                <p id="upn-error" class="error" role="alert" hidden=move || error().is_none()>{error}</p>
            </div>
            <button type="submit" class="primary">{text::NEXT()}</button>
        </form>
        <div class="alternative">
            <p>{text::PASSKEY_ALTERNATIVE()}</p>
            // A real page load: passkey sign-in lives in the second bundle.
            <a href="/passkey" class="button secondary">{text::PASSKEY_SIGN_IN()}</a>
        </div>
    }
}
