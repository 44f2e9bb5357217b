//! The pass lifecycle and pass sign-in: issuing by role, lockout, the
//! sign-in outcomes of DESIGN.md §3 and the sessions they start.

use super::delivery::{Delivery, Outbox};
use super::pass::{burn_equal_time, code_matches, generate_code, hash_code};
use super::{
    Actor, AdminRole, Clock, Error, IssueOptions, IssuedPass, NewUser, PassView, Policy,
    PolicyChange, Result, Role, SessionRecord, Store, StoredPass, Usability, User,
};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tapin_api::wire::SessionInfo;
use tapin_api::{normalize_pass, normalize_upn};

/// Deployment settings that are not part of the admin-editable policy.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed pass attempts per account within `lockout_window` before it locks.
    pub account_lockout_threshold: u32,
    /// Failed attempts per client address within `lockout_window` before it locks.
    pub client_lockout_threshold: u32,
    pub lockout_window: Duration,
    /// How long after a one-time-pass sign-in passwordless methods may be registered.
    pub passwordless_window: Duration,
    /// The longest a session may last, however long the pass has left.
    pub session_max: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            account_lockout_threshold: 10,
            client_lockout_threshold: 100,
            lockout_window: Duration::minutes(15),
            passwordless_window: Duration::minutes(10),
            session_max: Duration::hours(8),
        }
    }
}

/// A session just started: the token goes to the cookie, never to storage or logs.
pub struct SignedIn {
    pub token: String,
    pub session: SessionInfo,
}

pub struct Tapin {
    pub(super) store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    pub(super) webauthn: webauthn_rs::Webauthn,
    pub(super) delivery: Arc<dyn Delivery>,
}

