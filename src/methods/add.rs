//! The panels that add a method: passkey or security key (WebAuthn),
//! authenticator app (QR code and a first code), phone and email (a code
//! sent through the delivery channel).

use super::qr::QrSvg;
use super::webauthn;
use crate::api;
use crate::text;
use crate::time::local;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::validate::ValidationError;
use tapin_api::wire::{
    CodeFinish, CodeSent, EmailStart, MethodKind, PhoneChannel, PhoneStart, TotpFinish,
    WebauthnFinish,
};
use tapin_api::{normalize_code, normalize_email, normalize_method_name, normalize_phone};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Adding {
    Passkey,
    SecurityKey,
    Authenticator,
    Phone,
    Email,
}

/// A labelled input whose hint and error are tied to it for screen readers.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] node_ref: Option<NodeRef<leptos::html::Input>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let (hint_for_p, error_for_p) = (hint_id.clone(), error_id.clone());
    let described = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(hint_id.clone());
        }
        if error.with(Option::is_some) {
            ids.push(error_id.clone());
        }
        ids.join(" ")
    };
    let node_ref = node_ref.unwrap_or_default();
    let input = view! {
        <input id=id name=id type=kind node_ref=node_ref autocomplete=autocomplete inputmode=inputmode spellcheck="false"
            prop:value=move || value.get()
            aria-invalid=move || error.with(Option::is_some).to_string()
            aria-describedby=described
            on:input=move |ev| value.set(event_target_value(&ev))/>
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p id=hint_for_p class="hint">{h}</p> })}
            {input}
            <p id=error_for_p class="error" role="alert" hidden=move || error.with(Option::is_none)>{move || error.get()}</p>
        </div>
    }
}

fn field_error(e: ValidationError) -> Option<String> {
    Some(text::invalid_field(&e).to_string())
}

#[component]
pub fn AddPanel(
    adding: Adding,
    on_added: Callback<String>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let title = text::add_heading(adding);
    let body = match adding {
        Adding::Passkey => view! { <WebauthnForm kind=MethodKind::Passkey on_added/> }.into_any(),
        Adding::SecurityKey => {
            view! { <WebauthnForm kind=MethodKind::SecurityKey on_added/> }.into_any()
        }
        Adding::Authenticator => view! { <AuthenticatorForm on_added/> }.into_any(),
        Adding::Phone => view! { <PhoneForm on_added/> }.into_any(),
        Adding::Email => view! { <EmailForm on_added/> }.into_any(),
    };
    view! {
        <section class="panel" aria-labelledby="add-heading">
            <h2 id="add-heading" tabindex="-1" node_ref=heading>{title}</h2>
            {body}
            <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>{text::CANCEL()}</button>
        </section>
    }
}

#[component]
fn WebauthnForm(kind: MethodKind, on_added: Callback<String>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let name_error = Signal::derive(move || {
        touched
            .get()
            .then(|| {
                normalize_method_name(&name.get())
                    .err()
                    .and_then(field_error)
            })
            .flatten()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        failure.set(None);
        let Ok(name) = normalize_method_name(&name.get_untracked()) else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let result = async {
                let reg = api::start_webauthn(kind)
                    .await
                    .map_err(|f| text::method_failure(&f))?;
                let credential = webauthn::create(reg.options)
                    .await
                    .map_err(text::browser_refusal)?;
                api::finish_webauthn(WebauthnFinish {
                    id: reg.id,
                    name,
                    credential,
                })
                .await
                .map_err(|f| text::method_failure(&f))
            }
            .await;
            busy.set(false);
            match result {
                Ok(m) => on_added.run(text::added(&text::method_label(&m))),
                Err(message) => failure.set(Some(message)),
            }
        });
    };
    let intro = if kind == MethodKind::Passkey {
        text::PASSKEY_ADD_INTRO()
    } else {
        text::SECURITY_KEY_ADD_INTRO()
    };
    view! {
        <p>{intro}</p>
        <form on:submit=submit novalidate>
            <Field id="method-name" label=text::NAME_LABEL() hint=text::NAME_HINT() value=name error=name_error/>
            <div class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>{move || failure.get()}</div>
            <button type="submit" class="primary" disabled=move || busy.get()>
                {move || if busy.get() { text::WAITING_FOR_BROWSER() } else { text::CONTINUE() }}
            </button>
        </form>
    }
}

