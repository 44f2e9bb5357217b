//! The tapin web app, built as four bundles that share this library: the
//! first load (`tapin-app`: account and pass steps); once signed in or
//! signing in with a passkey, `tapin-methods` (security info); the help
//! desk (`tapin-admin`); and signing in to other applications
//! (`tapin-signin`). Each bundle links only what its own routes use.

pub mod admin;
pub mod api;
pub mod countdown;
pub mod first_load;
pub mod http;
pub mod i18n;
pub mod later;
pub mod methods;
pub mod nav;
pub mod pages;
pub mod shell;
pub mod signin;
pub mod text;
pub mod time;
pub mod widgets;
