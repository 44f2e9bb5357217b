//! Graph's `fido2AuthenticationMethodConfiguration`: the passkey profiles
//! as Graph shapes them (profiles, and group targets naming the profiles
//! they are in scope of), read and changed through the same domain rule as
//! the CLI and the help desk.

use super::*;
use crate::domain::authenticators::{
    KeyRestrictions, PasskeyProfile, PasskeyProfiles, RestrictionMode, DEFAULT_PROFILE_ID,
};
use tapin_api::graph::fido2::{
    Fido2Configuration, Fido2ConfigurationPatch, Fido2KeyRestrictions,
    PasskeyProfile as GraphProfile, PasskeyTarget, FIDO2_CONFIGURATION_TYPE,
};

pub(in crate::http) const FIDO2: &str =
    "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

const ALL_USERS: &str = "all_users";

fn bad(message: impl Into<String>, field: &'static str) -> Error {
    Error::Invalid(message.into(), Some(field))
}

/// The `@odata.type` a Graph SDK sends, checked as the other resources do.
fn own(given: Option<&str>, own: &[&str]) -> crate::domain::Result<()> {
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

fn restrictions(r: &KeyRestrictions) -> Fido2KeyRestrictions {
    Fido2KeyRestrictions {
        odata_type: None,
        is_enforced: r.enforced,
        enforcement_type: match r.mode {
            RestrictionMode::Allow => "allow",
            RestrictionMode::Block => "block",
        }
        .into(),
        aa_guids: r.aaguids.iter().map(|a| a.to_string()).collect(),
    }
}

fn group_id(t: &Target) -> Option<&str> {
    match t {
        Target::Group(g) => Some(g),
        _ => None,
    }
}

pub(in crate::http) fn graph_fido2(p: &PasskeyProfiles) -> Fido2Configuration {
    let default = p
        .profiles
        .iter()
        .find(|x| x.is_default())
        .cloned()
        .unwrap_or_else(PasskeyProfile::default_profile);
    let mut targets = vec![PasskeyTarget {
        odata_type: None,
        target_type: "group".into(),
        id: ALL_USERS.into(),
        is_registration_required: false,
        allowed_passkey_profiles: vec![DEFAULT_PROFILE_ID.into()],
    }];
    for profile in p.profiles.iter().filter(|x| !x.is_default()) {
        for g in profile.groups.iter().filter_map(group_id) {
            match targets.iter_mut().find(|t| t.id == g) {
                Some(t) => t.allowed_passkey_profiles.push(profile.id.clone()),
                None => targets.push(PasskeyTarget {
                    odata_type: None,
                    target_type: "group".into(),
                    id: g.into(),
                    is_registration_required: false,
                    allowed_passkey_profiles: vec![profile.id.clone()],
                }),
            }
        }
    }
    Fido2Configuration {
        odata_type: FIDO2_CONFIGURATION_TYPE.into(),
        id: "Fido2".into(),
        state: "enabled".into(),
        is_self_service_registration_allowed: true,
        is_attestation_enforced: default.attestation_enforced,
        key_restrictions: restrictions(&default.key_restrictions),
        include_targets: targets,
        exclude_targets: vec![],
        passkey_profiles: p
            .profiles
            .iter()
            .map(|x| GraphProfile {
                odata_type: None,
                id: x.id.clone(),
                name: x.name.clone(),
                passkey_types: match (x.device_bound, x.synced) {
                    (true, true) => "deviceBound,synced",
                    (true, false) => "deviceBound",
                    _ => "synced",
                }
                .into(),
                attestation_enforcement: if x.attestation_enforced {
                    "registrationOnly"
                } else {
                    "disabled"
                }
                .into(),
                key_restrictions: restrictions(&x.key_restrictions),
            })
            .collect(),
        default_passkey_profile: DEFAULT_PROFILE_ID.into(),
    }
}

fn key_restrictions(
    r: &Fido2KeyRestrictions,
    field: &'static str,
) -> crate::domain::Result<KeyRestrictions> {
    own(
        r.odata_type.as_deref(),
        &["#microsoft.graph.fido2KeyRestrictions"],
    )?;
    let mode = match r.enforcement_type.as_str() {
        "allow" => RestrictionMode::Allow,
        "block" => RestrictionMode::Block,
        other => {
            return Err(bad(
                format!("enforcementType '{other}' is not allow or block"),
                field,
            ))
        }
    };
    let aaguids = r
        .aa_guids
        .iter()
        .map(|a| {
            uuid::Uuid::parse_str(a).map_err(|_| bad(format!("'{a}' is not an AAGUID"), field))
        })
        .collect::<Result<_, _>>()?;
    Ok(KeyRestrictions {
        enforced: r.is_enforced,
        mode,
        aaguids,
    })
}

fn profile_of(g: &GraphProfile, held: &PasskeyProfiles) -> crate::domain::Result<PasskeyProfile> {
    own(
        g.odata_type.as_deref(),
        &["#microsoft.graph.passkeyProfile"],
    )?;
    let types: Vec<&str> = g.passkey_types.split(',').map(str::trim).collect();
    if types
        .iter()
        .any(|t| !matches!(*t, "deviceBound" | "synced"))
    {
        return Err(bad(
            format!(
                "passkeyTypes '{}' is not deviceBound, synced or both",
                g.passkey_types
            ),
            "passkeyProfiles",
        ));
    }
    let attestation_enforced = match g.attestation_enforcement.as_str() {
        "disabled" => false,
        "registrationOnly" => true,
        other => {
            return Err(bad(
                format!("attestationEnforcement '{other}' is not disabled or registrationOnly"),
                "passkeyProfiles",
            ))
        }
    };
    Ok(PasskeyProfile {
        id: g.id.clone(),
        name: g.name.clone(),
        // Kept unless the targets say otherwise.
        groups: held
            .profiles
            .iter()
            .find(|p| p.id == g.id)
            .map(|p| p.groups.clone())
            .unwrap_or_default(),
        device_bound: types.contains(&"deviceBound"),
        synced: types.contains(&"synced"),
        attestation_enforced,
        key_restrictions: key_restrictions(&g.key_restrictions, "passkeyProfiles")?,
    })
}

/// Graph's patch applied to the profiles held; what tapin cannot mean is refused.
pub(in crate::http) fn fido2_change(
    patch: Fido2ConfigurationPatch,
    held: PasskeyProfiles,
) -> crate::domain::Result<PasskeyProfiles> {
    own(patch.odata_type.as_deref(), &[FIDO2_CONFIGURATION_TYPE])?;
    if patch.state.as_deref().is_some_and(|s| s != "enabled") {
        return Err(bad(
            "tapin always lets people register passkeys: state can only be enabled",
            "state",
        ));
    }
    if patch.is_self_service_registration_allowed == Some(false) {
        return Err(bad(
            "tapin always lets people register their own passkeys",
            "isSelfServiceRegistrationAllowed",
        ));
    }
    if patch
        .exclude_targets
        .as_ref()
        .is_some_and(|t| !t.is_empty())
    {
        return Err(bad(
            "tapin has no exclusions from passkeys: give the group its own profile",
            "excludeTargets",
        ));
    }
    if patch
        .default_passkey_profile
        .as_deref()
        .is_some_and(|d| d != DEFAULT_PROFILE_ID)
    {
        return Err(bad(
            format!("the default passkey profile is {DEFAULT_PROFILE_ID}"),
            "defaultPasskeyProfile",
        ));
    }
    let mut profiles = match &patch.passkey_profiles {
        Some(list) => PasskeyProfiles {
            profiles: list
                .iter()
                .map(|g| profile_of(g, &held))
                .collect::<Result<_, _>>()?,
        },
        None => held,
    };
    if let Some(targets) = &patch.include_targets {
        for p in &mut profiles.profiles {
            p.groups.clear();
        }
        for t in targets {
            own(
                t.odata_type.as_deref(),
                &[
                    "#microsoft.graph.passkeyAuthenticationMethodTarget",
                    "#microsoft.graph.authenticationMethodTarget",
                ],
            )?;
            if t.target_type != "group" {
                return Err(bad(
                    format!("targetType '{}' is not group", t.target_type),
                    "includeTargets",
                ));
            }
            for id in &t.allowed_passkey_profiles {
                let p = profiles
                    .profiles
                    .iter_mut()
                    .find(|p| p.id == *id)
                    .ok_or_else(|| {
                        bad(
                            format!("there is no passkey profile {id}"),
                            "includeTargets",
                        )
                    })?;
                if t.id == ALL_USERS {
                    if !p.is_default() {
                        return Err(bad(
                            "all_users is for the default profile: give other profiles groups",
                            "includeTargets",
                        ));
                    }
                } else if !p.is_default() {
                    p.groups.push(Target::Group(t.id.clone()));
                }
            }
        }
    }
    if let Some(default) = profiles.profiles.iter_mut().find(|p| p.is_default()) {
        if let Some(a) = patch.is_attestation_enforced {
            default.attestation_enforced = a;
        }
        if let Some(r) = &patch.key_restrictions {
            default.key_restrictions = key_restrictions(r, "keyRestrictions")?;
        }
    }
    Ok(profiles)
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
    responses(
        (status = 200, description = "The passkey policy and its passkey profiles", body = Fido2Configuration),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn get_fido2(State(state): State<AppState>, desk: HelpDesk) -> GraphResult {
    let profiles = acting(&state, desk, |t, _| t.passkey_profiles()).await?;
    Ok(json(StatusCode::OK, graph_fido2(&profiles)))
}

#[utoipa::path(
    patch,
    path = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2",
    request_body = Fido2ConfigurationPatch,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "A value tapin cannot mean, a profile no key could meet, or a target naming no profile", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Only an authentication policy administrator may change the passkey profiles", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn patch_fido2(
    State(state): State<AppState>,
    desk: HelpDesk,
    GraphJson(patch): GraphJson<Fido2ConfigurationPatch>,
) -> GraphResult {
    acting(&state, desk, move |t, a| {
        t.change_passkey_profiles(a, |held| fido2_change(patch, held))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
