//! The fourth bundle: signing in to another application (OpenID Connect).
//! The account first, then the strongest way it has: a passkey or security
//! key, an authenticator-app code, or a Temporary Access Pass; "use another
//! way" lists the rest. The server decides; an unknown account is offered
//! ways like any other and fails the same way.

mod api;
mod autofill;
mod device;
mod text;

use crate::api::Failure;
use crate::later::{later, preload, Fetch, Part};
use crate::shell::{focus_on_mount, mount};
use crate::text as common;
use crate::widgets::webauthn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::wire::{AuthorizationRequestInfo, ErrorCode, PasskeySignIn, SignInChoice};
use tapin_api::{normalize_pass, normalize_upn};

/// The parts of the sign-in page split into modules of their own, from
/// the bin's split points (`crate::later`): the first view is the account
/// step.
#[derive(Clone, Copy)]
pub struct Parts {
    /// The form of one way to sign in ([`WayForm`]).
    pub way: fn(
        SignInChoice,
        RwSignal<String>,
        RwSignal<Option<String>>,
        RwSignal<bool>,
        Callback<()>,
    ) -> Part,
    pub fetch_way: Fetch,
    /// The device page (`/device`, RFC 8628's code entry).
    pub device: fn() -> Part,
}

pub fn start(parts: Parts) {
    mount(move || {
        provide_context(parts);
        view! { <SignIn/> }
    });
}

/// The form of one way to sign in.
#[component]
pub fn WayForm(
    way: SignInChoice,
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: Callback<()>,
) -> impl IntoView {
    let done = move || done.run(());
    match way {
        SignInChoice::Webauthn => view! { <Webauthn upn error busy done/> }.into_any(),
        SignInChoice::AuthenticatorApp => view! { <Code upn error busy done/> }.into_any(),
        SignInChoice::Pass => view! { <Pass upn error busy done/> }.into_any(),
        // A recovery code means something was lost: security info first.
        SignInChoice::RecoveryCode => view! { <Recovery upn error busy/> }.into_any(),
        SignInChoice::Text | SignInChoice::Call | SignInChoice::Email => {
            view! { <Sent way upn error busy done/> }.into_any()
        }
    }
}

pub use device::Device;

/// The waiting request's id, from `?request=`.
fn request_id() -> Option<String> {
    let search = leptos::prelude::window().location().search().ok()?;
    url_param(&search, "request")
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn url_param(search: &str, name: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        pair.strip_prefix(name)?
            .strip_prefix('=')
            .map(str::to_string)
    })
}

/// Back to the server (a POST, in this browser), which says where the
/// browser goes on: to the application. A request that can no longer go on
/// reloads this page, which then says so.
fn continue_to_app(id: &str, consent: Option<bool>) {
    let id = id.to_string();
    leptos::task::spawn_local(async move {
        match api::continue_request(id.clone(), consent).await {
            Ok(next) => crate::nav::leave(&next.redirect_to),
            Err(_) => crate::nav::leave(&format!("/signin?request={id}")),
        }
    });
}

