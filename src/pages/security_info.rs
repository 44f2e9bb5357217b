//! Step 3: who is signed in, until when, the passwordless countdown, the
//! (for now empty) method list and signing out.

use crate::api;
use crate::app::focus_on_mount;
use crate::countdown::Countdown;
use crate::nav::{use_nav, Link};
use crate::text;
use crate::time::local;
use chrono::Utc;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::countdown::ClockSkew;

#[component]
pub fn SecurityInfo() -> impl IntoView {
    let session = LocalResource::new(|| async {
        let result = api::session().await;
        // Measured right at arrival, so the countdown follows the server's clock.
        result.map(|s| (ClockSkew::measure(s.server_time, Utc::now()), s))
    });
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let nav = use_nav();
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::sign_out().await;
            nav.go("/");
        });
    };

    view! {
        <h1 tabindex="-1" node_ref=heading>{text::INFO_HEADING}</h1>
        <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
            {move || session.get().map(|result| match result {
                Err(_) => view! {
                    <p role="alert">{text::NOT_SIGNED_IN}</p>
                    <Link href="/" class="button">{text::START_OVER}</Link>
                }.into_any(),
                Ok((skew, s)) => view! {
                    <dl class="facts">
                        <dt>{text::INFO_SIGNED_IN_AS}</dt>
                        <dd><span class="name">{s.display_name.clone()}</span> " (" {s.upn.clone()} ")"</dd>
                        <dt>{text::INFO_SESSION_ENDS}</dt>
                        <dd>{local(s.expires_at)}</dd>
                    </dl>
                    {s.passwordless_deadline.map(|deadline| view! { <Countdown deadline skew/> })}
                    <h2>{text::INFO_METHODS_HEADING}</h2>
                    <p class="empty">{text::INFO_NO_METHODS}</p>
                    <button type="button" class="secondary" on:click=sign_out>{text::SIGN_OUT}</button>
                }.into_any(),
            })}
        </Suspense>
    }
}
