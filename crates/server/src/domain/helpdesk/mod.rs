//! The help desk's side: who is acting (an administrator signed in with a
//! passkey or security key, or an API token), what each role may see and
//! do, finding users, a user's whole picture, and removing a lost method.
//! The pass, lockout and session operations themselves live in `service`,
//! shared with the command line.

pub(in crate::domain) mod passes;

use crate::domain::methods::{hash_token, random_hex, random_id, strongest};
use crate::domain::store::{ApiToken, Change, LockoutCounts, ProvisioningToken, UserSearch};
use crate::domain::{
    Actor, AdminRole, AuditEvent, AuditFilter, Error, PassView, Result, Role, SessionRecord,
    StoredMethod, Tapin, User,
};
use chrono::{DateTime, Duration, Utc};
use tapin_api::wire::MethodKind;

/// Where API tokens start, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "tapin_";
/// How long a token lasts unless told otherwise, and at most.
pub const TOKEN_DAYS_DEFAULT: u32 = 90;
pub const TOKEN_DAYS_MAX: u32 = 730;
/// The most users one search returns.
pub const SEARCH_TOP_MAX: u32 = 999;

/// What the acting administrator's roles allow, for pages to show only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Find users and see their methods, pass, lockout and sessions.
    pub read_users: bool,
    /// Issue and revoke passes, remove methods, clear lockouts, end sessions: for members.
    pub manage_members: bool,
    /// The same for administrators.
    pub manage_admins: bool,
    pub edit_policy: bool,
    pub read_audit: bool,
    /// Register, remove and re-key the applications that sign people in
    /// with tapin (OpenID Connect clients).
    pub manage_clients: bool,
}

impl Capabilities {
    pub fn of(actor: &Actor) -> Self {
        match actor {
            Actor::Operator => Self {
                read_users: true,
                manage_members: true,
                manage_admins: true,
                edit_policy: true,
                read_audit: true,
                manage_clients: true,
            },
            Actor::User(_) => Self::default(),
            // The directory manages people (SCIM's rules, `directory::scim`),
            // nothing else of the help desk's.
            Actor::Provisioning(_) => Self {
                read_users: true,
                manage_members: true,
                manage_admins: true,
                ..Self::default()
            },
            Actor::Admin(a) => {
                let privileged = a.has(AdminRole::PrivilegedAuthenticationAdministrator);
                let members = privileged || a.has(AdminRole::AuthenticationAdministrator);
                let reader = a.has(AdminRole::GlobalReader);
                Self {
                    read_users: members || reader,
                    manage_members: members,
                    manage_admins: privileged,
                    edit_policy: a.has(AdminRole::AuthenticationPolicyAdministrator),
                    read_audit: members || reader,
                    manage_clients: privileged,
                }
            }
        }
    }

    /// Whether `target` may be changed by this actor (never by itself: checked apart).
    pub fn may_manage(&self, target: &User) -> bool {
        match target.role {
            Role::Member => self.manage_members,
            Role::Admin => self.manage_admins,
        }
    }
}

/// Everything the help desk sees of one user.
#[derive(Debug, Clone)]
pub struct Overview {
    pub user: User,
    pub methods: Vec<StoredMethod>,
    /// The same methods as the help desk sees them (keys with their model).
    pub views: Vec<tapin_api::wire::Method>,
    pub pass: Option<PassView>,
    pub lockout: LockoutCounts,
    /// The account's failures within the window reached a limit.
    pub locked: bool,
    pub sessions: Vec<SessionRecord>,
    /// Whether the asking administrator may change this user.
    pub may_manage: bool,
}

/// A token's name (trimmed, 1 to 64 characters of free text) and its
/// lifetime in days (90 unless told, at most 730), checked.
fn token_terms(name: &str, days: Option<u32>) -> Result<(&str, u32)> {
    let name = name.trim();
    tapin_api::validate::check_free_text("name", name)?;
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::Invalid(
            "a token's name must be 1 to 64 characters".into(),
            Some("name"),
        ));
    }
    let days = days.unwrap_or(TOKEN_DAYS_DEFAULT);
    if !(1..=TOKEN_DAYS_MAX).contains(&days) {
        return Err(Error::Invalid(
            format!("a token lasts 1 to {TOKEN_DAYS_MAX} days"),
            Some("expires"),
        ));
    }
    Ok((name, days))
}

/// A provisioning token just created: the only time it is seen.
pub struct CreatedProvisioningToken {
    pub token: String,
    pub stored: ProvisioningToken,
}

/// A token just created: the only time it is seen.
pub struct CreatedToken {
    pub token: String,
    pub stored: ApiToken,
}

fn forbidden_reading() -> Error {
    Error::Forbidden("your administrator roles do not include reading users".into())
}

