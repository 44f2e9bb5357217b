//! The help desk's sentences, from `locales/admin/<lang>.json` (loaded by
//! this bundle only, so the first load never carries them).

use crate::api::Failure;
use crate::i18n::{t, tf};
use tapin_api::validate::{ValidationCode, ValidationError};
use tapin_api::wire::ErrorCode;

crate::sentences!(
    ADM_HELP_DESK,
    ADM_CLIENTS,
    ADM_CLIENTS_HEADING,
    ADM_CLIENTS_INTRO,
    ADM_CLIENTS_NONE,
    ADM_CLIENT_ID,
    ADM_CLIENT_KIND,
    ADM_CLIENT_PUBLIC_KIND,
    ADM_CLIENT_CONFIDENTIAL_KIND,
    ADM_CLIENT_REDIRECTS,
    ADM_CLIENT_REDIRECTS_HINT,
    ADM_CLIENT_LOGOUTS,
    ADM_CLIENT_PUBLIC,
    ADM_CLIENT_CONSENT,
    ADM_CLIENT_STRICT,
    ADM_CLIENT_ADD_HEADING,
    ADM_CLIENT_NAME,
    ADM_CLIENT_ADD,
    ADM_CLIENT_MISSING,
    ADM_CLIENT_URI_SHAPE,
    ADM_CLIENT_SECRET,
    ADM_CLIENT_SECRET_ONCE,
    ADM_CLIENT_ROTATE,
    ADM_CLIENT_REMOVE,
    ADM_SECTIONS,
    ADM_USERS,
    ADM_POLICY,
    ADM_AUDIT,
    ADM_MY_METHODS,
    ADM_CLOSED_HEADING,
    ADM_CLOSED_SIGN_IN,
    ADM_CLOSED_FORBIDDEN,
    ADM_CLOSED_STRONGER,
    ADM_FAIL_NETWORK,
    ADM_USERS_HEADING,
    ADM_FIND_LABEL,
    ADM_FIND_HINT,
    ADM_DISABLED_BADGE,
    ADM_ACCOUNT_STATE,
    ADM_ACCOUNT_ENABLED,
    ADM_ACCOUNT_DISABLED,
    ADM_DISABLE,
    ADM_ENABLE,
    ADM_USER_DISABLED,
    ADM_USER_ENABLED,
    ADM_USER_HEADING,
    ADM_READ_ONLY,
    ADM_NOT_YOURS,
    ADM_ACCOUNT,
    ADM_ROLE,
    ADM_ROLE_ADMIN,
    ADM_ROLE_MEMBER,
    ADM_GROUPS,
    ADM_USER_ZONE,
    ADM_PASS_HEADING,
    ADM_NO_PASS,
    ADM_PASS_STATE,
    ADM_PASS_STARTS,
    ADM_PASS_ENDS,
    ADM_PASS_ONE_TIME,
    ADM_PASS_CREATED,
    ADM_YES,
    ADM_NO,
    ADM_REVOKE_PASS,
    ADM_PASS_REVOKED,
    ADM_PASS_ISSUED,
    ADM_ISSUE_PASS,
    ADM_ISSUE_HEADING,
    ADM_LIFETIME_LABEL,
    ADM_ONE_TIME_LABEL,
    ADM_ONE_TIME_HINT,
    ADM_ONE_TIME_FORCED,
    ADM_START_LEGEND,
    ADM_START_NOW,
    ADM_START_LATER,
    ADM_START_DATE,
    ADM_START_TIME,
    ADM_START_ZONE,
    ADM_START_INVALID,
    ADM_ISSUE_SUBMIT,
    ADM_ISSUED_HEADING,
    ADM_ISSUED_ONCE,
    ADM_ISSUED_CODE_LABEL,
    ADM_COPY,
    ADM_COPIED,
    ADM_SIGN_IN_LINK,
    ADM_QR_HINT,
    ADM_QR_LABEL,
    ADM_DONE,
    ADM_METHODS_HEADING,
    ADM_NO_METHODS,
    ADM_REMOVE,
    ADM_REASON_LABEL,
    ADM_REASON_HINT,
    ADM_REASON_MISSING,
    ADM_CONFIRM_REMOVE,
    ADM_LOCKOUT_HEADING,
    ADM_CLEAR_LOCKOUT,
    ADM_LOCKOUT_CLEARED,
    ADM_SESSIONS_HEADING,
    ADM_NO_SESSIONS,
    ADM_SIGN_OUT_EVERYWHERE,
    ADM_SIGNED_OUT,
    ADM_POLICY_HEADING,
    ADM_POLICY_READ_ONLY,
    ADM_POLICY_ENABLED,
    ADM_POLICY_INCLUDE,
    ADM_POLICY_EXCLUDE,
    ADM_TARGETS_HINT,
    ADM_POLICY_MIN,
    ADM_POLICY_MAX,
    ADM_POLICY_DEFAULT,
    ADM_POLICY_ONE_TIME,
    ADM_POLICY_LENGTH,
    ADM_POLICY_REQUIRED,
    ADM_POLICY_SAVE,
    ADM_POLICY_SAVED,
    ADM_POLICY_FIX,
    ADM_AUDIT_HEADING,
    ADM_AUDIT_USER,
    ADM_AUDIT_KIND,
    ADM_AUDIT_ANY,
    ADM_AUDIT_SINCE,
    ADM_AUDIT_UNTIL,
    ADM_AUDIT_APPLY,
    ADM_AUDIT_EXPORT,
    ADM_AUDIT_CAPTION,
    ADM_AUDIT_AT,
    ADM_AUDIT_DETAIL,
    ADM_AUDIT_ACTOR,
    ADM_ENROL_HEADING,
    ADM_ENROL_HINT,
    ADM_ENROL_NAME,
    ADM_ENROL_NAME_MISSING,
    ADM_ENROL_BUTTON,
    ADM_PK_NAV,
    ADM_PK_HEADING,
    ADM_PK_INTRO,
    ADM_PK_READ_ONLY,
    ADM_PK_NAME,
    ADM_PK_GROUPS,
    ADM_PK_GROUPS_HINT,
    ADM_PK_DEFAULT_FOR,
    ADM_PK_TYPES,
    ADM_PK_TYPES_BOTH,
    ADM_PK_TYPES_DEVICE,
    ADM_PK_TYPES_SYNCED,
    ADM_PK_ATTESTATION,
    ADM_PK_ATTESTATION_SHORT,
    ADM_PK_MODELS,
    ADM_PK_MODELS_ANY,
    ADM_PK_MODELS_ALLOW,
    ADM_PK_MODELS_BLOCK,
    ADM_PK_AAGUIDS,
    ADM_PK_AAGUIDS_HINT,
    ADM_PK_ADD,
    ADM_PK_REMOVE,
    ADM_PK_NEW_NAME,
    ADM_PK_SAVE,
    ADM_PK_SAVED,
);

