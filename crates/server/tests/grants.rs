//! What applications lean on after the sign-in, against a real store
//! (SQLite, and PostgreSQL in the store contract): refresh tokens rotate
//! and a reused one ends the whole sign-in; they end with the session
//! unless offline_access, and every one ends when the person is disabled or
//! signs out everywhere; introspection and revocation; the device
//! authorization grant's answers; back-channel logout queued once when a
//! session ends; loopback redirects on any port.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::world::World;
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, ClientAuth, NewClient, TokenRequest, Tokens, LOGOUT_EVENT,
};
use tapin_server::domain::{Actor, Clock, Error, IssueOptions, Person, Role, SessionCookie};

const RP: &str = "https://wiki.contoso.com/cb";
const BROWSER: &str = "browser-binding-of-the-test";
const ADA: &str = "ada@contoso.com";

fn world() -> World {
    common::world::builder()
        .at(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap())
        .issuer("https://tapin.contoso.com")
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

fn session(w: &World) -> String {
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, ADA, IssueOptions::default())
        .unwrap();
    w.tapin
        .sign_in_with_pass(ADA, &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token
}

fn person(w: &World, token: &str) -> Person {
    w.tapin.person(&SessionCookie::new(token)).unwrap()
}

struct App {
    id: String,
    secret: String,
}

impl App {
    fn auth(&self) -> ClientAuth {
        ClientAuth {
            client_id: Some(self.id.clone()),
            client_secret: Some(self.secret.clone()),
        }
    }
}

fn app(w: &World, new: NewClient) -> App {
    let c = w.tapin.add_client(&Actor::Operator, new).unwrap();
    App {
        id: c.client_id,
        secret: c.client_secret.unwrap_or_default(),
    }
}

fn wiki(w: &World) -> App {
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

fn sign_in_to(w: &World, app: &App, token: &str, scope: &str) -> Tokens {
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

fn refresh(w: &World, app: &App, token: &str) -> Result<Tokens, Error> {
    w.tapin.exchange_code(
        &app.auth(),
        &TokenRequest {
            grant_type: Some("refresh_token".into()),
            refresh_token: Some(token.into()),
            ..Default::default()
        },
    )
}

fn oauth_error(e: Error) -> &'static str {
    match e {
        Error::OAuth(o) => o.error,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

fn active(w: &World, app: &App, token: &str) -> bool {
    w.tapin.introspect(&app.auth(), token, None).unwrap().active
}

fn events(w: &World, kind: &str) -> usize {
    w.tapin
        .store()
        .audit_events(&Default::default())
        .unwrap()
        .iter()
        .filter(|e| e.event == kind)
        .count()
}

#[test]
fn a_refresh_token_rotates_and_a_reused_one_ends_the_whole_sign_in() {
    let w = world();
    let wiki = wiki(&w);
    let first = sign_in_to(&w, &wiki, &session(&w), "openid profile");
    let rt1 = first.refresh_token.clone().expect("a refresh token");
    let second = refresh(&w, &wiki, &rt1).unwrap();
    let rt2 = second.refresh_token.clone().unwrap();
    assert_ne!(rt1, rt2, "rotated at every use");
    assert!(second.id_token.is_some());
    assert!(w
        .tapin
        .userinfo(&tapin_server::domain::BearerToken::new(
            &second.access_token
        ))
        .is_ok());
    // Another client cannot use it.
    let other = app(
        &w,
        NewClient {
            name: "Other".into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        },
    );
    assert_eq!(
        oauth_error(refresh(&w, &other, &rt2).unwrap_err()),
        "invalid_grant"
    );
    // A wider scope than was granted is refused; a narrower one is given.
    let wider = w.tapin.exchange_code(
        &wiki.auth(),
        &TokenRequest {
            grant_type: Some("refresh_token".into()),
            refresh_token: Some(rt2.clone()),
            scope: Some("openid email".into()),
            ..Default::default()
        },
    );
    assert_eq!(oauth_error(wider.unwrap_err()), "invalid_scope");
    // The spent rt1 comes back (a thief's copy): everything of this sign-in ends.
    assert_eq!(
        oauth_error(refresh(&w, &wiki, &rt1).unwrap_err()),
        "invalid_grant"
    );
    assert_eq!(events(&w, "oidc_refresh_reused"), 1);
    assert_eq!(
        oauth_error(refresh(&w, &wiki, &rt2).unwrap_err()),
        "invalid_grant"
    );
    assert!(
        !active(&w, &wiki, &second.access_token),
        "its access tokens end too"
    );
    assert!(!active(&w, &wiki, &first.access_token));
}

#[test]
fn two_refreshes_with_one_token_at_once_give_tokens_to_one_and_end_the_sign_in() {
    let w = world();
    let wiki = wiki(&w);
    let rt = sign_in_to(&w, &wiki, &session(&w), "openid")
        .refresh_token
        .unwrap();
    let results: Vec<Result<Tokens, Error>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| refresh(&w, &wiki, &rt)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<&Tokens> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert!(won.len() <= 1, "one token, at most one new pair");
    for t in won {
        let next = t.refresh_token.as_deref().unwrap();
        assert_eq!(
            oauth_error(refresh(&w, &wiki, next).unwrap_err()),
            "invalid_grant",
            "the losers' presentations ended the family"
        );
    }
}

#[test]
fn refresh_ends_with_the_session_unless_offline_and_always_when_disabled_or_everywhere() {
    let w = world();
    let wiki = wiki(&w);
    let token = session(&w);
    let bound = sign_in_to(&w, &wiki, &token, "openid");
    let offline = sign_in_to(&w, &wiki, &token, "openid offline_access");
    assert!(offline.scope.contains("offline_access"));
    // A client not allowed offline_access does not get it.
    let plain = app(
        &w,
        NewClient {
            name: "Plain".into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        },
    );
    assert!(!sign_in_to(&w, &plain, &token, "openid offline_access")
        .scope
        .contains("offline_access"));
    w.tapin.sign_out(&SessionCookie::new(&token)).unwrap();
    assert_eq!(
        oauth_error(refresh(&w, &wiki, bound.refresh_token.as_deref().unwrap()).unwrap_err()),
        "invalid_grant"
    );
    let kept = refresh(&w, &wiki, offline.refresh_token.as_deref().unwrap())
        .expect("offline_access outlives the session");
    assert!(w
        .tapin
        .userinfo(&tapin_server::domain::BearerToken::new(&kept.access_token))
        .is_ok());
    // Sign out everywhere ends offline ones too.
    let again = session(&w);
    let offline2 = sign_in_to(&w, &wiki, &again, "openid offline_access");
    w.tapin.sign_out_everywhere(&person(&w, &again)).unwrap();
    for rt in [kept.refresh_token.unwrap(), offline2.refresh_token.unwrap()] {
        assert_eq!(
            oauth_error(refresh(&w, &wiki, &rt).unwrap_err()),
            "invalid_grant"
        );
    }
    assert!(!active(&w, &wiki, &kept.access_token));
    // Disabling ends them as well.
    let third = session(&w);
    let offline3 = sign_in_to(&w, &wiki, &third, "openid offline_access");
    w.tapin
        .set_user_enabled(&Actor::Operator, ADA, false)
        .unwrap();
    assert_eq!(
        oauth_error(refresh(&w, &wiki, offline3.refresh_token.as_deref().unwrap()).unwrap_err()),
        "invalid_grant"
    );
    assert!(!active(&w, &wiki, &offline3.access_token));
}

#[test]
fn introspection_answers_live_and_ended_tokens_and_revocation_ends_them() {
    let w = world();
    let wiki = wiki(&w);
    let token = session(&w);
    let t = sign_in_to(&w, &wiki, &token, "openid profile");
    let seen = w
        .tapin
        .introspect(&wiki.auth(), &t.access_token, None)
        .unwrap();
    let json = serde_json::to_value(&seen).unwrap();
    assert_eq!(json["active"], true);
    assert_eq!(json["client_id"], wiki.id.as_str());
    assert_eq!(json["username"], ADA);
    assert_eq!(json["token_type"], "access_token");
    assert_eq!(json["scope"], "openid profile");
    let rt = t.refresh_token.clone().unwrap();
    assert!(active(&w, &wiki, &rt));
    // A resource server (another confidential client) may introspect an
    // access token, not someone else's refresh token.
    let api = app(
        &w,
        NewClient {
            name: "API".into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        },
    );
    assert!(active(&w, &api, &t.access_token));
    assert!(!active(&w, &api, &rt));
    // A public client may not introspect; a wrong secret is invalid_client.
    let spa = app(
        &w,
        NewClient {
            name: "SPA".into(),
            redirect_uris: vec![RP.into()],
            public: true,
            ..Default::default()
        },
    );
    let public = ClientAuth {
        client_id: Some(spa.id.clone()),
        client_secret: None,
    };
    assert_eq!(
        oauth_error(
            w.tapin
                .introspect(&public, &t.access_token, None)
                .unwrap_err()
        ),
        "invalid_client"
    );
    let wrong = ClientAuth {
        client_id: Some(wiki.id.clone()),
        client_secret: Some("tapin_cs_wrong".into()),
    };
    assert_eq!(
        oauth_error(
            w.tapin
                .introspect(&wrong, &t.access_token, None)
                .unwrap_err()
        ),
        "invalid_client"
    );
    // Expired: inactive.
    w.clock.advance(Duration::minutes(11));
    assert!(!active(&w, &wiki, &t.access_token));
    // Revoking: another client's revoke does nothing; the owner's ends the family.
    let t2 = refresh(&w, &wiki, &rt).unwrap();
    let rt2 = t2.refresh_token.clone().unwrap();
    w.tapin.revoke(&api.auth(), &rt2, None).unwrap();
    assert!(active(&w, &wiki, &rt2));
    w.tapin
        .revoke(&wiki.auth(), &t2.access_token, None)
        .unwrap();
    assert!(!active(&w, &wiki, &t2.access_token));
    assert!(
        active(&w, &wiki, &rt2),
        "revoking an access token keeps its refresh token"
    );
    let t3 = refresh(&w, &wiki, &rt2).unwrap();
    w.tapin
        .revoke(
            &wiki.auth(),
            t3.refresh_token.as_deref().unwrap(),
            Some("refresh_token"),
        )
        .unwrap();
    assert!(
        !active(&w, &wiki, &t3.access_token),
        "the family's access tokens end"
    );
    assert_eq!(
        oauth_error(refresh(&w, &wiki, t3.refresh_token.as_deref().unwrap()).unwrap_err()),
        "invalid_grant"
    );
    // Unknown tokens are answered without an error.
    w.tapin
        .revoke(&wiki.auth(), "tapin_rt_nothing", None)
        .unwrap();
    assert!(!active(&w, &wiki, "tapin_at_nothing"));
}

fn poll(w: &World, app: &App, device_code: &str) -> Result<Tokens, Error> {
    w.tapin.exchange_code(
        &app.auth(),
        &TokenRequest {
            grant_type: Some("urn:ietf:params:oauth:grant-type:device_code".into()),
            device_code: Some(device_code.into()),
            ..Default::default()
        },
    )
}

/// The `/device` page's steps: the typed code, then the person's answer.
fn answer_device(w: &World, user_code: &str, token: &str, yes: bool) -> String {
    let Authorize::SignIn { id } = w
        .tapin
        .start_device_approval(user_code, BROWSER, "192.0.2.7")
        .unwrap()
    else {
        panic!("expected a sign-in request")
    };
    let who = person(w, token);
    let info = w
        .tapin
        .authorization_request(&id, Some(&who), BROWSER)
        .unwrap();
    assert!(info.device && info.consent);
    match w
        .tapin
        .continue_authorization(&id, Some(&who), BROWSER, Some(yes))
        .unwrap()
    {
        Authorize::Redirect(to) => to,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

#[test]
fn the_device_grant_answers_as_rfc_8628_says() {
    let w = world();
    let wiki = wiki(&w);
    let token = session(&w);
    let d = w
        .tapin
        .device_authorization(&wiki.auth(), Some("openid profile"), "192.0.2.7")
        .unwrap();
    assert_eq!(d.user_code.len(), 9, "XXXX-XXXX");
    assert!(d
        .verification_uri_complete
        .starts_with("https://tapin.contoso.com/device?user_code="));
    assert_eq!(d.interval, 5);
    assert_eq!(
        oauth_error(poll(&w, &wiki, &d.device_code).unwrap_err()),
        "authorization_pending"
    );
    // Polled again at once: slow down.
    assert_eq!(
        oauth_error(poll(&w, &wiki, &d.device_code).unwrap_err()),
        "slow_down"
    );
    // Typed in lower case without the dash, it is the same code.
    let typed = d.user_code.replace('-', "").to_lowercase();
    assert_eq!(answer_device(&w, &typed, &token, true), "/device?approved");
    w.clock.advance(Duration::seconds(11));
    let tokens = poll(&w, &wiki, &d.device_code).expect("tokens once approved");
    assert!(tokens.id_token.is_some() && tokens.refresh_token.is_some());
    w.clock.advance(Duration::seconds(11));
    assert_eq!(
        oauth_error(poll(&w, &wiki, &d.device_code).unwrap_err()),
        "invalid_grant",
        "single use"
    );
    assert!(
        w.tapin
            .start_device_approval(&d.user_code, BROWSER, "192.0.2.7")
            .is_err(),
        "an answered code cannot be answered again"
    );
    assert_eq!(events(&w, "oidc_device_approved"), 1);
    // Denied.
    let d2 = w
        .tapin
        .device_authorization(&wiki.auth(), None, "192.0.2.7")
        .unwrap();
    assert_eq!(
        answer_device(&w, &d2.user_code, &token, false),
        "/device?denied"
    );
    assert_eq!(
        oauth_error(poll(&w, &wiki, &d2.device_code).unwrap_err()),
        "access_denied"
    );
    // Expired.
    let d3 = w
        .tapin
        .device_authorization(&wiki.auth(), None, "192.0.2.7")
        .unwrap();
    w.clock.advance(Duration::minutes(11));
    assert_eq!(
        oauth_error(poll(&w, &wiki, &d3.device_code).unwrap_err()),
        "expired_token"
    );
    assert!(w
        .tapin
        .start_device_approval(&d3.user_code, BROWSER, "192.0.2.7")
        .is_err());
    // Another client's device code is not this client's.
    let other = app(
        &w,
        NewClient {
            name: "Other".into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        },
    );
    assert_eq!(
        oauth_error(
            w.tapin
                .device_authorization(&other.auth(), None, "192.0.2.7")
                .unwrap_err()
        ),
        "unauthorized_client",
        "only clients registered for it"
    );
    let d4 = w
        .tapin
        .device_authorization(&wiki.auth(), None, "192.0.2.7")
        .unwrap();
    assert_eq!(
        oauth_error(poll(&w, &other, &d4.device_code).unwrap_err()),
        "invalid_grant"
    );
}

#[test]
fn an_ended_session_queues_one_logout_token_for_each_application_it_signed_in_to() {
    let w = world();
    let wiki = wiki(&w);
    let token = session(&w);
    let t = sign_in_to(&w, &wiki, &token, "openid");
    sign_in_to(&w, &wiki, &token, "openid");
    assert_eq!(
        w.tapin.queue_backchannel_logouts().unwrap(),
        0,
        "the session lives"
    );
    w.tapin.sign_out(&SessionCookie::new(&token)).unwrap();
    assert_eq!(
        w.tapin.queue_backchannel_logouts().unwrap(),
        1,
        "one per application"
    );
    assert_eq!(w.tapin.queue_backchannel_logouts().unwrap(), 0, "and once");
    let outbox = w.tapin.outbox().unwrap();
    let m = outbox
        .iter()
        .find(|m| m.message.channel.as_str() == "logout")
        .expect("queued");
    assert_eq!(m.message.to, "https://wiki.contoso.com/logout");
    // The logout token: signed like the ID token, naming the same sid and sub.
    let claims = |jwt: &str| -> serde_json::Value {
        use base64::Engine;
        let body = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .unwrap(),
        )
        .unwrap()
    };
    let logout = claims(&m.message.body);
    let id = claims(t.id_token.as_deref().unwrap());
    assert_eq!(logout["sid"], id["sid"]);
    assert_eq!(logout["sub"], id["sub"]);
    assert_eq!(logout["aud"], wiki.id.as_str());
    assert!(logout["events"][LOGOUT_EVENT].is_object());
    assert!(logout.get("nonce").is_none() && logout["jti"].is_string());
    // An idle session ends too, without anyone signing out.
    let idle = session(&w);
    sign_in_to(&w, &wiki, &idle, "openid");
    w.clock
        .advance(w.tapin.settings().session_idle + Duration::seconds(1));
    assert_eq!(w.tapin.queue_backchannel_logouts().unwrap(), 1);
}

#[test]
fn a_native_app_may_return_to_a_loopback_address_on_any_port() {
    let w = world();
    let cli = app(
        &w,
        NewClient {
            name: "CLI".into(),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            public: true,
            ..Default::default()
        },
    );
    let token = session(&w);
    let who = person(&w, &token);
    let ask = |uri: &str| {
        w.tapin
            .oidc_authorize(
                AuthorizationRequest {
                    response_type: Some("code".into()),
                    client_id: Some(cli.id.clone()),
                    redirect_uri: Some(uri.into()),
                    scope: Some("openid".into()),
                    code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
                    code_challenge_method: Some("S256".into()),
                    ..Default::default()
                },
                Some(&who),
                BROWSER,
                "192.0.2.1",
            )
            .unwrap()
    };
    assert!(
        matches!(ask("http://127.0.0.1:49152/callback"), Authorize::Redirect(to) if to.starts_with("http://127.0.0.1:49152/callback?code="))
    );
    assert!(matches!(
        ask("http://127.0.0.1:49152/elsewhere"),
        Authorize::Refused(_)
    ));
    assert!(matches!(
        ask("http://localhost:49152/callback"),
        Authorize::Refused(_)
    ));
    let _ = w.clock.now();
}
