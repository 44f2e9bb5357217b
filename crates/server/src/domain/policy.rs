//! The deployment's Temporary Access Pass policy: who may use a pass, for
//! how long, and in what shape.

use super::{model::User, Error, Result};
use serde::{Deserialize, Serialize};
use tapin_api::validate::{validate_pass_length, validate_policy_lifetimes, ValidationCode};

/// A member of the include or exclude list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Target {
    All,
    User(String),
    Group(String),
}

impl Target {
    /// Parses `all`, `user:UPN` or `group:NAME`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.split_once(':') {
            None if s.eq_ignore_ascii_case("all") => Ok(Self::All),
            Some(("user", upn)) => Ok(Self::User(tapin_api::normalize_upn(upn)?)),
            Some(("group", g)) if !g.trim().is_empty() => Ok(Self::Group(g.trim().to_string())),
            _ => Err(Error::invalid(format!(
                "'{s}' is not a target: use all, user:NAME@DOMAIN or group:NAME"
            ))),
        }
    }

    pub(crate) fn matches(&self, user: &User) -> bool {
        match self {
            Self::All => true,
            Self::User(upn) => *upn == user.upn,
            // A directory group by its id; a label (or a group named
            // before it was in the directory) by its name.
            Self::Group(g) => {
                user.group_ids.iter().any(|id| id == g)
                    || user.groups.iter().any(|ug| ug.eq_ignore_ascii_case(g))
            }
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => write!(f, "all"),
            Self::User(u) => write!(f, "user:{u}"),
            Self::Group(g) => write!(f, "group:{g}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub enabled: bool,
    pub include: Vec<Target>,
    pub exclude: Vec<Target>,
    pub min_lifetime_minutes: u32,
    pub max_lifetime_minutes: u32,
    pub default_lifetime_minutes: u32,
    pub one_time: bool,
    pub length: u32,
    /// Users in scope go straight into a wizard after pass sign-in that they
    /// cannot finish until they hold at least one method.
    #[serde(default)]
    pub require_registration: bool,
    /// Joiners provisioned with a start date and a manager get a one-time
    /// pass for their first day, sent to the manager (Entra's lifecycle
    /// workflows do this).
    #[serde(default)]
    pub joiner_pass: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            enabled: false,
            include: vec![Target::All],
            exclude: vec![],
            min_lifetime_minutes: 60,
            max_lifetime_minutes: 480,
            default_lifetime_minutes: 60,
            one_time: false,
            length: 8,
            require_registration: false,
            joiner_pass: false,
        }
    }
}

impl Policy {
    pub fn in_scope(&self, user: &User) -> bool {
        self.include.iter().any(|t| t.matches(user))
            && !self.exclude.iter().any(|t| t.matches(user))
    }

    /// Checks every range the policy allows (as Entra does) and that default lies between min and max.
    pub fn validate(&self) -> Result<()> {
        validate_pass_length(self.length)?;
        let (min, max, default) = (
            self.min_lifetime_minutes,
            self.max_lifetime_minutes,
            self.default_lifetime_minutes,
        );
        validate_policy_lifetimes(min, max, default).map_err(|e| match e.code {
            ValidationCode::MinAboveMax => Error::invalid(format!(
                "minimum lifetime ({min}) is above maximum lifetime ({max})"
            )),
            ValidationCode::OutsidePolicy => Error::invalid(format!(
                "default lifetime ({default}) must be between the minimum ({min}) and maximum ({max})"
            )),
            _ => e.into(),
        })
    }
}

/// A partial edit of the policy; unset fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    pub enabled: Option<bool>,
    pub include: Option<Vec<Target>>,
    pub exclude: Option<Vec<Target>>,
    pub min_lifetime_minutes: Option<u32>,
    pub max_lifetime_minutes: Option<u32>,
    pub default_lifetime_minutes: Option<u32>,
    pub one_time: Option<bool>,
    pub length: Option<u32>,
    pub require_registration: Option<bool>,
    pub joiner_pass: Option<bool>,
}

impl PolicyChange {
    pub fn apply(self, mut p: Policy) -> Result<Policy> {
        if let Some(v) = self.enabled {
            p.enabled = v;
        }
        if let Some(v) = self.include {
            p.include = v;
        }
        if let Some(v) = self.exclude {
            p.exclude = v;
        }
        if let Some(v) = self.min_lifetime_minutes {
            p.min_lifetime_minutes = v;
        }
        if let Some(v) = self.max_lifetime_minutes {
            p.max_lifetime_minutes = v;
        }
        if let Some(v) = self.default_lifetime_minutes {
            p.default_lifetime_minutes = v;
        }
        if let Some(v) = self.one_time {
            p.one_time = v;
        }
        if let Some(v) = self.length {
            p.length = v;
        }
        if let Some(v) = self.require_registration {
            p.require_registration = v;
        }
        if let Some(v) = self.joiner_pass {
            p.joiner_pass = v;
        }
        p.validate()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::Role;

    fn user(groups: &[&str]) -> User {
        User {
            id: 1,
            upn: "ada@contoso.com".into(),
            display_name: "Ada".into(),
            role: Role::Member,
            admin_roles: vec![],
            groups: groups.iter().map(|g| g.to_string()).collect(),
            group_ids: Vec::new(),
            created_at: chrono::Utc::now(),
            time_zone: None,
            object_id: "5f0ae5a4-b7ea-4f0e-9a3c-6c2a2f6d0b11".into(),
            enabled: true,
            modified_at: chrono::Utc::now(),
            own_role: Role::Member,
        }
    }

    #[test]
    fn excluded_group_wins_over_include_all() {
        let p = Policy {
            exclude: vec![Target::Group("contractors".into())],
            ..Policy::default()
        };
        assert!(p.in_scope(&user(&["staff"])));
        assert!(!p.in_scope(&user(&["Contractors"])));
    }

    #[test]
    fn out_of_range_settings_are_refused() {
        let base = Policy::default();
        let cases = [
            PolicyChange {
                min_lifetime_minutes: Some(9),
                ..Default::default()
            },
            PolicyChange {
                max_lifetime_minutes: Some(43_201),
                ..Default::default()
            },
            PolicyChange {
                length: Some(7),
                ..Default::default()
            },
            PolicyChange {
                length: Some(49),
                ..Default::default()
            },
            PolicyChange {
                default_lifetime_minutes: Some(500),
                ..Default::default()
            },
            PolicyChange {
                min_lifetime_minutes: Some(600),
                ..Default::default()
            },
        ];
        for change in cases {
            let shown = format!("{change:?}");
            assert!(change.apply(base.clone()).is_err(), "{shown}");
        }
    }

    #[test]
    fn targets_parse_from_their_text_form() {
        assert_eq!(Target::parse("all").unwrap(), Target::All);
        assert_eq!(
            Target::parse("user:Ada@Contoso.com").unwrap(),
            Target::User("ada@contoso.com".into())
        );
        assert_eq!(
            Target::parse("group:staff").unwrap(),
            Target::Group("staff".into())
        );
        assert!(Target::parse("team:x").is_err());
    }
}
