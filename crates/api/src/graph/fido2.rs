//! `microsoft.graph.fido2AuthenticationMethodConfiguration`: the passkey
//! policy with its passkey profiles, as Graph v1.0 shapes it. Every object
//! may carry the `@odata.type` Microsoft's SDKs put in what they send.

use serde::{Deserialize, Serialize};

pub const FIDO2_CONFIGURATION_TYPE: &str =
    "#microsoft.graph.fido2AuthenticationMethodConfiguration";

/// `microsoft.graph.fido2KeyRestrictions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fido2KeyRestrictions {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    pub is_enforced: bool,
    /// `allow` or `block`.
    pub enforcement_type: String,
    #[serde(default)]
    pub aa_guids: Vec<String>,
}

/// `microsoft.graph.passkeyProfile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasskeyProfile {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    pub id: String,
    pub name: String,
    /// `deviceBound`, `synced` or `deviceBound,synced`.
    pub passkey_types: String,
    /// `disabled` or `registrationOnly` (checked when a key is registered;
    /// the verdict is kept and asked at every sign-in).
    pub attestation_enforcement: String,
    pub key_restrictions: Fido2KeyRestrictions,
}

/// `microsoft.graph.passkeyAuthenticationMethodTarget`: a group and the
/// profiles it is in scope of. tapin asks the first profile (in the
/// `passkeyProfiles` order) that names one of a person's groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasskeyTarget {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// `group`.
    pub target_type: String,
    /// A group id, or `all_users`.
    pub id: String,
    #[serde(default)]
    pub is_registration_required: bool,
    #[serde(default)]
    pub allowed_passkey_profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Fido2Configuration {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    pub id: String,
    /// Always `enabled`: tapin exists to register passkeys.
    pub state: String,
    pub is_self_service_registration_allowed: bool,
    /// The default profile's attestation (Graph's legacy, tenant-wide knob).
    pub is_attestation_enforced: bool,
    /// The default profile's model list (Graph's legacy, tenant-wide knob).
    pub key_restrictions: Fido2KeyRestrictions,
    pub include_targets: Vec<PasskeyTarget>,
    pub exclude_targets: Vec<PasskeyTarget>,
    pub passkey_profiles: Vec<PasskeyProfile>,
    pub default_passkey_profile: String,
}

/// The configuration's `PATCH`: what is given replaces what was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fido2ConfigurationPatch {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_self_service_registration_allowed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_attestation_enforced: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_restrictions: Option<Fido2KeyRestrictions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_targets: Option<Vec<PasskeyTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_targets: Option<Vec<PasskeyTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_profiles: Option<Vec<PasskeyProfile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_passkey_profile: Option<String>,
}
