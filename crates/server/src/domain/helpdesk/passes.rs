//! The help desk's pass, session and lockout operations, by role (Entra's
//! rules), shared with the command line.

use super::*;
use crate::domain::methods::random_hex;
use crate::domain::pass::{generate_code, hash_code};
use crate::domain::store::LockoutCounts;
use crate::domain::{
    Actor, Error, IssueOptions, IssuedPass, PassView, Result, SessionRecord, StoredPass, User,
};
use chrono::Utc;

pub(in crate::domain) fn pass_id() -> String {
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
    // ---- passes ------------------------------------------------------------

    /// Entra's rules: privileged authentication administrators act on admins
    /// and members, authentication administrators on members; neither on
    /// themselves. Global readers may only look.
    pub(in crate::domain) fn authorize(
        &self,
        actor: &Actor,
        target: &User,
        read_only: bool,
    ) -> Result<()> {
        let Actor::Admin(admin) = actor else {
            return Ok(());
        };
        let can = crate::domain::helpdesk::Capabilities::of(actor);
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
        // A pass written in a race with disabling signs nothing in (sign-in
        // reads a disabled person as nobody) and ends when they are enabled.
        if !user.enabled {
            return Err(Error::Conflict(format!(
                "{} is disabled; enable them before issuing a pass",
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
}
