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
    Actor, AdminRole, Error, IssueOptions, Keyring, ManualClock, NewUser, PolicyChange, Role,
    Settings, Tapin,
};

pub struct World {
    pub tapin: Arc<Tapin>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

/// A world with the pass policy on and Ada, a member of "staff".
pub fn world() -> World {
    builder()
        .user(person(
            "ada@contoso.com",
            "ada",
            Role::Member,
            &[],
            &["staff"],
        ))
        .build()
}

/// What differs between suites' worlds: when it is, the settings and keys,
/// the issuer, the directory, the people in it, OIDC signing keys.
pub struct Builder {
    at: DateTime<Utc>,
    settings: Settings,
    keys: Option<Keyring>,
    issuer: Option<&'static str>,
    dir: Option<tempfile::TempDir>,
    users: Vec<NewUser>,
    signing_keys: bool,
}

/// The one way a domain test makes its world.
pub fn builder() -> Builder {
    Builder {
        at: start(),
        settings: Settings::default(),
        keys: None,
        issuer: None,
        dir: None,
        users: Vec::new(),
        signing_keys: false,
    }
}

/// Someone to add to a world.
pub fn person(
    upn: &str,
    name: &str,
    role: Role,
    admin_roles: &[AdminRole],
    groups: &[&str],
) -> NewUser {
    NewUser {
        upn: upn.into(),
        display_name: name.into(),
        role,
        admin_roles: admin_roles.to_vec(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        time_zone: None,
    }
}

impl Builder {
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub fn keys(mut self, keys: Option<Keyring>) -> Self {
        self.keys = keys;
        self
    }

    pub fn issuer(mut self, origin: &'static str) -> Self {
        self.issuer = Some(origin);
        self
    }

    /// On the store in `dir` (a second start on the same database).
    pub fn in_dir(mut self, dir: tempfile::TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    /// Someone added unless the store has them already.
    pub fn user(mut self, user: NewUser) -> Self {
        self.users.push(user);
        self
    }

    pub fn signing_keys(mut self) -> Self {
        self.signing_keys = true;
        self
    }

    pub fn build(self) -> World {
        let dir = self.dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let store = super::store_at(&dir.path().join("tapin.db"));
        let clock = Arc::new(ManualClock::new(self.at));
        let mut tapin = Tapin::new(store, clock.clone(), self.settings);
        if let Some(origin) = self.issuer {
            tapin = tapin.with_issuer(origin);
        }
        if let Some(keys) = self.keys {
            tapin = tapin.with_keyring(keys);
        }
        let tapin = Arc::new(tapin);
        tapin
            .set_policy(
                &Actor::Operator,
                PolicyChange {
                    enabled: Some(true),
                    ..Default::default()
                },
            )
            .unwrap();
        for user in self.users {
            if tapin.user(&user.upn).is_err() {
                tapin.add_user(user).unwrap();
            }
        }
        if self.signing_keys {
            tapin.ensure_signing_keys().unwrap();
        }
        World { tapin, clock, dir }
    }
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

/// What the audit trail holds of `event`.
pub fn audit_of(w: &World, event: &str) -> Vec<tapin_server::domain::AuditEvent> {
    w.tapin
        .audit_events(tapin_server::domain::AuditFilter {
            event: Some(event.into()),
            ..Default::default()
        })
        .unwrap()
}

/// Signs in with `key` after typing the account name (allowCredentials).
pub fn named_sign_in(w: &World, upn: &str, key: &mut super::keys::Key) -> Result<String, Error> {
    let challenge = w.tapin.start_webauthn_sign_in(upn, "192.0.2.9")?;
    let credential = key.sign_in(&challenge.options);
    w.tapin
        .finish_webauthn_sign_in(tapin_api::wire::PasskeySignIn {
            id: challenge.id,
            credential,
        })
        .map(|s| s.token)
}
