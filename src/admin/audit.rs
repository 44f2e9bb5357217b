//! The audit trail: filtered by user, kind and time, exported as CSV.

use super::{api, focus_heading, text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::AuditEntry;

/// The kinds of event tapin records, in the order the filter offers them.
pub const KINDS: &[&str] = &[
    "pass_issued",
    "pass_revoked",
    "pass_sign_in",
    "pass_invalid",
    "pass_expired",
    "pass_not_yet_valid",
    "pass_used",
    "passkey_sign_in",
    "method_added",
    "method_removed",
    "method_renamed",
    "default_changed",
    "lockout_cleared",
    "session_revoked",
    "signed_out_everywhere",
    "policy_changed",
    "token_created",
    "token_revoked",
    "user_updated",
    "user_disabled",
    "user_enabled",
    "user_removed",
];

/// A `datetime-local` value (the administrator's clock) as RFC 3339.
fn instant(local: &str) -> String {
    if local.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
    if date.get_time().is_nan() {
        return String::new();
    }
    String::from(date.to_iso_string())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let user = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let filters = move || {
        vec![
            ("upn", user.get().trim().to_string()),
            ("event", kind.get()),
            ("since", instant(&since.get())),
            ("until", instant(&until.get())),
        ]
    };
    let events = RwSignal::new(None::<Result<Vec<AuditEntry>, String>>);
    let load = move || {
        let url = api::audit_url(&filters(), false);
        spawn_local(async move {
            events.set(Some(api::audit(&url).await.map_err(|f| text::failure(&f))));
        });
    };
    load();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load();
    };
    let csv = move || api::audit_url(&filters(), true);
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ADM_AUDIT_HEADING()}</h1>
        <form class="filters" on:submit=apply>
            <div class="field">
                <label for="audit-user">{text::ADM_AUDIT_USER()}</label>
                <input id="audit-user" type="text" spellcheck="false" autocomplete="off"
                    prop:value=move || user.get() on:input=move |e| user.set(event_target_value(&e))/>
            </div>
            <div class="field">
                <label for="audit-kind">{text::ADM_AUDIT_KIND()}</label>
                <select id="audit-kind" on:change=move |e| kind.set(event_target_value(&e))>
                    <option value="">{text::ADM_AUDIT_ANY()}</option>
                    {KINDS.iter().map(|k| view! { <option value=*k>{text::event_name(k)}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-since">{text::ADM_AUDIT_SINCE()}</label>
                <input id="audit-since" type="datetime-local" prop:value=move || since.get() on:input=move |e| since.set(event_target_value(&e))/>
            </div>
            <div class="field">
                <label for="audit-until">{text::ADM_AUDIT_UNTIL()}</label>
                <input id="audit-until" type="datetime-local" prop:value=move || until.get() on:input=move |e| until.set(event_target_value(&e))/>
            </div>
            <button type="submit" class="primary">{text::ADM_AUDIT_APPLY()}</button>
            <a class="button secondary" href=csv download="tapin-audit.csv">{text::ADM_AUDIT_EXPORT()}</a>
        </form>
        <p role="status" class="hint">{move || match events.get() {
            Some(Ok(list)) => text::events_found(list.len()),
            _ => String::new(),
        }}</p>
        {move || match events.get() {
            None => view! { <p>{crate::text::LOADING()}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(list)) => view! {
                <div class="table-scroll" role="region" aria-labelledby="audit-caption" tabindex="0">
                    <table class="audit">
                        <caption id="audit-caption">{text::ADM_AUDIT_CAPTION()}</caption>
                        <thead><tr>
                            <th scope="col">{text::ADM_AUDIT_AT()}</th>
                            <th scope="col">{text::ADM_AUDIT_USER()}</th>
                            <th scope="col">{text::ADM_AUDIT_KIND()}</th>
                            <th scope="col">{text::ADM_AUDIT_DETAIL()}</th>
                            <th scope="col">{text::ADM_AUDIT_ACTOR()}</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().rev().map(|e| view! {
                                <tr>
                                    <td>{crate::time::local(e.at)}</td>
                                    <td>{e.upn}</td>
                                    <td>{text::event_name(&e.event)}</td>
                                    <td class="detail">{e.detail}</td>
                                    <td>{e.actor}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}
