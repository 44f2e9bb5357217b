//! Graph's shapes of tapin's users, passes, methods and policy, and the
//! query options Graph clients send.

use super::*;

// ---- shapes -----------------------------------------------------------------

pub fn graph_user(u: &User) -> GraphUser {
    GraphUser {
        id: u.object_id.clone(),
        user_principal_name: u.upn.clone(),
        display_name: u.display_name.clone(),
        account_enabled: u.enabled,
    }
}

/// The properties of a Graph user, as `$select` may name them.
pub(in crate::http) const USER_PROPERTIES: &[&str] =
    &["id", "userPrincipalName", "displayName", "accountEnabled"];

/// A body's `@odata.type`, when it names another resource, refused.
pub(in crate::http) fn own_type(given: Option<&str>, own: &[&str]) -> Result<(), GraphFailure> {
    if tapin_api::graph::names_own_type(given, own) {
        Ok(())
    } else {
        Err(bad(
            format!(
                "@odata.type '{}' is not {}",
                given.unwrap_or_default(),
                own.join(" or ")
            ),
            "@odata.type",
        ))
    }
}

/// `$select=a,b`: only those properties (Graph's names, in any case) of
/// each object answered; a name the resource does not have is refused.
pub(in crate::http) struct Select(Option<Vec<&'static str>>);

impl Select {
    pub(in crate::http) fn of(
        q: &HashMap<String, String>,
        properties: &[&'static str],
    ) -> Result<Self, GraphFailure> {
        let Some(list) = q.get("$select") else {
            return Ok(Self(None));
        };
        list.split(',')
            .map(|name| {
                let name = name.trim();
                properties
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case(name))
                    .copied()
                    .ok_or_else(|| {
                        bad(
                            format!(
                                "Could not find a property named '{name}'; there are {}",
                                properties.join(", ")
                            ),
                            "$select",
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Self(Some(v)))
    }

    pub(in crate::http) fn apply(&self, value: impl serde::Serialize) -> serde_json::Value {
        let mut value = serde_json::to_value(value).unwrap_or_default();
        if let (Some(keep), Some(object)) = (&self.0, value.as_object_mut()) {
            object.retain(|k, _| k.starts_with('@') || keep.contains(&k.as_str()));
        }
        value
    }
}

pub fn graph_pass(p: &PassView, code: Option<String>) -> TemporaryAccessPassMethod {
    TemporaryAccessPassMethod {
        odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethod".into(),
        id: p.id.clone(),
        temporary_access_pass: code,
        created_date_time: p.created_at,
        start_date_time: p.start_at,
        lifetime_in_minutes: p.lifetime_in_minutes,
        is_usable_once: p.is_usable_once,
        is_usable: p.is_usable,
        method_usability_reason: format!("{:?}", p.method_usability_reason),
    }
}

pub(in crate::http) fn graph_method(
    m: &StoredMethod,
    view: &tapin_api::wire::Method,
) -> AuthenticationMethod {
    let view = view.clone();
    let mut out = AuthenticationMethod {
        odata_type: String::new(),
        id: m.id.clone(),
        display_name: m.name.clone(),
        created_date_time: Some(m.created_at),
        model: None,
        aa_guid: None,
        attestation_level: None,
        passkey_type: None,
        phone_number: None,
        phone_type: None,
        email_address: None,
    };
    let kind = match m.kind {
        MethodKind::Passkey | MethodKind::SecurityKey => {
            let key = view.authenticator.as_ref();
            out.model = Some(key.and_then(|k| k.model.clone()).unwrap_or_else(|| {
                if m.kind == MethodKind::Passkey {
                    "passkey"
                } else {
                    "securityKey"
                }
                .into()
            }));
            out.aa_guid = key.and_then(|k| k.aaguid.clone());
            out.attestation_level = key.map(|k| {
                if k.attested {
                    "attested"
                } else {
                    "notAttested"
                }
                .into()
            });
            out.passkey_type = key.map(|k| if k.synced { "synced" } else { "deviceBound" }.into());
            "fido2AuthenticationMethod"
        }
        MethodKind::AuthenticatorApp => "softwareOathAuthenticationMethod",
        MethodKind::Phone | MethodKind::AlternatePhone | MethodKind::OfficePhone => {
            out.phone_number = Some(view.detail);
            out.phone_type = Some(
                match m.kind {
                    MethodKind::Phone => "mobile",
                    MethodKind::AlternatePhone => "alternateMobile",
                    _ => "office",
                }
                .into(),
            );
            "phoneAuthenticationMethod"
        }
        MethodKind::Email => {
            out.email_address = Some(view.detail);
            "emailAuthenticationMethod"
        }
    };
    out.odata_type = format!("#microsoft.graph.{kind}");
    out
}

pub fn graph_policy(p: &Policy) -> TemporaryAccessPassConfiguration {
    let target = |t: &Target, include: bool| MethodTarget {
        target_type: if matches!(t, Target::User(_)) {
            "user"
        } else {
            "group"
        }
        .into(),
        id: match t {
            Target::All => "all_users".into(),
            Target::User(u) => u.clone(),
            Target::Group(g) => g.clone(),
        },
        is_registration_required: include.then_some(p.require_registration),
        odata_type: None,
    };
    TemporaryAccessPassConfiguration {
        odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration".into(),
        id: "TemporaryAccessPass".into(),
        state: if p.enabled { "enabled" } else { "disabled" }.into(),
        default_lifetime_in_minutes: p.default_lifetime_minutes,
        default_length: p.length,
        minimum_lifetime_in_minutes: p.min_lifetime_minutes,
        maximum_lifetime_in_minutes: p.max_lifetime_minutes,
        is_usable_once: p.one_time,
        include_targets: p.include.iter().map(|t| target(t, true)).collect(),
        exclude_targets: p.exclude.iter().map(|t| target(t, false)).collect(),
    }
}

/// Graph's configuration patch as a change of the policy; what it cannot mean is refused.
pub fn policy_change(
    patch: TemporaryAccessPassConfigurationPatch,
) -> Result<PolicyChange, GraphFailure> {
    fn targets(list: &[MethodTarget], field: &'static str) -> Result<Vec<Target>, GraphFailure> {
        list.iter()
            .map(|t| match (t.target_type.as_str(), t.id.as_str()) {
                ("group", "all_users") => Ok(Target::All),
                ("group", g) => {
                    Target::parse(&format!("group:{g}")).map_err(|e| bad(e.to_string(), field))
                }
                ("user", u) => {
                    Target::parse(&format!("user:{u}")).map_err(|e| bad(e.to_string(), field))
                }
                (other, _) => Err(bad(
                    format!("targetType '{other}' is not one of group, user"),
                    field,
                )),
            })
            .collect()
    }
    own_type(
        patch.odata_type.as_deref(),
        &[tapin_api::graph::PASS_CONFIGURATION_TYPE],
    )?;
    for t in patch
        .include_targets
        .iter()
        .chain(&patch.exclude_targets)
        .flatten()
    {
        own_type(t.odata_type.as_deref(), &tapin_api::graph::TARGET_TYPES)?;
    }
    let enabled = match patch.state.as_deref() {
        None => None,
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        Some(other) => {
            return Err(bad(
                format!("state '{other}' is not one of enabled, disabled"),
                "state",
            ))
        }
    };
    let include = patch
        .include_targets
        .as_deref()
        .map(|l| targets(l, "includeTargets"))
        .transpose()?;
    let require_registration = patch.include_targets.as_deref().and_then(|l| {
        l.iter()
            .filter_map(|t| t.is_registration_required)
            .reduce(|a, b| a || b)
    });
    let exclude = patch
        .exclude_targets
        .as_deref()
        .map(|l| targets(l, "excludeTargets"))
        .transpose()?;
    if exclude.as_ref().is_some_and(|l| l.contains(&Target::All)) {
        return Err(bad(
            "everyone cannot be excluded; set state to disabled instead",
            "excludeTargets",
        ));
    }
    Ok(PolicyChange {
        enabled,
        include,
        exclude,
        min_lifetime_minutes: patch.minimum_lifetime_in_minutes,
        max_lifetime_minutes: patch.maximum_lifetime_in_minutes,
        default_lifetime_minutes: patch.default_lifetime_in_minutes,
        one_time: patch.is_usable_once,
        length: patch.default_length,
        require_registration,
        // Not a Graph field: set on the command line.
        joiner_pass: None,
    })
}

/// `startswith(userPrincipalName,'a')`, `startswith(displayName,'a')`,
/// joined by `or`; `$search="displayName:a" OR "userPrincipalName:a"`
/// (words of the name, as Graph's search). Anything else is refused.
pub(in crate::http) fn user_search(
    q: &HashMap<String, String>,
) -> Result<UserSearch, GraphFailure> {
    let mut search = UserSearch {
        top: 100,
        ..Default::default()
    };
    if let Some(top) = q.get("$top") {
        search.top = top
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=crate::domain::helpdesk::SEARCH_TOP_MAX).contains(n))
            .ok_or_else(|| bad("$top must be a whole number from 1 to 999", "$top"))?;
    }
    let unsupported = |f: &'static str| {
        bad(
            "only startswith(userPrincipalName,'…') and startswith(displayName,'…'), joined by 'or', are supported",
            f,
        )
    };
    if let Some(filter) = q.get("$filter") {
        for clause in filter.split(" or ") {
            let inner = clause
                .trim()
                .strip_prefix("startswith(")
                .and_then(|c| c.strip_suffix(')'))
                .ok_or_else(|| unsupported("$filter"))?;
            let (property, value) = inner
                .split_once(',')
                .ok_or_else(|| unsupported("$filter"))?;
            let value = value
                .trim()
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .ok_or_else(|| unsupported("$filter"))?
                .replace("''", "'");
            match property.trim() {
                "userPrincipalName" => search.upn_prefix = Some(value),
                "displayName" => search.name_prefix = Some(value),
                _ => return Err(unsupported("$filter")),
            }
        }
    }
    if let Some(terms) = q.get("$search") {
        for term in terms.split(" OR ") {
            let term = term
                .trim()
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or_else(|| bad("$search takes \"displayName:…\" or \"userPrincipalName:…\" terms joined by OR", "$search"))?;
            match term.split_once(':') {
                Some(("displayName", v)) => {
                    search.name_prefix = Some(v.into());
                    search.name_words = true;
                }
                Some(("userPrincipalName", v)) => search.upn_prefix = Some(v.into()),
                _ => return Err(bad(
                    "$search takes \"displayName:…\" or \"userPrincipalName:…\" terms joined by OR",
                    "$search",
                )),
            }
        }
    }
    Ok(search)
}

/// The query of `GET /users`, as documented (parsed by `user_search`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(in crate::http) struct UsersQuery {
    /// `startswith(userPrincipalName,'x')` and/or `startswith(displayName,'x')`, joined by ` or `.
    #[param(
        rename = "$filter",
        pattern = "^startswith\\((userPrincipalName|displayName),'[^']*'\\)( or startswith\\((userPrincipalName|displayName),'[^']*'\\))?$"
    )]
    filter: Option<String>,
    /// `"displayName:x"` (the start of any word of the name) and/or `"userPrincipalName:x"`, joined by ` OR `.
    #[param(
        rename = "$search",
        pattern = "^\"(displayName|userPrincipalName):[^\"]*\"( OR \"(displayName|userPrincipalName):[^\"]*\")?$"
    )]
    search: Option<String>,
    /// At most this many (1 to 999; 100 by default).
    #[param(rename = "$top", minimum = 1, maximum = 999)]
    top: Option<u32>,
}
