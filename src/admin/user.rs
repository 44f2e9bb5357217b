//! One user, as the help desk sees them: methods, the pass and its state,
//! lockout and open sessions, with the actions the administrator's roles
//! allow (none for a global reader).

use super::enrol::EnrolKey;
use super::issue::IssuePass;
use super::{api, focus_heading, text};
use crate::time::local;
use chrono::Duration;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::{AdminMe, UserDetail};
use tapin_api::wire::Method;

#[component]
pub fn UserPage(id: String, me: AdminMe) -> impl IntoView {
    let detail = RwSignal::new(None::<Result<UserDetail, String>>);
    let id = StoredValue::new(id);
    let reload = move || {
        spawn_local(async move {
            let result = api::user(&id.get_value()).await;
            detail.set(Some(result.map_err(|f| text::failure(&f))));
        })
    };
    reload();
    let status = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let done = Callback::new(move |message: String| {
        error.set(None);
        status.set(message);
        reload();
    });
    let failed = Callback::new(move |message: String| {
        status.set(String::new());
        error.set(Some(message));
    });
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let me = StoredValue::new(me);
    view! {
        <h1 tabindex="-1" node_ref=heading>
            {move || match detail.get() {
                Some(Ok(d)) => d.display_name,
                Some(Err(_)) => text::ADM_USER_HEADING().to_string(),
                None => crate::text::LOADING().to_string(),
            }}
        </h1>
        <p class="visually-hidden" role="status" aria-live="polite">{move || status.get()}</p>
        <p class="success" hidden=move || status.with(String::is_empty)>{move || status.get()}</p>
        <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        {move || match detail.get() {
            None => ().into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            Some(Ok(d)) => view! { <Sections d me=me.get_value() done failed/> }.into_any(),
        }}
    }
}

