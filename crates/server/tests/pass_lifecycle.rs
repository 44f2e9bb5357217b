//! A pass from issue to sign-in and session against a real store, with time
//! moved by a manual clock: validity, one-time use, sessions, issuing by role.

mod common;

use chrono::Duration;
use common::world::*;
use std::sync::Arc;
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{
    Actor, AdminRole, AuditFilter, Error, IssueOptions, PolicyChange, Role, Settings, Tapin,
    Target, Usability,
};

#[test]
fn delayed_pass_is_refused_before_its_start_and_after_its_lifetime() {
    let w = world();
    let starts = start() + Duration::hours(2);
    let code = issue(
        &w,
        IssueOptions {
            start: Some(starts.fixed_offset()),
            lifetime_minutes: Some(60),
            ..Default::default()
        },
    );
    assert!(matches!(sign_in(&w, &code), Err(Error::PassNotYetValid(at)) if at == starts));
    w.clock.advance(Duration::hours(2));
    assert!(sign_in(&w, &code).is_ok());
    w.clock.advance(Duration::minutes(60));
    assert!(
        matches!(sign_in(&w, &code), Err(Error::PassExpired(at)) if at == starts + Duration::minutes(60))
    );
}

#[test]
fn pass_with_a_start_in_the_past_is_valid_from_then() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            start: Some((start() - Duration::minutes(30)).fixed_offset()),
            lifetime_minutes: Some(60),
            ..Default::default()
        },
    );
    let view = w
        .tapin
        .show_pass(&Actor::Operator, "ada@contoso.com")
        .unwrap();
    assert_eq!(view.method_usability_reason, Usability::EnabledByPolicy);
    let session = sign_in(&w, &code).unwrap().session;
    assert_eq!(session.expires_at, start() + Duration::minutes(30));
}

#[test]
fn entry_forgives_case_spaces_and_dashes() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let messy = format!(" {}-{} ", code[..4].to_lowercase(), &code[4..]);
    assert!(sign_in(&w, &messy).is_ok());
}

#[test]
fn one_time_pass_session_has_a_ten_minute_passwordless_deadline_and_ends_with_the_pass() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    let signed_in = sign_in(&w, &code).unwrap();
    assert_eq!(
        signed_in.session.passwordless_deadline,
        Some(start() + Duration::minutes(10))
    );
    assert_eq!(
        signed_in.session.expires_at,
        start() + Duration::minutes(60)
    );
    // In use every ten minutes, it lasts exactly as long as the pass.
    for _ in 0..5 {
        w.clock.advance(Duration::minutes(10));
        assert!(w
            .tapin
            .person(&SessionCookie::new(&signed_in.token))
            .and_then(|who| w.tapin.session(&who))
            .is_ok());
    }
    w.clock.advance(Duration::minutes(9));
    assert!(w
        .tapin
        .person(&SessionCookie::new(&signed_in.token))
        .and_then(|who| w.tapin.session(&who))
        .is_ok());
    w.clock.advance(Duration::minutes(1));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&signed_in.token))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn a_session_left_idle_for_fifteen_minutes_ends() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let signed_in = sign_in(&w, &code).unwrap();
    w.clock.advance(Duration::minutes(14));
    assert!(w
        .tapin
        .person(&SessionCookie::new(&signed_in.token))
        .and_then(|who| w.tapin.session(&who))
        .is_ok());
    w.clock.advance(Duration::minutes(14));
    assert!(w
        .tapin
        .person(&SessionCookie::new(&signed_in.token))
        .and_then(|who| w.tapin.session(&who))
        .is_ok());
    w.clock.advance(Duration::minutes(15));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&signed_in.token))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn an_administrator_lists_and_ends_a_users_sessions_and_it_is_audited() {
    let w = world();
    add(
        &w.tapin,
        "helpdesk@contoso.com",
        Role::Admin,
        &[AdminRole::AuthenticationAdministrator],
        &[],
    );
    let code = issue(&w, IssueOptions::default());
    let first = sign_in(&w, &code).unwrap();
    w.clock.advance(Duration::seconds(1));
    let second = sign_in(&w, &code).unwrap();
    let admin = w.tapin.actor(Some("helpdesk@contoso.com")).unwrap();
    let sessions = w.tapin.sessions_of(&admin, "ada@contoso.com").unwrap();
    assert_eq!(sessions.len(), 2);
    w.tapin
        .revoke_sessions(&admin, "ada@contoso.com", Some(&sessions[0].id))
        .unwrap();
    assert!(w
        .tapin
        .person(&SessionCookie::new(&first.token))
        .and_then(|who| w.tapin.session(&who))
        .is_err());
    assert!(w
        .tapin
        .person(&SessionCookie::new(&second.token))
        .and_then(|who| w.tapin.session(&who))
        .is_ok());
    w.tapin
        .revoke_sessions(&admin, "ada@contoso.com", None)
        .unwrap();
    assert!(w
        .tapin
        .person(&SessionCookie::new(&second.token))
        .and_then(|who| w.tapin.session(&who))
        .is_err());
    let revoked: Vec<_> = w
        .tapin
        .audit_events(AuditFilter {
            event: Some("session_revoked".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|e| e.actor == "helpdesk@contoso.com"));
}

#[test]
fn multi_use_pass_has_no_passwordless_deadline_and_works_twice() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    assert_eq!(
        sign_in(&w, &code).unwrap().session.passwordless_deadline,
        None
    );
    assert!(sign_in(&w, &code).is_ok());
}

