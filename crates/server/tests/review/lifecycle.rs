//! Leavers and movers: a disabled person's sessions, pass, codes and
//! tokens end at once and nothing of theirs signs in (answered as for an
//! unknown account); enabling brings their methods back; a renamed person
//! keeps every method under the new name; a removed one leaves only the
//! audit trail. Each under the help desk's roles.

use super::*;
use tapin_server::domain::{AuditFilter, UserUpdate};

fn admin(w: &World, upn: &str, role: tapin_server::domain::AdminRole) -> Actor {
    common::world::add(&w.tapin, upn, Role::Admin, &[role], &[]);
    w.tapin.actor(Some(upn)).unwrap()
}

fn signed_out(w: &World, token: &str) -> bool {
    matches!(
        w.tapin.person(&SessionCookie::new(token)),
        Err(Error::NotSignedIn)
    )
}

#[test]
fn a_leaver_is_signed_out_everywhere_and_signs_in_nowhere_until_enabled() {
    let w = world();
    let seed = authenticator_app(&w);
    let (id, secret) = wiki(&w, false);
    let session = w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 1), "192.0.2.1")
        .unwrap()
        .token;
    let tokens = signed_in_app(&w, &id, secret.as_deref(), &session);
    let unredeemed = code_for(&w, &id, &session);
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, ADA, IssueOptions::default())
        .unwrap()
        .temporary_access_pass;
    // What an unknown account's wrong code gets, to compare with.
    let unknown = w
        .tapin
        .sign_in_with_code("nobody@contoso.com", &app_code(&w, &seed, 2), "192.0.2.1")
        .err()
        .map(|e| e.to_string());

    let ada = w
        .tapin
        .set_user_enabled(&Actor::Operator, ADA, false)
        .unwrap();
    assert!(!ada.enabled);

    assert!(signed_out(&w, &session), "the open session ends");
    assert!(
        w.tapin
            .userinfo(&BearerToken::new(&tokens.access_token))
            .is_err(),
        "the application's access token stops"
    );
    assert!(
        exchange(&w, &id, secret.as_deref(), &unredeemed).is_err(),
        "an unredeemed code is refused"
    );
    let by_pass = w.tapin.sign_in_with_pass(ADA, &pass, "192.0.2.1");
    assert!(by_pass.is_err(), "the pass is gone");
    // A step no sign-in has spent.
    w.clock.advance(Duration::seconds(90));
    let by_app = w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 0), "192.0.2.1")
        .err()
        .map(|e| e.to_string());
    assert!(by_app.is_some());
    assert_eq!(by_app, unknown, "refused as an unknown account is");
    assert!(matches!(
        w.tapin
            .issue_pass(&Actor::Operator, ADA, IssueOptions::default()),
        Err(Error::Conflict(_))
    ));
    assert!(w
        .tapin
        .overview(&Actor::Operator, ADA)
        .unwrap()
        .pass
        .is_none());

    // Enabling brings the method back, not the sessions.
    w.tapin
        .set_user_enabled(&Actor::Operator, ADA, true)
        .unwrap();
    assert!(signed_out(&w, &session));
    w.clock.advance(Duration::seconds(90));
    let again = w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 0), "192.0.2.1")
        .unwrap();
    assert!(!signed_out(&w, &again.token));
    let events: Vec<String> = w
        .tapin
        .audit_for(
            &Actor::Operator,
            AuditFilter {
                upn: Some(ADA.into()),
                ..Default::default()
            },
        )
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    for e in ["user_disabled", "user_enabled"] {
        assert!(events.iter().any(|x| x == e), "{e} audited: {events:?}");
    }
}

#[test]
fn sign_ins_racing_a_disable_open_nothing() {
    let w = world();
    let pass = w
        .tapin
        .issue_pass(
            &Actor::Operator,
            ADA,
            IssueOptions {
                lifetime_minutes: Some(60),
                ..Default::default()
            },
        )
        .unwrap()
        .temporary_access_pass;
    let tokens: Vec<String> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let (t, pass) = (&w.tapin, &pass);
                s.spawn(move || {
                    t.sign_in_with_pass(ADA, pass, &format!("192.0.2.{i}"))
                        .ok()
                        .map(|s| s.token)
                })
            })
            .collect();
        w.tapin
            .set_user_enabled(&Actor::Operator, ADA, false)
            .unwrap();
        racers
            .into_iter()
            .filter_map(|r| r.join().unwrap())
            .collect()
    });
    for t in &tokens {
        assert!(signed_out(&w, t), "a session won in the race opens nothing");
    }
    w.tapin
        .set_user_enabled(&Actor::Operator, ADA, true)
        .unwrap();
    for t in &tokens {
        assert!(signed_out(&w, t), "nor after enabling");
    }
}