/// A search as the store runs it, when `actor` may read users.
fn searching(actor: &Actor, search: UserSearch) -> Result<UserSearch> {
    if !Capabilities::of(actor).read_users {
        return Err(forbidden_reading());
    }
    // What no name holds (a control character, NUL among them, which
    // PostgreSQL's text refuses) is bad input (400), never a failure (500).
    for prefix in [&search.upn_prefix, &search.name_prefix]
        .into_iter()
        .flatten()
    {
        tapin_api::validate::check_free_text("search", prefix)?;
    }
    Ok(UserSearch {
        upn_prefix: search.upn_prefix.map(|p| p.trim().to_lowercase()),
        name_prefix: search.name_prefix.map(|p| p.trim().to_string()),
        top: search.top.clamp(1, SEARCH_TOP_MAX),
        ..search
    })
}

impl Tapin {
    // ---- who is acting -----------------------------------------------------

    // ---- tokens (the operator's, from the server's shell) ------------------

    pub fn create_token(
        &self,
        admin_upn: &str,
        name: &str,
        days: Option<u32>,
        read_only: bool,
    ) -> Result<CreatedToken> {
        let Actor::Admin(admin) = self.actor(Some(admin_upn))? else {
            unreachable!("actor(Some) is an administrator");
        };
        let (name, days) = token_terms(name, days)?;
        let now = self.now();
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
        let stored = ApiToken {
            id: random_id(),
            user_id: admin.id,
            name: name.into(),
            token_hash: hash_token(&token),
            read_only,
            created_at: now,
            expires_at: now + Duration::days(i64::from(days)),
            revoked_at: None,
        };
        let detail = format!(
            "token {} \"{}\"{}",
            stored.id,
            stored.name,
            if read_only { ", read-only" } else { "" }
        );
        self.store.insert_token(
            &stored,
            &self.event(&Actor::Operator, &admin.upn, "token_created", &detail, ""),
        )?;
        Ok(CreatedToken { token, stored })
    }

    /// A token for the organisation's directory: it opens `/scim/v2`
    /// (people and groups) and nothing else.
    pub fn create_provisioning_token(
        &self,
        name: &str,
        days: Option<u32>,
    ) -> Result<CreatedProvisioningToken> {
        let (name, days) = token_terms(name, days)?;
        let now = self.now();
        let token = format!("{TOKEN_PREFIX}scim_{}", random_hex(32));
        let stored = ProvisioningToken {
            id: random_id(),
            name: name.into(),
            token_hash: hash_token(&token),
            created_at: now,
            expires_at: now + Duration::days(i64::from(days)),
            revoked_at: None,
        };
        let detail = format!("provisioning token {} \"{}\"", stored.id, stored.name);
        self.store.insert_provisioning_token(
            &stored,
            &self.event(&Actor::Operator, "", "token_created", &detail, ""),
        )?;
        Ok(CreatedProvisioningToken { token, stored })
    }

    pub fn provisioning_tokens(&self) -> Result<Vec<ProvisioningToken>> {
        Ok(self.store.provisioning_tokens()?)
    }

    pub fn tokens(&self) -> Result<Vec<(ApiToken, User)>> {
        Ok(self.store.tokens()?)
    }

    pub fn revoke_token(&self, id: &str) -> Result<()> {
        if self.provisioning_tokens()?.iter().any(|t| t.id == id) {
            let event = self.event(
                &Actor::Operator,
                "",
                "token_revoked",
                &format!("provisioning token {id}"),
                "",
            );
            return if self
                .store
                .revoke_provisioning_token(id, self.now(), &event)?
            {
                Ok(())
            } else {
                Err(Error::Conflict(format!("token {id} was already revoked")))
            };
        }
        let owner = self
            .tokens()?
            .into_iter()
            .find(|(t, _)| t.id == id)
            .map(|(_, u)| u.upn)
            .ok_or_else(|| Error::NotFound(format!("there is no token {id}")))?;
        let event = self.event(&Actor::Operator, &owner, "token_revoked", id, "");
        if self.store.revoke_token(id, self.now(), &event)? {
            Ok(())
        } else {
            Err(Error::Conflict(format!("token {id} was already revoked")))
        }
    }

    // ---- reading ------------------------------------------------------------

    /// A user by id (their GUID) or account name.
    pub fn user_by_ref(&self, id_or_upn: &str) -> Result<User> {
        let found = match uuid::Uuid::try_parse(id_or_upn) {
            Ok(id) => self.store.user_by_object_id(&id.hyphenated().to_string())?,
            Err(_) => match tapin_api::normalize_upn(id_or_upn) {
                Ok(upn) => self.store.user_by_upn(&upn)?,
                Err(_) => None,
            },
        };
        found.ok_or_else(|| Error::NotFound(format!("there is no user '{id_or_upn}'")))
    }

    pub fn find_users(&self, actor: &Actor, search: UserSearch) -> Result<Vec<User>> {
        Ok(self.store.find_users(&searching(actor, search)?)?)
    }

    /// How many users a search finds, however many one answer holds.
    pub fn count_users(&self, actor: &Actor, search: UserSearch) -> Result<u64> {
        Ok(self.store.count_users(&searching(actor, search)?)?)
    }

    pub fn read_user(&self, actor: &Actor, id_or_upn: &str) -> Result<User> {
        if !Capabilities::of(actor).read_users {
            return Err(forbidden_reading());
        }
        self.user_by_ref(id_or_upn)
    }