#[test]
fn used_one_time_pass_says_when_it_was_used() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    sign_in(&w, &code).unwrap();
    w.clock.advance(Duration::minutes(3));
    assert!(matches!(sign_in(&w, &code), Err(Error::PassUsed(at)) if at == start()));
}

#[test]
fn one_time_pass_is_consumed_exactly_once_under_concurrency() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    // From fifty places at once (one client's attempts in flight count against its lockout).
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let (t, code) = (w.tapin.clone(), code.clone());
            std::thread::spawn(move || {
                t.sign_in_with_pass("ada@contoso.com", &code, &format!("192.0.2.{i}"))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won = results.iter().filter(|r| r.is_ok()).count();
    let lost = results
        .iter()
        .filter(|r| matches!(r, Err(Error::PassUsed(_))))
        .count();
    assert_eq!((won, lost), (1, 49));
}

#[test]
fn one_time_pass_is_consumed_once_across_two_stores_on_one_file() {
    // Two server instances sharing the database: each has its own connection.
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    let other = Arc::new(Tapin::new(
        common::store_at(&w.dir.path().join("tapin.db")),
        w.clock.clone(),
        Settings::default(),
    ));
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let t = if i % 2 == 0 {
                w.tapin.clone()
            } else {
                other.clone()
            };
            let code = code.clone();
            std::thread::spawn(move || {
                t.sign_in_with_pass("ada@contoso.com", &code, "192.0.2.1")
                    .is_ok()
            })
        })
        .collect();
    let won = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(won, 1);
}

#[test]
fn a_new_pass_replaces_the_old_one() {
    let w = world();
    let old = issue(&w, IssueOptions::default());
    let new = issue(&w, IssueOptions::default());
    assert!(matches!(sign_in(&w, &old), Err(Error::PassInvalid)));
    assert!(sign_in(&w, &new).is_ok());
}

#[test]
fn lifetime_outside_the_policy_is_refused() {
    let w = world();
    for minutes in [59, 481] {
        let r = w.tapin.issue_pass(
            &Actor::Operator,
            "ada@contoso.com",
            IssueOptions {
                lifetime_minutes: Some(minutes),
                ..Default::default()
            },
        );
        assert!(
            matches!(r, Err(Error::Invalid(_, Some("lifetime")))),
            "{minutes}"
        );
    }
}

