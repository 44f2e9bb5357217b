//! The pass domain against a real SQLite file, with time moved by a manual clock.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{
    Actor, AdminRole, AuditFilter, Error, IssueOptions, ManualClock, NewUser, PolicyChange, Role,
    Settings, Tapin, Target, Usability,
};

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
    let store = common::store_at(&dir.path().join("tapin.db"));
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
        time_zone: None,
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
fn ten_failures_from_one_client_lock_that_client_for_fifteen_minutes_even_for_the_right_code() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            lifetime_minutes: Some(120),
            ..Default::default()
        },
    );
    for _ in 0..10 {
        w.clock.advance(Duration::seconds(10));
        assert!(matches!(
            w.tapin
                .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", "198.51.100.1"),
            Err(Error::PassInvalid)
        ));
    }
    let first_failure = start() + Duration::seconds(10);
    let locked = w
        .tapin
        .sign_in_with_pass("ada@contoso.com", &code, "198.51.100.1");
    assert!(
        matches!(locked, Err(Error::TooManyAttempts(at)) if at == first_failure + Duration::minutes(15))
    );
    w.clock.advance(Duration::minutes(15));
    assert!(w
        .tapin
        .sign_in_with_pass("ada@contoso.com", &code, "198.51.100.1")
        .is_ok());
}

#[test]
fn an_attacker_locking_one_client_does_not_lock_the_owner_on_another() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    for _ in 0..12 {
        let _ = w
            .tapin
            .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", "203.0.113.66");
    }
    assert!(matches!(
        w.tapin
            .sign_in_with_pass("ada@contoso.com", &code, "203.0.113.66"),
        Err(Error::TooManyAttempts(_))
    ));
    assert!(sign_in(&w, &code).is_ok());
}

#[test]
fn a_hundred_failures_from_many_clients_lock_the_account_everywhere() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            lifetime_minutes: Some(120),
            ..Default::default()
        },
    );
    for i in 0..100 {
        let client = format!("198.51.100.{}", i / 5);
        assert!(matches!(
            w.tapin
                .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", &client),
            Err(Error::PassInvalid)
        ));
    }
    assert!(matches!(sign_in(&w, &code), Err(Error::TooManyAttempts(_))));
    // The help desk clears it, and says so in the audit trail.
    w.tapin
        .clear_lockout(&Actor::Operator, "ada@contoso.com")
        .unwrap();
    assert!(sign_in(&w, &code).is_ok());
    let kinds: Vec<String> = w
        .tapin
        .audit_events(AuditFilter {
            upn: Some("ada@contoso.com".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "sign_in_failed").count(), 100);
    assert!(kinds.contains(&"locked_out".to_string()));
    assert!(kinds.contains(&"lockout_cleared".to_string()));
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
    let store = common::store_at(&dir.path().join("t.db"));
    let mut settings = Settings::default();
    settings.lockout.per_client = 5;
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
    if let Some(url) = common::postgres_url_for(&w.dir.path().join("tapin.db")) {
        // Every row of every table, as text.
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        for table in ["passes", "audit", "sessions", "settings", "users", "outbox"] {
            let rows: String = c
                .query_one(
                    &format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t"),
                    &[],
                )
                .unwrap()
                .get(0);
            assert!(!rows.contains(&code), "{table} holds the code");
        }
        return;
    }
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
    w.tapin.sign_out(&SessionCookie::new(&token)).unwrap();
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}

// ---- sign-in methods ---------------------------------------------------------

use tapin_api::wire::{CodeFinish, EmailStart, MethodKind, PhoneChannel, PhoneStart, TotpFinish};
use tapin_server::domain::methods::{base32_decode, hotp};

fn signed_in(w: &World) -> String {
    sign_in(w, &issue(w, IssueOptions::default()))
        .unwrap()
        .token
}

fn totp_now(w: &World, secret: &str) -> String {
    let step = w.tapin.now().timestamp() / 30;
    hotp(&base32_decode(secret).unwrap(), step as u64)
}

