//! The help desk's rules against a real store (SQLite, and PostgreSQL in
//! the store contract): who may act as administrator, what tokens allow,
//! what each role may do, finding users, removing a lost method.

mod common;

use chrono::{Duration, TimeZone, Utc};
use tapin_server::domain::helpdesk::Capabilities;
use tapin_server::domain::{
    Actor, AdminRole, AuditFilter, Error, IssueOptions, NewUser, PolicyChange, Role, UserSearch,
};
use tapin_server::domain::{BearerToken, SessionCookie};

use common::world::World;

fn world() -> World {
    let mut build =
        common::world::builder().at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
    for (upn, name, role, roles) in [
        ("ada@contoso.com", "Ada Lovelace", Role::Member, vec![]),
        ("alan@contoso.com", "Alan Turing", Role::Member, vec![]),
        (
            "pat@contoso.com",
            "Pat Privileged",
            Role::Admin,
            vec![AdminRole::PrivilegedAuthenticationAdministrator],
        ),
        (
            "aria@contoso.com",
            "Aria Authadmin",
            Role::Admin,
            vec![AdminRole::AuthenticationAdministrator],
        ),
        (
            "gil@contoso.com",
            "Gil Reader",
            Role::Admin,
            vec![AdminRole::GlobalReader],
        ),
        (
            "polly@contoso.com",
            "Polly Policy",
            Role::Admin,
            vec![AdminRole::AuthenticationPolicyAdministrator],
        ),
    ] {
        build = build.user(common::world::person(upn, name, role, &roles, &[]));
    }
    build.build()
}

fn admin(w: &World, upn: &str) -> Actor {
    w.tapin.actor(Some(upn)).unwrap()
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(
        matches!(r, Err(Error::Forbidden(_))),
        "expected 403, got {r:?}"
    );
}