#[test]
fn policy_length_sets_the_code_length() {
    let w = world();
    w.tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                length: Some(20),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(issue(&w, IssueOptions::default()).len(), 20);
}

#[test]
fn no_pass_can_be_issued_while_the_policy_is_disabled_or_the_user_is_out_of_scope() {
    let w = world();
    w.tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                exclude: Some(vec![Target::User("ada@contoso.com".into())]),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(
        w.tapin
            .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default()),
        Err(Error::Forbidden(_))
    ));
    w.tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(false),
                exclude: Some(vec![]),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(matches!(
        w.tapin
            .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default()),
        Err(Error::Forbidden(_))
    ));
}

#[test]
fn issuing_follows_the_entra_administrator_roles() {
    let w = world();
    let t = &w.tapin;
    add(
        t,
        "pa@contoso.com",
        Role::Admin,
        &[AdminRole::PrivilegedAuthenticationAdministrator],
        &[],
    );
    add(
        t,
        "aa@contoso.com",
        Role::Admin,
        &[AdminRole::AuthenticationAdministrator],
        &[],
    );
    add(
        t,
        "gr@contoso.com",
        Role::Admin,
        &[AdminRole::GlobalReader],
        &[],
    );
    add(
        t,
        "pol@contoso.com",
        Role::Admin,
        &[AdminRole::AuthenticationPolicyAdministrator],
        &[],
    );
    let as_ = |upn| t.actor(Some(upn)).unwrap();
    let issue_for = |actor: &Actor, upn| t.issue_pass(actor, upn, IssueOptions::default());

    assert!(issue_for(&as_("aa@contoso.com"), "ada@contoso.com").is_ok());
    assert!(matches!(
        issue_for(&as_("aa@contoso.com"), "gr@contoso.com"),
        Err(Error::Forbidden(_))
    ));
    assert!(issue_for(&as_("pa@contoso.com"), "aa@contoso.com").is_ok());
    assert!(matches!(
        issue_for(&as_("pa@contoso.com"), "pa@contoso.com"),
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        issue_for(&as_("gr@contoso.com"), "ada@contoso.com"),
        Err(Error::Forbidden(_))
    ));
    assert!(t
        .show_pass(&as_("gr@contoso.com"), "ada@contoso.com")
        .is_ok());
    assert!(matches!(
        t.revoke_pass(&as_("gr@contoso.com"), "ada@contoso.com"),
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        t.set_policy(&as_("aa@contoso.com"), PolicyChange::default()),
        Err(Error::Forbidden(_))
    ));
    assert!(t
        .set_policy(
            &as_("pol@contoso.com"),
            PolicyChange {
                length: Some(10),
                ..Default::default()
            }
        )
        .is_ok());
    assert!(matches!(
        t.actor(Some("ada@contoso.com")),
        Err(Error::Forbidden(_))
    ));
}

#[test]
fn the_code_is_never_stored_and_never_shown_again() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let view = serde_json::to_string(
        &w.tapin
            .show_pass(&Actor::Operator, "ada@contoso.com")
            .unwrap(),
    )
    .unwrap();
    assert!(!view.contains(&code));
    let bytes = common::stored::stored_bytes(&w.dir.path().join("tapin.db"), "ada@contoso.com");
    for needle in [code.clone(), code.to_lowercase()] {
        assert!(!bytes
            .windows(needle.len())
            .any(|win| win == needle.as_bytes()));
    }
}

#[test]
fn revoked_pass_no_longer_signs_in() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    w.tapin
        .revoke_pass(&Actor::Operator, "ada@contoso.com")
        .unwrap();
    assert!(matches!(sign_in(&w, &code), Err(Error::PassInvalid)));
}

#[test]
fn signing_out_ends_the_session() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let token = sign_in(&w, &code).unwrap().token;
    w.tapin.sign_out(&SessionCookie::new(&token)).unwrap();
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}