fn add_authenticator(w: &World, token: &str, name: &str) -> Result<tapin_api::wire::Method, Error> {
    let reg = w
        .tapin
        .person(&SessionCookie::new(token))
        .and_then(|who| w.tapin.start_totp(&who))?;
    let code = totp_now(w, &reg.secret);
    w.tapin.person(&SessionCookie::new(token)).and_then(|who| {
        w.tapin.finish_totp(
            &who,
            TotpFinish {
                id: reg.id,
                name: name.into(),
                code,
            },
        )
    })
}

/// Starts registering `address`; the registration's id and the code the outbox got.
fn email_code(w: &World, token: &str, address: &str) -> (String, String) {
    let sent = w
        .tapin
        .person(&SessionCookie::new(token))
        .and_then(|who| {
            w.tapin.start_email(
                &who,
                EmailStart {
                    address: address.into(),
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    (sent.id, code_sent_to(w, address))
}

/// The last code the outbox holds for `to`.
fn code_sent_to(w: &World, to: &str) -> String {
    let entry = w
        .tapin
        .outbox()
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.message.to == to)
        .unwrap();
    let at = entry.message.body.find("code is ").unwrap() + "code is ".len();
    entry.message.body[at..at + 6].to_string()
}

#[test]
fn an_authenticator_app_needs_a_current_code_and_a_sixth_is_refused() {
    let w = world();
    let token = signed_in(&w);
    let reg = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    assert!(reg
        .uri
        .starts_with("otpauth://totp/tapin:ada@contoso.com?secret="));
    let wrong = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.finish_totp(
            &who,
            TotpFinish {
                id: reg.id.clone(),
                name: "Phone app".into(),
                code: "000000".into(),
            },
        )
    });
    assert!(matches!(wrong, Err(Error::CodeInvalid(4))), "{wrong:?}");
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods
        .is_empty());
    // A code from ten minutes ago is not current.
    let stale = hotp(
        &base32_decode(&reg.secret).unwrap(),
        (w.tapin.now().timestamp() / 30 - 20) as u64,
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id.clone(),
                    name: "x".into(),
                    code: stale
                }
            )),
        Err(Error::CodeInvalid(3))
    ));
    let code = totp_now(&w, &reg.secret);
    let m = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id,
                    name: "Phone app".into(),
                    code,
                },
            )
        })
        .unwrap();
    assert_eq!(
        (m.kind, m.name.as_deref(), m.is_default),
        (MethodKind::AuthenticatorApp, Some("Phone app"), true)
    );
    for i in 2..=5 {
        add_authenticator(&w, &token, &format!("app {i}")).unwrap();
    }
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_totp(&who)),
        Err(Error::LimitReached(MethodKind::AuthenticatorApp, 5))
    ));
    assert_eq!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.security_info(&who))
            .unwrap()
            .methods
            .len(),
        5
    );
}

#[test]
fn the_limit_holds_when_registrations_race_past_the_start_check() {
    let w = world();
    let token = signed_in(&w);
    for i in 1..=4 {
        add_authenticator(&w, &token, &format!("app {i}")).unwrap();
    }
    let a = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let b = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let finish = |r: tapin_api::wire::TotpRegistration| {
        let code = totp_now(&w, &r.secret);
        w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: r.id,
                    name: "late".into(),
                    code,
                },
            )
        })
    };
    finish(a).unwrap();
    assert!(matches!(finish(b), Err(Error::LimitReached(_, 5))));
    assert_eq!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.security_info(&who))
            .unwrap()
            .methods
            .len(),
        5
    );
}

