//! The app's three routes on the browser's history: a few lines of
//! pushState and popstate instead of a general router, to keep the first
//! load small. The back button works because every step is a history entry.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

#[derive(Clone, Copy)]
pub struct Nav(RwSignal<String>);

fn current_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".into())
}

impl Nav {
    pub fn provide() -> Self {
        let nav = Self(RwSignal::new(current_path()));
        let handle = window_event_listener(ev::popstate, move |_| nav.0.set(current_path()));
        on_cleanup(move || handle.remove());
        provide_context(nav);
        nav
    }

    /// The current path, tracked.
    pub fn path(self) -> String {
        self.0.get()
    }

    /// The current path, untracked.
    pub fn path_untracked(self) -> String {
        self.0.get_untracked()
    }

    /// Goes to `to`, adding a history entry.
    pub fn go(self, to: &str) {
        if let Ok(history) = window().history() {
            let _ = history.push_state_with_url(&JsValue::NULL, "", Some(to));
        }
        self.0.set(to.to_string());
    }

    /// Goes to `to` in place of the current entry (for redirects).
    pub fn replace(self, to: &str) {
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(to));
        }
        self.0.set(to.to_string());
    }
}

/// Goes to a page of the other bundle: a real page load.
pub fn leave(to: &str) {
    let _ = window().location().assign(to);
}

pub fn use_nav() -> Nav {
    expect_context::<Nav>()
}

/// A link that moves within the app without reloading it; modified clicks
/// (new tab, new window) keep the browser's own behaviour.
#[component]
pub fn Link(
    href: &'static str,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    let nav = use_nav();
    let click = move |e: ev::MouseEvent| {
        if !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key()) && e.button() == 0 {
            e.prevent_default();
            nav.go(href);
        }
    };
    view! { <a href=href class=class on:click=click>{children()}</a> }
}
