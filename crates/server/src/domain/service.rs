//! The pass lifecycle and pass sign-in: issuing by role, lockout, the
//! sign-in outcomes and the sessions they start.

use super::courier::Wake;
use super::followup::FollowUps;
use super::secrets::Keyring;
use super::store::{AttemptLimits, SendLimits};
use super::{
    Actor, AuditEvent, Clock, Error, NewUser, Policy, PolicyChange, Result, Role, Store, User,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tapin_api::normalize_upn;
use tapin_api::wire::SessionInfo;

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
    pub(in crate::domain) clock: Arc<dyn Clock>,
    pub(in crate::domain) settings: Settings,
    pub(super) webauthn: webauthn_rs::Webauthn,
    /// Nudges this instance's courier when a message is written.
    pub(super) wake: Arc<Wake>,
    pub(super) keys: Keyring,
    pub(super) followups: FollowUps,
    /// The OpenID Connect issuer: the public origin.
    pub(super) issuer: String,
    /// The ID-token signing keys this instance last read, opened.
    pub(super) signing: super::oidc::KeyCache,
    /// The attestation trust and model names this instance last read.
    pub(super) trust: super::authenticators::TrustCache,
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
            signing: Default::default(),
            trust: Default::default(),
        }
    }

    /// The deployment's secret keys (a fresh, unsaved one otherwise).
    pub fn with_keyring(mut self, keys: Keyring) -> Self {
        self.keys = keys;
        self.signing = Default::default();
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

    /// The keys that open what this instance sealed (the courier's too).
    pub fn keyring(&self) -> Keyring {
        self.keys.clone()
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

    // ---- users -------------------------------------------------------------

    pub fn add_user(&self, new: NewUser) -> Result<User> {
        let upn = normalize_upn(&new.upn)?;
        let display_name = crate::domain::directory::display_name(&new.display_name)?;
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
        if !crate::domain::helpdesk::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may edit the policy".into(),
            ));
        }
        let mut policy = change.apply(self.policy()?)?;
        let groups = self.store.groups()?;
        let resolve = |list: Vec<super::Target>| {
            list.into_iter()
                .map(|t| crate::domain::directory::groups::resolve_target(t, &groups))
                .collect()
        };
        policy.include = resolve(std::mem::take(&mut policy.include));
        policy.exclude = resolve(std::mem::take(&mut policy.exclude));
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
}
