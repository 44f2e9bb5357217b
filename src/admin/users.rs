//! Finding a user by account name or name, as it is typed.

use super::{api, focus_heading, text, Go};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::graph::GraphUser;

#[component]
pub fn UsersPage() -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Vec<GraphUser>, String>>);
    // Answers can arrive out of order; only the newest question's counts.
    let asked = StoredValue::new(0u32);
    let look = move |q: String| {
        let n = asked.get_value() + 1;
        asked.set_value(n);
        spawn_local(async move {
            let result = api::search(&q).await;
            if asked.get_value() == n {
                found.set(Some(result.map_err(|f| text::failure(&f))));
            }
        });
    };
    look(String::new());
    let count = move || match found.get() {
        Some(Ok(users)) => text::users_found(users.len()),
        _ => String::new(),
    };
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ADM_USERS_HEADING()}</h1>
        <form role="search" on:submit=|e| e.prevent_default()>
            <div class="field">
                <label for="find">{text::ADM_FIND_LABEL()}</label>
                <p id="find-hint" class="hint">{text::ADM_FIND_HINT()}</p>
                <input id="find" type="search" autocomplete="off" spellcheck="false"
                    aria-describedby="find-hint" aria-controls="found"
                    prop:value=move || query.get()
                    on:input=move |e| { let q = event_target_value(&e); query.set(q.clone()); look(q); }/>
            </div>
        </form>
        <p role="status" class="hint">{count}</p>
        <ul id="found" class="found">
            {move || match found.get() {
                None => view! { <li>{crate::text::LOADING()}</li> }.into_any(),
                Some(Err(e)) => view! { <li class="error" role="alert">{e}</li> }.into_any(),
                Some(Ok(users)) => users.into_iter().map(|u| {
                    let href = format!("/admin/users/{}", u.id);
                    view! {
                        <li>
                            <Go href>
                                <span class="name">{u.display_name.clone()}</span>
                                <span class="upn">{u.user_principal_name.clone()}</span>
                            </Go>
                            {(!u.account_enabled).then(|| view! { <span class="badge">{text::ADM_DISABLED_BADGE()}</span> })}
                        </li>
                    }
                }).collect_view().into_any(),
            }}
        </ul>
    }
}
