//! What a provisioning client (the organisation's directory, through SCIM)
//! may do with people: read, create, replace, patch and remove (groups are
//! in `scim_groups`). Each
//! takes the `Actor` the SCIM door resolved (a provisioning token) and goes
//! through the same store steps, role rule and audit trail as the CLI and
//! Graph: disabling here is disabling everywhere.

use super::filter::Filter;
use super::patch::Operation;
use super::resources::{self, fault, DirectoryPerson, ScimType, ENTERPRISE, TAPIN, USER};
use crate::domain::store::{NewPerson, PersonRecord, Saved};
use crate::domain::{Actor, Error, Result, Tapin, User};
use serde_json::{json, Map, Value};

/// How often a change without `If-Match` is made again when another
/// committed first.
pub(super) const READ_MODIFY_WRITE_TRIES: usize = 5;

/// An administrator of tapin's own (`tapin user add --role admin`: the
/// break-glass accounts) is the operator's to change: a provisioning token,
/// stolen or mistaken, cannot disable, rename or remove them. Someone who
/// is an administrator through a directory group is the directory's.
fn directory_may_change(user: &User) -> Result<()> {
    if user.own_role == crate::domain::Role::Admin {
        return Err(Error::Forbidden(format!(
            "{} is an administrator of tapin's own: the operator changes them (tapin user ...), not the directory",
            user.upn
        )));
    }
    Ok(())
}

pub(super) fn not_found(what: &str, id: &str) -> Error {
    Error::NotFound(format!("there is no {what} {id}"))
}

pub(super) fn stale(what: &str, id: &str) -> Error {
    Error::Stale(format!(
        "the {what} {id} has changed since the version given in If-Match"
    ))
}

