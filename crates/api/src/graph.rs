//! Microsoft Graph v1.0's authentication-methods resources, as tapin serves
//! them under `/graph/v1.0/`: the field names, types and error shape Graph
//! documents, so Graph scripts work with only the base URL changed.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

pub mod fido2;

/// `{"value": [...]}`, Graph's collection envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collection<T> {
    pub value: Vec<T>,
}

/// A user, with the properties tapin keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GraphUser {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    /// False once the person is disabled: nothing of theirs signs in.
    pub account_enabled: bool,
}

/// A directory group (as SCIM provisions it), with the properties the
/// help desk needs to name it: the pass policy's targets carry its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GraphGroup {
    pub id: String,
    pub display_name: String,
}

/// Graph's type names for the bodies tapin accepts.
pub const USER_TYPE: &str = "#microsoft.graph.user";
pub const PASS_TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethod";
pub const PASS_CONFIGURATION_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
pub const TARGET_TYPES: [&str; 2] = [
    "#microsoft.graph.authenticationMethodTarget",
    "#microsoft.graph.excludeTarget",
];

/// Whether a body's `@odata.type` (which Microsoft's Graph SDKs put in
/// every body they send) names one of `own`: absent, or the same name with
/// or without its `#`, in any case.
pub fn names_own_type(given: Option<&str>, own: &[&str]) -> bool {
    given.is_none_or(|g| {
        let g = g.strip_prefix('#').unwrap_or(g);
        own.iter()
            .any(|o| o.trim_start_matches('#').eq_ignore_ascii_case(g))
    })
}

/// The body of `PATCH /users/{id}`: what is set changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// False disables the person (every session, pass and token ends);
    /// true enables them again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// A new account name (the person keeps every method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `microsoft.graph.temporaryAccessPassAuthenticationMethod`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TemporaryAccessPassMethod {
    #[serde(rename = "@odata.type", default = "tap_type")]
    pub odata_type: String,
    pub id: String,
    /// The pass itself: only in the answer to its creation, never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_access_pass: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub start_date_time: DateTime<Utc>,
    pub lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    pub is_usable: bool,
    /// `EnabledByPolicy`, `DisabledByPolicy`, `Expired`, `NotYetValid` or `OneTimeUsed`.
    pub method_usability_reason: String,
}

fn tap_type() -> String {
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod".into()
}

/// The body of `POST .../temporaryAccessPassMethods`; unset fields take the policy's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTemporaryAccessPass {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// When the pass becomes usable (RFC 3339; the offset is kept as the issuer's zone).
    #[serde(default)]
    pub start_date_time: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 43200))]
    pub lifetime_in_minutes: Option<u32>,
    #[serde(default)]
    pub is_usable_once: Option<bool>,
}

/// One of `GET /users/{id}/authentication/methods`, by its `@odata.type`:
/// `fido2AuthenticationMethod` (passkeys and security keys),
/// `softwareOathAuthenticationMethod`, `phoneAuthenticationMethod`,
/// `emailAuthenticationMethod`, `temporaryAccessPassAuthenticationMethod`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationMethod {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<DateTime<Utc>>,
    /// fido2: the authenticator's model (`YubiKey 5 Series`), from the
    /// imported FIDO metadata or the community list; `passkey` or
    /// `securityKey` when the model is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// fido2: the model's AAGUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aa_guid: Option<String>,
    /// fido2: `attested` or `notAttested`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_level: Option<String>,
    /// fido2: `deviceBound` or `synced`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_type: Option<String>,
    /// phone: masked, as tapin never shows a whole number to the help desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// phone: `mobile`, `alternateMobile` or `office`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<String>,
    /// email: masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// A member of the policy's include or exclude list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MethodTarget {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// `group` (`all_users` is everyone) or `user` (by account name).
    pub target_type: String,
    pub id: String,
    /// Include targets only: the required-registration wizard (one value for the whole policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_registration_required: Option<bool>,
}

/// `microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TemporaryAccessPassConfiguration {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    pub id: String,
    /// `enabled` or `disabled`.
    pub state: String,
    pub default_lifetime_in_minutes: u32,
    pub default_length: u32,
    pub minimum_lifetime_in_minutes: u32,
    pub maximum_lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    pub include_targets: Vec<MethodTarget>,
    pub exclude_targets: Vec<MethodTarget>,
}

/// The body of the configuration's `PATCH`: what is set changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemporaryAccessPassConfigurationPatch {
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(enabled|disabled)$"))]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 43200))]
    pub default_lifetime_in_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 8, maximum = 48))]
    pub default_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 43200))]
    pub minimum_lifetime_in_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 43200))]
    pub maximum_lifetime_in_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_targets: Option<Vec<MethodTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_targets: Option<Vec<MethodTarget>>,
}

/// Graph's error body: `{"error": {"code", "message", "innerError"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphError {
    pub error: GraphErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GraphErrorDetail {
    /// Graph's code: `badRequest`, `InvalidAuthenticationToken`,
    /// `accessDenied`, `Request_ResourceNotFound`, `conflict`, ...
    pub code: String,
    pub message: String,
    pub inner_error: GraphInnerError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphInnerError {
    /// tapin's stable code (`invalid_input`, `forbidden`, ...), as in its own API.
    pub code: String,
    /// The input at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub date: DateTime<Utc>,
}
