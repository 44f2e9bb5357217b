//! The panels that add a method: passkey or security key (WebAuthn),
//! authenticator app (QR code and a first code), phone and email (a code
//! sent through the delivery channel).

pub use super::kinds::Adding;
use crate::api;
use crate::text;
use crate::time::local;
use crate::widgets::qr::QrSvg;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;
use tapin_api::validate::ValidationError;
use tapin_api::wire::{
    CodeFinish, CodeSent, EmailStart, Method, MethodKind, PhoneChannel, PhoneStart, TotpFinish,
    WebauthnFinish,
};
use tapin_api::{normalize_code, normalize_email, normalize_method_name, normalize_phone};

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

/// What every add-method form keeps: whether the user has tried to submit
/// (fields explain themselves from then on), a request in flight, and the
/// last failure, shown in the form's banner.
#[derive(Clone, Copy)]
struct FormState {
    touched: RwSignal<bool>,
    busy: RwSignal<bool>,
    failure: RwSignal<Option<String>>,
}

impl FormState {
    fn new() -> Self {
        Self {
            touched: RwSignal::new(false),
            busy: RwSignal::new(false),
            failure: RwSignal::new(None),
        }
    }

    /// The field's message, once the user has tried to submit.
    fn error_of<T: 'static>(
        self,
        value: RwSignal<String>,
        rule: fn(&str) -> Result<T, ValidationError>,
    ) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.touched
                .get()
                .then(|| rule(&value.get()).err())
                .flatten()
                .map(|e| text::invalid_field(&e).to_string())
        })
    }

    /// A submission starts: fields may now explain themselves, the old failure goes.
    fn begin(self) {
        self.touched.set(true);
        self.failure.set(None);
    }

    /// Runs `work`; on success hands its value to `done`, on failure shows the message.
    fn run<T: 'static>(
        self,
        work: impl Future<Output = Result<T, String>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        self.busy.set(true);
        spawn_local(async move {
            let result = work.await;
            self.busy.set(false);
            match result {
                Ok(value) => done(value),
                Err(message) => self.failure.set(Some(message)),
            }
        });
    }

    fn banner(self) -> impl IntoView {
        view! {
            <div class="error banner" role="alert" hidden=move || self.failure.with(Option::is_none)>
                {move || self.failure.get()}
            </div>
        }
    }
}

/// Tells the security-info page which method was added.
fn announce(on_added: Callback<String>) -> impl FnOnce(Method) {
    move |m| on_added.run(text::added(&text::method_label(&m)))
}

fn failure_text(f: api::Failure) -> String {
    text::method_failure(&f)
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
    let form = FormState::new();
    let name_error = form.error_of(name, normalize_method_name);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.begin();
        let Ok(name) = normalize_method_name(&name.get_untracked()) else {
            return;
        };
        let work = async move {
            let reg = api::start_webauthn(kind).await.map_err(failure_text)?;
            let credential = crate::widgets::webauthn::create(reg.options)
                .await
                .map_err(text::browser_refusal)?;
            api::finish_webauthn(WebauthnFinish {
                id: reg.id,
                name,
                credential,
            })
            .await
            .map_err(failure_text)
        };
        form.run(work, announce(on_added));
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
            {form.banner()}
            <button type="submit" class="primary" disabled=move || form.busy.get()>
                {move || if form.busy.get() { text::WAITING_FOR_BROWSER() } else { text::CONTINUE() }}
            </button>
        </form>
    }
}

