//! SCIM 2.0's resources of tapin's people and groups (RFC 7643), as JSON:
//! rendering a person or group, reading what a provisioning client sends
//! (as Entra ID's provisioning service sends it: `"True"` for true, any
//! case of attribute and operation names), and applying PATCH operations
//! (RFC 7644 §3.5.2) to a resource before it is read again as a whole.

use super::filter::get;
use crate::domain::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// tapin's own extension: where the person lives and their first day.
pub const TAPIN: &str = "urn:ietf:params:scim:schemas:extension:tapin:2.0:User";

/// What RFC 7644 §3.12 calls a failure's `scimType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    InvalidValue,
    InvalidPath,
    InvalidSyntax,
    Mutability,
    NoTarget,
    Uniqueness,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::InvalidValue => "invalidValue",
            Self::InvalidPath => "invalidPath",
            Self::InvalidSyntax => "invalidSyntax",
            Self::Mutability => "mutability",
            Self::NoTarget => "noTarget",
            Self::Uniqueness => "uniqueness",
        }
    }
}

pub(crate) fn fault(kind: ScimType, message: impl Into<String>) -> Error {
    Error::Scim(kind, message.into())
}

/// The most a person's directory attributes may weigh, stored.
const PROFILE_MAX_BYTES: usize = 16 * 1024;

/// Attributes tapin keeps in columns of its own, or makes itself.
const KEPT: [&str; 8] = [
    "schemas",
    "id",
    "externalId",
    "userName",
    "displayName",
    "active",
    "meta",
    "groups",
];

/// A boolean as SCIM clients send one: `true`, or Entra's `"True"`.
pub fn boolean(v: &Value, name: &str) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(fault(
            ScimType::InvalidValue,
            format!("{name} is true or false"),
        )),
    }
}

fn text<'a>(v: &'a Value, name: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| fault(ScimType::InvalidValue, format!("{name} is a string")))
}

/// A person as the directory describes them, checked: what tapin keeps in
/// its own columns, and the rest of their attributes as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryPerson {
    pub upn: String,
    pub display_name: String,
    /// `None` when `active` is not sent: true for someone new, unchanged
    /// for someone there (a PUT without it re-enables no leaver).
    pub enabled: Option<bool>,
    pub external_id: Option<String>,
    pub time_zone: Option<String>,
    /// Their first day (`startDate` of tapin's extension).
    pub start_date: Option<NaiveDate>,
    /// Every other attribute (name, emails, the enterprise extension ...).
    pub profile: Map<String, Value>,
}

impl DirectoryPerson {
    /// Reads a whole User resource (a POST or PUT body, or a patched one).
    pub fn read(doc: &Value) -> Result<Self> {
        let object = doc
            .as_object()
            .ok_or_else(|| fault(ScimType::InvalidSyntax, "a User is a JSON object"))?;
        if let Some(schemas) = get(doc, "schemas") {
            let listed = schemas.as_array().is_some_and(|s| {
                s.iter()
                    .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(USER)))
            });
            if !listed {
                return Err(fault(
                    ScimType::InvalidSyntax,
                    format!("schemas must include {USER}"),
                ));
            }
        }
        let user_name = get(doc, "userName")
            .filter(|v| !v.is_null())
            .ok_or_else(|| fault(ScimType::InvalidValue, "userName is required"))?;
        let upn = tapin_api::normalize_upn(text(user_name, "userName")?)
            .map_err(|e| fault(ScimType::InvalidValue, format!("userName: {e}")))?;
        let enabled = match get(doc, "active") {
            None | Some(Value::Null) => None,
            Some(v) => Some(boolean(v, "active")?),
        };
        let external_id = match get(doc, "externalId") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let id = text(v, "externalId")?.trim();
                if id.is_empty()
                    || id.len() > 256
                    || id.chars().any(tapin_api::validate::is_forging_character)
                {
                    return Err(fault(
                        ScimType::InvalidValue,
                        "externalId is 1 to 256 characters, none of them a control character",
                    ));
                }
                Some(id.to_string())
            }
        };
        let tapin = get(doc, TAPIN);
        let time_zone = match tapin.and_then(|t| get(t, "timeZone")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                tapin_api::normalize_time_zone(text(v, "timeZone")?)
                    .map_err(|e| fault(ScimType::InvalidValue, format!("timeZone: {e}")))?,
            ),
        };
        let start_date = match tapin.and_then(|t| get(t, "startDate")) {
            None | Some(Value::Null) => None,
            Some(v) => Some(start_date(text(v, "startDate")?)?),
        };
        let name = get(doc, "name");
        let display_name = match get(doc, "displayName").filter(|v| !v.is_null()) {
            Some(v) => text(v, "displayName")?.to_string(),
            None => name
                .and_then(|n| {
                    get(n, "formatted")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .or_else(|| {
                    let part = |p| name.and_then(|n| get(n, p)).and_then(Value::as_str);
                    match (part("givenName"), part("familyName")) {
                        (Some(g), Some(f)) => Some(format!("{g} {f}")),
                        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
                        _ => None,
                    }
                })
                .unwrap_or_else(|| upn.clone()),
        };
        let display_name = crate::domain::directory::display_name(&display_name)
            .map_err(|e| fault(ScimType::InvalidValue, format!("displayName: {e}")))?;
        let mut profile = Map::new();
        for (k, v) in object {
            if KEPT.iter().any(|x| x.eq_ignore_ascii_case(k)) || v.is_null() {
                continue;
            }
            if k.eq_ignore_ascii_case(TAPIN) {
                // Kept apart: its time zone in a column, its start date here.
                if let Some(d) = start_date {
                    profile.insert(
                        TAPIN.into(),
                        serde_json::json!({"startDate": d.to_string()}),
                    );
                }
                continue;
            }
            if k.eq_ignore_ascii_case("password") {
                // tapin holds no passwords: one sent is not kept.
                continue;
            }
            profile.insert(canonical(k), v.clone());
        }
        if serde_json::to_string(&profile).map_or(0, |s| s.len()) > PROFILE_MAX_BYTES {
            return Err(fault(
                ScimType::InvalidValue,
                format!("a User's attributes are at most {PROFILE_MAX_BYTES} bytes"),
            ));
        }
        Ok(Self {
            upn,
            display_name,
            enabled,
            external_id,
            time_zone,
            start_date,
            profile,
        })
    }
}

/// A schema URI in its registered case; any other name as sent.
pub(super) fn canonical(k: &str) -> String {
    [ENTERPRISE, TAPIN]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(k))
        .map_or_else(|| k.to_string(), str::to_string)
}

/// `2027-01-04` or a timestamp on that day.
fn start_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| DateTime::parse_from_rfc3339(s).map(|d| d.date_naive()))
        .map_err(|_| {
            fault(
                ScimType::InvalidValue,
                "startDate is a date, like 2027-01-04",
            )
        })
}

/// A resource's version as its ETag (`meta.version`).
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The version an `If-Match` names (`*` is any).
pub fn if_match(header: &str) -> Result<Option<i64>> {
    let h = header.trim();
    if h == "*" {
        return Ok(None);
    }
    h.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            fault(
                ScimType::InvalidValue,
                "If-Match is an ETag this server gave",
            )
        })
}

pub fn meta(kind: &str, created: DateTime<Utc>, modified: DateTime<Utc>, version: i64) -> Value {
    serde_json::json!({
        "resourceType": kind,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "version": etag(version),
    })
}

#[cfg(test)]
mod tests;
