//! Signing in to other applications (OpenID Connect), at /signin, and the
//! device page at /device. The account step is in this bundle; the forms of
//! the ways to sign in and the device page are modules of their own
//! (`tapin_app::later`), the ways' fetched while the account is typed.

use leptos::prelude::*;
use tapin_api::wire::SignInChoice;
use tapin_app::later::{wasm_split, NotLoaded};
use tapin_app::signin::{self, Parts};

#[wasm_split(way_form, wasm_split_path = ::leptos::wasm_split, fallible, preload(fetch_way_form))]
fn way_form(
    way: SignInChoice,
    upn: RwSignal<String>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    done: Callback<()>,
) -> Result<AnyView, NotLoaded> {
    Ok(view! { <signin::WayForm way upn error busy done/> }.into_any())
}

#[wasm_split(device_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn device_page() -> Result<AnyView, NotLoaded> {
    Ok(view! { <signin::Device/> }.into_any())
}

fn main() {
    signin::start(Parts {
        way: |way, upn, error, busy, done| Box::pin(way_form(way, upn, error, busy, done)),
        fetch_way: || {
            Box::pin(async {
                let _ = fetch_way_form().await;
            })
        },
        device: || Box::pin(device_page()),
    });
}
