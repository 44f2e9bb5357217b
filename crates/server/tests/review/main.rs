//! The sign-in review's findings, each as an attacker or a user would meet
//! it, against a real store (SQLite, and PostgreSQL in the store contract):
//! one test per finding, each failing on the build before the fix.

#[path = "../common/mod.rs"]
mod common;
mod lifecycle;
mod oidc;
mod signin;

use chrono::{Duration, TimeZone, Utc};
use tapin_api::wire::{MethodKind, SignInChoice, TotpFinish};
use tapin_server::domain::methods::{base32_decode, hotp};
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, ClientAuth, NewClient, TokenRequest, Tokens,
};
use tapin_server::domain::{Actor, Clock, Error, IssueOptions, Keyring, Role, Settings};
use tapin_server::domain::{BearerToken, SessionCookie};

pub(crate) const ADA: &str = "ada@contoso.com";
pub(crate) const RP: &str = "https://wiki.contoso.com/cb";
pub(crate) const BROWSER: &str = "the browser of the person signing in";

pub(crate) use common::world::World;

pub(crate) fn world_with(settings: Settings, keys: Option<Keyring>) -> World {
    let dir = tempfile::tempdir().unwrap();
    world_in(dir, settings, keys)
}

pub(crate) fn world_in(dir: tempfile::TempDir, settings: Settings, keys: Option<Keyring>) -> World {
    common::world::builder()
        .at(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
        .settings(settings)
        .keys(keys)
        .issuer("https://tapin.contoso.com")
        .in_dir(dir)
        .user(common::world::person(
            ADA,
            "Ada Lovelace",
            Role::Member,
            &[],
            &[],
        ))
        .signing_keys()
        .build()
}

pub(crate) fn world() -> World {
    world_with(Settings::default(), None)
}

pub(crate) fn pass_session(w: &World) -> String {
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, ADA, IssueOptions::default())
        .unwrap();
    w.tapin
        .sign_in_with_pass(ADA, &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token
}

/// Registers an authenticator app with a pass session; its seed.
pub(crate) fn authenticator_app(w: &World) -> Vec<u8> {
    let token = pass_session(w);
    let reg = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let seed = base32_decode(&reg.secret).unwrap();
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id,
                    name: "Phone".into(),
                    code: app_code(w, &seed, 0),
                },
            )
        })
        .unwrap();
    seed
}

pub(crate) fn app_code(w: &World, seed: &[u8], steps_ahead: i64) -> String {
    hotp(seed, (w.clock.now().timestamp() / 30 + steps_ahead) as u64)
}

pub(crate) fn wiki(w: &World, public: bool) -> (String, Option<String>) {
    let c = w
        .tapin
        .add_client(
            &Actor::Operator,
            NewClient {
                name: if public { "Tool" } else { "Wiki" }.into(),
                redirect_uris: vec![RP.into()],
                public,
                ..Default::default()
            },
        )
        .unwrap();
    (c.client_id, c.client_secret)
}

pub(crate) fn request(client_id: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(RP.into()),
        scope: Some("openid profile".into()),
        state: Some("s".into()),
        ..Default::default()
    }
}

pub(crate) fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn code_for(w: &World, client_id: &str, token: &str) -> String {
    match w
        .tapin
        .oidc_authorize(
            request(client_id),
            w.tapin.person(&SessionCookie::new(token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    {
        Authorize::Redirect(to) => param(&to, "code").expect("a code"),
        other => panic!("expected a code, got {other:?}"),
    }
}

/// The token endpoint, as client `id` presenting `code` (and a verifier).
pub(crate) fn redeem(
    w: &World,
    id: &str,
    secret: Option<&str>,
    code: &str,
    verifier: Option<&str>,
) -> Result<Tokens, Error> {
    w.tapin.exchange_code(
        &ClientAuth {
            client_id: Some(id.into()),
            client_secret: secret.map(str::to_string),
        },
        &TokenRequest {
            grant_type: Some("authorization_code".into()),
            code: Some(code.into()),
            redirect_uri: Some(RP.into()),
            code_verifier: verifier.map(str::to_string),
            ..Default::default()
        },
    )
}

pub(crate) fn exchange(
    w: &World,
    id: &str,
    secret: Option<&str>,
    code: &str,
) -> Result<String, Error> {
    redeem(w, id, secret, code, None).map(|t| t.access_token)
}

/// The tokens an application gets for the person signed in with `session`.
pub(crate) fn signed_in_app(w: &World, id: &str, secret: Option<&str>, session: &str) -> Tokens {
    redeem(w, id, secret, &code_for(w, id, session), None).unwrap()
}