#[test]
fn a_mover_keeps_every_method_under_the_new_name() {
    let w = world();
    let seed = authenticator_app(&w);
    let before = w.tapin.user(ADA).unwrap();
    let moved = w
        .tapin
        .update_user(
            &Actor::Operator,
            ADA,
            UserUpdate {
                upn: Some("Ada.Byron@Contoso.com".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(moved.upn, "ada.byron@contoso.com");
    assert_eq!(moved.object_id, before.object_id, "the same person");
    w.clock.advance(Duration::seconds(30));
    assert!(w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 0), "192.0.2.1")
        .is_err());
    w.tapin
        .sign_in_with_code(&moved.upn, &app_code(&w, &seed, 0), "192.0.2.1")
        .expect("the app signs in under the new name");
    // The old name is free for someone else; a taken one is refused.
    common::world::add(&w.tapin, "alan@contoso.com", Role::Member, &[], &[]);
    assert!(matches!(
        w.tapin.update_user(
            &Actor::Operator,
            &moved.object_id,
            UserUpdate {
                upn: Some("alan@contoso.com".into()),
                ..Default::default()
            }
        ),
        Err(Error::Conflict(_))
    ));
}

#[test]
fn a_removed_person_leaves_only_the_audit_trail() {
    let w = world();
    authenticator_app(&w);
    let id = w.tapin.user(ADA).unwrap().object_id;
    w.tapin.remove_user(&Actor::Operator, &id).unwrap();
    assert!(matches!(w.tapin.user(ADA), Err(Error::NotFound(_))));
    assert!(matches!(
        w.tapin.remove_user(&Actor::Operator, &id),
        Err(Error::NotFound(_))
    ));
    let trail = w
        .tapin
        .audit_for(
            &Actor::Operator,
            AuditFilter {
                upn: Some(ADA.into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(trail.iter().any(|e| e.event == "method_added"));
    assert!(trail.iter().any(|e| e.event == "user_removed"));
    // Someone new under the same name is someone else, with nothing of hers.
    common::world::add(&w.tapin, ADA, Role::Member, &[], &[]);
    let new = w.tapin.user(ADA).unwrap();
    assert_ne!(new.object_id, id);
    assert!(w
        .tapin
        .overview(&Actor::Operator, ADA)
        .unwrap()
        .methods
        .is_empty());
}

#[test]
fn who_may_disable_whom() {
    use tapin_server::domain::AdminRole::*;
    let w = world();
    let pat = admin(&w, "pat@contoso.com", PrivilegedAuthenticationAdministrator);
    let aria = admin(&w, "aria@contoso.com", AuthenticationAdministrator);
    let gil = admin(&w, "gil@contoso.com", GlobalReader);
    let cases = [
        (&gil, ADA, false),
        (&aria, "pat@contoso.com", false),
        (&aria, "aria@contoso.com", false),
        (&pat, "pat@contoso.com", false),
        (&aria, ADA, true),
        (&pat, "aria@contoso.com", true),
    ];
    assert_eq!(cases.len(), 6);
    for (actor, target, allowed) in cases {
        let r = w.tapin.set_user_enabled(actor, target, false);
        assert_eq!(
            r.is_ok(),
            allowed,
            "{} disabling {target}: {r:?}",
            actor.name()
        );
        if !allowed {
            assert!(matches!(r, Err(Error::Forbidden(_))), "{r:?}");
            assert!(w.tapin.user(target).unwrap().enabled);
        }
        if !allowed {
            assert!(matches!(
                w.tapin.remove_user(actor, target),
                Err(Error::Forbidden(_))
            ));
            assert!(w.tapin.user(target).is_ok());
        }
        w.tapin
            .set_user_enabled(&Actor::Operator, target, true)
            .unwrap();
    }
}