/// The relying party for `origin` (e.g. `https://tapin.contoso.com`): its
/// host is the RP id. On localhost any port is accepted, for development.
pub fn relying_party(origin: &str) -> Result<webauthn_rs::Webauthn> {
    let url = url::Url::parse(origin)
        .map_err(|e| Error::invalid(format!("the public origin {origin} is not a URL: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid(format!("the public origin {origin} has no host")))?
        .to_string();
    let builder = webauthn_rs::WebauthnBuilder::new(&host, &url)
        .map_err(|e| Error::invalid(format!("cannot use {origin} for passkeys: {e}")))?
        .rp_name("tapin")
        .allow_any_port(host == "localhost");
    builder
        .build()
        .map_err(|e| Error::invalid(format!("cannot use {origin} for passkeys: {e}")))
}

pub(super) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

fn pass_id() -> String {
    let h = random_hex(16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Tapin {
    /// A tapin serving `http://localhost` and delivering to the outbox.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            delivery: Arc::new(Outbox(store.clone())),
            store,
            clock,
            settings,
            webauthn: relying_party("http://localhost").expect("localhost is a valid origin"),
        }
    }

    pub fn with_relying_party(mut self, webauthn: webauthn_rs::Webauthn) -> Self {
        self.webauthn = webauthn;
        self
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn with_delivery(mut self, delivery: Arc<dyn Delivery>) -> Self {
        self.delivery = delivery;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.store.is_empty()?)
    }

    // ---- users -------------------------------------------------------------

    pub fn add_user(&self, new: NewUser) -> Result<User> {
        let upn = normalize_upn(&new.upn)?;
        let display_name = new.display_name.trim().to_string();
        if display_name.is_empty() || display_name.chars().count() > 256 {
            return Err(Error::Invalid(
                "name must be 1 to 256 characters".into(),
                Some("name"),
            ));
        }
        if new.role == Role::Member && !new.admin_roles.is_empty() {
            return Err(Error::invalid("only an admin can hold administrator roles"));
        }
        let mut groups: Vec<String> = new.groups.iter().map(|g| g.trim().to_string()).collect();
        if groups.iter().any(|g| g.is_empty()) {
            return Err(Error::Invalid(
                "a group name cannot be empty".into(),
                Some("group"),
            ));
        }
        groups.dedup();
        let user = NewUser {
            upn,
            display_name,
            groups,
            ..new
        };
        Ok(self.store.insert_user(&user, self.now())?)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        Ok(self.store.users()?)
    }

    pub fn user(&self, upn: &str) -> Result<User> {
        let upn = normalize_upn(upn)?;
        self.store
            .user_by_upn(&upn)?
            .ok_or_else(|| Error::NotFound(format!("no user {upn}")))
    }

    /// Resolves `--as UPN` to an acting administrator.
    pub fn actor(&self, upn: Option<&str>) -> Result<Actor> {
        match upn {
            None => Ok(Actor::Operator),
            Some(upn) => {
                let user = self.user(upn)?;
                if user.role != Role::Admin {
                    return Err(Error::Forbidden(format!(
                        "{} is not an administrator",
                        user.upn
                    )));
                }
                Ok(Actor::Admin(user))
            }
        }
    }

    // ---- policy ------------------------------------------------------------

    pub fn policy(&self) -> Result<Policy> {
        Ok(self.store.policy()?.unwrap_or_default())
    }

    pub fn set_policy(&self, actor: &Actor, change: PolicyChange) -> Result<Policy> {
        if let Actor::Admin(a) = actor {
            if !a.has(AdminRole::AuthenticationPolicyAdministrator) {
                return Err(Error::Forbidden(
                    "only an authentication policy administrator may edit the policy".into(),
                ));
            }
        }
        let policy = change.apply(self.policy()?)?;
        self.store.save_policy(&policy)?;
        Ok(policy)
    }

    // ---- passes ------------------------------------------------------------

    /// Entra's rules: privileged authentication administrators act on admins
    /// and members, authentication administrators on members; neither on
    /// themselves. Global readers may only look.
    fn authorize(&self, actor: &Actor, target: &User, read_only: bool) -> Result<()> {
        let Actor::Admin(admin) = actor else {
            return Ok(());
        };
        if read_only && admin.has(AdminRole::GlobalReader) {
            return Ok(());
        }
        if admin.id == target.id {
            return Err(Error::Forbidden(
                "administrators cannot manage their own pass".into(),
            ));
        }
        let allowed = admin.has(AdminRole::PrivilegedAuthenticationAdministrator)
            || (admin.has(AdminRole::AuthenticationAdministrator) && target.role == Role::Member);
        if allowed {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "{} may not manage passes of {}",
                admin.upn, target.upn
            )))
        }
    }

    pub fn issue_pass(&self, actor: &Actor, upn: &str, opts: IssueOptions) -> Result<IssuedPass> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, false)?;
        let policy = self.policy()?;
        if !policy.enabled {
            return Err(Error::Forbidden(
                "the Temporary Access Pass policy is disabled; enable it first (tapin policy set --enabled true)".into(),
            ));
        }
        if !policy.in_scope(&user) {
            return Err(Error::Forbidden(format!(
                "{} is not in the Temporary Access Pass policy's scope",
                user.upn
            )));
        }
        let lifetime = opts
            .lifetime_minutes
            .unwrap_or(policy.default_lifetime_minutes);
        if !(policy.min_lifetime_minutes..=policy.max_lifetime_minutes).contains(&lifetime) {
            return Err(Error::Invalid(
                format!(
                    "lifetime must be between {} and {} minutes under the policy",
                    policy.min_lifetime_minutes, policy.max_lifetime_minutes
                ),
                Some("lifetime"),
            ));
        }
        let now = self.now();
        let code = generate_code(policy.length);
        let stored = StoredPass {
            id: pass_id(),
            user_id: user.id,
            code_hash: hash_code(&code)?,
            created_at: now,
            start_at: opts.start.map_or(now, |s| s.with_timezone(&Utc)),
            start_offset_seconds: opts.start.map_or(0, |s| s.offset().local_minus_utc()),
            lifetime_minutes: lifetime,
            usable_once: opts.one_time || policy.one_time,
            used_at: None,
            created_by: match actor {
                Actor::Operator => "operator".into(),
                Actor::Admin(a) => a.upn.clone(),
            },
        };
        self.store.replace_pass(&stored)?;
        Ok(IssuedPass {
            temporary_access_pass: code,
            pass: stored.view(&policy, true, now),
        })
    }

    pub fn show_pass(&self, actor: &Actor, upn: &str) -> Result<PassView> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, true)?;
        let policy = self.policy()?;
        let pass = self
            .store
            .pass_of(user.id)?
            .ok_or_else(|| Error::NotFound(format!("{} has no Temporary Access Pass", user.upn)))?;
        Ok(pass.view(&policy, policy.in_scope(&user), self.now()))
    }

    pub fn revoke_pass(&self, actor: &Actor, upn: &str) -> Result<()> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, false)?;
        if self.store.delete_pass(user.id)? {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "{} has no Temporary Access Pass",
                user.upn
            )))
        }
    }

    // ---- sign-in -----------------------------------------------------------

    fn check_lockout(&self, key: &str, threshold: u32, now: DateTime<Utc>) -> Result<()> {
        let window = self.settings.lockout_window;
        let failures = self.store.failures_since(key, now - window)?;
        let threshold = threshold.max(1) as usize;
        if failures.len() >= threshold {
            // Unlocks when enough of the counted failures have aged out of the window.
            let retry_at = failures[failures.len() - threshold] + window;
            return Err(Error::TooManyAttempts(retry_at));
        }
        Ok(())
    }

    /// Signs in with a pass. Whether the account exists, has a pass or is in
    /// scope is only revealed to someone who typed the right code.
    pub fn sign_in_with_pass(&self, upn: &str, code: &str, client: &str) -> Result<SignedIn> {
        let upn = normalize_upn(upn)?;
        let code = normalize_pass(code)?;
        let now = self.now();
        let account_key = format!("account:{upn}");
        let client_key = format!("client:{client}");
        self.check_lockout(&account_key, self.settings.account_lockout_threshold, now)?;
        self.check_lockout(&client_key, self.settings.client_lockout_threshold, now)?;

        let user = self.store.user_by_upn(&upn)?;
        let pass = match &user {
            Some(u) => self.store.pass_of(u.id)?,
            None => None,
        };
        let (user, pass) = match (user, pass) {
            (Some(u), Some(p)) if code_matches(&code, &p.code_hash) => (u, p),
            (_, pass) => {
                if pass.is_none() {
                    burn_equal_time(&code);
                }
                self.store.record_failure(&account_key, now)?;
                self.store.record_failure(&client_key, now)?;
                return Err(Error::PassInvalid);
            }
        };

        let policy = self.policy()?;
        match pass.usability(&policy, policy.in_scope(&user), now) {
            Usability::DisabledByPolicy => {
                return Err(Error::BlockedByPolicy(if !policy.enabled {
                    "policy disabled"
                } else if !policy.in_scope(&user) {
                    "user not in scope"
                } else {
                    "policy requires one-time passes"
                }))
            }
            Usability::OneTimeUsed => return Err(Error::PassUsed(pass.used_at.unwrap_or(now))),
            Usability::NotYetValid => return Err(Error::PassNotYetValid(pass.start_at)),
            Usability::Expired => return Err(Error::PassExpired(pass.expires_at())),
            Usability::EnabledByPolicy => {}
        }

        let token = random_hex(32);
        let expires_at = pass.expires_at().min(now + self.settings.session_max);
        let record = SessionRecord {
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at,
            passwordless_deadline: pass
                .usable_once
                .then(|| (now + self.settings.passwordless_window).min(expires_at)),
        };
        let consume = pass.usable_once.then_some(pass.id.as_str());
        if !self.store.start_session(&record, consume)? {
            let used_at = self
                .store
                .pass_of(user.id)?
                .and_then(|p| p.used_at)
                .unwrap_or(now);
            return Err(Error::PassUsed(used_at));
        }
        self.store.clear_failures(&account_key)?;
        self.audit(
            &user,
            "pass_sign_in",
            if pass.usable_once {
                "one-time pass"
            } else {
                "pass"
            },
        )?;
        self.notify(
            &user,
            None,
            "You signed in with a Temporary Access Pass",
            "Someone signed in to your account with a Temporary Access Pass. If that was not you, tell your administrator now.",
        );
        Ok(SignedIn {
            token,
            session: session_info(&user, &record, now),
        })
    }

    pub fn session(&self, token: &str) -> Result<SessionInfo> {
        let now = self.now();
        let hash = hash_token(token);
        let record = self.store.session(&hash)?.ok_or(Error::NotSignedIn)?;
        if record.expires_at <= now {
            self.store.delete_session(&hash)?;
            return Err(Error::NotSignedIn);
        }
        let user = self
            .store
            .user_by_id(record.user_id)?
            .ok_or(Error::NotSignedIn)?;
        Ok(session_info(&user, &record, now))
    }

    pub fn sign_out(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&hash_token(token))?)
    }
}

pub(super) fn session_info(user: &User, record: &SessionRecord, now: DateTime<Utc>) -> SessionInfo {
    SessionInfo {
        upn: user.upn.clone(),
        display_name: user.display_name.clone(),
        expires_at: record.expires_at,
        passwordless_deadline: record.passwordless_deadline,
        server_time: now,
    }
}