pub fn enrolled(key: &str, person: &str) -> String {
    tf("ADM_ENROLLED", &[("key", key), ("person", person)])
}

/// Why a help-desk call failed, and what to do.
pub fn failure(f: &Failure) -> String {
    let Failure::Api(body) = f else {
        return ADM_FAIL_NETWORK().to_string();
    };
    if matches!(
        body.code,
        ErrorCode::KeyNotAllowed | ErrorCode::WebauthnFailed | ErrorCode::LimitReached
    ) {
        return crate::text::method_failure(f);
    }
    t(match body.code {
        ErrorCode::NotSignedIn => "ADM_FAIL_SIGNED_OUT",
        ErrorCode::Forbidden | ErrorCode::BlockedByPolicy => "ADM_FAIL_FORBIDDEN",
        ErrorCode::NotFound => "ADM_FAIL_NOT_FOUND",
        ErrorCode::InvalidInput => "ADM_FAIL_INPUT",
        ErrorCode::Conflict => "ADM_FAIL_CONFLICT",
        ErrorCode::Overloaded | ErrorCode::Unavailable | ErrorCode::TooManyAttempts => {
            "ADM_FAIL_BUSY"
        }
        _ => "ADM_FAIL_INTERNAL",
    })
    .to_string()
}

pub fn users_found(n: usize) -> String {
    match n {
        0 => t("ADM_FOUND_NONE").to_string(),
        1 => t("ADM_FOUND_ONE").to_string(),
        n => tf("ADM_FOUND_MANY", &[("n", &n.to_string())]),
    }
}

pub fn events_found(n: usize) -> String {
    match n {
        1 => t("ADM_EVENTS_ONE").to_string(),
        n => tf("ADM_EVENTS_MANY", &[("n", &n.to_string())]),
    }
}

/// Graph's `methodUsabilityReason`, worded.
pub fn usability(reason: &str) -> &'static str {
    t(match reason {
        "EnabledByPolicy" => "ADM_USABLE",
        "DisabledByPolicy" => "ADM_BLOCKED_BY_POLICY",
        "Expired" => "ADM_EXPIRED",
        "NotYetValid" => "ADM_NOT_YET_VALID",
        _ => "ADM_ONE_TIME_USED",
    })
}

pub fn lockout(locked: bool, failures: u32, window: u32) -> String {
    let args = [("n", failures.to_string()), ("minutes", window.to_string())];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if locked {
        tf("ADM_LOCKED", &args)
    } else if failures == 0 {
        t("ADM_NOT_LOCKED_CLEAN").to_string()
    } else {
        tf("ADM_NOT_LOCKED", &args)
    }
}

