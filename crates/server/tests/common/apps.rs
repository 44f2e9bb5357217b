//! What the OpenID Connect tests share: a deployment with Ada, her
//! sessions, applications, and a sign-in to one.

use super::world::World;
use chrono::{TimeZone, Utc};
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, ClientAuth, NewClient, TokenRequest, Tokens,
};
use tapin_server::domain::{Actor, Error, IssueOptions, Person, Role, SessionCookie};

pub const RP: &str = "https://wiki.contoso.com/cb";
pub const BROWSER: &str = "browser-binding-of-the-test";
pub const ADA: &str = "ada@contoso.com";

pub fn world() -> World {
    super::world::builder()
        .at(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap())
        .issuer("https://tapin.contoso.com")
        .user(super::world::person(
            ADA,
            "Ada Lovelace",
            Role::Member,
            &[],
            &[],
        ))
        .signing_keys()
        .build()
}

pub fn session(w: &World) -> String {
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, ADA, IssueOptions::default())
        .unwrap();
    w.tapin
        .sign_in_with_pass(ADA, &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token
}

pub fn person(w: &World, token: &str) -> Person {
    w.tapin.person(&SessionCookie::new(token)).unwrap()
}

pub struct App {
    pub id: String,
    pub secret: String,
}

impl App {
    pub fn auth(&self) -> ClientAuth {
        ClientAuth {
            client_id: Some(self.id.clone()),
            client_secret: Some(self.secret.clone()),
        }
    }
}

pub fn app(w: &World, new: NewClient) -> App {
    let c = w.tapin.add_client(&Actor::Operator, new).unwrap();
    App {
        id: c.client_id,
        secret: c.client_secret.unwrap_or_default(),
    }
}

/// A confidential client with nothing more than a name and the redirect URI.
pub fn plain(w: &World, name: &str) -> App {
    app(
        w,
        NewClient {
            name: name.into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        },
    )
}

pub fn wiki(w: &World) -> App {
    app(
        w,
        NewClient {
            name: "Wiki".into(),
            redirect_uris: vec![RP.into()],
            offline_access: true,
            device_grant: true,
            backchannel_logout_uri: Some("https://wiki.contoso.com/logout".into()),
            ..Default::default()
        },
    )
}

pub fn sign_in_to(w: &World, app: &App, token: &str, scope: &str) -> Tokens {
    let req = AuthorizationRequest {
        response_type: Some("code".into()),
        client_id: Some(app.id.clone()),
        redirect_uri: Some(RP.into()),
        scope: Some(scope.into()),
        ..Default::default()
    };
    let who = person(w, token);
    let Authorize::Redirect(to) = w
        .tapin
        .oidc_authorize(req, Some(&who), BROWSER, "192.0.2.1")
        .unwrap()
    else {
        panic!("expected a code")
    };
    let code = url::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    w.tapin
        .exchange_code(
            &app.auth(),
            &TokenRequest {
                grant_type: Some("authorization_code".into()),
                code: Some(code),
                redirect_uri: Some(RP.into()),
                ..Default::default()
            },
        )
        .unwrap()
}

pub fn oauth_error(e: Error) -> &'static str {
    match e {
        Error::OAuth(o) => o.error,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

pub fn active(w: &World, app: &App, token: &str) -> bool {
    w.tapin.introspect(&app.auth(), token, None).unwrap().active
}

pub fn events(w: &World, kind: &str) -> usize {
    w.tapin
        .store()
        .audit_events(&Default::default())
        .unwrap()
        .iter()
        .filter(|e| e.event == kind)
        .count()
}
