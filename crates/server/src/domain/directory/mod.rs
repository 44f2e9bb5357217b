//! The directory's side of a person: joiners are added (`service`), movers
//! renamed or changed, leavers disabled or removed. One rule set for the
//! CLI, Graph, the help desk and (next) SCIM: each takes the `Actor` it
//! acts as and asks the help desk's roles (`may_change`).
//!
//! Disabling ends everything live of the person in the same transaction
//! (sessions, the pass, ceremonies, OIDC codes and tokens, API tokens), and
//! every door and sign-in path reads a disabled person as nobody (the
//! store's session and token reads, `signin::account`), so it holds on
//! every instance at the next request.

pub mod filter;
pub mod groups;
pub mod import;
pub mod joiner;
pub mod patch;
pub mod resources;
pub mod scim;
pub mod scim_groups;

use crate::domain::{Actor, Error, Result, Tapin, User, UserUpdate};
use tapin_api::normalize_upn;

/// A display name: trimmed, 1 to 256 characters of free text.
pub fn display_name(name: &str) -> Result<String> {
    let name = name.trim().to_string();
    tapin_api::validate::check_free_text("name", &name)?;
    if name.is_empty() || name.chars().count() > 256 {
        return Err(Error::Invalid(
            "name must be 1 to 256 characters".into(),
            Some("name"),
        ));
    }
    Ok(name)
}

impl Tapin {
    /// The person `id_or_upn` names, when `actor` may change them.
    fn changeable(&self, actor: &Actor, id_or_upn: &str) -> Result<User> {
        let user = self.read_user(actor, id_or_upn)?;
        if !self.may_change(actor, &user) {
            return Err(Error::Forbidden(format!(
                "{} may not change the account of {}",
                actor.name(),
                user.upn
            )));
        }
        Ok(user)
    }

    /// Renames the person (a mover: every method stays theirs, the old
    /// name stops signing in), or changes their display name or time zone.
    pub fn update_user(&self, actor: &Actor, id_or_upn: &str, update: UserUpdate) -> Result<User> {
        let user = self.changeable(actor, id_or_upn)?;
        let update = UserUpdate {
            upn: update
                .upn
                .map(|u| normalize_upn(&u))
                .transpose()?
                .filter(|u| *u != user.upn),
            display_name: update
                .display_name
                .as_deref()
                .map(display_name)
                .transpose()?,
            time_zone: update
                .time_zone
                .map(|tz| {
                    tz.as_deref()
                        .map(tapin_api::normalize_time_zone)
                        .transpose()
                })
                .transpose()?,
        };
        if update == UserUpdate::default() {
            return Ok(user);
        }
        let mut changes = Vec::new();
        if let Some(upn) = &update.upn {
            changes.push(format!("renamed {} to {upn}", user.upn));
        }
        if let Some(name) = &update.display_name {
            changes.push(format!("display name \"{name}\""));
        }
        if let Some(tz) = &update.time_zone {
            changes.push(format!("time zone {}", tz.as_deref().unwrap_or("none")));
        }
        let event = self.event(actor, &user.upn, "user_updated", &changes.join(", "), "");
        if !self
            .store
            .update_user(user.id, &update, self.now(), &event)?
        {
            return Err(Error::NotFound(format!("there is no user '{id_or_upn}'")));
        }
        self.store
            .user_by_id(user.id)?
            .ok_or_else(|| Error::NotFound(format!("there is no user '{id_or_upn}'")))
    }

    /// Disables (`enabled` false) or enables the person. Disabling ends
    /// every session, the pass and every token of theirs at once; enabling
    /// brings their methods back. Doing it twice changes nothing.
    pub fn set_user_enabled(&self, actor: &Actor, id_or_upn: &str, enabled: bool) -> Result<User> {
        let user = self.changeable(actor, id_or_upn)?;
        let what = if enabled {
            "user_enabled"
        } else {
            "user_disabled"
        };
        let event = self.event(actor, &user.upn, what, "", "");
        self.store
            .set_enabled(user.id, enabled, self.now(), &event)?;
        self.store
            .user_by_id(user.id)?
            .ok_or_else(|| Error::NotFound(format!("there is no user '{id_or_upn}'")))
    }

    /// Removes the person with their methods, pass, sessions and tokens;
    /// the audit trail keeps what happened.
    pub fn remove_user(&self, actor: &Actor, id_or_upn: &str) -> Result<()> {
        let user = self.changeable(actor, id_or_upn)?;
        let event = self.event(actor, &user.upn, "user_removed", &user.object_id, "");
        if !self.store.remove_user(user.id, &event)? {
            return Err(Error::NotFound(format!("there is no user '{id_or_upn}'")));
        }
        Ok(())
    }
}
