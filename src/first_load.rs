//! The first-load bundle: the account step and the pass step.

use crate::nav::Link;
use crate::pages::{account::AccountStep, pass::PassStep};
use crate::shell::{mount, Frame};
use crate::text;
use leptos::prelude::*;

pub fn start() {
    mount(|| view! { <Frame><Routes/></Frame> });
}

#[component]
fn Routes() -> impl IntoView {
    let nav = crate::nav::use_nav();
    move || match nav.path().as_str() {
        "/" => view! { <AccountStep/> }.into_any(),
        "/pass" => view! { <PassStep/> }.into_any(),
        _ => view! { <h1>{text::NOT_FOUND()}</h1> <Link href="/">{text::START_OVER()}</Link> }
            .into_any(),
    }
}
