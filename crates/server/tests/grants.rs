//! What applications lean on after the sign-in, against a real store
//! (SQLite, and PostgreSQL in the store contract): refresh tokens rotate
//! and a reused one ends the whole sign-in; they end with the session
//! unless offline_access, and every one ends when the person is disabled or
//! signs out everywhere; introspection and revocation.

mod common;

use chrono::Duration;
use common::apps::*;
use common::world::World;
use tapin_server::domain::oidc::{ClientAuth, NewClient, TokenRequest, Tokens};
use tapin_server::domain::{Actor, Error, SessionCookie};

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
    let other = plain(&w, "Other");
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
    let plain = plain(&w, "Plain");
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
    let api = plain(&w, "API");
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