    /// The user's methods, pass, lockout and sessions.
    pub fn overview(&self, actor: &Actor, id_or_upn: &str) -> Result<Overview> {
        let user = self.read_user(actor, id_or_upn)?;
        let policy = self.policy()?;
        let now = self.now();
        let pass = self
            .store
            .pass_of(user.id)?
            .map(|p| p.view(&policy, policy.in_scope(&user), now));
        let lockout = self
            .store
            .lockout_counts(&user.upn, now - self.settings().lockout_window)?;
        let limits = self.settings().lockout;
        let locked = lockout.account >= limits.per_account
            || lockout.clients.iter().any(|(_, n)| *n >= limits.per_pair);
        let sessions = self.sessions_of(&Actor::Operator, &user.upn)?;
        let may_manage = self.may_change(actor, &user);
        let methods = self.store.methods_of(user.id)?;
        Ok(Overview {
            views: methods.iter().map(|m| self.method_view(&user, m)).collect(),
            methods,
            pass,
            lockout,
            locked,
            sessions,
            may_manage,
            user,
        })
    }

    /// Whether `actor` may change `target` (its pass, methods, lockout, sessions).
    pub fn may_change(&self, actor: &Actor, target: &User) -> bool {
        match actor {
            Actor::Admin(a) if a.id == target.id => false,
            _ => Capabilities::of(actor).may_manage(target),
        }
    }

    pub fn audit_for(&self, actor: &Actor, filter: AuditFilter) -> Result<Vec<AuditEvent>> {
        if !Capabilities::of(actor).read_audit {
            return Err(Error::Forbidden(
                "your administrator roles do not include reading the audit trail".into(),
            ));
        }
        // A filter, not an account: a name no one could have is simply not found.
        let upn = filter
            .upn
            .map(|u| tapin_api::normalize_upn(&u).unwrap_or_else(|_| u.trim().to_lowercase()));
        Ok(self.store.audit_events(&AuditFilter { upn, ..filter })?)
    }

    // ---- changing -----------------------------------------------------------

    /// Removes a lost method from a user's account (the help desk, with a
    /// reason), notifying the user's other channels, audited. With `kinds`
    /// not empty, only a method of those kinds is found.
    pub fn remove_method_for(
        &self,
        actor: &Actor,
        id_or_upn: &str,
        method_id: &str,
        kinds: &[MethodKind],
        reason: &str,
    ) -> Result<()> {
        let user = self.read_user(actor, id_or_upn)?;
        if !kinds.is_empty()
            && !self
                .store
                .methods_of(user.id)?
                .iter()
                .any(|m| m.id == method_id && kinds.contains(&m.kind))
        {
            return Err(Error::NotFound(format!(
                "{} has no such method {method_id}",
                user.upn
            )));
        }
        if !self.may_change(actor, &user) {
            return Err(Error::Forbidden(format!(
                "{} may not change the sign-in methods of {}",
                actor.name(),
                user.upn
            )));
        }
        let reason = reason.trim();
        tapin_api::validate::check_free_text("reason", reason)?;
        if reason.chars().count() > 500 {
            return Err(Error::Invalid(
                "a reason is at most 500 characters".into(),
                Some("reason"),
            ));
        }
        self.remove_method(actor, &user, method_id, reason)
    }

    /// Removes a method (by its owner or the help desk), moving the default
    /// to the strongest one left, and tells the user's other channels.
    pub(super) fn remove_method(
        &self,
        actor: &Actor,
        user: &User,
        id: &str,
        reason: &str,
    ) -> Result<()> {
        let methods = self.store.methods_of(user.id)?;
        let gone = || Error::NotFound(format!("{} has no method {id}", user.upn));
        let method = methods.iter().find(|m| m.id == id).ok_or_else(gone)?;
        let new_default = if method.is_default {
            strongest(methods.iter().filter(|m| m.id != id)).map(|m| m.id.as_str())
        } else {
            None
        };
        let by_help_desk = !matches!(actor, Actor::User(_));
        let detail = if reason.is_empty() {
            method.label()
        } else {
            format!("{} (reason: {reason})", method.label())
        };
        let body = if by_help_desk {
            format!(
                "Your help desk removed a sign-in method from your account: {}. If you did not ask for this, tell your administrator now.",
                method.label()
            )
        } else {
            format!(
                "A sign-in method was removed from your account: {}. If that was not you, tell your administrator now.",
                method.label()
            )
        };
        let change = Change {
            audit: self.event(actor, &user.upn, "method_removed", &detail, ""),
            notices: self.notices(
                &methods,
                user,
                Some(id),
                "A sign-in method was removed from your account",
                &body,
            ),
        };
        if !self
            .store
            .delete_method(user.id, id, new_default, &change)?
        {
            return Err(gone());
        }
        self.wake.nudge();
        Ok(())
    }
}

/// When a token stops working, for listings.
pub fn token_state(token: &ApiToken, now: DateTime<Utc>) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at <= now {
        "expired"
    } else {
        "active"
    }
}
