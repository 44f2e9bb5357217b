//! The one test world of the domain's tests: a tapin on a real store
//! (SQLite, or PostgreSQL when `cargo xtask test` names one), time moved
//! by a manual clock, the pass policy on, and Ada, a member; with helpers
//! to issue, sign in and register methods the way a person would.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use tapin_api::wire::{EmailStart, TotpFinish};
use tapin_server::domain::methods::{base32_decode, hotp};
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{
    Actor, AdminRole, Error, IssueOptions, ManualClock, NewUser, PolicyChange, Role, Settings,
    Tapin,
};

pub struct World {
    pub tapin: Arc<Tapin>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

pub fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = super::store_at(&dir.path().join("tapin.db"));
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

pub fn add(t: &Tapin, upn: &str, role: Role, admin_roles: &[AdminRole], groups: &[&str]) {
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

pub fn issue(w: &World, opts: IssueOptions) -> String {
    w.tapin
        .issue_pass(&Actor::Operator, "ada@contoso.com", opts)
        .unwrap()
        .temporary_access_pass
}

pub fn sign_in(w: &World, code: &str) -> Result<tapin_server::domain::SignedIn, Error> {
    w.tapin
        .sign_in_with_pass("ada@contoso.com", code, "192.0.2.1")
}

pub fn signed_in(w: &World) -> String {
    sign_in(w, &issue(w, IssueOptions::default()))
        .unwrap()
        .token
}

pub fn totp_now(w: &World, secret: &str) -> String {
    let step = w.tapin.now().timestamp() / 30;
    hotp(&base32_decode(secret).unwrap(), step as u64)
}

pub fn add_authenticator(
    w: &World,
    token: &str,
    name: &str,
) -> Result<tapin_api::wire::Method, Error> {
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
pub fn email_code(w: &World, token: &str, address: &str) -> (String, String) {
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
pub fn code_sent_to(w: &World, to: &str) -> String {
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

/// Notices written by a change: with it, or not at all.
pub fn notices_to(w: &World, to: &str) -> Vec<String> {
    w.tapin
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|e| e.message.to == to && !e.message.subject.contains("code"))
        .map(|e| e.message.subject)
        .collect()
}
