//! Step 2: the pass. Sends it to the server and shows each outcome with
//! what to do next.

use crate::api::{self, Failure};
use crate::nav::{use_nav, Link};
use crate::shell::{focus_on_mount, Account};
use crate::text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::{normalize_pass, normalize_upn};

#[component]
pub fn PassStep() -> impl IntoView {
    let account = expect_context::<Account>();
    if normalize_upn(&account.0.get_untracked()).is_err() {
        let nav = use_nav();
        Effect::new(move |_| nav.replace("/"));
        return ().into_any();
    }
    let value = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let field_error = move || {
        touched
            .get()
            .then(|| {
                normalize_pass(&value.get())
                    .err()
                    .map(|e| text::invalid_field(&e))
            })
            .flatten()
    };
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let input = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        failure.set(None);
        let Ok(pass) = normalize_pass(&value.get_untracked()) else {
            if let Some(i) = input.get() {
                let _ = i.focus();
            }
            return;
        };
        busy.set(true);
        let upn = account.0.get_untracked();
        spawn_local(async move {
            let result = api::sign_in_with_pass(upn, pass).await;
            busy.set(false);
            match result {
                Ok(_) => crate::nav::leave("/security-info"),
                Err(f) => failure.set(Some(f)),
            }
        });
    };
    let described_by = move || {
        let mut ids = vec!["pass-hint"];
        if field_error().is_some() {
            ids.push("pass-error");
        }
        if failure.with(Option::is_some) {
            ids.push("signin-error");
        }
        ids.join(" ")
    };

    view! {
        <h1 tabindex="-1" node_ref=heading>{text::PASS_HEADING()}</h1>
        <p class="who">
            {text::PASS_SIGNING_IN_AS()} " " <strong>{move || account.0.get()}</strong> " "
            <Link href="/">{text::PASS_CHANGE_ACCOUNT()}</Link>
        </p>
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="pass">{text::PASS_LABEL()}</label>
                <p id="pass-hint" class="hint">{text::PASS_HINT()}</p>
                <input
                    id="pass"
                    name="pass"
                    type="text"
                    class="code"
                    autocomplete="one-time-code"
                    inputmode="text"
                    autocapitalize="characters"
                    spellcheck="false"
                    required
                    node_ref=input
                    prop:value=move || value.get()
                    aria-invalid=move || (field_error().is_some() || failure.with(Option::is_some)).to_string()
                    aria-describedby=described_by
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
                <p id="pass-error" class="error" role="alert" hidden=move || field_error().is_none()>{field_error}</p>
            </div>
            <div id="signin-error" class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>
                {move || failure.get().map(|f| text::sign_in_failure(&f))}
            </div>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { text::SIGNING_IN() } else { text::SIGN_IN() }}
            </button>
        </form>
    }
    .into_any()
}
