//! Sessions: whether one is live, and what the app is told of it.

use crate::domain::caller::Person;
use crate::domain::methods::{hash_token, random_hex};
use crate::domain::oidc::SignInMethod;
use crate::domain::service::SignedIn;
use crate::domain::{Actor, Error, Result, SessionRecord, StoredPass, Tapin, User};
use chrono::{DateTime, Utc};
use tapin_api::wire::SessionInfo;

impl Tapin {
    /// Whether a session is within both its absolute and its idle limit.
    pub(in crate::domain) fn is_live(&self, s: &SessionRecord, now: DateTime<Utc>) -> bool {
        s.expires_at > now && now - s.last_seen_at < self.settings.session_idle
    }

    /// The person's session, as the app shows it.
    pub fn session(&self, who: &Person) -> Result<SessionInfo> {
        Ok(session_info(who.user(), who.session(), self.now()))
    }
}

pub(in crate::domain) fn session_info(
    user: &User,
    record: &SessionRecord,
    now: DateTime<Utc>,
) -> SessionInfo {
    SessionInfo {
        upn: user.upn.clone(),
        display_name: user.display_name.clone(),
        expires_at: record.expires_at,
        passwordless_deadline: record.passwordless_deadline,
        server_time: now,
        admin: user.role == crate::domain::Role::Admin
            && record
                .permits(crate::domain::strength::Action::HelpDesk, now)
                .is_ok(),
        may_change_methods: record
            .permits(crate::domain::strength::Action::ChangeMethods, now)
            .is_ok(),
    }
}

/// How a session is being opened.
pub(in crate::domain) struct Opening<'a> {
    pub how: SignInMethod,
    /// The registered method that opened it: removing the method ends it.
    pub method_id: Option<&'a str>,
    /// The pass that opened it: the session ends with the pass, opening it
    /// spends a one-time pass, and then passwordless methods may be added
    /// only within the window that follows.
    pub pass: Option<&'a StoredPass>,
    /// The audit trail's event, its detail and the client.
    pub event: &'a str,
    pub detail: String,
    pub client: &'a str,
}

impl Tapin {
    /// The one place a session is opened, whatever signed the person in.
    /// `None` when a one-time pass was spent by someone else first (then
    /// nothing was opened).
    pub(in crate::domain) fn open_session(
        &self,
        user: &User,
        opening: Opening,
    ) -> Result<Option<SignedIn>> {
        let now = self.now();
        let token = random_hex(32);
        let mut expires_at = now + self.settings.session_max;
        if let Some(pass) = opening.pass {
            expires_at = expires_at.min(pass.expires_at());
        }
        let one_time = opening.pass.filter(|p| p.usable_once);
        let record = SessionRecord {
            id: random_hex(8),
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at,
            passwordless_deadline: one_time
                .map(|_| (now + self.settings.passwordless_window).min(expires_at)),
            pass_id: opening.pass.map(|p| p.id.clone()),
            last_seen_at: now,
            method: opening.how,
            method_id: opening.method_id.map(str::to_string),
        };
        if !self
            .store
            .start_session(&record, one_time.map(|p| p.id.as_str()))?
        {
            return Ok(None);
        }
        let event = self.event(
            &Actor::User(user.upn.clone()),
            &user.upn,
            opening.event,
            &opening.detail,
            opening.client,
        );
        self.followups
            .run("audit the sign-in", move |s| s.record_audit(&event));
        Ok(Some(SignedIn {
            token,
            session: session_info(user, &record, now),
        }))
    }

    /// A session opened by a registered method (an app code, a sent code, a
    /// recovery code), audited as `sign_in`.
    pub(in crate::domain) fn open_method_session(
        &self,
        user: &User,
        how: SignInMethod,
        method_id: Option<&str>,
        label: &str,
    ) -> Result<SignedIn> {
        self.open_session(
            user,
            Opening {
                how,
                method_id,
                pass: None,
                event: "sign_in",
                detail: format!("{} ({label})", how.as_str()),
                client: "",
            },
        )?
        .ok_or_else(|| Error::Storage("a session without a pass was not started".into()))
    }
}
