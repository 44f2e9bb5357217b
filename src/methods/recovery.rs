//! Recovery codes in security info (when the deployment offers them): how
//! many are left, and a new set, shown once.

use crate::api;
use crate::text;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Recovery(left: u32, on_change: Callback<String>) -> impl IntoView {
    let codes = RwSignal::new(None::<Vec<String>>);
    let error = RwSignal::new(None::<String>);
    let make = move |_| {
        error.set(None);
        spawn_local(async move {
            match api::make_recovery_codes().await {
                Ok(made) => codes.set(Some(made.codes)),
                Err(f) => error.set(Some(text::method_failure(&f))),
            }
        });
    };
    view! {
        <section aria-labelledby="recovery-heading">
            <h2 id="recovery-heading">{text::RECOVERY_HEADING()}</h2>
            <p>{text::RECOVERY_EXPLAIN()}</p>
            <p id="recovery-left">{text::recovery_left(left)}</p>
            {move || codes.get().map(|list| view! {
                <p class="notice">{text::RECOVERY_ONCE()}</p>
                <ol class="recovery-codes">
                    {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ol>
                <button type="button" class="primary" on:click=move |_| { codes.set(None); on_change.run(String::new()) }>
                    {text::RECOVERY_DONE()}
                </button>
            })}
            <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <button type="button" class="secondary" hidden=move || codes.with(Option::is_some) on:click=make>
                {text::RECOVERY_MAKE()}
            </button>
        </section>
    }
}
