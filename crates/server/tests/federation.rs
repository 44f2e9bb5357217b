//! The OpenID Connect provider's rules against a real store (SQLite, and
//! PostgreSQL in the store contract): codes are spent once even when two
//! redemptions race, a replay revokes what the code issued, signing keys
//! are made once per algorithm and rotate, an authenticator-app code signs
//! in once, and a code session cannot change a passkey.

mod common;

use chrono::{Duration, TimeZone, Utc};
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, ClientAuth, NewClient, TokenRequest,
};
use tapin_server::domain::{Actor, Error, IssueOptions, Settings};
use tapin_server::domain::{BearerToken, SessionCookie};

const RP: &str = "https://wiki.contoso.com/cb";
const BROWSER: &str = "browser-binding-of-the-test";

use common::world::World;

fn world() -> World {
    world_with(Settings::default())
}

/// A deployment with these settings, its policy on, and Ada.
fn world_with(settings: Settings) -> World {
    common::world::builder()
        .at(Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap())
        .settings(settings)
        .issuer("https://tapin.contoso.com")
        .user(common::world::person(
            "ada@contoso.com",
            "Ada Lovelace",
            tapin_server::domain::Role::Member,
            &[],
            &[],
        ))
        .signing_keys()
        .build()
}

fn session(w: &World) -> String {
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    w.tapin
        .sign_in_with_pass("ada@contoso.com", &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token
}

fn client(w: &World) -> (String, String) {
    let created = w
        .tapin
        .add_client(
            &Actor::Operator,
            NewClient {
                name: "Wiki".into(),
                redirect_uris: vec![RP.into()],
                ..Default::default()
            },
        )
        .unwrap();
    (created.client_id, created.client_secret.unwrap())
}

fn code(w: &World, client_id: &str, token: &str) -> String {
    let req = AuthorizationRequest {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(RP.into()),
        scope: Some("openid profile".into()),
        state: Some("s".into()),
        ..Default::default()
    };
    match w
        .tapin
        .oidc_authorize(
            req,
            w.tapin.person(&SessionCookie::new(token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    {
        Authorize::Redirect(to) => url::Url::parse(&to)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code"),
        other => panic!("expected a code, got {other:?}"),
    }
}

fn exchange(w: &World, id: &str, secret: &str, code: &str) -> Result<String, Error> {
    w.tapin
        .exchange_code(
            &ClientAuth {
                client_id: Some(id.into()),
                client_secret: Some(secret.into()),
            },
            &TokenRequest {
                grant_type: Some("authorization_code".into()),
                code: Some(code.into()),
                redirect_uri: Some(RP.into()),
                code_verifier: None,
                ..Default::default()
            },
        )
        .map(|t| t.access_token)
}

fn oauth_error(r: Result<String, Error>) -> &'static str {
    match r {
        Err(Error::OAuth(e)) => e.error,
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

#[test]
fn a_code_presented_twice_leaves_no_working_token_however_the_two_race() {
    let w = world();
    let (id, secret) = client(&w);
    let token = session(&w);
    // One honest exchange first: it works.
    let c = code(&w, &id, &token);
    let honest = exchange(&w, &id, &secret, &c).unwrap();
    assert!(w.tapin.userinfo(&BearerToken::new(&honest)).is_ok());
    // Presented again: refused, and the token it issued stops.
    assert_eq!(oauth_error(exchange(&w, &id, &secret, &c)), "invalid_grant");
    assert!(
        matches!(w.tapin.userinfo(&BearerToken::new(&honest)), Err(Error::OAuth(e)) if e.error == "invalid_token")
    );
    // Four at once: at most one gets tokens, and the replays revoke them
    // whichever order the steps interleave in.
    for _ in 0..5 {
        let c = code(&w, &id, &token);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| exchange(&w, &id, &secret, &c)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        // Exactly one spends the code: it gets tokens, or, when a replay
        // was seen before they were issued, is told the code was presented
        // twice. The others are told it was already used.
        let spenders = winners.len()
            + results
                .iter()
                .filter(|r| matches!(r, Err(Error::OAuth(e)) if e.description.contains("presented twice")))
                .count();
        assert_eq!(spenders, 1, "{results:?}");
        assert!(
            results.iter().all(|r| match r {
                Ok(_) => true,
                Err(Error::OAuth(e)) => e.error == "invalid_grant",
                Err(_) => false,
            }),
            "{results:?}"
        );
        for t in winners {
            assert!(
                matches!(w.tapin.userinfo(&BearerToken::new(t)), Err(Error::OAuth(e)) if e.error == "invalid_token")
            );
        }
    }
    let replays = w
        .tapin
        .audit_events(tapin_server::domain::AuditFilter {
            event: Some("oidc_code_replayed".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(replays.len(), 1 + 5 * 3, "every replay audited");
}

#[test]
fn a_code_expires_after_sixty_seconds_and_needs_the_right_secret() {
    let w = world();
    let (id, secret) = client(&w);
    let token = session(&w);
    let c = code(&w, &id, &token);
    assert_eq!(
        oauth_error(exchange(&w, &id, "tapin_cs_wrong", &c)),
        "invalid_client"
    );
    w.clock.advance(Duration::seconds(61));
    assert_eq!(oauth_error(exchange(&w, &id, &secret, &c)), "invalid_grant");
    // A rotated secret: the old one stops at once.
    let c = code(&w, &id, &token);
    let rotated = w
        .tapin
        .rotate_client_secret(&Actor::Operator, &id)
        .unwrap()
        .client_secret
        .unwrap();
    assert_eq!(
        oauth_error(exchange(&w, &id, &secret, &c)),
        "invalid_client"
    );
    assert!(exchange(&w, &id, &rotated, &c).is_ok());
    // A removed client's codes stop too.
    let c = code(&w, &id, &token);
    w.tapin.remove_client(&Actor::Operator, &id).unwrap();
    assert_eq!(
        oauth_error(exchange(&w, &id, &rotated, &c)),
        "invalid_client"
    );
}

#[test]
fn signing_keys_are_made_once_and_rotation_keeps_the_old_until_its_tokens_expire() {
    let w = world();
    w.tapin.ensure_signing_keys().unwrap();
    let kids = |w: &World| -> Vec<String> {
        w.tapin.jwks().unwrap()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let first = kids(&w);
    assert_eq!(first.len(), 2, "one ES256 and one RS256 key");
    let new = w.tapin.rotate_signing_keys().unwrap();
    let both = kids(&w);
    assert_eq!(both.len(), 4);
    assert!(first.iter().chain(&new).all(|k| both.contains(k)));
    w.clock.advance(Duration::minutes(62));
    let later = kids(&w);
    assert_eq!(later.len(), 2);
    assert!(new.iter().all(|k| later.contains(k)));
}

#[test]
fn redirect_uris_must_be_absolute_https_or_loopback() {
    let w = world();
    for bad in [
        "/cb",
        "http://wiki.contoso.com/cb",
        "https://wiki.contoso.com/cb#x",
        "javascript:alert(1)",
    ] {
        let r = w.tapin.add_client(
            &Actor::Operator,
            NewClient {
                name: "Bad".into(),
                redirect_uris: vec![bad.into()],
                ..Default::default()
            },
        );
        assert!(
            matches!(r, Err(Error::Invalid(_, Some("redirect_uri")))),
            "{bad}: {r:?}"
        );
    }
    let ok = w.tapin.add_client(
        &Actor::Operator,
        NewClient {
            name: "Dev".into(),
            redirect_uris: vec!["http://127.0.0.1:8000/cb".into()],
            public: true,
            ..Default::default()
        },
    );
    assert!(
        ok.unwrap().client_secret.is_none(),
        "a public client has no secret"
    );
}

#[test]
fn a_pass_session_adds_a_passkey_at_any_age_but_a_one_time_pass_gives_ten_minutes() {
    let w = world();
    let token = session(&w);
    // Kept alive by use, the sign-in grows old: a pass exists to recover,
    // so it may still add a key (the strength rule's "recovery" column).
    for _ in 0..4 {
        w.clock.advance(Duration::minutes(4));
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.security_info(&who))
            .unwrap();
    }
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w
            .tapin
            .start_webauthn(&who, tapin_api::wire::MethodKind::SecurityKey))
        .is_ok());
    // A one-time pass gives ten minutes from its sign-in for a passkey.
    let once = w
        .tapin
        .issue_pass(
            &Actor::Operator,
            "ada@contoso.com",
            IssueOptions {
                one_time: true,
                ..Default::default()
            },
        )
        .unwrap();
    let token = w
        .tapin
        .sign_in_with_pass("ada@contoso.com", &once.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token;
    w.clock.advance(Duration::minutes(11));
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w
            .tapin
            .start_webauthn(&who, tapin_api::wire::MethodKind::Passkey))
        .is_err());
}

#[test]
fn recovery_codes_are_off_unless_turned_on_and_each_works_once() {
    let w = world();
    let token = session(&w);
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.make_recovery_codes(&who)),
        Err(Error::Forbidden(_))
    ));

    let on = world_with(Settings {
        recovery_codes: true,
        ..Settings::default()
    });
    let t = &on.tapin;
    let pass = t
        .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    let token = t
        .sign_in_with_pass("ada@contoso.com", &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token;
    let codes = t
        .person(&SessionCookie::new(&token))
        .and_then(|who| t.make_recovery_codes(&who))
        .unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        t.person(&SessionCookie::new(&token))
            .and_then(|who| t.security_info(&who))
            .unwrap()
            .recovery_codes_left,
        Some(10)
    );
    // Typed loosely: lower case, spaces for the dash.
    let typed = codes[0].to_lowercase().replace('-', " ");
    assert!(t
        .sign_in_with_recovery_code("ada@contoso.com", &typed, "192.0.2.1")
        .is_ok());
    assert!(matches!(
        t.sign_in_with_recovery_code("ada@contoso.com", &codes[0], "192.0.2.1"),
        Err(Error::SignInCodeInvalid)
    ));
    assert!(matches!(
        t.sign_in_with_recovery_code("nobody@contoso.com", &codes[1], "192.0.2.1"),
        Err(Error::SignInCodeInvalid)
    ));
    assert_eq!(
        t.person(&SessionCookie::new(&token))
            .and_then(|who| t.security_info(&who))
            .unwrap()
            .recovery_codes_left,
        Some(9)
    );
    // A new set: the old codes stop.
    let again = t
        .person(&SessionCookie::new(&token))
        .and_then(|who| t.make_recovery_codes(&who))
        .unwrap();
    assert!(matches!(
        t.sign_in_with_recovery_code("ada@contoso.com", &codes[1], "192.0.2.1"),
        Err(Error::SignInCodeInvalid)
    ));
    assert!(t
        .sign_in_with_recovery_code("ada@contoso.com", &again[9], "192.0.2.1")
        .is_ok());
    let used = t
        .audit_events(tapin_server::domain::AuditFilter {
            event: Some("recovery_code_used".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(used.len(), 2);
}

#[test]
fn purging_forgets_expired_access_tokens_and_codes_an_hour_after_they_expire() {
    let w = world();
    let (id, secret) = client(&w);
    let token = session(&w);
    let c = code(&w, &id, &token);
    exchange(&w, &id, &secret, &c).unwrap();
    let unused = code(&w, &id, &token);
    assert_eq!(w.tapin.purge().unwrap().grants, 0);
    w.clock.advance(Duration::minutes(11));
    assert_eq!(w.tapin.purge().unwrap().grants, 1, "the access token");
    w.clock.advance(Duration::minutes(50));
    // An unused code was never written (it is sealed, not stored): only the
    // spent one is kept, to refuse it, until an hour after it expired.
    assert_eq!(w.tapin.purge().unwrap().grants, 1, "the spent code");
    assert!(
        exchange(&w, &id, &secret, &unused).is_err(),
        "and the unused one has expired"
    );
}

#[test]
fn codes_by_text_or_email_sign_in_only_when_turned_on_and_an_unknown_account_looks_the_same() {
    use tapin_api::wire::SignInChoice;
    let w = world();
    assert!(matches!(
        w.tapin
            .send_sign_in_code("ada@contoso.com", SignInChoice::Email, "192.0.2.1"),
        Err(Error::Forbidden(_))
    ));
    let on = world_with(Settings {
        sign_in_codes: true,
        ..Settings::default()
    });
    let t = &on.tapin;
    // Ada adds an email address (verified with a code, as today).
    let pass = t
        .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    let token = t
        .sign_in_with_pass("ada@contoso.com", &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token;
    let code_in = |to: &str| -> String {
        let outbox = t.outbox().unwrap();
        let m = outbox
            .iter()
            .rev()
            .find(|m| m.message.to == to)
            .expect("a message");
        m.message.body.split("code is ").nth(1).unwrap()[..6].to_string()
    };
    let reg = t
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            t.start_email(
                &who,
                tapin_api::wire::EmailStart {
                    address: "ada@example.org".into(),
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    t.person(&SessionCookie::new(&token))
        .and_then(|who| {
            t.verify_code(
                &who,
                tapin_api::wire::CodeFinish {
                    id: reg.id,
                    code: code_in("ada@example.org"),
                },
            )
        })
        .unwrap();
    let offered = t.sign_in_options("ada@contoso.com").unwrap().methods;
    assert!(offered.contains(&SignInChoice::Email) && !offered.contains(&SignInChoice::Text));

    let sent = t
        .send_sign_in_code("ada@contoso.com", SignInChoice::Email, "192.0.2.1")
        .unwrap();
    assert_eq!(sent.sent_to, "a•••@example.org");
    let code = code_in("ada@example.org");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        t.sign_in_with_sent_code("ada@contoso.com", &sent.id, wrong, "192.0.2.1"),
        Err(Error::CodeInvalid(4))
    ));
    let signed = t
        .sign_in_with_sent_code("ada@contoso.com", &sent.id, &code, "192.0.2.1")
        .unwrap();
    assert!(t
        .person(&SessionCookie::new(&signed.token))
        .and_then(|who| t.security_info(&who))
        .is_ok());
    assert!(matches!(
        t.sign_in_with_sent_code("ada@contoso.com", &sent.id, &code, "192.0.2.1"),
        Err(Error::CodeExpired)
    ));

    // An unknown account: the same answer's shape, nothing sent, no code matches.
    let before = t.outbox().unwrap().len();
    let ghost = t
        .send_sign_in_code("ghost@contoso.com", SignInChoice::Email, "192.0.2.1")
        .unwrap();
    // Its mask comes from a keyed digest, never from what was typed: a real
    // account's shows its registered address, which the name does not tell.
    assert!(ghost.sent_to.contains("•••@"), "{}", ghost.sent_to);
    assert!(
        !ghost.sent_to.ends_with("@contoso.com"),
        "{}",
        ghost.sent_to
    );
    assert_eq!(t.outbox().unwrap().len(), before);
    assert!(matches!(
        t.sign_in_with_sent_code("ghost@contoso.com", &ghost.id, "123456", "192.0.2.1"),
        Err(Error::CodeInvalid(_))
    ));
    // The send limits count the unknown account too.
    let mut refused = None;
    for _ in 0..10 {
        if let Err(e) = t.send_sign_in_code("ghost@contoso.com", SignInChoice::Email, "192.0.2.1") {
            refused = Some(e);
            break;
        }
    }
    assert!(matches!(refused, Some(Error::TooManySends(_))));
}
