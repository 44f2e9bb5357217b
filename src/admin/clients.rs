//! The applications that sign people in with tapin (OpenID Connect
//! clients): listed for every administrator who reads the help desk,
//! added, re-keyed and removed by privileged authentication administrators.
//! Return addresses are checked as they are typed by the rule the server
//! applies (`tapin_api::normalize_redirect_uri`).

use super::{api, focus_heading, text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::{AdminMe, CreatedOidcClient, NewOidcClient, OidcClientView};
use tapin_api::normalize_redirect_uri;

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The first address the shared rule refuses, if any.
fn refused(field: &'static str, text: &str) -> Option<String> {
    lines(text)
        .into_iter()
        .find(|u| normalize_redirect_uri(field, u).is_err())
}

#[component]
pub fn ClientsPage(me: AdminMe) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::clients()
    });
    let secret = RwSignal::new(None::<(String, CreatedOidcClient)>);
    let manage = me.manage_clients;
    let reload = move || version.update(|v| *v += 1);
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::ADM_CLIENTS_HEADING()}</h1>
        <p>{text::ADM_CLIENTS_INTRO()}</p>
        {move || secret.get().map(|(name, created)| view! { <Secret name created on_close=Callback::new(move |_| secret.set(None))/> })}
        <Suspense fallback=|| view! { <p>{crate::text::LOADING()}</p> }>
            {move || list.get().map(|l| match l {
                Err(f) => view! { <p class="error" role="alert">{text::failure(&f)}</p> }.into_any(),
                Ok(clients) if clients.is_empty() => view! { <p>{text::ADM_CLIENTS_NONE()}</p> }.into_any(),
                Ok(clients) => view! {
                    <ul class="clients">
                        {clients.into_iter().map(|c| view! { <Client c manage secret reload/> }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
        {manage.then(|| view! { <AddClient secret reload/> })}
    }
}

#[component]
fn Client(
    c: OidcClientView,
    manage: bool,
    secret: RwSignal<Option<(String, CreatedOidcClient)>>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = StoredValue::new(c.client_id.clone());
    let name = StoredValue::new(c.name.clone());
    let remove = move |_| {
        if !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        spawn_local(async move {
            match api::remove_client(&id.get_value()).await {
                Ok(()) => reload(),
                Err(f) => error.set(Some(text::failure(&f))),
            }
        });
    };
    let rotate = move |_| {
        spawn_local(async move {
            match api::rotate_client_secret(&id.get_value()).await {
                Ok(created) => secret.set(Some((name.get_value(), created))),
                Err(f) => error.set(Some(text::failure(&f))),
            }
        });
    };
    let kind = if c.public {
        text::ADM_CLIENT_PUBLIC_KIND()
    } else {
        text::ADM_CLIENT_CONFIDENTIAL_KIND()
    };
    let public = c.public;
    view! {
        <li>
            <h2>{c.name.clone()}</h2>
            <dl class="facts">
                <dt>{text::ADM_CLIENT_ID()}</dt><dd><code>{c.client_id.clone()}</code></dd>
                <dt>{text::ADM_CLIENT_KIND()}</dt><dd>{kind}</dd>
                <dt>{text::ADM_CLIENT_REDIRECTS()}</dt>
                <dd>{c.redirect_uris.iter().map(|u| view! { <code class="detail">{u.clone()}</code>" " }).collect_view()}</dd>
                {(!c.post_logout_uris.is_empty()).then(|| view! {
                    <dt>{text::ADM_CLIENT_LOGOUTS()}</dt>
                    <dd>{c.post_logout_uris.iter().map(|u| view! { <code class="detail">{u.clone()}</code>" " }).collect_view()}</dd>
                })}
                {c.phishing_resistant.then(|| view! { <dt>{text::ADM_CLIENT_STRICT()}</dt><dd>{text::ADM_YES()}</dd> })}
                {c.consent.then(|| view! { <dt>{text::ADM_CLIENT_CONSENT()}</dt><dd>{text::ADM_YES()}</dd> })}
            </dl>
            {manage.then(|| view! {
                <div class="actions">
                    {(!public).then(|| view! {
                        <button type="button" class="secondary" on:click=rotate>{text::ADM_CLIENT_ROTATE()}</button>
                    })}
                    <button type="button" class="danger" on:click=remove>
                        {move || if confirming.get() { text::client_remove_now(&name.get_value()) } else { text::ADM_CLIENT_REMOVE().to_string() }}
                    </button>
                </div>
            })}
            <p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        </li>
    }
}

#[component]
fn AddClient(
    secret: RwSignal<Option<(String, CreatedOidcClient)>>,
    reload: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let redirects = RwSignal::new(String::new());
    let logouts = RwSignal::new(String::new());
    let public = RwSignal::new(false);
    let consent = RwSignal::new(false);
    let strict = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let bad_redirect = move || refused("redirect_uri", &redirects.get());
    let bad_logout = move || refused("post_logout_uri", &logouts.get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if name.get_untracked().trim().is_empty() || lines(&redirects.get_untracked()).is_empty() {
            error.set(Some(text::ADM_CLIENT_MISSING().to_string()));
            return;
        }
        if bad_redirect().is_some() || bad_logout().is_some() {
            error.set(Some(text::ADM_CLIENT_URI_SHAPE().to_string()));
            return;
        }
        let body = NewOidcClient {
            name: name.get_untracked().trim().to_string(),
            redirect_uris: lines(&redirects.get_untracked()),
            post_logout_uris: lines(&logouts.get_untracked()),
            public: public.get_untracked(),
            consent: consent.get_untracked(),
            phishing_resistant: strict.get_untracked(),
            offline_access: false,
            device_grant: false,
            backchannel_logout_uri: None,
        };
        spawn_local(async move {
            let shown = body.name.clone();
            match api::add_client(&body).await {
                Ok(created) => {
                    secret.set(Some((shown, created)));
                    name.set(String::new());
                    redirects.set(String::new());
                    logouts.set(String::new());
                    reload();
                }
                Err(f) => error.set(Some(text::failure(&f))),
            }
        });
    };
    let check = |label: fn() -> &'static str, id: &'static str, value: RwSignal<bool>| {
        view! {
            <div class="field check">
                <input type="checkbox" id=id prop:checked=move || value.get() on:change=move |e| value.set(event_target_checked(&e))/>
                <label for=id>{label()}</label>
            </div>
        }
    };
    view! {
        <section aria-labelledby="add-client-heading">
            <h2 id="add-client-heading">{text::ADM_CLIENT_ADD_HEADING()}</h2>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="client-name">{text::ADM_CLIENT_NAME()}</label>
                    <input id="client-name" type="text" maxlength="64" autocomplete="off"
                        prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/>
                </div>
                <div class="field">
                    <label for="client-redirects">{text::ADM_CLIENT_REDIRECTS()}</label>
                    <p id="client-redirects-hint" class="hint">{text::ADM_CLIENT_REDIRECTS_HINT()}</p>
                    <textarea id="client-redirects" rows="2" spellcheck="false"
                        aria-describedby="client-redirects-hint client-redirects-error"
                        aria-invalid=move || bad_redirect().is_some().to_string()
                        prop:value=move || redirects.get() on:input=move |e| redirects.set(event_target_value(&e))></textarea>
                    <p id="client-redirects-error" class="error" hidden=move || bad_redirect().is_none()>
                        {move || bad_redirect().map(|u| text::client_uri_refused(&u))}
                    </p>
                </div>
                <div class="field">
                    <label for="client-logouts">{text::ADM_CLIENT_LOGOUTS()}</label>
                    <p id="client-logouts-hint" class="hint">{text::ADM_CLIENT_REDIRECTS_HINT()}</p>
                    <textarea id="client-logouts" rows="2" spellcheck="false"
                        aria-describedby="client-logouts-hint client-logouts-error"
                        aria-invalid=move || bad_logout().is_some().to_string()
                        prop:value=move || logouts.get() on:input=move |e| logouts.set(event_target_value(&e))></textarea>
                    <p id="client-logouts-error" class="error" hidden=move || bad_logout().is_none()>
                        {move || bad_logout().map(|u| text::client_uri_refused(&u))}
                    </p>
                </div>
                {check(text::ADM_CLIENT_PUBLIC, "client-public", public)}
                {check(text::ADM_CLIENT_CONSENT, "client-consent", consent)}
                {check(text::ADM_CLIENT_STRICT, "client-strict", strict)}
                <p class="error banner" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
                <button type="submit" class="primary">{text::ADM_CLIENT_ADD()}</button>
            </form>
        </section>
    }
}

/// The client id and secret, shown once.
#[component]
fn Secret(name: String, created: CreatedOidcClient, on_close: Callback<()>) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    view! {
        <section class="issued" aria-labelledby="secret-heading">
            <h2 id="secret-heading" tabindex="-1" node_ref=heading>{name}</h2>
            <dl class="facts">
                <dt>{text::ADM_CLIENT_ID()}</dt><dd><output id="new-client-id">{created.client_id.clone()}</output></dd>
                {created.client_secret.clone().map(|s| view! {
                    <dt>{text::ADM_CLIENT_SECRET()}</dt><dd><output id="new-client-secret" class="client-secret">{s}</output></dd>
                })}
            </dl>
            {created.client_secret.is_some().then(|| view! { <p class="notice">{text::ADM_CLIENT_SECRET_ONCE()}</p> })}
            <button type="button" class="primary" on:click=move |_| on_close.run(())>{text::ADM_DONE()}</button>
        </section>
    }
}
