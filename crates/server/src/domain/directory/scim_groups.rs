//! A provisioning client's groups (SCIM `Groups`): read, created,
//! replaced, patched and removed, each change made for the version read.

use super::filter::Filter;
use super::patch::Operation;
use super::resources::{self, fault, ScimType, GROUP};
use super::scim::{not_found, stale, READ_MODIFY_WRITE_TRIES};
use crate::domain::store::{GroupRecord, NewGroup, Saved};
use crate::domain::{Actor, Error, Result, Tapin};
use serde_json::{json, Value};

/// The most members one group may have (SCIM bodies are bounded too).
pub const MEMBERS_MAX: usize = 10_000;

pub fn group_document(g: &GroupRecord) -> Value {
    let mut doc = json!({
        "schemas": [GROUP],
        "id": g.object_id,
        "displayName": g.display_name,
        "members": g.members.iter().map(|(id, upn)| json!({"value": id, "display": upn, "type": "User"})).collect::<Vec<_>>(),
        "meta": resources::meta("Group", g.created_at, g.modified_at, g.version),
    });
    if let Some(e) = &g.external_id {
        doc["externalId"] = json!(e);
    }
    doc
}

/// A Group resource as sent, checked.
fn read_group(doc: &Value) -> Result<NewGroup> {
    use super::filter::get;
    if let Some(schemas) = get(doc, "schemas") {
        if !schemas.as_array().is_some_and(|s| {
            s.iter()
                .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(GROUP)))
        }) {
            return Err(fault(
                ScimType::InvalidSyntax,
                format!("schemas must include {GROUP}"),
            ));
        }
    }
    let name = get(doc, "displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| fault(ScimType::InvalidValue, "displayName is required"))?;
    let name = super::display_name(name)
        .map_err(|e| fault(ScimType::InvalidValue, format!("displayName: {e}")))?;
    let external_id = get(doc, "externalId")
        .and_then(Value::as_str)
        .map(str::to_string);
    if external_id
        .as_deref()
        .is_some_and(|e| e.len() > 256 || e.chars().any(tapin_api::validate::is_forging_character))
    {
        return Err(fault(
            ScimType::InvalidValue,
            "externalId is at most 256 characters, none of them a control character",
        ));
    }
    let members = match get(doc, "members") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(list)) => list
            .iter()
            .map(|m| {
                get(m, "value")
                    .and_then(Value::as_str)
                    // Any spelling of a GUID (upper case, urn:uuid:,
                    // braces) as the one stored, or it would match no one.
                    .and_then(|v| uuid::Uuid::try_parse(v).ok())
                    .map(|u| u.hyphenated().to_string())
                    .ok_or_else(|| {
                        fault(
                            ScimType::InvalidValue,
                            "each member has a value: a User's id",
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?,
        Some(_) => return Err(fault(ScimType::InvalidValue, "members is a list")),
    };
    if members.len() > MEMBERS_MAX {
        return Err(fault(
            ScimType::InvalidValue,
            format!("a group has at most {MEMBERS_MAX} members"),
        ));
    }
    Ok(NewGroup {
        display_name: name,
        external_id,
        members,
    })
}

impl Tapin {
    fn group_by_object_id(&self, id: &str) -> Result<GroupRecord> {
        let id = uuid::Uuid::try_parse(id)
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| not_found("Group", id))?;
        self.store
            .group(&id)?
            .ok_or_else(|| not_found("Group", &id))
    }

    /// Every member named must be someone: an unknown id is refused.
    fn known_members(&self, g: &NewGroup) -> Result<()> {
        for m in &g.members {
            let known = uuid::Uuid::try_parse(m)
                .ok()
                .map(|u| self.store.user_by_object_id(&u.hyphenated().to_string()))
                .transpose()?
                .flatten()
                .is_some();
            if !known {
                return Err(fault(
                    ScimType::InvalidValue,
                    format!("member {m} is no User here"),
                ));
            }
        }
        Ok(())
    }

    pub fn scim_groups(&self, actor: &Actor, filter: Option<&Filter>) -> Result<Vec<Value>> {
        Self::provisioning_only(actor)?;
        Ok(self
            .store
            .groups()?
            .iter()
            .map(group_document)
            .filter(|doc| filter.is_none_or(|f| f.matches(doc)))
            .collect())
    }

    pub fn scim_group(&self, actor: &Actor, id: &str) -> Result<Value> {
        Self::provisioning_only(actor)?;
        Ok(group_document(&self.group_by_object_id(id)?))
    }

    pub fn scim_create_group(&self, actor: &Actor, doc: &Value) -> Result<Value> {
        Self::provisioning_only(actor)?;
        let g = read_group(doc)?;
        self.known_members(&g)?;
        let event = self.event(
            actor,
            "",
            "group_provisioned",
            &format!("\"{}\", {} members", g.display_name, g.members.len()),
            "",
        );
        let created = self
            .store
            .create_group(&g, self.now(), &event)
            .map_err(|e| match e {
                crate::domain::store::StoreError::Conflict(m) => fault(ScimType::Uniqueness, m),
                other => other.into(),
            })?;
        Ok(group_document(&created))
    }

    fn save_group(
        &self,
        actor: &Actor,
        current: &GroupRecord,
        doc: &Value,
        if_match: Option<i64>,
    ) -> Result<Value> {
        let g = read_group(doc)?;
        self.known_members(&g)?;
        let event = self.event(
            actor,
            "",
            "group_provisioned",
            &format!("\"{}\", {} members", g.display_name, g.members.len()),
            "",
        );
        let saved = self
            .store
            .save_group(
                current.id,
                &g,
                Some(if_match.unwrap_or(current.version)),
                self.now(),
                &event,
            )
            .map_err(|e| match e {
                crate::domain::store::StoreError::Conflict(m) => fault(ScimType::Uniqueness, m),
                other => other.into(),
            })?;
        match saved {
            Saved::Done => Ok(group_document(
                &self.group_by_object_id(&current.object_id)?,
            )),
            Saved::Stale => Err(stale("Group", &current.object_id)),
            Saved::Gone => Err(not_found("Group", &current.object_id)),
        }
    }

    pub fn scim_replace_group(
        &self,
        actor: &Actor,
        id: &str,
        doc: &Value,
        if_match: Option<i64>,
    ) -> Result<Value> {
        Self::provisioning_only(actor)?;
        let current = self.group_by_object_id(id)?;
        self.save_group(actor, &current, doc, if_match)
    }

    pub fn scim_patch_group(
        &self,
        actor: &Actor,
        id: &str,
        ops: &[Operation],
        if_match: Option<i64>,
    ) -> Result<Value> {
        Self::provisioning_only(actor)?;
        // As a person's: made for the version read, made again when
        // another change committed first (and no If-Match was sent).
        for _ in 0..READ_MODIFY_WRITE_TRIES {
            let current = self.group_by_object_id(id)?;
            let patched = super::patch::apply(&group_document(&current), ops)?;
            match self.save_group(actor, &current, &patched, if_match) {
                Err(Error::Stale(_)) if if_match.is_none() => continue,
                other => return other,
            }
        }
        Err(stale("Group", id))
    }

    pub fn scim_delete_group(&self, actor: &Actor, id: &str, if_match: Option<i64>) -> Result<()> {
        Self::provisioning_only(actor)?;
        let current = self.group_by_object_id(id)?;
        let event = self.event(
            actor,
            "",
            "group_removed",
            &format!("\"{}\"", current.display_name),
            "",
        );
        match self.store.remove_group(current.id, if_match, &event)? {
            Saved::Done => Ok(()),
            Saved::Stale => Err(stale("Group", id)),
            Saved::Gone => Err(not_found("Group", id)),
        }
    }
}
