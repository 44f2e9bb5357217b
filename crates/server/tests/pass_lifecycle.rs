//! The pass domain against a real SQLite file, with time moved by a manual clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use tapin_server::domain::{
    Actor, AdminRole, Error, IssueOptions, ManualClock, NewUser, PolicyChange, Role, Settings,
    Tapin, Target, Usability,
};
use tapin_server::storage::SqliteStore;

struct World {
    tapin: Arc<Tapin>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("tapin.db")).unwrap());
    let clock = Arc::new(ManualClock::new(start()));
    let tapin = Arc::new(Tapin::new(store, clock.clone(), Settings::default()));
    tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    add(&tapin, "ada@contoso.com", Role::Member, &[], &["staff"]);
    World { tapin, clock, dir }
}

fn add(t: &Tapin, upn: &str, role: Role, admin_roles: &[AdminRole], groups: &[&str]) {
    t.add_user(NewUser {
        upn: upn.into(),
        display_name: upn.split('@').next().unwrap().into(),
        role,
        admin_roles: admin_roles.to_vec(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    })
    .unwrap();
}

fn issue(w: &World, opts: IssueOptions) -> String {
    w.tapin
        .issue_pass(&Actor::Operator, "ada@contoso.com", opts)
        .unwrap()
        .temporary_access_pass
}

fn sign_in(w: &World, code: &str) -> Result<tapin_server::domain::SignedIn, Error> {
    w.tapin
        .sign_in_with_pass("ada@contoso.com", code, "192.0.2.1")
}

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
    w.clock.advance(Duration::minutes(59));
    assert!(w.tapin.session(&signed_in.token).is_ok());
    w.clock.advance(Duration::minutes(1));
    assert!(matches!(
        w.tapin.session(&signed_in.token),
        Err(Error::NotSignedIn)
    ));
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
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let (t, code) = (w.tapin.clone(), code.clone());
            std::thread::spawn(move || t.sign_in_with_pass("ada@contoso.com", &code, "192.0.2.1"))
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
        Arc::new(SqliteStore::open(&w.dir.path().join("tapin.db")).unwrap()),
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
fn wrong_code_unknown_user_and_no_pass_look_the_same() {
    let w = world();
    add(&w.tapin, "bob@contoso.com", Role::Member, &[], &[]);
    let code = issue(&w, IssueOptions::default());
    let first = if code.starts_with('A') { "B" } else { "A" };
    let wrong = format!("{first}{}", &code[1..]);
    assert!(matches!(sign_in(&w, &wrong), Err(Error::PassInvalid)));
    assert!(matches!(
        w.tapin
            .sign_in_with_pass("nobody@contoso.com", &code, "192.0.2.9"),
        Err(Error::PassInvalid)
    ));
    assert!(matches!(
        w.tapin
            .sign_in_with_pass("bob@contoso.com", &code, "192.0.2.9"),
        Err(Error::PassInvalid)
    ));
}

#[test]
fn policy_blocks_disabled_out_of_scope_and_multi_use_when_one_time_is_required() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let set = |c: PolicyChange| w.tapin.set_policy(&Actor::Operator, c).unwrap();

    set(PolicyChange {
        one_time: Some(true),
        ..Default::default()
    });
    assert!(matches!(sign_in(&w, &code), Err(Error::BlockedByPolicy(_))));
    set(PolicyChange {
        one_time: Some(false),
        exclude: Some(vec![Target::Group("staff".into())]),
        ..Default::default()
    });
    assert!(matches!(sign_in(&w, &code), Err(Error::BlockedByPolicy(_))));
    // Only someone who knows the code learns that the account is out of scope.
    assert!(matches!(sign_in(&w, "ZZZZZZZZ"), Err(Error::PassInvalid)));
    set(PolicyChange {
        exclude: Some(vec![]),
        enabled: Some(false),
        ..Default::default()
    });
    assert!(matches!(sign_in(&w, &code), Err(Error::BlockedByPolicy(_))));
    set(PolicyChange {
        enabled: Some(true),
        ..Default::default()
    });
    assert!(sign_in(&w, &code).is_ok());
}

#[test]
fn ten_failures_lock_the_account_for_fifteen_minutes_even_for_the_right_code() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            lifetime_minutes: Some(120),
            ..Default::default()
        },
    );
    for i in 0..10 {
        w.clock.advance(Duration::seconds(10));
        assert!(matches!(
            w.tapin
                .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", &format!("198.51.100.{i}")),
            Err(Error::PassInvalid)
        ));
    }
    let first_failure = start() + Duration::seconds(10);
    assert!(
        matches!(sign_in(&w, &code), Err(Error::TooManyAttempts(at)) if at == first_failure + Duration::minutes(15))
    );
    w.clock.advance(Duration::minutes(15));
    assert!(sign_in(&w, &code).is_ok());
}

#[test]
fn unknown_accounts_lock_too_so_lockout_reveals_nothing() {
    let w = world();
    for _ in 0..10 {
        let _ = w
            .tapin
            .sign_in_with_pass("ghost@contoso.com", "ZZZZZZZZ", "192.0.2.7");
    }
    assert!(matches!(
        w.tapin
            .sign_in_with_pass("ghost@contoso.com", "ZZZZZZZZ", "192.0.2.7"),
        Err(Error::TooManyAttempts(_))
    ));
}

#[test]
fn one_client_address_spraying_many_accounts_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("t.db")).unwrap());
    let settings = Settings {
        client_lockout_threshold: 5,
        ..Settings::default()
    };
    let t = Tapin::new(store, Arc::new(ManualClock::new(start())), settings);
    for i in 0..5 {
        let _ = t.sign_in_with_pass(&format!("user{i}@contoso.com"), "ZZZZZZZZ", "203.0.113.5");
    }
    assert!(matches!(
        t.sign_in_with_pass("another@contoso.com", "ZZZZZZZZ", "203.0.113.5"),
        Err(Error::TooManyAttempts(_))
    ));
    assert!(matches!(
        t.sign_in_with_pass("another@contoso.com", "ZZZZZZZZ", "203.0.113.6"),
        Err(Error::PassInvalid)
    ));
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
    let mut bytes = std::fs::read(w.dir.path().join("tapin.db")).unwrap();
    if let Ok(wal) = std::fs::read(w.dir.path().join("tapin.db-wal")) {
        bytes.extend(wal);
    }
    assert!(!bytes.windows(code.len()).any(|win| win == code.as_bytes()));
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
    w.tapin.sign_out(&token).unwrap();
    assert!(matches!(w.tapin.session(&token), Err(Error::NotSignedIn)));
}