#[test]
fn an_email_code_has_five_tries_and_ten_minutes() {
    let w = world();
    let token = signed_in(&w);
    let sent = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.start_email(
                &who,
                EmailStart {
                    address: "Ada@Example.ORG".into(),
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    assert_eq!(sent.sent_to, "A•••@example.org");
    let code = code_sent_to(&w, "Ada@example.org");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for left in (1..=4).rev() {
        let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
            w.tapin.verify_code(
                &who,
                CodeFinish {
                    id: sent.id.clone(),
                    code: wrong.into(),
                },
            )
        });
        assert!(
            matches!(r, Err(Error::CodeInvalid(l)) if l == left),
            "{r:?}"
        );
    }
    let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.verify_code(
            &who,
            CodeFinish {
                id: sent.id.clone(),
                code: wrong.into(),
            },
        )
    });
    assert!(matches!(r, Err(Error::CodeExpired)));
    // The right code no longer helps once the tries are spent.
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id: sent.id, code })),
        Err(Error::CodeExpired)
    ));

    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.clock.advance(Duration::minutes(10));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code })),
        Err(Error::CodeExpired)
    ));

    let (id, code) = email_code(&w, &token, "ada@example.org");
    let m = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    assert_eq!(
        (m.kind, m.detail.as_str()),
        (MethodKind::Email, "a•••@example.org")
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_email(
                &who,
                EmailStart {
                    address: "b@example.org".into()
                },
                "192.0.2.1"
            )),
        Err(Error::LimitReached(MethodKind::Email, 1))
    ));
}

#[test]
fn a_malformed_phone_number_is_refused_and_sends_nothing() {
    let w = world();
    let token = signed_in(&w);
    let before = w.tapin.outbox().unwrap().len();
    let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.start_phone(
            &who,
            PhoneStart {
                kind: MethodKind::Phone,
                number: "0151 1234".into(),
                channel: PhoneChannel::Text,
            },
            "192.0.2.1",
        )
    });
    assert!(matches!(r, Err(Error::Invalid(_, Some("phone")))), "{r:?}");
    assert_eq!(w.tapin.outbox().unwrap().len(), before);
}

#[test]
fn passwordless_registration_closes_ten_minutes_after_a_one_time_pass_sign_in() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    let token = sign_in(&w, &code).unwrap().token;
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::Passkey))
        .is_ok());
    w.clock.advance(Duration::minutes(10));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::SecurityKey)),
        Err(Error::PasswordlessWindowClosed(_))
    ));
    // Other methods stay open.
    assert!(add_authenticator(&w, &token, "app").is_ok());
}

#[test]
fn deleting_the_default_moves_it_to_the_strongest_remaining_method() {
    let w = world();
    let token = signed_in(&w);
    let sent = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.start_phone(
                &who,
                PhoneStart {
                    kind: MethodKind::Phone,
                    number: "+44 20 7946 0958".into(),
                    channel: PhoneChannel::Text,
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    let phone = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.verify_code(
                &who,
                CodeFinish {
                    id: sent.id,
                    code: code_sent_to(&w, "+442079460958"),
                },
            )
        })
        .unwrap();
    assert!(phone.is_default);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    let app = add_authenticator(&w, &token, "app").unwrap();
    assert!(!app.is_default);
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.delete_method(&who, &phone.id))
        .unwrap();
    let methods = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods;
    let default: Vec<_> = methods
        .iter()
        .filter(|m| m.is_default)
        .map(|m| m.kind)
        .collect();
    assert_eq!(default, vec![MethodKind::AuthenticatorApp]);
    // The removal was told to the remaining email address, and audited.
    let last = w.tapin.outbox().unwrap().pop().unwrap();
    assert_eq!(last.message.to, "ada@example.org");
    assert!(last.message.subject.contains("removed"));
    let events: Vec<String> = w
        .tapin
        .audit_events(AuditFilter {
            upn: Some("ada@contoso.com".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            "pass_issued",
            "pass_sign_in",
            "method_added",
            "method_added",
            "method_added",
            "method_removed"
        ]
    );
}

