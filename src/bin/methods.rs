//! Security info and passkey sign-in, loaded after the first step. The add
//! panel is a module of its own, fetched once the page has its data.

use leptos::prelude::*;
use tapin_app::later::{wasm_split, NotLoaded};
use tapin_app::methods::{add, Parts};

#[wasm_split(add_panel, wasm_split_path = ::leptos::wasm_split, fallible, preload(fetch_add_panel))]
fn add_panel(
    adding: add::Adding,
    on_added: Callback<String>,
    on_cancel: Callback<()>,
) -> Result<AnyView, NotLoaded> {
    Ok(view! { <add::AddPanel adding on_added on_cancel/> }.into_any())
}

fn main() {
    tapin_app::methods::start(Parts {
        add_panel: |adding, on_added, on_cancel| Box::pin(add_panel(adding, on_added, on_cancel)),
        fetch_add_panel: || {
            Box::pin(async {
                let _ = fetch_add_panel().await;
            })
        },
    });
}