#[component]
fn SignIn() -> impl IntoView {
    let path = leptos::prelude::window()
        .location()
        .pathname()
        .unwrap_or_default();
    if path == "/device" {
        return later(expect_context::<Parts>().device).into_any();
    }
    let Some(id) = request_id() else {
        return view! { <Header id=None/> <main class="card"><NoRequest/></main> }.into_any();
    };
    let lookup = id.clone();
    let info = LocalResource::new(move || {
        let id = lookup.clone();
        async move { api::request(&id).await }
    });
    let id = StoredValue::new(id);
    view! {
        <Suspense fallback=|| view! { <main class="card"><p>{common::LOADING()}</p></main> }>
            {move || info.get().map(|result| match result {
                Err(_) => view! { <Header id=Some(id.get_value())/> <main class="card"><NoRequest/></main> }.into_any(),
                Ok(info) if info.ready && !info.consent => {
                    continue_to_app(&id.get_value(), None);
                    view! { <main class="card"><p role="status">{text::SGN_CONTINUING()}</p></main> }.into_any()
                }
                Ok(info) => view! {
                    <Header id=Some(id.get_value())/>
                    <main class="card"><Flow id=id.get_value() info/></main>
                }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
pub(crate) fn Header(id: Option<String>) -> impl IntoView {
    let keep = id.map(|id| format!("request={id}&")).unwrap_or_default();
    view! {
        <header class="top">
            <span class="brand">{common::APP_NAME()}</span>
            <nav class="languages" aria-label=common::LANGUAGE()>
                {[("en", common::LANG_EN()), ("de", common::LANG_DE()), ("ar", common::LANG_AR())]
                    .into_iter()
                    .map(|(code, name)| {
                        let current = crate::i18n::lang() == code;
                        view! {
                            <a href=format!("?{keep}lng={code}") lang=code hreflang=code
                                aria-current=current.then_some("true")>{name}</a>
                        }
                    })
                    .collect_view()}
            </nav>
        </header>
    }
}

#[component]
fn NoRequest() -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::SGN_HEADING()}</h1>
        <p role="alert">{text::SGN_NO_REQUEST()}</p>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Account,
    Way(SignInChoice),
    Consent,
}

fn way_name(way: SignInChoice) -> &'static str {
    match way {
        SignInChoice::Webauthn => text::SGN_WAY_WEBAUTHN(),
        SignInChoice::AuthenticatorApp => text::SGN_WAY_CODE(),
        SignInChoice::Pass => text::SGN_WAY_PASS(),
        SignInChoice::RecoveryCode => text::SGN_WAY_RECOVERY(),
        SignInChoice::Text => text::SGN_WAY_TEXT(),
        SignInChoice::Call => text::SGN_WAY_CALL(),
        SignInChoice::Email => text::SGN_WAY_EMAIL(),
    }
}

#[component]
fn Flow(id: String, info: AuthorizationRequestInfo) -> impl IntoView {
    // Already signed in well enough: only the consent is left to ask.
    let step = RwSignal::new(if info.ready {
        Step::Consent
    } else {
        Step::Account
    });
    let upn = RwSignal::new(String::new());
    let ways = RwSignal::new(Vec::<SignInChoice>::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let id = StoredValue::new(id);
    let app = StoredValue::new(info.client_name.clone());
    let consent = info.consent;
    let strict = info.phishing_resistant;
    let device = info.device;
    let signed_in = move || {
        if consent {
            step.set(Step::Consent);
        } else {
            continue_to_app(&id.get_value(), None);
        }
    };
    let done = Callback::new(move |()| signed_in());
    let parts = expect_context::<Parts>();
    // While the account is typed: the ways' forms, asked for next.
    preload(parts.fetch_way);
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_on_mount(heading);
    let choose = move |way: SignInChoice| {
        error.set(None);
        step.set(Step::Way(way));
    };
    view! {
        <h1 tabindex="-1" node_ref=heading>{text::SGN_HEADING()}</h1>
        <p class="who">{text::to_app(&app.get_value())}</p>
        <div id="signin-error" class="error banner" role="alert" hidden=move || error.with(Option::is_none)>
            {move || error.get()}
        </div>
        {move || match step.get() {
            Step::Account => view! { <AccountForm upn ways step error busy strict done=signed_in/> }.into_any(),
            Step::Way(way) => view! {
                <p class="who">
                    {common::PASS_SIGNING_IN_AS()} " " <strong>{move || upn.get()}</strong> " "
                    <button type="button" class="link" on:click=move |_| { error.set(None); step.set(Step::Account) }>
                        {common::PASS_CHANGE_ACCOUNT()}
                    </button>
                </p>
                {later(move || (parts.way)(way, upn, error, busy, done))}
                <Show when=move || { ways.with(|w| w.len() > 1) }>
                    <h2>{text::SGN_OTHER_WAYS()}</h2>
                    <ul class="ways">
                        {move || ways.get().into_iter().filter(|w| *w != way).map(|w| view! {
                            <li><button type="button" class="link" on:click=move |_| choose(w)>{way_name(w)}</button></li>
                        }).collect_view()}
                    </ul>
                </Show>
            }.into_any(),
            Step::Consent => view! {
                <p>{if device { text::device_consent(&app.get_value()) } else { text::consent(&app.get_value()) }}</p>
                <div class="actions">
                    <button type="button" class="primary" on:click=move |_| continue_to_app(&id.get_value(), Some(true))>
                        {if device { text::SGN_DEVICE_ALLOW() } else { text::SGN_CONSENT_ALLOW() }}
                    </button>
                    <button type="button" on:click=move |_| continue_to_app(&id.get_value(), Some(false))>
                        {if device { text::SGN_DEVICE_DENY() } else { text::SGN_CONSENT_DENY() }}
                    </button>
                </div>
            }.into_any(),
        }}
    }
}

#[component]
fn AccountForm(
    upn: RwSignal<String>,
    ways: RwSignal<Vec<SignInChoice>>,
    step: RwSignal<Step>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    /// The application takes only a passkey or security key.
    strict: bool,
    done: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let value = RwSignal::new(upn.get_untracked());
    let field_error = RwSignal::new(None::<&'static str>);
    // Aborted when the account step gives way to the next (its cleanup).
    autofill::offer(error, done);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let account = match normalize_upn(&value.get_untracked()) {
            Ok(a) => a,
            Err(e) => {
                field_error.set(Some(common::invalid_field(&e)));
                return;
            }
        };
        field_error.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = api::options(account.clone()).await;
            busy.set(false);
            match result {
                Ok(options) => {
                    let mut offered = options.methods;
                    if strict {
                        offered.retain(|w| *w == SignInChoice::Webauthn);
                        if offered.is_empty() {
                            error.set(Some(text::SGN_NEEDS_KEY().to_string()));
                            return;
                        }
                    }
                    let first = offered.first().copied().unwrap_or(SignInChoice::Pass);
                    upn.set(account);
                    ways.set(offered);
                    step.set(Step::Way(first));
                }
                Err(f) => error.set(Some(common::sign_in_failure(&f))),
            }
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="upn">{common::ACCOUNT_LABEL()}</label>
                <p id="upn-hint" class="hint">{common::ACCOUNT_HINT()}</p>
                <input id="upn" name="upn" type="email" autocomplete="username webauthn" spellcheck="false" required
                    prop:value=move || value.get()
                    aria-invalid=move || field_error.with(Option::is_some).to_string()
                    aria-describedby=move || if field_error.with(Option::is_some) { "upn-hint upn-error" } else { "upn-hint" }
                    on:input=move |ev| value.set(event_target_value(&ev))/>
                <p id="upn-error" class="error" role="alert" hidden=move || field_error.with(Option::is_none)>{move || field_error.get()}</p>
            </div>
            <button type="submit" class="primary" disabled=move || busy.get()>{common::NEXT()}</button>
        </form>
    }
}

#[component]
fn Webauthn(
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let go = move |_| {
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let challenge = api::start_webauthn(upn.get_untracked())
                    .await
                    .map_err(|f| common::method_failure(&f))?;
                let credential = webauthn::get_credential(challenge.options)
                    .await
                    .map_err(common::browser_refusal)?;
                api::finish_webauthn(PasskeySignIn {
                    id: challenge.id,
                    credential,
                })
                .await
                .map_err(|f: Failure| common::method_failure(&f))
            }
            .await;
            busy.set(false);
            match result {
                Ok(_) => done(),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    view! {
        <p>{text::SGN_WEBAUTHN_INTRO()}</p>
        <button type="button" class="primary" disabled=move || busy.get() on:click=go>
            {move || if busy.get() { common::PASSKEY_WAITING() } else { text::SGN_WEBAUTHN_USE() }}
        </button>
    }
}

/// Sends one sign-in and words what went wrong; `done` on success.
fn attempt<F>(
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    call: F,
    done: impl Fn() + 'static,
) where
    F: std::future::Future<Output = Result<tapin_api::wire::SessionInfo, Failure>> + 'static,
{
    busy.set(true);
    spawn_local(async move {
        let result = call.await;
        busy.set(false);
        match result {
            Ok(_) => done(),
            Err(Failure::Api(body)) if body.code == ErrorCode::CodeInvalid => {
                error.set(Some(text::SGN_CODE_WRONG().to_string()))
            }
            Err(f) => error.set(Some(common::sign_in_failure(&f))),
        }
    });
}

/// One field and the sign-in button: the code, pass and recovery-code steps.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    inputmode: &'static str,
    busy: RwSignal<bool>,
    submit: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let hint_id = format!("{id}-hint");
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit(value.get_untracked());
    };
    view! {
        <form on:submit=on_submit novalidate>
            <div class="field">
                <label for=id>{label}</label>
                <p id=hint_id.clone() class="hint">{hint}</p>
                <input id=id name=id type="text" class="code" inputmode=inputmode autocomplete="one-time-code"
                    autocapitalize="characters" spellcheck="false" aria-describedby=hint_id required
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </div>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { common::SIGNING_IN() } else { common::SIGN_IN() }}
            </button>
        </form>
    }
}

#[component]
fn Code(
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let submit = move |typed: String| {
        error.set(None);
        let code: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            error.set(Some(text::SGN_CODE_SHAPE().to_string()));
            return;
        }
        attempt(busy, error, api::code(upn.get_untracked(), code), done);
    };
    view! { <Field id="code" label=text::SGN_CODE_LABEL() hint=text::SGN_CODE_HINT() inputmode="numeric" busy submit/> }
}

