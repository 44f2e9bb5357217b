//! Enrolling a key for a person: the administrator plugs a security key
//! into their own computer, names it, and the key is registered for the
//! person (Graph's fido2 provisioning), who then signs in with it.

use super::{api, text};
use crate::widgets::webauthn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::normalize_method_name;

#[component]
pub fn EnrolKey(
    id: String,
    name: String,
    done: Callback<String>,
    failed: Callback<String>,
) -> impl IntoView {
    let key_name = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);
    let person = StoredValue::new(name);
    let enrol = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(label) = normalize_method_name(&key_name.get_untracked()) else {
            missing.set(true);
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let who = id.get_value();
            let outcome = async {
                let options = api::creation_options(&who)
                    .await
                    .map_err(|f| text::failure(&f))?;
                let credential = webauthn::create(options)
                    .await
                    .map_err(crate::text::browser_refusal)?;
                api::enrol_key(&who, &label, credential)
                    .await
                    .map_err(|f| text::failure(&f))
            }
            .await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    key_name.set(String::new());
                    done.run(text::enrolled(&label, &person.get_value()));
                }
                Err(message) => failed.run(message),
            }
        });
    };
    view! {
        <section aria-labelledby="enrol-heading">
            <h2 id="enrol-heading">{text::ADM_ENROL_HEADING()}</h2>
            <p class="hint" id="enrol-hint">{text::ADM_ENROL_HINT()}</p>
            <form on:submit=enrol novalidate>
                <label for="enrol-name">{text::ADM_ENROL_NAME()}</label>
                <input id="enrol-name" type="text" maxlength="64" autocomplete="off"
                    aria-describedby="enrol-hint enrol-missing"
                    aria-invalid=move || missing.get().then_some("true")
                    prop:value=move || key_name.get()
                    on:input=move |e| { missing.set(false); key_name.set(event_target_value(&e)) }/>
                <p class="error" id="enrol-missing" hidden=move || !missing.get()>{text::ADM_ENROL_NAME_MISSING()}</p>
                <button type="submit" class="primary" disabled=move || busy.get()>{text::ADM_ENROL_BUTTON()}</button>
            </form>
        </section>
    }
}
