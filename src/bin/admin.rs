//! The help desk, at /admin. Its landing page (finding users) is in this
//! bundle; every other page is a module of its own, fetched when first
//! opened (`tapin_app::later`).

use leptos::prelude::*;
use tapin_api::admin::AdminMe;
use tapin_app::admin::{self, Pages};
use tapin_app::later::{wasm_split, NotLoaded};

#[wasm_split(user_page, wasm_split_path = ::leptos::wasm_split, fallible, preload(fetch_user_page))]
fn user_page(id: String, me: AdminMe) -> Result<AnyView, NotLoaded> {
    Ok(view! { <admin::UserPage id me/> }.into_any())
}

#[wasm_split(policy_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn policy_page(me: AdminMe) -> Result<AnyView, NotLoaded> {
    Ok(view! { <admin::PolicyPage me/> }.into_any())
}

#[wasm_split(passkeys_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn passkeys_page(me: AdminMe) -> Result<AnyView, NotLoaded> {
    Ok(view! { <admin::PasskeysPage me/> }.into_any())
}

#[wasm_split(clients_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn clients_page(me: AdminMe) -> Result<AnyView, NotLoaded> {
    Ok(view! { <admin::ClientsPage me/> }.into_any())
}

#[wasm_split(audit_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn audit_page() -> Result<AnyView, NotLoaded> {
    Ok(view! { <admin::AuditPage/> }.into_any())
}

fn main() {
    admin::start(Pages {
        user: |id, me| Box::pin(user_page(id, me)),
        fetch_user: || {
            Box::pin(async {
                let _ = fetch_user_page().await;
            })
        },
        policy: |me| Box::pin(policy_page(me)),
        passkeys: |me| Box::pin(passkeys_page(me)),
        clients: |me| Box::pin(clients_page(me)),
        audit: || Box::pin(audit_page()),
    });
}
