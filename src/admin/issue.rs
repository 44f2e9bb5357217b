//! Issuing a pass: lifetime within the policy, one-time or not, a start now
//! or later at a date, time and time zone (the administrator's by default).
//! The pass is shown once, large, with a copy button and a QR code of the
//! sign-in link with the account filled in (never the pass).

use super::{api, text, zone};
use crate::widgets::qr::QrSvg;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::graph::{NewTemporaryAccessPass, TemporaryAccessPassMethod};
use tapin_api::validate_issue_lifetime;

#[component]
pub fn IssuePass(
    id: String,
    upn: String,
    user_zone: Option<String>,
    done: Callback<String>,
) -> impl IntoView {
    // Only a zone this browser knows can be written in (Intl throws otherwise).
    let user_zone = StoredValue::new(user_zone.filter(|z| zone::zones().contains(z)));
    let policy = LocalResource::new(api::policy);
    let open = RwSignal::new(false);
    let issued = RwSignal::new(None::<(TemporaryAccessPassMethod, String)>);
    let id = StoredValue::new(id);
    let upn = StoredValue::new(upn);
    view! {
        {move || match issued.get() {
            Some((pass, zone_name)) => view! { <Issued pass zone_name upn=upn.get_value() on_close=Callback::new(move |_| { issued.set(None); done.run(text::ADM_PASS_ISSUED().into()) })/> }.into_any(),
            None if !open.get() => view! {
                <button type="button" class="primary" on:click=move |_| open.set(true)>{text::ADM_ISSUE_PASS()}</button>
            }.into_any(),
            None => view! {
                <Suspense fallback=|| view! { <p>{crate::text::LOADING()}</p> }>
                    {move || policy.get().map(|p| match p {
                        Err(f) => view! { <p class="error" role="alert">{text::failure(&f)}</p> }.into_any(),
                        Ok(p) => view! {
                            <IssueForm id=id.get_value() user_zone=user_zone.get_value() min=p.minimum_lifetime_in_minutes max=p.maximum_lifetime_in_minutes
                                default=p.default_lifetime_in_minutes forced_once=p.is_usable_once
                                on_issued=Callback::new(move |r| issued.set(Some(r)))
                                on_cancel=Callback::new(move |_| open.set(false))/>
                        }.into_any(),
                    })}
                </Suspense>
            }.into_any(),
        }}
    }
}

