//! Smart lockout of pass sign-in: per client, per account, per client address,
//! and for accounts that do not exist alike.

mod common;

use chrono::Duration;
use common::world::*;
use std::sync::Arc;
use tapin_server::domain::{
    Actor, AuditFilter, Error, IssueOptions, ManualClock, PolicyChange, Role, Settings, Tapin,
    Target,
};

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