#[component]
fn Sections(
    d: UserDetail,
    me: AdminMe,
    done: Callback<String>,
    failed: Callback<String>,
) -> impl IntoView {
    let manage = d.may_manage;
    let id = StoredValue::new(d.id.clone());
    let upn = d.upn.clone();
    let role = if d.role == "admin" {
        text::ADM_ROLE_ADMIN()
    } else {
        text::ADM_ROLE_MEMBER()
    };
    let groups = if d.groups.is_empty() {
        "–".to_string()
    } else {
        d.groups.join(", ")
    };
    let act = move |work: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), crate::api::Failure>>>,
    >,
                    message: String| {
        spawn_local(async move {
            match work.await {
                Ok(()) => done.run(message),
                Err(f) => failed.run(text::failure(&f)),
            }
        });
    };
    let pass = d.pass.clone();
    let revoke = move |_| {
        if let Some(p) = pass.clone() {
            let who = id.get_value();
            act(
                Box::pin(async move { api::revoke_pass(&who, &p.id).await }),
                text::ADM_PASS_REVOKED().into(),
            );
        }
    };
    let clear = move |_| {
        let who = id.get_value();
        act(
            Box::pin(async move { api::clear_lockout(&who).await }),
            text::ADM_LOCKOUT_CLEARED().into(),
        );
    };
    let everywhere = move |_| {
        let who = id.get_value();
        act(
            Box::pin(async move { api::sign_out_everywhere(&who).await }),
            text::ADM_SIGNED_OUT().into(),
        );
    };
    let enabled = d.enabled;
    let toggle = move |_| {
        let who = id.get_value();
        act(
            Box::pin(async move { api::set_enabled(&who, !enabled).await }),
            if enabled {
                text::ADM_USER_DISABLED()
            } else {
                text::ADM_USER_ENABLED()
            }
            .into(),
        );
    };
    let read_only = !manage;
    view! {
        {read_only.then(|| view! { <p class="notice">{if me.manage_members || me.manage_admins { text::ADM_NOT_YOURS() } else { text::ADM_READ_ONLY() }}</p> })}
        <dl class="facts">
            <dt>{text::ADM_ACCOUNT()}</dt><dd>{upn.clone()}</dd>
            <dt>{text::ADM_ROLE()}</dt><dd>{role}</dd>
            <dt>{text::ADM_GROUPS()}</dt><dd>{groups}</dd>
            <dt>{text::ADM_ACCOUNT_STATE()}</dt>
            <dd class="account-state">
                <span class=if enabled { "state good" } else { "state bad" }>
                    {if enabled { text::ADM_ACCOUNT_ENABLED() } else { text::ADM_ACCOUNT_DISABLED() }}
                </span>
            </dd>
            {d.time_zone.clone().map(|z| view! { <dt>{text::ADM_USER_ZONE()}</dt><dd>{z}</dd> })}
        </dl>
        {manage.then(|| view! {
            <button type="button" class=if enabled { "danger" } else { "secondary" } on:click=toggle>
                {if enabled { text::ADM_DISABLE() } else { text::ADM_ENABLE() }}
            </button>
        })}

        <section aria-labelledby="pass-heading">
            <h2 id="pass-heading">{text::ADM_PASS_HEADING()}</h2>
            {match d.pass.clone() {
                None => view! { <p>{text::ADM_NO_PASS()}</p> }.into_any(),
                Some(p) => {
                    let ends = p.start_date_time + Duration::minutes(i64::from(p.lifetime_in_minutes));
                    view! {
                        <dl class="facts">
                            <dt>{text::ADM_PASS_STATE()}</dt>
                            <dd>
                                <span class=if p.is_usable { "state good" } else { "state bad" }>{text::usability(&p.method_usability_reason)}</span>
                                " " <code>{format!("isUsable={}", p.is_usable)}</code>
                                " " <code>{p.method_usability_reason.clone()}</code>
                            </dd>
                            <dt>{text::ADM_PASS_STARTS()}</dt><dd>{local(p.start_date_time)}</dd>
                            <dt>{text::ADM_PASS_ENDS()}</dt><dd>{local(ends)}</dd>
                            <dt>{text::ADM_PASS_ONE_TIME()}</dt><dd>{if p.is_usable_once { text::ADM_YES() } else { text::ADM_NO() }}</dd>
                            <dt>{text::ADM_PASS_CREATED()}</dt><dd>{local(p.created_date_time)}</dd>
                        </dl>
                        {manage.then(|| view! { <button type="button" class="danger" on:click=revoke.clone()>{text::ADM_REVOKE_PASS()}</button> })}
                    }.into_any()
                }
            }}
            {manage.then(|| view! { <IssuePass id=d.id.clone() upn=upn.clone() user_zone=d.time_zone.clone() done/> })}
        </section>

        <section aria-labelledby="methods-heading">
            <h2 id="methods-heading">{text::ADM_METHODS_HEADING()}</h2>
            {if d.methods.is_empty() {
                view! { <p>{text::ADM_NO_METHODS()}</p> }.into_any()
            } else {
                view! {
                    <ul class="methods">
                        {d.methods.iter().cloned().map(|m| view! { <MethodRow m id=d.id.clone() manage done failed/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {(manage && d.enabled).then(|| view! { <EnrolKey id=d.id.clone() name=d.display_name.clone() done failed/> })}

        <section aria-labelledby="lockout-heading">
            <h2 id="lockout-heading">{text::ADM_LOCKOUT_HEADING()}</h2>
            <p>{text::lockout(d.lockout.locked, d.lockout.failures, d.lockout.window_minutes)}</p>
            {(manage && d.lockout.failures > 0).then(|| view! {
                <button type="button" class="secondary" on:click=clear>{text::ADM_CLEAR_LOCKOUT()}</button>
            })}
        </section>

        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{text::ADM_SESSIONS_HEADING()}</h2>
            {if d.sessions.is_empty() {
                view! { <p>{text::ADM_NO_SESSIONS()}</p> }.into_any()
            } else {
                view! {
                    <ul class="sessions">
                        {d.sessions.iter().map(|s| view! {
                            <li>{text::session(&local(s.created_at), &local(s.last_seen_at), &local(s.expires_at), s.from_pass)}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(manage && !d.sessions.is_empty()).then(|| view! {
                <button type="button" class="secondary" on:click=everywhere>{text::ADM_SIGN_OUT_EVERYWHERE()}</button>
            })}
        </section>
    }
}

/// A method, and removing it behind a confirmation with a reason.
#[component]
fn MethodRow(
    m: Method,
    id: String,
    manage: bool,
    done: Callback<String>,
    failed: Callback<String>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let label = crate::text::method_label(&m);
    let reason_id = format!("reason-{}", m.id);
    let reason_error = format!("reason-{}-error", m.id);
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if confirming.get() {
            if let Some(i) = input.get() {
                let _ = i.focus();
            }
        }
    });
    let method_id = StoredValue::new(m.id.clone());
    let user_id = StoredValue::new(id);
    let removed = text::removed(&label);
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let why = reason.get_untracked().trim().to_string();
        if why.is_empty() {
            missing.set(true);
            return;
        }
        let (who, which, message) = (user_id.get_value(), method_id.get_value(), removed.clone());
        spawn_local(async move {
            match api::remove_method(&who, &which, why).await {
                Ok(()) => done.run(message),
                Err(f) => failed.run(text::failure(&f)),
            }
        });
    };
    let detail = if m.detail.is_empty() {
        crate::text::key_summary(&m)
    } else {
        Some(m.detail.clone())
    };
    let refused = crate::text::key_refused(&m);
    view! {
        <li>
            <span class="name">{label.clone()}</span>
            {detail.map(|d| view! { " " <span class="detail">{d}</span> })}
            {refused.map(|r| view! { " " <span class="error">{r}</span> })}
            <span class="hint">
                {text::method_dates(&local(m.created_at), &m.last_used_at.map(local).unwrap_or_else(|| crate::text::NEVER().into()))}
            </span>
            {(manage).then(|| view! {
                <button type="button" class="danger" hidden=move || confirming.get()
                    aria-label=text::remove_label(&label)
                    on:click=move |_| confirming.set(true)>{text::ADM_REMOVE()}</button>
                <form class="confirm" hidden=move || !confirming.get() on:submit=remove>
                    <label for=reason_id.clone()>{text::ADM_REASON_LABEL()}</label>
                    <p class="hint" id=format!("{reason_id}-hint")>{text::ADM_REASON_HINT()}</p>
                    <textarea id=reason_id.clone() node_ref=input maxlength="500" rows="2"
                        aria-describedby=format!("{reason_id}-hint {reason_error}")
                        aria-invalid=move || missing.get().then_some("true")
                        prop:value=move || reason.get()
                        on:input=move |e| { missing.set(false); reason.set(event_target_value(&e)) }></textarea>
                    <p class="error" id=reason_error.clone() hidden=move || !missing.get()>{text::ADM_REASON_MISSING()}</p>
                    <button type="submit" class="danger">{text::ADM_CONFIRM_REMOVE()}</button>
                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>{crate::text::CANCEL()}</button>
                </form>
            })}
        </li>
    }
}
