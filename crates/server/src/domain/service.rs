//! The pass lifecycle and pass sign-in: issuing by role, lockout, the
//! sign-in outcomes of DESIGN.md §3 and the sessions they start.

use super::caller::Person;
use super::courier::Wake;
use super::followup::FollowUps;
use super::methods::{hash_token, random_hex};
use super::pass::{decoy_hash, generate_code, hash_code, CheckHere, PassCheck};
use super::secrets::Keyring;
use super::store::{AttemptKeys, AttemptLimits, LockoutCounts, Reservation, SendLimits};
use super::{
    Actor, AuditEvent, Clock, Error, IssueOptions, IssuedPass, NewUser, PassView, Policy,
    PolicyChange, Result, Role, SessionRecord, Store, StoredPass, Usability, User,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tapin_api::wire::SessionInfo;
use tapin_api::{normalize_pass, normalize_upn};

/// Deployment settings that are not part of the admin-editable policy.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Smart lockout: failed pass attempts per (account, client), per
    /// account and per client within `lockout_window`.
    pub lockout: AttemptLimits,
    pub lockout_window: Duration,
    /// How long after a one-time-pass sign-in passwordless methods may be registered.
    pub passwordless_window: Duration,
    /// The longest a session may last, however long the pass has left.
    pub session_max: Duration,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// How many verification codes may be sent, per destination, user and client.
    pub send_limits: SendLimits,
    /// People may make recovery codes (off unless the operator turns it on).
    pub recovery_codes: bool,
    /// Codes by text, call and email sign in (off: they can be phished and
    /// intercepted; the operator turns them on).
    pub sign_in_codes: bool,
    /// Anonymous starts (sign-in ceremonies, authorization requests kept
    /// for sign-in) per client within `lockout_window`: each writes a row.
    pub starts_per_client: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            // Entra-like: one client guessing at one account locks itself out
            // quickly; NIST SP 800-63B caps the account at 100 failures.
            lockout: AttemptLimits {
                per_pair: 10,
                per_account: 100,
                per_client: 100,
            },
            lockout_window: Duration::minutes(15),
            passwordless_window: Duration::minutes(10),
            session_max: Duration::hours(8),
            session_idle: Duration::minutes(15),
            send_limits: SendLimits {
                per_destination: (5, Duration::hours(1)),
                per_user: (10, Duration::days(1)),
                per_client: (20, Duration::hours(1)),
            },
            recovery_codes: false,
            sign_in_codes: false,
            // Ten times the failed sign-ins a client may make: every real
            // sign-in starts a ceremony or two.
            starts_per_client: 1000,
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
    /// Nudges this instance's courier when a message is written.
    pub(super) wake: Arc<Wake>,
    pub(super) keys: Keyring,
    pub(super) followups: FollowUps,
    /// The OpenID Connect issuer: the public origin.
    pub(super) issuer: String,
}

/// Parses the origin users reach tapin at and writes it the way browsers
/// send it in `Origin`: lower-case scheme and host, no default port, nothing
/// after the authority. Anything else is refused with the reason.
pub fn normalize_origin(input: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::Invalid(
            format!("the public origin '{input}' {why}; write it like https://tapin.example.com or http://localhost:8080"),
            Some("public_origin"),
        )
    };
    let url = url::Url::parse(input.trim()).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "must start with https:// (or http:// for local testing)",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a path, query or fragment"));
    }
    Ok(url.origin().ascii_serialization())
}

