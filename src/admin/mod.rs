//! The third bundle: the help desk. Administrators signed in with a passkey
//! or security key find users, issue and revoke passes, remove lost
//! methods, clear lockouts, end sessions, edit the policy and the passkey
//! profiles, enrol security keys for people, and read the
//! audit trail. The server decides what each role may do; these pages only
//! leave out what it would refuse.

mod api;
mod audit;
mod clients;
mod enrol;
mod issue;
mod passkeys;
mod policy;
mod text;
mod user;
mod users;
mod zone;

use crate::later::{later, preload, Fetch, Part};
use crate::nav::{leave, use_nav, Nav};
use crate::shell::mount;
use leptos::prelude::*;
use leptos::task::spawn_local;
use tapin_api::admin::AdminMe;
use tapin_api::wire::ErrorCode;

pub use audit::AuditPage;
pub use clients::ClientsPage;
pub use passkeys::PasskeysPage;
pub use policy::PolicyPage;
pub use user::UserPage;

/// The help desk's pages but the landing one (finding users), each a
/// module of its own fetched when first opened, from the bin's split
/// points (`crate::later`).
#[derive(Clone, Copy)]
pub struct Pages {
    pub user: fn(String, AdminMe) -> Part,
    pub fetch_user: Fetch,
    pub policy: fn(AdminMe) -> Part,
    pub passkeys: fn(AdminMe) -> Part,
    pub clients: fn(AdminMe) -> Part,
    pub audit: fn() -> Part,
}

pub fn start(pages: Pages) {
    mount(move || {
        provide_context(pages);
        view! { <Desk/> }
    });
}

/// A link within the help desk, without reloading it.
#[component]
pub fn Go(href: String, children: Children) -> impl IntoView {
    let nav = use_nav();
    let to = href.clone();
    let click = move |e: leptos::ev::MouseEvent| {
        if !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key()) && e.button() == 0 {
            e.prevent_default();
            nav.go(&to);
        }
    };
    view! { <a href=href on:click=click>{children()}</a> }
}

/// Moves focus to a page's heading when it appears.
pub fn focus_heading(heading: NodeRef<leptos::html::H1>) {
    crate::shell::focus_on_mount(heading);
}

#[component]
fn Desk() -> impl IntoView {
    Nav::provide();
    let me = LocalResource::new(api::me);
    view! {
        <Suspense fallback=|| view! { <main class="card wide"><p>{crate::text::LOADING()}</p></main> }>
            {move || me.get().map(|result| match result {
                Ok(me) => view! { <Signed me/> }.into_any(),
                Err(failure) => view! { <Closed failure/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Not signed in, not an administrator, or signed in with a pass only.
#[component]
fn Closed(failure: crate::api::Failure) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    focus_heading(heading);
    let code = match &failure {
        crate::api::Failure::Api(b) => Some(b.code),
        crate::api::Failure::Network => None,
    };
    let why = match code {
        Some(ErrorCode::NotSignedIn) => text::ADM_CLOSED_SIGN_IN(),
        Some(ErrorCode::Forbidden) => text::ADM_CLOSED_FORBIDDEN(),
        Some(ErrorCode::StrongerSignInNeeded) => text::ADM_CLOSED_STRONGER(),
        _ => text::ADM_FAIL_NETWORK(),
    };
    view! {
        <Header me=None/>
        <main class="card">
            <h1 tabindex="-1" node_ref=heading>{text::ADM_CLOSED_HEADING()}</h1>
            <p role="alert">{why}</p>
            <a href="/passkey" class="button">{crate::text::PASSKEY_SIGN_IN()}</a>
        </main>
    }
}

#[component]
fn Header(me: Option<AdminMe>) -> impl IntoView {
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = crate::api::sign_out().await;
            leave("/");
        });
    };
    let signed_in = me.is_some();
    view! {
        <header class="top">
            <span class="brand">{crate::text::APP_NAME()} " · " {text::ADM_HELP_DESK()}</span>
            {me.map(|me| view! {
                <nav class="desk-nav" aria-label=text::ADM_SECTIONS()>
                    {me.read_users.then(|| view! { <Go href="/admin".into()>{text::ADM_USERS()}</Go> })}
                    <Go href="/admin/policy".into()>{text::ADM_POLICY()}</Go>
                    <Go href="/admin/passkeys".into()>{text::ADM_PK_NAV()}</Go>
                    {me.read_audit.then(|| view! { <Go href="/admin/audit".into()>{text::ADM_AUDIT()}</Go> })}
                    {me.read_users.then(|| view! { <Go href="/admin/clients".into()>{text::ADM_CLIENTS()}</Go> })}
                    <a href="/security-info">{text::ADM_MY_METHODS()}</a>
                </nav>
            })}
            <crate::shell::LanguageLinks/>
            {signed_in.then(|| view! {
                <button type="button" class="link" on:click=sign_out>{crate::text::SIGN_OUT()}</button>
            })}
        </header>
    }
}

#[component]
fn Signed(me: AdminMe) -> impl IntoView {
    let nav = use_nav();
    let pages = expect_context::<Pages>();
    // The user's page, where the help desk goes next, once the desk shows.
    if me.read_users {
        preload(pages.fetch_user);
    }
    let me = StoredValue::new(me);
    view! {
        <Header me=Some(me.get_value())/>
        <main class="card wide">
            {move || {
                let path = nav.path();
                let me = me.get_value();
                if path == "/admin/passkeys" {
                    later(move || (pages.passkeys)(me.clone())).into_any()
                } else if path == "/admin/clients" && me.read_users {
                    later(move || (pages.clients)(me.clone())).into_any()
                } else if path == "/admin/audit" && me.read_audit {
                    later(pages.audit).into_any()
                } else if let Some(id) = path.strip_prefix("/admin/users/").filter(|_| me.read_users) {
                    let id = id.to_string();
                    later(move || (pages.user)(id.clone(), me.clone())).into_any()
                } else if me.read_users && path != "/admin/policy" {
                    view! { <users::UsersPage/> }.into_any()
                } else {
                    later(move || (pages.policy)(me.clone())).into_any()
                }
            }}
        </main>
    }
}