#[test]
fn a_pass_session_is_not_an_administrator_and_a_member_never_is() {
    let w = world();
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, "pat@contoso.com", IssueOptions::default())
        .unwrap();
    let signed_in = w
        .tapin
        .sign_in_with_pass("pat@contoso.com", &pass.temporary_access_pass, "192.0.2.1")
        .unwrap();
    // A 403 the app words: the help desk needs a passkey or security key.
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&signed_in.token))
            .and_then(|who| w.tapin.admin_by_session(&who)),
        Err(Error::StrongerSignInNeeded(_))
    ));
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    let member = w
        .tapin
        .sign_in_with_pass("ada@contoso.com", &pass.temporary_access_pass, "192.0.2.1")
        .unwrap();
    forbidden(
        w.tapin
            .person(&SessionCookie::new(&member.token))
            .and_then(|who| w.tapin.admin_by_session(&who)),
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new("no-such-session"))
            .and_then(|who| w.tapin.admin_by_session(&who)),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn tokens_act_with_their_administrators_roles_until_revoked_or_expired() {
    let w = world();
    let full = w
        .tapin
        .create_token("aria@contoso.com", "onboarding", Some(1), false)
        .unwrap();
    assert!(full.token.starts_with("tapin_"));
    let actor = w
        .tapin
        .admin_by_token(&BearerToken::new(&full.token))
        .unwrap();
    w.tapin
        .issue_pass(&actor, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    // Authentication administrators act on members only, never on admins or themselves.
    forbidden(
        w.tapin
            .issue_pass(&actor, "gil@contoso.com", IssueOptions::default()),
    );
    forbidden(
        w.tapin
            .issue_pass(&actor, "aria@contoso.com", IssueOptions::default()),
    );

    let reader = w
        .tapin
        .create_token("pat@contoso.com", "report", None, true)
        .unwrap();
    let reading = w
        .tapin
        .admin_by_token(&BearerToken::new(&reader.token))
        .unwrap();
    w.tapin.overview(&reading, "ada@contoso.com").unwrap();
    forbidden(
        w.tapin
            .issue_pass(&reading, "ada@contoso.com", IssueOptions::default()),
    );
    forbidden(w.tapin.revoke_pass(&reading, "ada@contoso.com"));
    forbidden(w.tapin.clear_lockout(&reading, "ada@contoso.com"));

    // The token is stored hashed: the list never carries it.
    let listed = w.tapin.tokens().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .all(|(t, _)| t.token_hash != full.token && !t.token_hash.contains(&full.token)));

    w.tapin.revoke_token(&reader.stored.id).unwrap();
    assert!(matches!(
        w.tapin.admin_by_token(&BearerToken::new(&reader.token)),
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        w.tapin.revoke_token(&reader.stored.id),
        Err(Error::Conflict(_))
    ));

    w.clock.advance(Duration::days(1));
    assert!(matches!(
        w.tapin.admin_by_token(&BearerToken::new(&full.token)),
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        w.tapin.admin_by_token(&BearerToken::new("tapin_nonsense")),
        Err(Error::NotSignedIn)
    ));
    let audit = w
        .tapin
        .audit_events(AuditFilter {
            event: Some("token_created".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|e| !e.detail.contains("tapin_")));
}

#[test]
fn each_role_sees_and_changes_what_entra_allows() {
    let w = world();
    let reader = admin(&w, "gil@contoso.com");
    let policy = admin(&w, "polly@contoso.com");
    let privileged = admin(&w, "pat@contoso.com");
    let can = Capabilities::of(&reader);
    assert!(can.read_users && can.read_audit && !can.manage_members && !can.edit_policy);
    let can = Capabilities::of(&policy);
    assert!(!can.read_users && can.edit_policy);

    // The policy administrator edits the policy and reads no users.
    w.tapin
        .set_policy(
            &policy,
            PolicyChange {
                default_lifetime_minutes: Some(120),
                ..Default::default()
            },
        )
        .unwrap();
    forbidden(w.tapin.find_users(
        &policy,
        UserSearch {
            top: 10,
            ..Default::default()
        },
    ));
    forbidden(w.tapin.overview(&policy, "ada@contoso.com"));
    // Nobody else edits it.
    forbidden(w.tapin.set_policy(&privileged, PolicyChange::default()));
    forbidden(w.tapin.set_policy(&reader, PolicyChange::default()));

    // The global reader reads everything, changes nothing.
    let o = w.tapin.overview(&reader, "pat@contoso.com").unwrap();
    assert!(!o.may_manage);
    forbidden(w.tapin.revoke_sessions(&reader, "ada@contoso.com", None));
    forbidden(
        w.tapin
            .remove_method_for(&reader, "ada@contoso.com", "x", &[], "lost"),
    );

    // The privileged administrator manages admins too, never itself.
    assert!(
        w.tapin
            .overview(&privileged, "gil@contoso.com")
            .unwrap()
            .may_manage
    );
    assert!(
        !w.tapin
            .overview(&privileged, "pat@contoso.com")
            .unwrap()
            .may_manage
    );
    w.tapin
        .issue_pass(&privileged, "gil@contoso.com", IssueOptions::default())
        .unwrap();
    forbidden(
        w.tapin
            .issue_pass(&privileged, "pat@contoso.com", IssueOptions::default()),
    );
    let events = w
        .tapin
        .audit_events(AuditFilter {
            upn: Some("gil@contoso.com".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(events.last().unwrap().actor, "pat@contoso.com");
}

#[test]
fn users_are_found_by_account_name_or_any_word_of_their_name() {
    let w = world();
    let reader = admin(&w, "gil@contoso.com");
    let find = |upn: Option<&str>, name: Option<&str>, words: bool| {
        w.tapin
            .find_users(
                &reader,
                UserSearch {
                    upn_prefix: upn.map(str::to_string),
                    name_prefix: name.map(str::to_string),
                    name_words: words,
                    top: 10,
                },
            )
            .unwrap()
            .into_iter()
            .map(|u| u.upn)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find(Some("A"), None, false),
        ["ada@contoso.com", "alan@contoso.com", "aria@contoso.com"]
    );
    assert_eq!(find(None, Some("tur"), true), ["alan@contoso.com"]);
    assert!(find(None, Some("tur"), false).is_empty());
    // What is typed is matched literally: no wildcards.
    assert!(find(Some("%"), Some("_"), true).is_empty());
    assert_eq!(find(None, None, false).len(), 6);
    let top = w
        .tapin
        .find_users(
            &reader,
            UserSearch {
                top: 2,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(top.len(), 2);
    // A person's id is their GUID; a store's row number names no one.
    let ada = w.tapin.user("ada@contoso.com").unwrap();
    assert_eq!(ada.object_id.len(), 36);
    assert_eq!(w.tapin.user_by_ref(&ada.object_id).unwrap().upn, ada.upn);
    assert_eq!(
        w.tapin
            .user_by_ref(&ada.object_id.to_uppercase())
            .unwrap()
            .upn,
        ada.upn
    );
    for nobody in ["1", "99999", "00000000-0000-4000-8000-000000000000"] {
        assert!(matches!(
            w.tapin.user_by_ref(nobody),
            Err(Error::NotFound(_))
        ));
    }
}

#[test]
fn a_user_keeps_a_time_zone_and_a_name_that_is_not_one_is_refused() {
    let w = world();
    let add = |upn: &str, zone: &str| {
        w.tapin.add_user(NewUser {
            upn: upn.into(),
            display_name: "Someone".into(),
            role: Role::Member,
            admin_roles: vec![],
            groups: vec![],
            time_zone: Some(zone.into()),
        })
    };
    let user = add("tz@contoso.com", " America/Argentina/Salta ").unwrap();
    assert_eq!(user.time_zone.as_deref(), Some("America/Argentina/Salta"));
    assert_eq!(
        w.tapin
            .user_by_ref("tz@contoso.com")
            .unwrap()
            .time_zone
            .as_deref(),
        Some("America/Argentina/Salta")
    );
    for bad in [
        "",
        "Berlin time",
        "../etc/passwd",
        "europe/berlin",
        "Europe//Berlin",
    ] {
        assert!(
            matches!(add("bad@contoso.com", bad), Err(Error::Invalid(..))),
            "{bad:?} is not a zone"
        );
    }
    assert!(matches!(
        w.tapin.user_by_ref("bad@contoso.com"),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn a_pass_is_revoked_only_by_its_own_id() {
    let w = world();
    let pat = admin(&w, "pat@contoso.com");
    let first = w
        .tapin
        .issue_pass(&pat, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    let second = w
        .tapin
        .issue_pass(&pat, "ada@contoso.com", IssueOptions::default())
        .unwrap();
    assert!(matches!(
        w.tapin
            .revoke_pass_by_id(&pat, "ada@contoso.com", Some(&first.pass.id)),
        Err(Error::NotFound(_))
    ));
    w.tapin
        .revoke_pass_by_id(&pat, "ada@contoso.com", Some(&second.pass.id))
        .unwrap();
    assert!(w
        .tapin
        .overview(&pat, "ada@contoso.com")
        .unwrap()
        .pass
        .is_none());
}

#[test]
fn a_page_of_the_audit_trail_is_its_newest_events_oldest_first() {
    let w = world();
    for i in 0..5 {
        w.tapin
            .revoke_sessions(&Actor::Operator, "ada@contoso.com", None)
            .unwrap();
        w.clock.advance(Duration::seconds(i + 1));
    }
    let all = w
        .tapin
        .audit_events(AuditFilter {
            event: Some("session_revoked".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 5);
    let page = w
        .tapin
        .audit_events(AuditFilter {
            event: Some("session_revoked".into()),
            newest: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page, all[3..], "the newest two, oldest first");
}
