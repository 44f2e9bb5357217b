//! Security info: who is signed in, the passwordless countdown, the methods
//! and adding more, sign out and sign out everywhere. With required
//! registration it is a wizard that cannot be finished without a method.

use super::add::Adding;
use super::list::MethodList;
use super::Parts;
use crate::api;
use crate::countdown::Countdown;
use crate::later::{later, preload};
use crate::nav::leave;
use crate::shell::focus_on_mount;
use crate::text;
use crate::time::local;
use chrono::Utc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::countdown::{ClockSkew, Phase};
use tapin_api::wire::{MethodKind, SecurityInfo as Info};

#[component]
pub fn SecurityInfo() -> impl IntoView {
    let session = LocalResource::new(|| async {
        let result = api::session().await;
        // Measured right at arrival, so the countdown follows the server's clock.
        result.map(|s| (ClockSkew::measure(s.server_time, Utc::now()), s))
    });
    let parts = expect_context::<Parts>();
    let info = RwSignal::new(None::<Info>);
    let reload = move || {
        spawn_local(async move {
            if let Ok(i) = api::security_info().await {
                info.set(Some(i));
                // Once the page has its data: the add panel, for whoever
                // goes on to add a method (fetched once; then a no-op).
                preload(parts.fetch_add_panel);
            }
        })
    };
    reload();
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let adding = RwSignal::new(None::<Adding>);
    let status = RwSignal::new(String::new());
    let phase = RwSignal::new(Phase::Open);
    let finished = RwSignal::new(false);
    let wizard = move || info.with(|i| i.as_ref().is_some_and(|i| i.registration_required));
    let methods = Signal::derive(move || {
        info.with(|i| i.as_ref().map(|i| i.methods.clone()).unwrap_or_default())
    });
    // A code's session (or an old one) may look, rename and sign out
    // everywhere only: say so up front rather than after a refusal.
    let may_change = move || {
        session.with(|s| {
            s.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_none_or(|(_, s)| s.may_change_methods)
        })
    };
    let count = move |kind: MethodKind| {
        methods.with(|m| m.iter().filter(|x| kind.shares_limit_with(x.kind)).count())
    };

    let on_change = Callback::new(move |message: String| {
        status.set(message);
        reload();
    });
    let on_added = Callback::new(move |message: String| {
        adding.set(None);
        status.set(message);
        reload();
    });
    let on_cancel = Callback::new(move |_| adding.set(None));
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            leave("/");
        });
    };
    let everywhere_error = RwSignal::new(None::<String>);
    let sign_out_everywhere = move |_| {
        spawn_local(async move {
            match api::sign_out_everywhere().await {
                Ok(()) => leave("/"),
                Err(f) => everywhere_error.set(Some(text::method_failure(&f))),
            }
        });
    };

    let add_button = move |which: Adding, kind: MethodKind| {
        let passwordless = kind.is_passwordless();
        let closed = move || passwordless && phase.get() == Phase::Closed;
        let full = move || count(kind) >= kind.limit();
        let note_id = format!("add-{}-note", kind.as_str());
        let note_for_p = note_id.clone();
        view! {
            <li>
                <button type="button" class="choice"
                    disabled=move || closed() || full() || !may_change()
                    aria-describedby=note_id
                    on:click=move |_| { status.set(String::new()); adding.set(Some(which)) }>
                    {text::add_heading(which)}
                </button>
                <span id=note_for_p class="hint">
                    {move || if closed() { text::ADD_CLOSED() } else if full() { text::ADD_FULL() } else { text::add_description(which) }}
                </span>
            </li>
        }
    };

    view! {
        <h1 tabindex="-1" node_ref=heading>{move || if wizard() { text::WIZARD_HEADING() } else { text::INFO_HEADING() }}</h1>
        <Suspense fallback=|| view! { <p>{text::LOADING()}</p> }>
            {move || session.get().map(|result| match result {
                Err(_) => view! {
                    <p role="alert">{text::NOT_SIGNED_IN()}</p>
                    <a href="/" class="button">{text::START_OVER()}</a>
                }.into_any(),
                Ok((skew, s)) => view! {
                    {move || wizard().then(|| view! { <p class="notice">{text::WIZARD_INTRO()}</p> })}
                    <dl class="facts">
                        <dt>{text::INFO_SIGNED_IN_AS()}</dt>
                        <dd><span class="name">{s.display_name.clone()}</span> " (" {s.upn.clone()} ")"</dd>
                        <dt>{text::INFO_SESSION_ENDS()}</dt>
                        <dd>{local(s.expires_at)}</dd>
                    </dl>
                    {s.admin.then(|| view! { <p><a href="/admin" class="button secondary">{text::INFO_HELP_DESK()}</a></p> })}
                    {(!s.may_change_methods).then(|| view! { <p class="notice" role="note">{text::INFO_STRONGER_FIRST()}</p> })}
                    {s.passwordless_deadline.map(|deadline| view! { <Countdown deadline skew phase_out=phase/> })}
                    <p class="visually-hidden" role="status" aria-live="polite">{move || status.get()}</p>
                    <p class="success" hidden=move || status.with(String::is_empty)>{move || status.get()}</p>
                    <h2>{text::INFO_METHODS_HEADING()}</h2>
                    <MethodList methods on_change/>
                    {move || match adding.get() {
                        Some(which) => later(move || (parts.add_panel)(which, on_added, on_cancel)).into_any(),
                        None => view! {
                            <section aria-labelledby="add-choices">
                                <h2 id="add-choices">{text::ADD_HEADING()}</h2>
                                <ul class="choices-list">
                                    {add_button(Adding::Passkey, MethodKind::Passkey)}
                                    {add_button(Adding::SecurityKey, MethodKind::SecurityKey)}
                                    {add_button(Adding::Authenticator, MethodKind::AuthenticatorApp)}
                                    {add_button(Adding::Phone, MethodKind::Phone)}
                                    {add_button(Adding::Email, MethodKind::Email)}
                                </ul>
                            </section>
                        }.into_any(),
                    }}
                    {move || wizard().then(|| view! {
                        <div class="wizard-finish">
                            <button type="button" class="primary" aria-describedby="finish-note"
                                disabled=move || methods.with(Vec::is_empty)
                                on:click=move |_| finished.set(true)>{text::WIZARD_FINISH()}</button>
                            <p id="finish-note" class="hint">{move || if methods.with(Vec::is_empty) { text::WIZARD_NEED_ONE() } else { "" }}</p>
                            <p role="status">{move || finished.get().then_some(text::WIZARD_DONE())}</p>
                        </div>
                    })}
                    {move || info.with(|i| i.as_ref().and_then(|i| i.recovery_codes_left)).map(|left| view! {
                        <super::recovery::Recovery left on_change/>
                    })}
                    <section aria-labelledby="everywhere-heading" class="everywhere">
                        <h2 id="everywhere-heading">{text::EVERYWHERE_HEADING()}</h2>
                        <p>{text::EVERYWHERE_EXPLAIN()}</p>
                        <p class="error" role="alert" hidden=move || everywhere_error.with(Option::is_none)>{move || everywhere_error.get()}</p>
                        <button type="button" class="secondary" on:click=sign_out_everywhere>{text::SIGN_OUT_EVERYWHERE()}</button>
                    </section>
                    <button type="button" class="secondary" on:click=sign_out>{text::SIGN_OUT()}</button>
                }.into_any(),
            })}
        </Suspense>
    }
}