#[component]
fn AuthenticatorForm(on_added: Callback<String>) -> impl IntoView {
    let started = LocalResource::new(api::start_totp);
    let name = RwSignal::new(text::AUTHENTICATOR_DEFAULT_NAME().to_string());
    let code = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let name_error = Signal::derive(move || {
        touched
            .get()
            .then(|| {
                normalize_method_name(&name.get())
                    .err()
                    .and_then(field_error)
            })
            .flatten()
    });
    let code_error = Signal::derive(move || {
        touched
            .get()
            .then(|| normalize_code(&code.get()).err().and_then(field_error))
            .flatten()
    });
    view! {
        <Suspense fallback=|| view! { <p>{text::LOADING()}</p> }>
            {move || started.get().map(|result| match result {
                Err(f) => view! { <p class="error banner" role="alert">{text::method_failure(&f)}</p> }.into_any(),
                Ok(reg) => {
                    let id = reg.id.clone();
                    let submit = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        touched.set(true);
                        failure.set(None);
                        let (Ok(n), Ok(c)) = (normalize_method_name(&name.get_untracked()), normalize_code(&code.get_untracked())) else {
                            return;
                        };
                        let id = id.clone();
                        busy.set(true);
                        spawn_local(async move {
                            let result = api::finish_totp(TotpFinish { id, name: n, code: c }).await;
                            busy.set(false);
                            match result {
                                Ok(m) => on_added.run(text::added(&text::method_label(&m))),
                                Err(f) => failure.set(Some(text::method_failure(&f))),
                            }
                        });
                    };
                    let grouped = reg.secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
                    view! {
                        <ol class="steps">
                            <li>{text::AUTHENTICATOR_STEP_SCAN()}</li>
                        </ol>
                        <QrSvg text=reg.uri.clone() label=text::AUTHENTICATOR_QR_LABEL()/>
                        <details class="cant-scan">
                            <summary>{text::CANT_SCAN()}</summary>
                            <p>{text::CANT_SCAN_HELP()}</p>
                            <p class="secret"><code id="totp-secret" data-secret=reg.secret.clone()>{grouped}</code></p>
                        </details>
                        <form on:submit=submit novalidate>
                            <Field id="totp-code" label=text::CODE_LABEL() hint=text::AUTHENTICATOR_CODE_HINT() value=code error=code_error autocomplete="one-time-code" inputmode="numeric"/>
                            <Field id="method-name" label=text::NAME_LABEL() hint=text::NAME_HINT() value=name error=name_error/>
                            <div class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>{move || failure.get()}</div>
                            <button type="submit" class="primary" disabled=move || busy.get()>{text::VERIFY()}</button>
                        </form>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// The second half of phone and email: type the code that was sent.
#[component]
fn CodeForm(sent: CodeSent, on_added: Callback<String>, on_restart: Callback<()>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let code_error = Signal::derive(move || {
        touched
            .get()
            .then(|| normalize_code(&code.get()).err().and_then(field_error))
            .flatten()
    });
    let id = sent.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        failure.set(None);
        let Ok(c) = normalize_code(&code.get_untracked()) else {
            return;
        };
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            let result = api::verify_code(CodeFinish { id, code: c }).await;
            busy.set(false);
            match result {
                Ok(m) => on_added.run(text::added(&text::method_label(&m))),
                Err(f) => failure.set(Some(text::method_failure(&f))),
            }
        });
    };
    view! {
        <p role="status">{text::code_sent(&sent.sent_to, &local(sent.expires_at))}</p>
        <form on:submit=submit novalidate>
            <Field id="sent-code" label=text::CODE_LABEL() value=code error=code_error autocomplete="one-time-code" inputmode="numeric" node_ref=input/>
            <div class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>{move || failure.get()}</div>
            <button type="submit" class="primary" disabled=move || busy.get()>{text::VERIFY()}</button>
            <button type="button" class="link" on:click=move |_| on_restart.run(())>{text::SEND_NEW_CODE()}</button>
        </form>
    }
}

#[component]
fn PhoneForm(on_added: Callback<String>) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let kind = RwSignal::new(MethodKind::Phone);
    let channel = RwSignal::new(PhoneChannel::Text);
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<CodeSent>);
    let number_error = Signal::derive(move || {
        touched
            .get()
            .then(|| normalize_phone(&number.get()).err().and_then(field_error))
            .flatten()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        failure.set(None);
        let Ok(n) = normalize_phone(&number.get_untracked()) else {
            return;
        };
        busy.set(true);
        let start = PhoneStart {
            kind: kind.get_untracked(),
            number: n,
            channel: channel.get_untracked(),
        };
        spawn_local(async move {
            let result = api::start_phone(start).await;
            busy.set(false);
            match result {
                Ok(s) => sent.set(Some(s)),
                Err(f) => failure.set(Some(text::method_failure(&f))),
            }
        });
    };
    let restart = Callback::new(move |_| sent.set(None));
    move || {
        match sent.get() {
        Some(s) => view! { <CodeForm sent=s on_added on_restart=restart/> }.into_any(),
        None => view! {
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="phone-kind">{text::PHONE_KIND_LABEL()}</label>
                    <select id="phone-kind" on:change=move |ev| {
                        if let Some(k) = MethodKind::parse(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {[MethodKind::Phone, MethodKind::AlternatePhone, MethodKind::OfficePhone].into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{text::kind_name(k)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <Field id="phone-number" label=text::PHONE_LABEL() hint=text::PHONE_HINT() value=number error=number_error kind="tel" autocomplete="tel" inputmode="tel"/>
                <fieldset class="choices">
                    <legend>{text::PHONE_CHANNEL_LEGEND()}</legend>
                    <label><input type="radio" name="channel" value="text" prop:checked=move || channel.get() == PhoneChannel::Text on:change=move |_| channel.set(PhoneChannel::Text)/> {text::PHONE_TEXT()}</label>
                    <label><input type="radio" name="channel" value="call" prop:checked=move || channel.get() == PhoneChannel::Call on:change=move |_| channel.set(PhoneChannel::Call)/> {text::PHONE_CALL()}</label>
                </fieldset>
                <div class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>{move || failure.get()}</div>
                <button type="submit" class="primary" disabled=move || busy.get()>{text::SEND_CODE()}</button>
            </form>
        }.into_any(),
    }
    }
}

#[component]
fn EmailForm(on_added: Callback<String>) -> impl IntoView {
    let address = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<CodeSent>);
    let address_error = Signal::derive(move || {
        touched
            .get()
            .then(|| normalize_email(&address.get()).err().and_then(field_error))
            .flatten()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        failure.set(None);
        let Ok(a) = normalize_email(&address.get_untracked()) else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let result = api::start_email(EmailStart { address: a }).await;
            busy.set(false);
            match result {
                Ok(s) => sent.set(Some(s)),
                Err(f) => failure.set(Some(text::method_failure(&f))),
            }
        });
    };
    let restart = Callback::new(move |_| sent.set(None));
    move || {
        match sent.get() {
        Some(s) => view! { <CodeForm sent=s on_added on_restart=restart/> }.into_any(),
        None => view! {
            <form on:submit=submit novalidate>
                <Field id="email-address" label=text::EMAIL_LABEL() hint=text::EMAIL_HINT() value=address error=address_error kind="email" autocomplete="email" inputmode="email"/>
                <div class="error banner" role="alert" hidden=move || failure.with(Option::is_none)>{move || failure.get()}</div>
                <button type="submit" class="primary" disabled=move || busy.get()>{text::SEND_CODE()}</button>
            </form>
        }.into_any(),
    }
    }
}
