//! The second bundle: security info (listing, adding and managing methods)
//! and signing in with a passkey.

pub mod add;
pub mod kinds;
mod list;
mod passkey;
mod recovery;
mod security_info;

use crate::later::{Fetch, Part};
use crate::shell::{mount, Frame};
use crate::text;
use add::Adding;
use leptos::prelude::*;

/// The parts of security info split into modules of their own, from the
/// bin's split points (`crate::later`).
#[derive(Clone, Copy)]
pub struct Parts {
    /// The add-method panel and its forms.
    pub add_panel: fn(Adding, Callback<String>, Callback<()>) -> Part,
    pub fetch_add_panel: Fetch,
}

pub fn start(parts: Parts) {
    mount(move || {
        provide_context(parts);
        view! { <Frame><Routes/></Frame> }
    });
}

#[component]
fn Routes() -> impl IntoView {
    let nav = crate::nav::use_nav();
    move || match nav.path().as_str() {
        "/security-info" => view! { <security_info::SecurityInfo/> }.into_any(),
        "/passkey" => view! { <passkey::PasskeySignIn/> }.into_any(),
        _ => view! { <h1>{text::NOT_FOUND()}</h1> <a href="/">{text::START_OVER()}</a> }.into_any(),
    }
}
