//! `tapin user import FILE.csv`: people from a spreadsheet, upserted by
//! account name under the same rules as one at a time. Every row is
//! checked first; while any row is bad, each is reported with its line and
//! reason and nothing is written.

use crate::domain::helpdesk::Capabilities;
use crate::domain::{Actor, Error, NewUser, Result, Role, Tapin, UserUpdate};
use std::collections::HashSet;

/// The columns a file may have (`upn` and, for someone new, `name`).
const COLUMNS: [&str; 4] = ["upn", "name", "time_zone", "groups"];
/// The most rows one import takes.
pub const IMPORT_MAX_ROWS: usize = 100_000;

/// What an import did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
}

/// One checked row: someone new, or a change to someone there.
enum Planned {
    Add(NewUser),
    Update(String, UserUpdate),
    Same,
}

impl Tapin {
    pub fn import_users(&self, actor: &Actor, csv: &str, dry_run: bool) -> Result<ImportReport> {
        if !Capabilities::of(actor).manage_members {
            return Err(Error::Forbidden(format!(
                "{} may not add or change users",
                actor.name()
            )));
        }
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(csv.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| Error::Invalid(format!("line 1: {e}"), Some("file")))?
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let mut problems = Vec::new();
        for h in &header {
            if !COLUMNS.contains(&h.as_str()) {
                problems.push(format!(
                    "line 1: unknown column '{h}' (the columns are {})",
                    COLUMNS.join(", ")
                ));
            }
        }
        let column = |name: &str| header.iter().position(|h| h == name);
        let Some(upn_at) = column("upn") else {
            problems.push("line 1: there is no 'upn' column".into());
            return Err(Error::Invalid(problems.join("\n"), Some("file")));
        };
        let (name_at, zone_at, groups_at) = (column("name"), column("time_zone"), column("groups"));
        let mut seen = HashSet::new();
        let mut plan = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            if i >= IMPORT_MAX_ROWS {
                problems.push(format!(
                    "line {line}: an import takes at most {IMPORT_MAX_ROWS} rows"
                ));
                break;
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    problems.push(format!("line {line}: {e}"));
                    continue;
                }
            };
            let field =
                |at: Option<usize>| at.and_then(|a| record.get(a)).filter(|v| !v.is_empty());
            match self.plan_row(
                actor,
                &record[upn_at],
                field(name_at),
                field(zone_at),
                field(groups_at),
                &mut seen,
            ) {
                Ok(p) => plan.push(p),
                Err(e) => problems.push(format!("line {line}: {e}")),
            }
        }
        if let Some(line) = problems.iter().find(|p| p.contains("may not change")) {
            // A refusal by role is a refusal, not bad input.
            return Err(Error::Forbidden(line.clone()));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems.join("\n"), Some("file")));
        }
        let mut report = ImportReport::default();
        for p in plan {
            match p {
                Planned::Add(user) => {
                    report.added.push(user.upn.clone());
                    if !dry_run {
                        self.add_user(user)?;
                    }
                }
                Planned::Update(upn, update) => {
                    report.updated.push(upn.clone());
                    if !dry_run {
                        self.update_user(actor, &upn, update)?;
                    }
                }
                Planned::Same => report.unchanged += 1,
            }
        }
        Ok(report)
    }

    /// One row, checked with the rules of `add_user` and `update_user`.
    fn plan_row(
        &self,
        actor: &Actor,
        upn: &str,
        name: Option<&str>,
        zone: Option<&str>,
        groups: Option<&str>,
        seen: &mut HashSet<String>,
    ) -> Result<Planned> {
        let upn =
            tapin_api::normalize_upn(upn).map_err(|e| Error::Invalid(format!("upn: {e}"), None))?;
        if !seen.insert(upn.clone()) {
            return Err(Error::Invalid(
                format!("{upn} is on an earlier line too"),
                None,
            ));
        }
        let name = name
            .map(super::display_name)
            .transpose()
            .map_err(|e| Error::Invalid(format!("name: {e}"), None))?;
        let time_zone = zone
            .map(tapin_api::normalize_time_zone)
            .transpose()
            .map_err(|e| Error::Invalid(format!("time_zone: {e}"), None))?;
        let groups: Vec<String> = groups
            .map(|g| {
                g.split(';')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        match self.store.user_by_upn(&upn)? {
            None => {
                let display_name = name.ok_or_else(|| {
                    Error::Invalid(format!("{upn} is new, so it needs a name"), None)
                })?;
                Ok(Planned::Add(NewUser {
                    upn,
                    display_name,
                    role: Role::Member,
                    admin_roles: vec![],
                    groups,
                    time_zone,
                }))
            }
            Some(user) => {
                if !self.may_change(actor, &user) {
                    return Err(Error::Forbidden(format!(
                        "{} may not change {upn}",
                        actor.name()
                    )));
                }
                if !groups.is_empty() && groups != user.groups {
                    return Err(Error::Invalid(
                        format!("{upn} is there already: its groups change through the directory (SCIM) or 'tapin group', not an import"),
                        None,
                    ));
                }
                let update = UserUpdate {
                    upn: None,
                    display_name: name.filter(|n| *n != user.display_name),
                    time_zone: time_zone
                        .filter(|z| user.time_zone.as_ref() != Some(z))
                        .map(Some),
                };
                Ok(if update == UserUpdate::default() {
                    Planned::Same
                } else {
                    Planned::Update(upn, update)
                })
            }
        }
    }
}
