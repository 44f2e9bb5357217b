//! Self-service: what a signed-in person does with their own sign-in
//! methods (security info): list, add (passkey and security key,
//! authenticator app, phone and email), rename, remove, choose the default,
//! sign out everywhere. Every operation takes the `Person` the door made
//! and asks the strength rule; notices go out on the person's other
//! channels and every change is audited.

mod codes;
mod totp;
mod webauthn;

use crate::domain::caller::Person;
use crate::domain::delivery::{Channel, Message, Outgoing};
use crate::domain::methods::{is_issued_id, random_id, AuditEvent, Pending, StoredMethod};
use crate::domain::store::{AddOutcome, Change};
use crate::domain::strength::Action;
use crate::domain::{Actor, Error, Result, SessionRecord, Tapin, User};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tapin_api::normalize_method_name;
use tapin_api::wire::{Method, MethodKind, Rename, SecurityInfo};

/// How long a WebAuthn ceremony may take between start and finish.
pub(in crate::domain) const CEREMONY_TTL_MINUTES: i64 = 5;
pub use crate::domain::strength::FRESH_SIGN_IN_MINUTES;
/// How long a sent code or an unconfirmed authenticator seed stays valid.
pub(in crate::domain) const CODE_TTL_MINUTES: i64 = 10;
pub(in crate::domain) const CODE_TRIES: u32 = 5;

pub(in crate::domain) const PURPOSE_PASSKEY: &str = "register:passkey";
pub(in crate::domain) const PURPOSE_SECURITY_KEY: &str = "register:security_key";
pub(in crate::domain) const PURPOSE_TOTP: &str = "register:authenticator_app";
pub(in crate::domain) const PURPOSE_CODE: &str = "register:code";
pub(in crate::domain) const PURPOSE_SIGN_IN: &str = "signin:passkey";

/// What a sent code, once echoed, registers.
#[derive(Serialize, Deserialize)]
pub(in crate::domain) struct CodeTarget {
    kind: MethodKind,
    detail: String,
}

pub(in crate::domain) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Storage(format!("state not storable: {e}")))
}

pub(in crate::domain) fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Storage(format!("stored state unreadable: {e}")))
}

pub(in crate::domain) fn spent() -> Error {
    Error::WebauthnFailed("this request was already used or has expired; start again".into())
}

pub(in crate::domain) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Storage(format!("options not serialisable: {e}")))
}

/// The browser's answer in WebAuthn's JSON form, as webauthn-rs reads it.
pub(in crate::domain) fn credential_of<T: for<'de> Deserialize<'de>>(
    json: &serde_json::Value,
) -> Result<T> {
    T::deserialize(json)
        .map_err(|e| Error::WebauthnFailed(format!("the answer is not a WebAuthn credential: {e}")))
}

pub(in crate::domain) fn wrong_code(tries_left: u32) -> Error {
    match tries_left {
        0 => Error::CodeExpired,
        left => Error::CodeInvalid(left),
    }
}

pub(in crate::domain) fn webauthn_error(e: webauthn_rs::prelude::WebauthnError) -> Error {
    Error::WebauthnFailed(e.to_string())
}
impl Tapin {
    // ---- shared ------------------------------------------------------------