#[component]
fn IssueForm(
    id: String,
    user_zone: Option<String>,
    min: u32,
    max: u32,
    default: u32,
    forced_once: bool,
    on_issued: Callback<(TemporaryAccessPassMethod, String)>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let user_zone = StoredValue::new(user_zone);
    let lifetime = RwSignal::new(default.to_string());
    let once = RwSignal::new(forced_once);
    let later = RwSignal::new(false);
    let (d, t) = zone::next_hour();
    let date = RwSignal::new(d);
    let time = RwSignal::new(t);
    let own = zone::own_zone();
    let zone_name = RwSignal::new(own.clone());
    let zones = StoredValue::new(zone::zones());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let lifetime_error = move || {
        let value = lifetime.get();
        match value.trim().parse::<u32>() {
            Ok(n) => validate_issue_lifetime("lifetime", n, min, max)
                .err()
                .map(|_| text::lifetime_range(min, max)),
            Err(_) => Some(text::lifetime_range(min, max)),
        }
    };
    let start = move || {
        later
            .get()
            .then(|| zone::wall_clock(&date.get(), &time.get(), &zone_name.get()))
    };
    let preview = move || match start() {
        None => String::new(),
        Some(None) => text::ADM_START_INVALID().to_string(),
        Some(Some(s)) => {
            let utc = s.with_timezone(&chrono::Utc);
            let theirs = user_zone.with_value(|z| z.clone().map(|z| (zone::in_zone(utc, &z), z)));
            text::start_preview(
                &zone::in_zone(utc, &zone_name.get()),
                theirs.as_ref().map(|(t, z)| (z.as_str(), t.as_str())),
                &crate::time::local(utc),
            )
        }
    };
    let id = StoredValue::new(id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(e) = lifetime_error() {
            error.set(Some(e));
            return;
        }
        let start_date_time = match start() {
            None => None,
            Some(Some(s)) => Some(s),
            Some(None) => {
                error.set(Some(text::ADM_START_INVALID().into()));
                return;
            }
        };
        let body = NewTemporaryAccessPass {
            start_date_time,
            lifetime_in_minutes: lifetime.get_untracked().trim().parse().ok(),
            is_usable_once: Some(once.get_untracked()),
            odata_type: None,
        };
        let chosen = zone_name.get_untracked();
        busy.set(true);
        spawn_local(async move {
            let result = api::issue(&id.get_value(), &body).await;
            busy.set(false);
            match result {
                Ok(pass) => on_issued.run((pass, chosen)),
                Err(f) => error.set(Some(text::failure(&f))),
            }
        });
    };
    view! {
        <form class="issue" on:submit=submit novalidate>
            <h2 tabindex="-1" node_ref=heading>{text::ADM_ISSUE_HEADING()}</h2>
            <div class="field">
                <label for="lifetime">{text::ADM_LIFETIME_LABEL()}</label>
                <p id="lifetime-hint" class="hint">{text::lifetime_hint(min, max)}</p>
                <input id="lifetime" type="number" inputmode="numeric" min=min max=max required
                    aria-describedby="lifetime-hint lifetime-error"
                    aria-invalid=move || lifetime_error().is_some().then_some("true")
                    prop:value=move || lifetime.get()
                    on:input=move |e| lifetime.set(event_target_value(&e))/>
                <p id="lifetime-error" class="error" hidden=move || lifetime_error().is_none()>{lifetime_error}</p>
            </div>
            <div class="field check">
                <input id="once" type="checkbox" prop:checked=move || once.get() disabled=forced_once
                    aria-describedby="once-hint"
                    on:change=move |e| once.set(event_target_checked(&e))/>
                <label for="once">{text::ADM_ONE_TIME_LABEL()}</label>
                <p id="once-hint" class="hint">{if forced_once { text::ADM_ONE_TIME_FORCED() } else { text::ADM_ONE_TIME_HINT() }}</p>
            </div>
            <fieldset class="choices">
                <legend>{text::ADM_START_LEGEND()}</legend>
                <label><input type="radio" name="start" prop:checked=move || !later.get() on:change=move |_| later.set(false)/>{text::ADM_START_NOW()}</label>
                <label><input type="radio" name="start" prop:checked=move || later.get() on:change=move |_| later.set(true)/>{text::ADM_START_LATER()}</label>
            </fieldset>
            <div class="when" hidden=move || !later.get()>
                <div class="field">
                    <label for="start-date">{text::ADM_START_DATE()}</label>
                    <input id="start-date" type="date" prop:value=move || date.get() on:input=move |e| date.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="start-time">{text::ADM_START_TIME()}</label>
                    <input id="start-time" type="time" prop:value=move || time.get() on:input=move |e| time.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="start-zone">{text::ADM_START_ZONE()}</label>
                    <select id="start-zone" on:change=move |e| zone_name.set(event_target_value(&e))>
                        {zones.get_value().into_iter().map(|z| {
                            let selected = z == own;
                            view! { <option value=z.clone() selected=selected>{z.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <p class="preview" aria-live="polite">{preview}</p>
            </div>
            <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
            <button type="submit" class="primary" disabled=move || busy.get()>{text::ADM_ISSUE_SUBMIT()}</button>
            <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>{crate::text::CANCEL()}</button>
        </form>
    }
}

/// The new pass, once.
#[component]
fn Issued(
    pass: TemporaryAccessPassMethod,
    zone_name: String,
    upn: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let code = pass.temporary_access_pass.clone().unwrap_or_default();
    let copied = RwSignal::new(false);
    let to_copy = code.clone();
    let copy = move |_| {
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&to_copy);
        spawn_local(async move {
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    };
    let origin = window().location().origin().unwrap_or_default();
    let link = format!(
        "{origin}/?upn={}",
        String::from(js_sys::encode_uri_component(&upn))
    );
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let starts = zone::in_zone(pass.start_date_time, &zone_name);
    view! {
        <section class="issued" aria-labelledby="issued-heading">
            <h2 id="issued-heading" tabindex="-1" node_ref=heading>{text::ADM_ISSUED_HEADING()}</h2>
            <p class="notice">{text::ADM_ISSUED_ONCE()}</p>
            <p class="pass-code" aria-label=text::ADM_ISSUED_CODE_LABEL()><output>{code.clone()}</output></p>
            <button type="button" class="secondary" on:click=copy>{text::ADM_COPY()}</button>
            <span role="status" class="hint">{move || copied.get().then_some(text::ADM_COPIED())}</span>
            <dl class="facts">
                <dt>{text::ADM_PASS_STARTS()}</dt><dd class="starts">{starts}</dd>
                <dt>{text::ADM_LIFETIME_LABEL()}</dt><dd>{pass.lifetime_in_minutes}</dd>
                <dt>{text::ADM_PASS_ONE_TIME()}</dt><dd>{if pass.is_usable_once { text::ADM_YES() } else { text::ADM_NO() }}</dd>
                <dt>{text::ADM_SIGN_IN_LINK()}</dt><dd><a href=link.clone()>{link.clone()}</a></dd>
            </dl>
            <p class="hint">{text::ADM_QR_HINT()}</p>
            <QrSvg text=link label=text::ADM_QR_LABEL()/>
            <button type="button" class="primary" on:click=move |_| on_close.run(())>{text::ADM_DONE()}</button>
        </section>
    }
}