#[component]
fn Pass(
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let submit = move |typed: String| {
        error.set(None);
        match normalize_pass(&typed) {
            Ok(pass) => attempt(
                busy,
                error,
                crate::api::sign_in_with_pass(upn.get_untracked(), pass),
                done,
            ),
            Err(e) => error.set(Some(common::invalid_field(&e).to_string())),
        }
    };
    view! { <Field id="pass" label=common::PASS_LABEL() hint=common::PASS_HINT() inputmode="text" busy submit/> }
}

/// A recovery code means something was lost: security info comes first.
#[component]
fn Recovery(
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let submit = move |typed: String| {
        error.set(None);
        let to_security_info = || crate::nav::leave("/security-info");
        attempt(
            busy,
            error,
            api::recovery(upn.get_untracked(), typed),
            to_security_info,
        );
    };
    view! { <Field id="recovery" label=text::SGN_RECOVERY_LABEL() hint=text::SGN_RECOVERY_HINT() inputmode="text" busy submit/> }
}

/// A code sent by text, call or email: sent when asked, then typed.
#[component]
fn Sent(
    way: SignInChoice,
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let sent = RwSignal::new(None::<tapin_api::wire::CodeSent>);
    let send = move |_| {
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let result = api::send(upn.get_untracked(), way).await;
            busy.set(false);
            match result {
                Ok(s) => sent.set(Some(s)),
                Err(f) => error.set(Some(common::method_failure(&f))),
            }
        });
    };
    let submit = move |typed: String| {
        error.set(None);
        let Some(id) = sent.with_untracked(|s| s.as_ref().map(|s| s.id.clone())) else {
            return;
        };
        let code: String = typed.chars().filter(char::is_ascii_digit).collect();
        busy.set(true);
        spawn_local(async move {
            let result = api::sent(upn.get_untracked(), id, code).await;
            busy.set(false);
            match result {
                Ok(_) => done(),
                Err(f) => error.set(Some(common::method_failure(&f))),
            }
        });
    };
    view! {
        <button type="button" class="primary" hidden=move || sent.with(Option::is_some)
            disabled=move || busy.get() on:click=send>{text::SGN_SEND()}</button>
        <div hidden=move || sent.with(Option::is_none)>
            <p role="status">{move || sent.get().map(|s| text::sent_to(&s.sent_to))}</p>
            <Field id="sent" label=text::SGN_SENT_LABEL() hint=text::SGN_SENT_HINT() inputmode="numeric" busy submit/>
        </div>
    }
}