/// A person as a SCIM User (without `meta.location`, which the edge adds).
pub fn user_document(u: &User, r: &PersonRecord) -> Value {
    let mut doc: Map<String, Value> = serde_json::from_str(&r.profile).unwrap_or_default();
    let mut schemas = vec![json!(USER)];
    if doc.contains_key(ENTERPRISE) {
        schemas.push(json!(ENTERPRISE));
    }
    let mut tapin = doc
        .remove(TAPIN)
        .and_then(|t| t.as_object().cloned())
        .unwrap_or_default();
    if let Some(tz) = &u.time_zone {
        tapin.insert("timeZone".into(), json!(tz));
    }
    if !tapin.is_empty() {
        schemas.push(json!(TAPIN));
        doc.insert(TAPIN.into(), Value::Object(tapin));
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    doc.insert("id".into(), json!(u.object_id));
    if let Some(e) = &r.external_id {
        doc.insert("externalId".into(), json!(e));
    }
    doc.insert("userName".into(), json!(u.upn));
    doc.insert("displayName".into(), json!(u.display_name));
    doc.insert("active".into(), json!(u.enabled));
    doc.insert(
        "meta".into(),
        resources::meta("User", u.created_at, u.modified_at, r.version),
    );
    Value::Object(doc)
}

impl Tapin {
    pub(super) fn provisioning_only(actor: &Actor) -> Result<()> {
        match actor {
            Actor::Provisioning(_) => Ok(()),
            _ => Err(Error::Forbidden(
                "only a provisioning token opens the directory".into(),
            )),
        }
    }

    fn person_by_object_id(&self, id: &str) -> Result<(User, PersonRecord)> {
        let user = uuid::Uuid::try_parse(id)
            .ok()
            .and_then(|u| {
                self.store
                    .user_by_object_id(&u.hyphenated().to_string())
                    .transpose()
            })
            .transpose()?
            .ok_or_else(|| not_found("User", id))?;
        // The user and the version from one snapshot: a change is made for
        // exactly what was read.
        self.store
            .person(user.id)?
            .ok_or_else(|| not_found("User", id))
    }

    /// People matching `filter` (all without one), as SCIM Users. An
    /// equality on `userName` or `externalId`, what clients send before
    /// every create, is looked up by index.
    pub fn scim_users(&self, actor: &Actor, filter: Option<&Filter>) -> Result<Vec<Value>> {
        Self::provisioning_only(actor)?;
        let candidates: Vec<(User, PersonRecord)> = match filter {
            Some(f) if f.equality_on("userName").is_some() => {
                let upn = tapin_api::normalize_upn(f.equality_on("userName").unwrap_or_default());
                match upn
                    .ok()
                    .map(|u| self.store.user_by_upn(&u))
                    .transpose()?
                    .flatten()
                {
                    Some(u) => self.store.person(u.id)?.into_iter().collect(),
                    None => vec![],
                }
            }
            // A value no external id can hold (a control character) finds no one.
            Some(f)
                if f.equality_on("externalId")
                    .is_some_and(|v| v.chars().any(tapin_api::validate::is_forging_character)) =>
            {
                vec![]
            }
            Some(f) if f.equality_on("externalId").is_some() => {
                let mut out = Vec::new();
                for u in self
                    .store
                    .users_by_external_id(f.equality_on("externalId").unwrap_or_default())?
                {
                    out.extend(self.store.person(u.id)?);
                }
                out
            }
            _ => self.store.people()?,
        };
        Ok(candidates
            .iter()
            .map(|(u, r)| user_document(u, r))
            .filter(|doc| filter.is_none_or(|f| f.matches(doc)))
            .collect())
    }

    pub fn scim_user(&self, actor: &Actor, id: &str) -> Result<Value> {
        Self::provisioning_only(actor)?;
        let (u, r) = self.person_by_object_id(id)?;
        Ok(user_document(&u, &r))
    }

    /// `current`: whether the person is enabled now (`None`: someone new).
    fn new_person(p: DirectoryPerson, current: Option<bool>) -> Result<NewPerson> {
        Ok(NewPerson {
            upn: p.upn,
            display_name: p.display_name,
            enabled: p.enabled.or(current).unwrap_or(true),
            external_id: p.external_id,
            time_zone: p.time_zone,
            profile: serde_json::to_string(&p.profile)
                .map_err(|e| Error::Invalid(e.to_string(), None))?,
        })
    }

    /// A joiner. `uniqueness` when the account name is someone's already.
    pub fn scim_create_user(&self, actor: &Actor, doc: &Value) -> Result<Value> {
        Self::provisioning_only(actor)?;
        let person = Self::new_person(DirectoryPerson::read(doc)?, None)?;
        let event = self.event(
            actor,
            &person.upn,
            "user_provisioned",
            &format!("active {}", person.enabled),
            "",
        );
        let user = self
            .store
            .create_person(&person, self.now(), &event)
            .map_err(|e| match e {
                crate::domain::store::StoreError::Conflict(m) => fault(ScimType::Uniqueness, m),
                other => other.into(),
            })?;
        self.offer_joiner_pass(actor, user.id);
        self.scim_user(actor, &user.object_id)
    }

    fn save(
        &self,
        actor: &Actor,
        user: &User,
        record: &PersonRecord,
        doc: &Value,
        if_match: Option<i64>,
    ) -> Result<Value> {
        directory_may_change(user)?;
        let person = Self::new_person(DirectoryPerson::read(doc)?, Some(user.enabled))?;
        let mut changes = Vec::new();
        if person.upn != user.upn {
            changes.push(format!("renamed {} to {}", user.upn, person.upn));
        }
        if person.enabled != user.enabled {
            changes.push(if person.enabled {
                "enabled".into()
            } else {
                "disabled".into()
            });
        }
        if person.display_name != user.display_name {
            changes.push(format!("display name \"{}\"", person.display_name));
        }
        if person.external_id != record.external_id
            || person.time_zone != user.time_zone
            || changes.is_empty()
        {
            changes.push("attributes".into());
        }
        let event = self.event(
            actor,
            &user.upn,
            "user_provisioned",
            &changes.join(", "),
            "",
        );
        let saved = self
            .store
            // Made for the version read, always: a change committed since
            // (a disable, a rename) is never written back over.
            .save_person(
                user.id,
                &person,
                Some(if_match.unwrap_or(record.version)),
                self.now(),
                &event,
            )
            .map_err(|e| match e {
                crate::domain::store::StoreError::Conflict(m) => fault(ScimType::Uniqueness, m),
                other => other.into(),
            })?;
        match saved {
            Saved::Done => {
                // A start date or manager may arrive after the person did.
                self.offer_joiner_pass(actor, user.id);
                self.scim_user(actor, &user.object_id)
            }
            Saved::Stale => Err(stale("User", &user.object_id)),
            Saved::Gone => Err(not_found("User", &user.object_id)),
        }
    }

    /// The whole User replaced (PUT): what is not sent is no longer kept
    /// (but `active`: unchanged when not sent).
    pub fn scim_replace_user(
        &self,
        actor: &Actor,
        id: &str,
        doc: &Value,
        if_match: Option<i64>,
    ) -> Result<Value> {
        Self::provisioning_only(actor)?;
        self.read_modify_write(actor, id, if_match, |user, _| {
            if let Some(sent) = super::filter::get(doc, "id").and_then(Value::as_str) {
                if sent != user.object_id {
                    return Err(fault(ScimType::Mutability, "id cannot be changed"));
                }
            }
            Ok(doc.clone())
        })
    }

    pub fn scim_patch_user(
        &self,
        actor: &Actor,
        id: &str,
        ops: &[Operation],
        if_match: Option<i64>,
    ) -> Result<Value> {
        Self::provisioning_only(actor)?;
        self.read_modify_write(actor, id, if_match, |user, record| {
            super::patch::apply(&user_document(user, record), ops)
        })
    }

    /// Reads the person, makes the new resource from what was read and
    /// saves it for that version. Without `If-Match`, a change committed
    /// meanwhile makes it read and make again (a few times), so nothing
    /// committed is written over; with one, it is 412.
    fn read_modify_write(
        &self,
        actor: &Actor,
        id: &str,
        if_match: Option<i64>,
        make: impl Fn(&User, &PersonRecord) -> Result<Value>,
    ) -> Result<Value> {
        for _ in 0..READ_MODIFY_WRITE_TRIES {
            let (user, record) = self.person_by_object_id(id)?;
            let doc = make(&user, &record)?;
            match self.save(actor, &user, &record, &doc, if_match) {
                Err(Error::Stale(_)) if if_match.is_none() => continue,
                other => return other,
            }
        }
        Err(stale("User", id))
    }

    /// A leaver removed: methods, pass and sessions go; the audit stays.
    pub fn scim_delete_user(&self, actor: &Actor, id: &str, if_match: Option<i64>) -> Result<()> {
        Self::provisioning_only(actor)?;
        let (user, _) = self.person_by_object_id(id)?;
        directory_may_change(&user)?;
        let event = self.event(actor, &user.upn, "user_removed", &user.object_id, "");
        match self.store.remove_person(user.id, if_match, &event)? {
            Saved::Done => Ok(()),
            Saved::Stale => Err(stale("User", id)),
            Saved::Gone => Err(not_found("User", id)),
        }
    }
}