pub fn session(created: &str, seen: &str, ends: &str, from_pass: bool) -> String {
    tf(
        if from_pass {
            "ADM_SESSION_PASS"
        } else {
            "ADM_SESSION_PASSKEY"
        },
        &[("created", created), ("seen", seen), ("ends", ends)],
    )
}

pub fn removed(label: &str) -> String {
    tf("ADM_REMOVED", &[("label", label)])
}

pub fn remove_label(label: &str) -> String {
    tf("ADM_REMOVE_LABEL", &[("label", label)])
}

pub fn method_dates(added: &str, used: &str) -> String {
    tf("ADM_METHOD_DATES", &[("added", added), ("used", used)])
}

pub fn lifetime_hint(min: u32, max: u32) -> String {
    tf(
        "ADM_LIFETIME_HINT",
        &[("min", &min.to_string()), ("max", &max.to_string())],
    )
}

pub fn lifetime_range(min: u32, max: u32) -> String {
    tf(
        "ADM_LIFETIME_RANGE",
        &[("min", &min.to_string()), ("max", &max.to_string())],
    )
}

/// The start in the chosen zone, on the user's clock when their zone is
/// known, and on the administrator's.
pub fn start_preview(in_zone: &str, theirs: Option<(&str, &str)>, yours: &str) -> String {
    match theirs {
        Some((zone, theirs)) => tf(
            "ADM_START_PREVIEW_USER",
            &[
                ("start", in_zone),
                ("zone", zone),
                ("theirs", theirs),
                ("yours", yours),
            ],
        ),
        None => tf("ADM_START_PREVIEW", &[("start", in_zone), ("yours", yours)]),
    }
}

/// What the shared policy rules found wrong with a field.
pub fn policy_field(e: &ValidationError) -> String {
    t(match e.code {
        ValidationCode::MinAboveMax => "ADM_POLICY_MIN_ABOVE_MAX",
        ValidationCode::OutsidePolicy => "ADM_POLICY_DEFAULT_OUTSIDE",
        ValidationCode::LengthRange => "ADM_POLICY_LENGTH_RANGE",
        _ => "ADM_POLICY_LIFETIME_RANGE",
    })
    .to_string()
}

/// An audit event's kind, worded; an unknown kind as it is recorded.
pub fn event_name(kind: &str) -> String {
    let key = match kind {
        "pass_issued" => "EV_PASS_ISSUED",
        "pass_revoked" => "EV_PASS_REVOKED",
        "pass_sign_in" => "EV_PASS_SIGN_IN",
        "pass_invalid" => "EV_PASS_INVALID",
        "pass_expired" => "EV_PASS_EXPIRED",
        "pass_not_yet_valid" => "EV_PASS_NOT_YET_VALID",
        "pass_used" => "EV_PASS_USED",
        "passkey_sign_in" => "EV_PASSKEY_SIGN_IN",
        "method_added" => "EV_METHOD_ADDED",
        "method_removed" => "EV_METHOD_REMOVED",
        "method_renamed" => "EV_METHOD_RENAMED",
        "default_changed" => "EV_DEFAULT_CHANGED",
        "lockout_cleared" => "EV_LOCKOUT_CLEARED",
        "session_revoked" => "EV_SESSION_REVOKED",
        "signed_out_everywhere" => "EV_SIGNED_OUT_EVERYWHERE",
        "policy_changed" => "EV_POLICY_CHANGED",
        "token_created" => "EV_TOKEN_CREATED",
        "token_revoked" => "EV_TOKEN_REVOKED",
        "user_updated" => "EV_USER_UPDATED",
        "user_disabled" => "EV_USER_DISABLED",
        "user_enabled" => "EV_USER_ENABLED",
        "user_removed" => "EV_USER_REMOVED",
        "passkey_profiles_changed" => "EV_PASSKEY_PROFILES_CHANGED",
        "authenticator_metadata_imported" => "EV_METADATA_IMPORTED",
        "attestation_ca_added" => "EV_ATTESTATION_CA_ADDED",
        "attestation_ca_removed" => "EV_ATTESTATION_CA_REMOVED",
        "passkey_provisioned" => "EV_PASSKEY_PROVISIONED",
        "passkey_refused_by_profile" => "EV_PASSKEY_REFUSED",
        other => return other.to_string(),
    };
    t(key).to_string()
}

/// "Remove Wiki now"
pub fn client_remove_now(name: &str) -> String {
    tf("ADM_CLIENT_REMOVE_NOW", &[("name", name)])
}

/// "http://wiki.example/cb is not allowed: …"
pub fn client_uri_refused(uri: &str) -> String {
    tf("ADM_CLIENT_URI_REFUSED", &[("uri", uri)])
}