    /// The person's user and session, if the strength rule lets them do `action`.
    pub(in crate::domain) fn signed_in<'a>(
        &self,
        who: &'a Person,
        action: Action,
    ) -> Result<(&'a User, &'a SessionRecord)> {
        who.may(action, self)?;
        self.still_signed_in(who)?;
        Ok((who.user(), who.session()))
    }

    /// An audit event of the user acting on their own account.
    pub(in crate::domain) fn own(&self, user: &User, event: &str, detail: &str) -> AuditEvent {
        self.event(&Actor::User(user.upn.clone()), &user.upn, event, detail, "")
    }

    /// Notices to the user on every channel they registered, except the
    /// method the change is about: written to the outbox with the change
    /// (and retried for a day by the courier).
    pub(in crate::domain) fn notices(
        &self,
        methods: &[StoredMethod],
        user: &User,
        except: Option<&str>,
        subject: &str,
        body: &str,
    ) -> Vec<Outgoing> {
        methods
            .iter()
            .filter(|m| Some(m.id.as_str()) != except)
            .filter_map(|m| {
                let channel = match m.kind {
                    MethodKind::Email => Channel::Email,
                    MethodKind::Phone | MethodKind::AlternatePhone => Channel::Text,
                    _ => return None,
                };
                Some(Outgoing {
                    at: self.now(),
                    message: Message {
                        channel,
                        to: m.detail.clone(),
                        subject: subject.into(),
                        body: format!("{body}\n\nAccount: {}", user.upn),
                    },
                    give_up_at: self.now() + Duration::days(1),
                    sealed_for: None,
                })
            })
            .collect()
    }

    pub(in crate::domain) fn check_limit(&self, user: &User, kind: MethodKind) -> Result<()> {
        let held = self
            .store
            .methods_of(user.id)?
            .iter()
            .filter(|m| kind.shares_limit_with(m.kind))
            .count();
        if held >= kind.limit() {
            return Err(Error::LimitReached(kind, kind.limit() as u32));
        }
        Ok(())
    }

    pub(in crate::domain) fn check_window(&self, record: &SessionRecord) -> Result<()> {
        match record.passwordless_deadline {
            Some(deadline) if self.now() >= deadline => {
                Err(Error::PasswordlessWindowClosed(deadline))
            }
            _ => Ok(()),
        }
    }

    /// Stores a new method against its challenge and the limit, then audits
    /// and notifies.
    pub(in crate::domain) fn add(
        &self,
        user: &User,
        method: StoredMethod,
        pending_id: &str,
    ) -> Result<Method> {
        let audit = self.own(user, "method_added", &method.label());
        self.add_audited(user, method, pending_id, audit)
    }

    /// [`Self::add`], with the audit event of whoever added it.
    pub(in crate::domain) fn add_audited(
        &self,
        user: &User,
        method: StoredMethod,
        pending_id: &str,
        audit: crate::domain::AuditEvent,
    ) -> Result<Method> {
        let sharing: Vec<MethodKind> = MethodKind::ALL
            .into_iter()
            .filter(|k| method.kind.shares_limit_with(*k))
            .collect();
        let change = Change {
            audit,
            notices: self.notices(
                &self.store.methods_of(user.id)?,
                user,
                Some(&method.id),
                "A sign-in method was added to your account",
                &format!(
                    "A sign-in method was added to your account: {}. If that was not you, tell your administrator now.",
                    method.label()
                ),
            ),
        };
        match self
            .store
            .add_method(&method, &sharing, method.kind.limit(), pending_id, &change)?
        {
            AddOutcome::Added => {}
            AddOutcome::LimitReached => {
                return Err(Error::LimitReached(method.kind, method.kind.limit() as u32))
            }
            AddOutcome::PendingGone => return Err(Error::CodeExpired),
            AddOutcome::Duplicate => {
                return Err(Error::Conflict(
                    "this passkey or security key is already registered".into(),
                ))
            }
        }
        self.wake.nudge();
        let stored = self
            .store
            .methods_of(user.id)?
            .into_iter()
            .find(|m| m.id == method.id)
            .ok_or_else(|| Error::Storage("the new method vanished".into()))?;
        Ok(self.method_view(user, &stored))
    }

    /// A pending challenge of this user and purpose that has not expired.
    pub(in crate::domain) fn live_pending(
        &self,
        id: &str,
        user: Option<&User>,
        purposes: &[&str],
    ) -> Result<Pending> {
        if !is_issued_id(id) {
            return Err(Error::Invalid(
                "the id is not one tapin issued; use the id the start request returned".into(),
                Some("id"),
            ));
        }
        let pending = self.store.pending(id)?.ok_or(Error::CodeExpired)?;
        let owner_ok = pending.user_id == user.map(|u| u.id);
        if !owner_ok || !purposes.contains(&pending.purpose.as_str()) {
            return Err(Error::CodeExpired);
        }
        if pending.expires_at <= self.now() {
            self.store.take_pending(id)?;
            return Err(Error::CodeExpired);
        }
        Ok(pending)
    }

    /// Stores a WebAuthn ceremony's state server-side; the id goes to the browser.
    pub(in crate::domain) fn ceremony(
        &self,
        user: Option<&User>,
        purpose: &str,
        state: String,
    ) -> Result<String> {
        let id = random_id();
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: user.map(|u| u.id),
                purpose: purpose.into(),
                state,
                code_hash: None,
                tries_left: 1,
                expires_at: self.now() + Duration::minutes(CEREMONY_TTL_MINUTES),
            },
            None,
        )?;
        Ok(id)
    }

    pub(in crate::domain) fn new_method(&self, user: &User, kind: MethodKind) -> StoredMethod {
        StoredMethod {
            id: random_id(),
            user_id: user.id,
            kind,
            name: None,
            detail: String::new(),
            secret: None,
            credential_id: None,
            created_at: self.now(),
            last_used_at: None,
            is_default: false,
            authenticator: None,
        }
    }

    // ---- listing -----------------------------------------------------------

    pub fn security_info(&self, who: &Person) -> Result<SecurityInfo> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let policy = self.policy()?;
        Ok(SecurityInfo {
            methods: self
                .store
                .methods_of(user.id)?
                .iter()
                .map(|m| self.method_view(user, m))
                .collect(),
            registration_required: policy.require_registration && policy.in_scope(user),
            recovery_codes_left: self
                .settings()
                .recovery_codes
                .then(|| self.store.recovery_codes_left(user.id))
                .transpose()?,
        })
    }

    // ---- managing ----------------------------------------------------------

    pub(in crate::domain) fn owned(&self, user: &User, id: &str) -> Result<StoredMethod> {
        self.store
            .methods_of(user.id)?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| Error::NotFound("there is no such method on your account".into()))
    }

    pub fn rename_method(&self, who: &Person, id: &str, rename: Rename) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let method = self.owned(user, id)?;
        if !method.kind.has_name() {
            return Err(Error::Invalid(
                "only passkeys, security keys and authenticator apps have a name".into(),
                Some("name"),
            ));
        }
        let name = normalize_method_name(&rename.name)?;
        let event = self.own(
            user,
            "method_renamed",
            &format!("{} to \"{name}\"", method.label()),
        );
        self.store.rename_method(user.id, id, &name, &event)?;
        Ok(self.method_view(user, &self.owned(user, id)?))
    }

    pub fn delete_method(&self, who: &Person, id: &str) -> Result<()> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        self.remove_method(&Actor::User(user.upn.clone()), user, id, "")
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound("there is no such method on your account".into())
                }
                e => e,
            })
    }

    pub fn set_default_method(&self, who: &Person, id: &str) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let method = self.owned(user, id)?;
        let event = self.own(user, "default_changed", &method.label());
        self.store.set_default_method(user.id, id, &event)?;
        Ok(self.method_view(user, &self.owned(user, id)?))
    }

    pub fn sign_out_everywhere(&self, who: &Person) -> Result<()> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let event = self.own(user, "signed_out_everywhere", "");
        self.store.delete_sessions_of(user.id, &event)?;
        Ok(())
    }

    /// When the passwordless window of this session closes, if it has one.
    pub fn passwordless_deadline(&self, who: &Person) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .signed_in(who, Action::ViewSecurityInfo)?
            .1
            .passwordless_deadline)
    }
}
