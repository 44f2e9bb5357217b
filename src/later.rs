//! Parts of a page that arrive when first needed: functions marked
//! `#[wasm_split(..)]` are cut out of their bundle's WebAssembly by
//! `cargo xtask build` (wasm-split) into modules of their own, fetched on
//! their first call, so a page's first view downloads and compiles only
//! what it shows. [`Later`] shows such a part: a loading note while its
//! module arrives, then the part; if it cannot be fetched (the connection
//! dropped), a note saying so with a button that tries again, instead of
//! the whole app stopping.
//!
//! The split points are in the bins (`src/bin/`), written as
//! `#[wasm_split(name, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_name))]`
//! over `fn(..) -> Result<AnyView, NotLoaded>`, and handed to the library's
//! `start` as plain functions ([`Part`], [`Fetch`]): the linker keeps every
//! split point's export, so one in this library would put every bundle's
//! split-off code into every bundle, the first load's too.

use crate::text;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;

pub use leptos::wasm_split::wasm_split;

/// A split-off part of the page whose module could not be fetched.
#[derive(Clone, Copy, Debug)]
pub struct NotLoaded;

impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// A split-off part of a page on its way: the view, once its module is here.
pub type Part = Pin<Box<dyn Future<Output = Result<AnyView, NotLoaded>> + Send>>;

/// Fetches a split-off module without showing anything (see [`preload`]).
pub type Fetch = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// Shows what `load` gives once its module has arrived (at once when it is
/// already here): "Loading…" meanwhile, and a way to try again if the
/// module cannot be fetched.
pub fn later<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, NotLoaded>> + Send + 'static,
{
    let attempt = RwSignal::new(0u32);
    view! {
        <Suspense fallback=|| view! { <p>{text::LOADING()}</p> }>
            {move || {
                attempt.track();
                let part = load();
                Suspend::new(async move {
                    part.await.unwrap_or_else(|NotLoaded| view! {
                        <div class="banner error" role="alert">
                            <p>{text::LATER_FAILED()}</p>
                            <button type="button" on:click=move |_| attempt.update(|n| *n += 1)>
                                {text::TRY_AGAIN()}
                            </button>
                        </div>
                    }.into_any())
                })
            }}
        </Suspense>
    }
}

/// Fetches a split-off module in the background once the page has shown
/// its first view, so the part the user opens next is usually already here
/// (a module already fetched is not fetched again).
pub fn preload(module: Fetch) {
    leptos::task::spawn_local(module());
}