#[test]
fn sign_out_everywhere_ends_every_session_of_the_user() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let one = sign_in(&w, &code).unwrap().token;
    let two = sign_in(&w, &code).unwrap().token;
    w.tapin
        .person(&SessionCookie::new(&one))
        .and_then(|who| w.tapin.sign_out_everywhere(&who))
        .unwrap();
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&one))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&two))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn simultaneous_wrong_codes_are_evaluated_at_most_as_often_as_the_code_has_tries() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let guesses: Vec<_> = (0..40)
        .map(|_| {
            let (t, token, id) = (w.tapin.clone(), token.clone(), id.clone());
            std::thread::spawn(move || {
                t.person(&SessionCookie::new(&token)).and_then(|who| {
                    t.verify_code(
                        &who,
                        CodeFinish {
                            id,
                            code: wrong.into(),
                        },
                    )
                })
            })
        })
        .collect();
    let evaluated = guesses
        .into_iter()
        .map(|g| g.join().unwrap())
        .filter(|r| matches!(r, Err(Error::CodeInvalid(_))))
        .count();
    // Five tries: four answers say how many are left, the fifth ends it.
    assert_eq!(evaluated, 4);
    let right = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }));
    assert!(matches!(right, Err(Error::CodeExpired)));
}

#[test]
fn the_purge_removes_what_has_expired_and_keeps_what_has_not() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    let _ = w
        .tapin
        .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", "192.0.2.9");
    let before = w.tapin.purge().unwrap();
    assert_eq!(
        (before.sessions, before.pending, before.attempts),
        (0, 0, 0)
    );
    // An hour later the code has expired, the session has ended with its
    // pass and the failed attempt is out of the lockout window.
    w.clock.advance(Duration::minutes(61));
    let after = w.tapin.purge().unwrap();
    assert_eq!((after.sessions, after.pending, after.attempts), (1, 1, 1));
    assert_eq!(
        after.sends, 0,
        "a send counts against the daily limit for a day"
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code })),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn the_public_origin_is_normalised_or_refused_with_the_reason() {
    use tapin_server::domain::normalize_origin;
    assert_eq!(
        normalize_origin("HTTPS://Tapin.Contoso.COM:443/").unwrap(),
        "https://tapin.contoso.com"
    );
    assert_eq!(
        normalize_origin("http://localhost:8080").unwrap(),
        "http://localhost:8080"
    );
    for bad in [
        "tapin.contoso.com",
        "ftp://tapin.contoso.com",
        "https://tapin.contoso.com/portal",
        "https://user:pw@tapin.contoso.com",
        "https://tapin.contoso.com/?a=b",
    ] {
        let err = normalize_origin(bad).unwrap_err().to_string();
        assert!(err.contains(bad), "{bad}: {err}");
    }
}

/// Notices written by a change: with it, or not at all.
fn notices_to(w: &World, to: &str) -> Vec<String> {
    w.tapin
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|e| e.message.to == to && !e.message.subject.contains("code"))
        .map(|e| e.message.subject)
        .collect()
}

#[test]
fn a_method_change_and_its_notices_commit_together_or_not_at_all() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    assert!(
        notices_to(&w, "ada@example.org").is_empty(),
        "the address does not hear of itself"
    );

    // An authenticator app: the address hears of it, through the outbox.
    let app = add_authenticator(&w, &token, "Phone app").unwrap();
    assert_eq!(
        notices_to(&w, "ada@example.org"),
        ["A sign-in method was added to your account"]
    );

    // A refused change (a sixth app) writes no notice.
    for i in 2..=5 {
        add_authenticator(&w, &token, &format!("App {i}")).unwrap();
    }
    assert!(matches!(
        add_authenticator(&w, &token, "Sixth"),
        Err(Error::LimitReached(..))
    ));
    assert_eq!(notices_to(&w, "ada@example.org").len(), 5);

    // When the notice cannot be written, the change is not made either.
    if let Some(url) = common::postgres_url_for(&w.dir.path().join("tapin.db")) {
        postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute(
                "CREATE FUNCTION outbox_fails() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_fails();",
            )
            .unwrap();
    } else {
        rusqlite::Connection::open(w.dir.path().join("tapin.db"))
            .unwrap()
            .execute_batch(
                "CREATE TRIGGER outbox_fails BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            )
            .unwrap();
    }
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.delete_method(&who, &app.id)),
        Err(Error::Storage(_))
    ));
    let kept = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods;
    assert!(
        kept.iter().any(|m| m.id == app.id),
        "the method is still there"
    );
    assert_eq!(notices_to(&w, "ada@example.org").len(), 5);
}
