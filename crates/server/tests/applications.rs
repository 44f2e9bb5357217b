//! Applications beyond the browser's code flow, against a real store
//! (SQLite, and PostgreSQL in the store contract): the device authorization
//! grant's answers, back-channel logout queued once when a session ends,
//! and native applications' loopback redirects on any port.

mod common;

use chrono::Duration;
use common::apps::*;
use common::world::World;
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, NewClient, TokenRequest, Tokens, LOGOUT_EVENT,
};
use tapin_server::domain::{Error, SessionCookie};

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
    let other = plain(&w, "Other");
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
}