#[component]
fn AuthenticatorForm(on_added: Callback<String>) -> impl IntoView {
    let started = LocalResource::new(api::start_totp);
    let name = RwSignal::new(text::AUTHENTICATOR_DEFAULT_NAME().to_string());
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let name_error = form.error_of(name, normalize_method_name);
    let code_error = form.error_of(code, normalize_code);
    view! {
        <Suspense fallback=|| view! { <p>{text::LOADING()}</p> }>
            {move || started.get().map(|result| match result {
                Err(f) => view! { <p class="error banner" role="alert">{text::method_failure(&f)}</p> }.into_any(),
                Ok(reg) => {
                    let id = reg.id.clone();
                    let submit = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        form.begin();
                        let (Ok(name), Ok(code)) = (normalize_method_name(&name.get_untracked()), normalize_code(&code.get_untracked())) else {
                            return;
                        };
                        let finish = TotpFinish { id: id.clone(), name, code };
                        form.run(async move { api::finish_totp(finish).await.map_err(failure_text) }, announce(on_added));
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
                            {form.banner()}
                            <button type="submit" class="primary" disabled=move || form.busy.get()>{text::VERIFY()}</button>
                        </form>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Phone and email: the form that sends a code, then the one that takes it.
#[component]
fn SendThenVerify(
    sent: RwSignal<Option<CodeSent>>,
    on_added: Callback<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let restart = Callback::new(move |_| sent.set(None));
    move || match sent.get() {
        Some(s) => view! { <CodeForm sent=s on_added on_restart=restart/> }.into_any(),
        None => children().into_any(),
    }
}

/// The second half of phone and email: type the code that was sent.
#[component]
fn CodeForm(sent: CodeSent, on_added: Callback<String>, on_restart: Callback<()>) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(i) = input.get() {
            let _ = i.focus();
        }
    });
    let code_error = form.error_of(code, normalize_code);
    let id = sent.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.begin();
        let Ok(code) = normalize_code(&code.get_untracked()) else {
            return;
        };
        let finish = CodeFinish {
            id: id.clone(),
            code,
        };
        form.run(
            async move { api::verify_code(finish).await.map_err(failure_text) },
            announce(on_added),
        );
    };
    view! {
        <p role="status">{text::code_sent(&sent.sent_to, &local(sent.expires_at))}</p>
        <form on:submit=submit novalidate>
            <Field id="sent-code" label=text::CODE_LABEL() value=code error=code_error autocomplete="one-time-code" inputmode="numeric" node_ref=input/>
            {form.banner()}
            <button type="submit" class="primary" disabled=move || form.busy.get()>{text::VERIFY()}</button>
            <button type="button" class="link" on:click=move |_| on_restart.run(())>{text::SEND_NEW_CODE()}</button>
        </form>
    }
}

#[component]
fn PhoneForm(on_added: Callback<String>) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let kind = RwSignal::new(MethodKind::Phone);
    let channel = RwSignal::new(PhoneChannel::Text);
    let form = FormState::new();
    let sent = RwSignal::new(None::<CodeSent>);
    let number_error = form.error_of(number, normalize_phone);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.begin();
        let Ok(number) = normalize_phone(&number.get_untracked()) else {
            return;
        };
        let start = PhoneStart {
            kind: kind.get_untracked(),
            number,
            channel: channel.get_untracked(),
        };
        form.run(
            async move { api::start_phone(start).await.map_err(failure_text) },
            move |s| sent.set(Some(s)),
        );
    };
    view! {
        <SendThenVerify sent on_added>
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
                {form.banner()}
                <button type="submit" class="primary" disabled=move || form.busy.get()>{text::SEND_CODE()}</button>
            </form>
        </SendThenVerify>
    }
}

#[component]
fn EmailForm(on_added: Callback<String>) -> impl IntoView {
    let address = RwSignal::new(String::new());
    let form = FormState::new();
    let sent = RwSignal::new(None::<CodeSent>);
    let address_error = form.error_of(address, normalize_email);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.begin();
        let Ok(address) = normalize_email(&address.get_untracked()) else {
            return;
        };
        form.run(
            async move {
                api::start_email(EmailStart { address })
                    .await
                    .map_err(failure_text)
            },
            move |s| sent.set(Some(s)),
        );
    };
    view! {
        <SendThenVerify sent on_added>
            <form on:submit=submit novalidate>
                <Field id="email-address" label=text::EMAIL_LABEL() hint=text::EMAIL_HINT() value=address error=address_error kind="email" autocomplete="email" inputmode="email"/>
                {form.banner()}
                <button type="submit" class="primary" disabled=move || form.busy.get()>{text::SEND_CODE()}</button>
            </form>
        </SendThenVerify>
    }
}
