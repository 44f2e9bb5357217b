//! Who is calling, decided once at the edge (docs/ARCHITECTURE.md).
//!
//! The HTTP layer reads a credential (the session cookie, an API token)
//! and hands it to one of the doors below; what comes back is a principal
//! the rules take instead of a token: a [`Person`] with a live session and
//! the strength it was signed in with, or an [`Actor`] for the help desk.
//! A principal cannot be made outside this module, so a rule that takes
//! one cannot be called by someone who has not passed a door.

use super::methods::hash_token;
use super::strength::Action;
use super::{Actor, AdminRole, Error, Result, Role, SessionRecord, Tapin, User};
use chrono::Duration;

/// The value of the session cookie, as the browser sent it. Never logged.
#[derive(Clone)]
pub struct SessionCookie(String);

/// An `Authorization: Bearer` credential: an API token. Never logged.
#[derive(Clone)]
pub struct BearerToken(String);

impl SessionCookie {
    pub fn new(value: &str) -> Self {
        Self(value.to_string())
    }

    /// What the store knows the session by.
    pub(super) fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl BearerToken {
    pub fn new(value: &str) -> Self {
        Self(value.to_string())
    }

    /// The credential itself, for the door that looks it up by its hash.
    pub(super) fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCookie(..)")
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

/// What the help desk's door was given, kept so the door can be asked again
/// at the moment of acting (a request's body arrives after its headers).
#[derive(Debug)]
pub enum HelpDeskCredential {
    Session(SessionCookie),
    Bearer(BearerToken),
}

/// A person signed in to a live session: who they are, and how strongly
/// the session was opened (the strength rule reads it). Made only by
/// [`Tapin::person`], for one request.
#[derive(Debug, Clone)]
pub struct Person {
    user: User,
    session: SessionRecord,
}

impl Person {
    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn session(&self) -> &SessionRecord {
        &self.session
    }

    /// The strength rule, asked of this person's session.
    pub(super) fn may(&self, action: Action, tapin: &Tapin) -> Result<&User> {
        self.session.permits(action, tapin.now())?;
        Ok(&self.user)
    }
}

impl Tapin {
    /// The door for a session cookie: the person behind it if the session
    /// is live (within its absolute and idle limits), recording its use.
    pub fn person(&self, cookie: &SessionCookie) -> Result<Person> {
        let now = self.now();
        let hash = cookie.hash();
        let (session, user) = self
            .store
            .session_with_user(&hash)?
            .ok_or(Error::NotSignedIn)?;
        if !self.is_live(&session, now) {
            self.store.delete_session(&hash)?;
            return Err(Error::NotSignedIn);
        }
        // One write a minute at most per session is enough for a 15-minute idle limit.
        if now - session.last_seen_at >= Duration::minutes(1) {
            self.store.touch_session(&hash, now)?;
        }
        Ok(Person { user, session })
    }

    /// The door without a blocking thread, where the store can look a
    /// session up asynchronously: the person, if their session is live and
    /// needs no write now; `None` when the blocking door must answer (the
    /// store cannot, the session ended and is to be deleted, or its use is
    /// to be recorded).
    pub async fn person_without_blocking(&self, cookie: &SessionCookie) -> Option<Result<Person>> {
        let lookup = self.store.session_lookup()?;
        let found = match lookup.session_with_user(&cookie.hash()).await {
            Ok(found) => found,
            Err(e) => return Some(Err(e.into())),
        };
        let Some((session, user)) = found else {
            return Some(Err(Error::NotSignedIn));
        };
        let now = self.now();
        if !self.is_live(&session, now) || now - session.last_seen_at >= Duration::minutes(1) {
            return None;
        }
        Some(Ok(Person { user, session }))
    }

    /// Whether the person's session is still there and live now: asked by
    /// a rule that changes something, at the moment it acts, since the
    /// person was resolved before the request's body arrived (a session
    /// revoked while a slow body is sent must not finish the change).
    pub(super) fn still_signed_in(&self, who: &Person) -> Result<()> {
        match self.store.session(&who.session.token_hash)? {
            Some(s) if self.is_live(&s, self.now()) => Ok(()),
            _ => Err(Error::NotSignedIn),
        }
    }

    /// The help desk's door for either credential.
    pub fn help_desk(&self, credential: &HelpDeskCredential) -> Result<Actor> {
        match credential {
            HelpDeskCredential::Bearer(bearer) => self.admin_by_token(bearer),
            HelpDeskCredential::Session(cookie) => self
                .person(cookie)
                .and_then(|who| self.admin_by_session(&who)),
        }
    }

    /// The help desk's work, done as the administrator behind `credential`,
    /// whose door is asked again at the moment of acting (a token revoked or
    /// a role removed while the request's body was on its way finishes
    /// nothing). What an identified administrator's roles refuse is audited
    /// as `help_desk_refused` with them as actor: a read-only token writing,
    /// an administrator acting on themselves or beyond their roles.
    pub fn as_help_desk<T>(
        &self,
        credential: &HelpDeskCredential,
        work: impl FnOnce(&Tapin, &Actor) -> Result<T>,
    ) -> Result<T> {
        let actor = self.help_desk(credential)?;
        let result = work(self, &actor);
        if let (Err(Error::Forbidden(why)), Actor::Admin(_)) = (&result, &actor) {
            let event = self.event(&actor, "", "help_desk_refused", why, "");
            if let Err(e) = self.store.record_audit(&event) {
                // The refusal stands either way; the caller is told of it.
                tracing::warn!(error = %e, "a refused help-desk action could not be audited");
            }
        }
        result
    }

    /// Ends the session behind a cookie, live or not.
    pub fn sign_out(&self, cookie: &SessionCookie) -> Result<()> {
        Ok(self.store.delete_session(&cookie.hash())?)
    }

    /// The help desk's door for a person: an administrator signed in as
    /// strongly as the strength rule asks of the help desk.
    pub fn admin_by_session(&self, who: &Person) -> Result<Actor> {
        if who.user.role != Role::Admin {
            return Err(Error::Forbidden(
                "this account is not an administrator".into(),
            ));
        }
        let user = who.may(Action::HelpDesk, self)?;
        Ok(Actor::Admin(user.clone()))
    }

    /// The help desk's door for an API token: the administrator it acts
    /// for, with their current roles; a read-only token as a global reader.
    /// The directory's door (SCIM): a live provisioning token. An API
    /// token or a session is no provisioning token, and this one opens no
    /// other door.
    pub fn provisioner(&self, bearer: &BearerToken) -> Result<Actor> {
        let token = self
            .store
            .provisioning_token_by_hash(&hash_token(&bearer.0))?
            .ok_or(Error::NotSignedIn)?;
        if token.revoked_at.is_some() || token.expires_at <= self.now() {
            return Err(Error::NotSignedIn);
        }
        Ok(Actor::Provisioning(format!(
            "provisioning token {} \"{}\"",
            token.id, token.name
        )))
    }

    pub fn admin_by_token(&self, bearer: &BearerToken) -> Result<Actor> {
        let (token, user) = self
            .store
            .token_by_hash(&hash_token(&bearer.0))?
            .ok_or(Error::NotSignedIn)?;
        if token.revoked_at.is_some() || token.expires_at <= self.now() || user.role != Role::Admin
        {
            return Err(Error::NotSignedIn);
        }
        Ok(Actor::Admin(if token.read_only {
            User {
                admin_roles: vec![AdminRole::GlobalReader],
                ..user
            }
        } else {
            user
        }))
    }
}