/// The relying party for `origin` (e.g. `https://tapin.contoso.com`): its
/// host is the RP id. On localhost any port is accepted, for development.
pub fn relying_party(origin: &str) -> Result<webauthn_rs::Webauthn> {
    let origin = normalize_origin(origin)?;
    let url = url::Url::parse(&origin)
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
    /// A tapin serving `http://localhost`; messages wait in the outbox until
    /// a courier (`super::courier`) is started with `wake()`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            wake: Arc::new(Wake::default()),
            followups: FollowUps::start(store.clone()),
            store,
            clock,
            settings,
            webauthn: relying_party("http://localhost").expect("localhost is a valid origin"),
            keys: Keyring::generate(),
            issuer: "http://localhost".into(),
        }
    }

    /// The deployment's secret keys (a fresh, unsaved one otherwise).
    pub fn with_keyring(mut self, keys: Keyring) -> Self {
        self.keys = keys;
        self
    }

    /// The issuer of ID tokens: the origin users reach tapin at.
    pub fn with_issuer(mut self, origin: &str) -> Self {
        self.issuer = origin.trim_end_matches('/').to_string();
        self
    }

    pub fn with_relying_party(mut self, webauthn: webauthn_rs::Webauthn) -> Self {
        self.webauthn = webauthn;
        self
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// What the courier waits on.
    pub fn wake(&self) -> Arc<Wake> {
        self.wake.clone()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
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

    /// Whether requests can be served: the database answers, its schema is current.
    pub fn ready(&self) -> Result<()> {
        Ok(self.store.ready()?)
    }

    /// Writes a consistent copy of the database to `path`, which must not exist yet.
    pub fn backup(&self, path: &std::path::Path) -> Result<()> {
        if path.exists() {
            return Err(Error::Conflict(format!(
                "{} exists already; choose a new file",
                path.display()
            )));
        }
        Ok(self.store.backup_to(path)?)
    }

    // ---- users -------------------------------------------------------------

    pub fn add_user(&self, new: NewUser) -> Result<User> {
        let upn = normalize_upn(&new.upn)?;
        let display_name = new.display_name.trim().to_string();
        tapin_api::validate::check_free_text("name", &display_name)?;
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
        let time_zone = new
            .time_zone
            .as_deref()
            .map(tapin_api::normalize_time_zone)
            .transpose()?;
        let user = NewUser {
            upn,
            display_name,
            groups,
            time_zone,
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
        if !super::admin::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may edit the policy".into(),
            ));
        }
        let policy = change.apply(self.policy()?)?;
        let summary = serde_json::to_string(&policy).unwrap_or_default();
        self.store.save_policy(
            &policy,
            &self.event(actor, "", "policy_changed", &summary, ""),
        )?;
        Ok(policy)
    }

    /// An audit event at now, by `actor`, about `upn`.
    pub(super) fn event(
        &self,
        actor: &Actor,
        upn: &str,
        event: &str,
        detail: &str,
        client: &str,
    ) -> AuditEvent {
        AuditEvent {
            at: self.now(),
            upn: upn.into(),
            event: event.into(),
            detail: detail.into(),
            actor: actor.name().into(),
            client: client.into(),
        }
    }

    // ---- passes ------------------------------------------------------------

    /// Entra's rules: privileged authentication administrators act on admins
    /// and members, authentication administrators on members; neither on
    /// themselves. Global readers may only look.
    fn authorize(&self, actor: &Actor, target: &User, read_only: bool) -> Result<()> {
        let Actor::Admin(admin) = actor else {
            return Ok(());
        };
        let can = super::admin::Capabilities::of(actor);
        if read_only && can.read_users {
            return Ok(());
        }
        if admin.id == target.id && !read_only {
            return Err(Error::Forbidden(
                "administrators cannot manage their own pass, sessions or lockout".into(),
            ));
        }
        if !read_only && can.may_manage(target) {
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
        if tapin_api::validate_issue_lifetime(
            "lifetime",
            lifetime,
            policy.min_lifetime_minutes,
            policy.max_lifetime_minutes,
        )
        .is_err()
        {
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
            created_by: actor.name().into(),
        };
        let detail = format!(
            "{} minutes from {}{}",
            lifetime,
            stored.start_at.format("%Y-%m-%d %H:%M UTC"),
            if stored.usable_once { ", one-time" } else { "" }
        );
        self.store.replace_pass(
            &stored,
            &self.event(actor, &user.upn, "pass_issued", &detail, ""),
        )?;
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

    /// Deletes the pass and ends every session it opened.
    pub fn revoke_pass(&self, actor: &Actor, upn: &str) -> Result<()> {
        self.revoke_pass_by_id(actor, upn, None)
    }

    /// Deletes the pass, only if it is `id` when given, and ends every session it opened.
    pub fn revoke_pass_by_id(&self, actor: &Actor, upn: &str, id: Option<&str>) -> Result<()> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, false)?;
        let event = self.event(actor, &user.upn, "pass_revoked", id.unwrap_or(""), "");
        if self.store.delete_pass(user.id, id, &event)? {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "{} has no Temporary Access Pass",
                user.upn
            )))
        }
    }

    // ---- sessions and lockout, for the help desk ---------------------------

    pub fn sessions_of(&self, actor: &Actor, upn: &str) -> Result<Vec<SessionRecord>> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, true)?;
        let now = self.now();
        Ok(self
            .store
            .sessions_of(user.id)?
            .into_iter()
            .filter(|s| self.is_live(s, now))
            .collect())
    }

    /// Ends one session (by its id) or, with `None`, all of the user's.
    pub fn revoke_sessions(&self, actor: &Actor, upn: &str, id: Option<&str>) -> Result<()> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, false)?;
        match id {
            Some(id) => {
                let event = self.event(actor, &user.upn, "session_revoked", id, "");
                if !self.store.delete_session_by_id(user.id, id, &event)? {
                    return Err(Error::NotFound(format!("{} has no session {id}", user.upn)));
                }
            }
            None => {
                let event = self.event(actor, &user.upn, "session_revoked", "all", "");
                self.store.delete_sessions_of(user.id, &event)?;
            }
        }
        Ok(())
    }

    /// Failed attempts against the account within the lockout window.
    pub fn lockout_state(&self, actor: &Actor, upn: &str) -> Result<LockoutCounts> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, true)?;
        let since = self.now() - self.settings.lockout_window;
        Ok(self.store.lockout_counts(&user.upn, since)?)
    }

    pub fn clear_lockout(&self, actor: &Actor, upn: &str) -> Result<usize> {
        let user = self.user(upn)?;
        self.authorize(actor, &user, false)?;
        let event = self.event(actor, &user.upn, "lockout_cleared", "", "");
        Ok(self.store.clear_lockout(&user.upn, &event)?)
    }

    // ---- sign-in -----------------------------------------------------------

    /// Signs in with a pass. Whether the account exists, has a pass or is in
    /// scope is only revealed to someone who typed the right code.
    ///
    /// The attempt is counted before the code is hashed, in the statement
    /// that checks the limits, so simultaneous guesses cannot outrun the lockout.
    pub fn sign_in_with_pass(&self, upn: &str, code: &str, client: &str) -> Result<SignedIn> {
        self.sign_in_with_pass_checked_by(&CheckHere, upn, code, client)
    }

    /// As `sign_in_with_pass`, with the Argon2id check run by `check` (the
    /// server's bounded pool); everything else runs on the calling thread.
    pub fn sign_in_with_pass_checked_by(
        &self,
        check: &dyn PassCheck,
        upn: &str,
        code: &str,
        client: &str,
    ) -> Result<SignedIn> {
        let upn = normalize_upn(upn)?;
        let code = normalize_pass(code)?;
        let now = self.now();
        let window = self.settings.lockout_window;
        let keys = AttemptKeys {
            account: upn.clone(),
            client: client.to_string(),
        };
        let (attempt, locks_next) =
            match self
                .store
                .reserve_attempt(&keys, now, now - window, &self.settings.lockout)?
            {
                Reservation::Reserved { id, reaches } => (id, reaches),
                Reservation::Locked { newest_counted, .. } => {
                    return Err(Error::TooManyAttempts(newest_counted + window))
                }
            };
        let as_self = Actor::User(upn.clone());

        let user = self.store.user_by_upn(&upn)?;
        let pass = match &user {
            Some(u) => self.store.pass_of(u.id)?,
            None => None,
        };
        let phc = pass.as_ref().map_or(decoy_hash(), |p| p.code_hash.as_str());
        let matched = match check.matches(&code, phc) {
            Ok(m) => m,
            Err(e) => {
                // Not evaluated, so not counted.
                self.store.attempt_succeeded(attempt, None)?;
                return Err(e);
            }
        };
        let (user, pass) = match (user, pass) {
            (Some(u), Some(p)) if matched => (u, p),
            _ => {
                self.store.record_audit(&self.event(
                    &as_self,
                    &upn,
                    "sign_in_failed",
                    "pass_invalid",
                    client,
                ))?;
                if let Some(scope) = locks_next {
                    metrics::counter!("tapin_lockouts_total", "scope" => scope.as_str())
                        .increment(1);
                    self.store.record_audit(&self.event(
                        &as_self,
                        &upn,
                        "locked_out",
                        scope.as_str(),
                        client,
                    ))?;
                }
                return Err(Error::PassInvalid);
            }
        };
        // The code is right: whatever follows, this attempt was not a guess.
        let forget_attempt = {
            let keys = keys.clone();
            move |store: &dyn Store| store.attempt_succeeded(attempt, Some(&keys))
        };

        let policy = self.policy()?;
        let refused = match pass.usability(&policy, policy.in_scope(&user), now) {
            Usability::DisabledByPolicy => Some(Error::BlockedByPolicy(if !policy.enabled {
                "policy disabled"
            } else if !policy.in_scope(&user) {
                "user not in scope"
            } else {
                "policy requires one-time passes"
            })),
            Usability::OneTimeUsed => Some(Error::PassUsed(pass.used_at.unwrap_or(now))),
            Usability::NotYetValid => Some(Error::PassNotYetValid(pass.start_at)),
            Usability::Expired => Some(Error::PassExpired(pass.expires_at())),
            Usability::EnabledByPolicy => None,
        };
        if let Some(e) = refused {
            forget_attempt(self.store.as_ref())?;
            self.store.record_audit(&self.event(
                &as_self,
                &user.upn,
                "sign_in_failed",
                e.reason(),
                client,
            ))?;
            return Err(e);
        }

        let token = random_hex(32);
        let expires_at = pass.expires_at().min(now + self.settings.session_max);
        let record = SessionRecord {
            id: random_hex(8),
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at,
            passwordless_deadline: pass
                .usable_once
                .then(|| (now + self.settings.passwordless_window).min(expires_at)),
            pass_id: Some(pass.id.clone()),
            last_seen_at: now,
            method: super::oidc::SignInMethod::Pass,
            method_id: None,
        };
        let consume = pass.usable_once.then_some(pass.id.as_str());
        if !self.store.start_session(&record, consume)? {
            forget_attempt(self.store.as_ref())?;
            let used_at = self
                .store
                .pass_of(user.id)?
                .and_then(|p| p.used_at)
                .unwrap_or(now);
            return Err(Error::PassUsed(used_at));
        }

        // The point of no return: the session exists and a one-time pass is
        // spent. Nothing below may fail the request; what fails is retried.
        self.followups
            .run("forget the successful attempt", forget_attempt);
        // A pass turns code sign-in back on after too many wrong codes.
        let upn = user.upn.clone();
        self.followups.run("turn code sign-in back on", move |s| {
            s.forget_code_failures(&upn)
        });
        let event = self.event(
            &as_self,
            &user.upn,
            "pass_sign_in",
            if pass.usable_once {
                "one-time pass"
            } else {
                "pass"
            },
            client,
        );
        self.followups
            .run("audit the sign-in", move |s| s.record_audit(&event));
        // Past the point of no return too: written with retries, not on failure.
        let notices = self.store.methods_of(user.id).map(|methods| {
            self.notices(
                &methods,
                &user,
                None,
                "You signed in with a Temporary Access Pass",
                "Someone signed in to your account with a Temporary Access Pass. If that was not you, tell your administrator now.",
            )
        });
        match notices {
            Ok(notices) => {
                for notice in notices {
                    self.followups
                        .run("notify the sign-in", move |s| s.enqueue(&notice));
                }
                self.wake.nudge();
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the channels to notify of a sign-in"),
        }
        Ok(SignedIn {
            token,
            session: session_info(&user, &record, now),
        })
    }

    /// Whether a session is within both its absolute and its idle limit.
    pub(super) fn is_live(&self, s: &SessionRecord, now: DateTime<Utc>) -> bool {
        s.expires_at > now && now - s.last_seen_at < self.settings.session_idle
    }

    /// The person's session, as the app shows it.
    pub fn session(&self, who: &Person) -> Result<SessionInfo> {
        Ok(session_info(who.user(), who.session(), self.now()))
    }

    /// Removes expired sessions, challenges, attempts and sends, and outbox
    /// messages older than a week (given up, or never routed).
    pub fn purge(&self) -> Result<super::store::Purged> {
        let now = self.now();
        let limits = &self.settings.send_limits;
        let longest_send_window = limits
            .per_destination
            .1
            .max(limits.per_user.1)
            .max(limits.per_client.1);
        Ok(self.store.purge(
            now,
            now - self.settings.session_idle,
            now - self.settings.lockout_window,
            now - longest_send_window,
            now - Duration::days(7),
        )?)
    }
}

pub(super) fn session_info(user: &User, record: &SessionRecord, now: DateTime<Utc>) -> SessionInfo {
    SessionInfo {
        upn: user.upn.clone(),
        display_name: user.display_name.clone(),
        expires_at: record.expires_at,
        passwordless_deadline: record.passwordless_deadline,
        server_time: now,
        admin: user.role == super::Role::Admin
            && record
                .permits(super::strength::Action::HelpDesk, now)
                .is_ok(),
        may_change_methods: record
            .permits(super::strength::Action::ChangeMethods, now)
            .is_ok(),
    }
}
