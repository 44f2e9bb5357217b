//! The registered methods, each with rename (where it has a name), make
//! default, and delete behind a confirmation.

use crate::api;
use crate::text;
use crate::time::local;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::normalize_method_name;
use tapin_api::wire::Method;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Show,
    Renaming,
    ConfirmingDelete,
}

#[component]
pub fn MethodList(methods: Signal<Vec<Method>>, on_change: Callback<String>) -> impl IntoView {
    move || {
        let list = methods.get();
        if list.is_empty() {
            return view! { <p class="empty">{text::INFO_NO_METHODS()}</p> }.into_any();
        }
        view! {
            <ul class="methods">
                {list.into_iter().map(|m| view! { <MethodItem method=m on_change/> }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

#[component]
fn MethodItem(method: Method, on_change: Callback<String>) -> impl IntoView {
    let mode = RwSignal::new(Mode::Show);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let name = RwSignal::new(method.name.clone().unwrap_or_default());
    let label = text::method_label(&method);
    let title_id = format!("m-{}", method.id);
    let name_id = format!("m-{}-name", method.id);
    let error_id = format!("m-{}-error", method.id);
    let rename_input = NodeRef::<leptos::html::Input>::new();
    let confirm_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| match mode.get() {
        Mode::Renaming => {
            if let Some(i) = rename_input.get() {
                let _ = i.focus();
            }
        }
        Mode::ConfirmingDelete => {
            if let Some(b) = confirm_button.get() {
                let _ = b.focus();
            }
        }
        Mode::Show => {}
    });

    let id = method.id.clone();
    let label_for_rename = label.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_name = match normalize_method_name(&name.get_untracked()) {
            Ok(n) => n,
            Err(e) => return error.set(Some(text::invalid_field(&e).to_string())),
        };
        let (id, was) = (id.clone(), label_for_rename.clone());
        busy.set(true);
        spawn_local(async move {
            let result = api::rename(id, new_name).await;
            busy.set(false);
            match result {
                Ok(m) => on_change.run(text::renamed(&was, &text::method_label(&m))),
                Err(f) => error.set(Some(text::method_failure(&f))),
            }
        });
    };
    let id = method.id.clone();
    let label_for_delete = label.clone();
    let delete = move |_| {
        let (id, was) = (id.clone(), label_for_delete.clone());
        busy.set(true);
        spawn_local(async move {
            let result = api::delete(id).await;
            busy.set(false);
            match result {
                Ok(()) => on_change.run(text::deleted(&was)),
                Err(f) => error.set(Some(text::method_failure(&f))),
            }
        });
    };
    let id = method.id.clone();
    let label_for_default = label.clone();
    let make_default = move |_| {
        let (id, which) = (id.clone(), label_for_default.clone());
        spawn_local(async move {
            match api::make_default(id).await {
                Ok(_) => on_change.run(text::made_default(&which)),
                Err(f) => error.set(Some(text::method_failure(&f))),
            }
        });
    };
    let has_name = method.kind.has_name();
    let is_default = method.is_default;
    let last_used = method
        .last_used_at
        .map(local)
        .unwrap_or_else(|| text::NEVER().to_string());
    let (title_for_h, error_for_p, name_for_label) =
        (title_id.clone(), error_id.clone(), name_id.clone());
    let described = title_id.clone();

    view! {
        <li class="method" aria-labelledby=title_id.clone()>
            <h3 id=title_for_h class="method-title">
                {label.clone()}
                {is_default.then(|| view! { " " <span class="badge">{text::DEFAULT_BADGE()}</span> })}
            </h3>
            <p class="meta">
                {(!method.detail.is_empty()).then(|| view! { <span class="detail">{method.detail.clone()}</span> " · " })}
                {text::key_summary(&method).map(|k| view! { <span class="detail">{k}</span> " · " })}
                {text::ADDED()} " " {local(method.created_at)} " · " {text::LAST_USED()} " " {last_used}
            </p>
            {text::key_refused(&method).map(|r| view! { <p class="error">{r}</p> })}
            <p id=error_for_p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            {move || match mode.get() {
                Mode::Show => view! {
                    <div class="actions">
                        {has_name.then(|| view! {
                            <button type="button" class="link" aria-describedby=described.clone() on:click=move |_| mode.set(Mode::Renaming)>{text::RENAME()}</button>
                        })}
                        {(!is_default).then(|| view! {
                            <button type="button" class="link" aria-describedby=described.clone() on:click=make_default.clone()>{text::MAKE_DEFAULT()}</button>
                        })}
                        <button type="button" class="link danger" aria-describedby=described.clone() on:click=move |_| mode.set(Mode::ConfirmingDelete)>{text::DELETE()}</button>
                    </div>
                }.into_any(),
                Mode::Renaming => view! {
                    <form class="inline" on:submit=save.clone() novalidate>
                        <label for=name_for_label.clone()>{text::NEW_NAME()}</label>
                        <input id=name_for_label.clone() type="text" maxlength="64" node_ref=rename_input
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        <button type="submit" class="primary" disabled=move || busy.get()>{text::SAVE()}</button>
                        <button type="button" class="secondary" on:click=move |_| { error.set(None); mode.set(Mode::Show) }>{text::CANCEL()}</button>
                    </form>
                }.into_any(),
                Mode::ConfirmingDelete => view! {
                    <div class="confirm" role="group" aria-label=text::CONFIRM_DELETE_LABEL()>
                        <p>{text::confirm_delete(&label)}</p>
                        <button type="button" class="danger" node_ref=confirm_button disabled=move || busy.get() on:click=delete.clone()>{text::DELETE_CONFIRM()}</button>
                        <button type="button" class="secondary" on:click=move |_| mode.set(Mode::Show)>{text::CANCEL()}</button>
                    </div>
                }.into_any(),
            }}
        </li>
    }
}
