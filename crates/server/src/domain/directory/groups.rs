//! Groups without SCIM: `tapin group add|list|remove|members`, the same
//! store steps SCIM takes, under the help desk's roles (managing members
//! changes who the pass policy's group targets reach).

use crate::domain::helpdesk::Capabilities;
use crate::domain::store::{GroupRecord, NewGroup, Saved};
use crate::domain::{Actor, Error, Result, Tapin, Target};

impl Tapin {
    fn managing_groups(actor: &Actor) -> Result<()> {
        if Capabilities::of(actor).manage_members {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "{} may not change groups",
                actor.name()
            )))
        }
    }

    /// Every group, by name, with its members. The policy's editor reads
    /// them too: its targets name groups.
    pub fn directory_groups(&self, actor: &Actor) -> Result<Vec<GroupRecord>> {
        let can = Capabilities::of(actor);
        if !(can.read_users || can.edit_policy) {
            return Err(Error::Forbidden(format!(
                "{} may not read groups",
                actor.name()
            )));
        }
        Ok(self.store.groups()?)
    }

    fn group_named(&self, name: &str) -> Result<GroupRecord> {
        self.store
            .groups()?
            .into_iter()
            .find(|g| g.display_name == name.trim())
            .ok_or_else(|| Error::NotFound(format!("there is no group '{}'", name.trim())))
    }

    /// The people `upns` name, by their ids; someone unknown is refused.
    fn member_ids(&self, upns: &[String]) -> Result<Vec<String>> {
        upns.iter().map(|u| Ok(self.user(u)?.object_id)).collect()
    }

    pub fn add_group(&self, actor: &Actor, name: &str, members: &[String]) -> Result<GroupRecord> {
        Self::managing_groups(actor)?;
        let name = super::display_name(name)?;
        let group = NewGroup {
            members: self.member_ids(members)?,
            display_name: name,
            external_id: None,
        };
        let detail = format!(
            "\"{}\", {} members",
            group.display_name,
            group.members.len()
        );
        let event = self.event(actor, "", "group_created", &detail, "");
        self.store
            .create_group(&group, self.now(), &event)
            .map_err(|e| match e {
                crate::domain::store::StoreError::Conflict(m) => Error::Conflict(m),
                other => other.into(),
            })
    }

    /// Adds and removes members, made only if nobody changed the group meanwhile.
    pub fn change_members(
        &self,
        actor: &Actor,
        name: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<GroupRecord> {
        Self::managing_groups(actor)?;
        let current = self.group_named(name)?;
        let (add, remove) = (self.member_ids(add)?, self.member_ids(remove)?);
        let mut members: Vec<String> = current
            .members
            .iter()
            .map(|(id, _)| id.clone())
            .filter(|id| !remove.contains(id))
            .collect();
        for id in add {
            if !members.contains(&id) {
                members.push(id);
            }
        }
        let group = NewGroup {
            display_name: current.display_name.clone(),
            external_id: current.external_id.clone(),
            members,
        };
        let detail = format!(
            "\"{}\", {} members",
            group.display_name,
            group.members.len()
        );
        let event = self.event(actor, "", "group_changed", &detail, "");
        match self.store.save_group(
            current.id,
            &group,
            Some(current.version),
            self.now(),
            &event,
        )? {
            Saved::Done => self.group_named(&current.display_name),
            Saved::Stale => Err(Error::Conflict(format!(
                "the group '{}' changed meanwhile; try again",
                current.display_name
            ))),
            Saved::Gone => Err(Error::NotFound(format!(
                "there is no group '{}'",
                current.display_name
            ))),
        }
    }

    pub fn remove_group(&self, actor: &Actor, name: &str) -> Result<()> {
        Self::managing_groups(actor)?;
        let current = self.group_named(name)?;
        let event = self.event(
            actor,
            "",
            "group_removed",
            &format!("\"{}\"", current.display_name),
            "",
        );
        match self.store.remove_group(current.id, None, &event)? {
            Saved::Done => Ok(()),
            _ => Err(Error::NotFound(format!(
                "there is no group '{}'",
                current.display_name
            ))),
        }
    }

    /// Grants the group's members `roles` while they are in it (none: no
    /// longer). The operator's, from the server's shell: whoever manages
    /// the group's members (SCIM, the help desk) then makes administrators.
    pub fn set_group_roles(
        &self,
        name: &str,
        roles: &[crate::domain::AdminRole],
    ) -> Result<GroupRecord> {
        let current = self.group_named(name)?;
        let names: Vec<String> = roles
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        let detail = format!(
            "\"{}\" grants {}",
            current.display_name,
            if names.is_empty() {
                "no roles".to_string()
            } else {
                names.join(", ")
            }
        );
        let event = self.event(&Actor::Operator, "", "group_roles_changed", &detail, "");
        match self
            .store
            .set_group_roles(current.id, roles, self.now(), &event)?
        {
            Saved::Done => self.group_named(&current.display_name),
            _ => Err(Error::NotFound(format!(
                "there is no group '{}'",
                current.display_name
            ))),
        }
    }
}

/// A policy target naming a directory group, by its name or any spelling
/// of its id, as that group's id (so renaming the group keeps it in the
/// policy); any other group name is kept as written (a label given with
/// `tapin user add --group`).
pub(in crate::domain) fn resolve_target(target: Target, groups: &[GroupRecord]) -> Target {
    let Target::Group(name) = target else {
        return target;
    };
    let as_id = uuid::Uuid::parse_str(&name).ok().map(|u| u.to_string());
    groups
        .iter()
        .find(|g| Some(&g.object_id) == as_id.as_ref())
        .or_else(|| {
            groups
                .iter()
                .find(|g| g.display_name.eq_ignore_ascii_case(&name))
        })
        .map_or(Target::Group(name), |g| Target::Group(g.object_id.clone()))
}

impl Tapin {
    /// A target as people read it: a directory group by its name (and id).
    pub fn describe_target(&self, target: &Target) -> Result<String> {
        Ok(match target {
            Target::Group(id) => match self
                .store
                .groups()?
                .into_iter()
                .find(|g| &g.object_id == id)
            {
                Some(g) => format!("group:{} ({id})", g.display_name),
                None => target.to_string(),
            },
            other => other.to_string(),
        })
    }
}
