//! What both bundles share: the frame around every step, the progress
//! indicator, the account name carried between steps, focus handling.

use crate::nav::Nav;
use crate::text;
use leptos::prelude::*;

/// The account name typed in the first step, kept for the next one (and
/// across a reload of it) in this tab's session storage.
#[derive(Clone, Copy)]
pub struct Account(pub RwSignal<String>);

const ACCOUNT_KEY: &str = "tapin.upn";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Account {
    pub fn remember(self, upn: String) {
        if let Some(s) = storage() {
            let _ = s.set_item(ACCOUNT_KEY, &upn);
        }
        self.0.set(upn);
    }
}

/// What the pre-rendered account step held when the app took over: the
/// account name typed so far, whether its field had the focus, and whether
/// "Next" was already pressed.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Takeover {
    pub upn: String,
    pub focused: bool,
    pub continued: bool,
}

thread_local! {
    static TAKEOVER: std::cell::RefCell<Option<Takeover>> = const { std::cell::RefCell::new(None) };
}

/// The pre-rendered step's state, once (the first step to ask gets it).
pub fn take_takeover() -> Option<Takeover> {
    TAKEOVER.with(|t| t.borrow_mut().take())
}

fn read_takeover(doc: &web_sys::Document) -> Option<Takeover> {
    use wasm_bindgen::JsCast;
    let input = doc
        .get_element_by_id("upn")?
        .dyn_into::<web_sys::HtmlInputElement>()
        .ok()?;
    let focused = doc.active_element().is_some_and(|a| a.id() == "upn");
    let continued = doc
        .get_element_by_id("boot-form")
        .is_some_and(|f| f.has_attribute("data-continue"));
    Some(Takeover {
        upn: input.value(),
        focused,
        continued,
    })
}

/// Takes the page over from the pre-rendered account step or the static
/// "loading" note (which, if WebAssembly is blocked, explains why) and
/// mounts `app`, in one go so nothing flickers.
pub fn mount<V: IntoView + 'static>(app: impl FnOnce() -> V + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        crate::i18n::init().await;
        let doc = document();
        let takeover = read_takeover(&doc);
        TAKEOVER.with(|t| *t.borrow_mut() = takeover);
        for id in ["boot-header", "boot"] {
            if let Some(el) = doc.get_element_by_id(id) {
                el.remove();
            }
        }
        leptos::mount::mount_to_body(app);
    });
}

/// The header, the progress indicator and the step's card, with the
/// remembered account name and navigation provided to every step.
#[component]
pub fn Frame(children: ChildrenFn) -> impl IntoView {
    let saved = storage()
        .and_then(|s| s.get_item(ACCOUNT_KEY).ok().flatten())
        .unwrap_or_default();
    provide_context(Account(RwSignal::new(saved)));
    Nav::provide();
    view! {
        <header class="top">
            <span class="brand">{text::APP_NAME()}</span>
            <LanguageLinks/>
        </header>
        <main class="card">
            <Progress/>
            {children()}
        </main>
    }
}

/// The languages, each a link that reloads the page in it.
#[component]
pub fn LanguageLinks() -> impl IntoView {
    view! {
        <nav class="languages" aria-label=text::LANGUAGE()>
            {[("en", text::LANG_EN()), ("de", text::LANG_DE()), ("ar", text::LANG_AR())]
                .into_iter()
                .map(|(code, name)| {
                    let current = crate::i18n::lang() == code;
                    view! {
                        <a href=format!("?lng={code}") lang=code hreflang=code
                            aria-current=current.then_some("true")>{name}</a>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[component]
fn Progress() -> impl IntoView {
    let nav = crate::nav::use_nav();
    let current = move || match nav.path().as_str() {
        "/pass" | "/passkey" => 1,
        "/security-info" => 2,
        _ => 0,
    };
    // Someone who came to sign in with a passkey never sees a pass step.
    let second = if nav.path_untracked() == "/passkey" {
        text::STEP_PASSKEY()
    } else {
        text::STEP_PASS()
    };
    let steps = [text::STEP_ACCOUNT(), second, text::STEP_SECURITY_INFO()];
    view! {
        <nav aria-label=text::PROGRESS()>
            <ol class="progress">
                {steps
                    .into_iter()
                    .enumerate()
                    .map(|(i, label)| {
                        view! {
                            <li
                                class:done=move || i < current()
                                class:current=move || i == current()
                                aria-current=move || (i == current()).then_some("step")
                            >
                                {label}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </nav>
    }
}

/// Moves focus to a step's heading when it appears, so screen readers start there.
pub fn focus_on_mount(heading: NodeRef<leptos::html::H1>) {
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
}
