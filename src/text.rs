//! Every sentence the app shows, looked up in the user's language from
//! `locales/<lang>.json`. Plain sentences are functions named after their
//! key; sentences with parts are functions that fill them in.

use crate::api::Failure;
use crate::i18n::{t, tf};
use crate::methods::kinds::Adding;
use crate::time::local;
use crate::widgets::webauthn::BrowserRefusal;
use tapin_api::validate::{ValidationCode, ValidationError};
use tapin_api::wire::{ErrorBody, ErrorCode, KeyRefusal, Method, MethodKind};

/// Plain sentences as functions named after their keys (also used by the
/// help desk's own catalog in `admin::text`).
#[macro_export]
macro_rules! sentences {
    ($($key:ident),* $(,)?) => {
        $(
            #[allow(non_snake_case)]
            pub fn $key() -> &'static str {
                t(stringify!($key))
            }
        )*
        /// Every plain key, for the completeness test of the locale files.
        #[allow(dead_code)]
        pub const PLAIN_KEYS: &[&str] = &[$(stringify!($key)),*];
    };
}

sentences!(
    APP_NAME,
    STEP_ACCOUNT,
    STEP_PASS,
    STEP_PASSKEY,
    STEP_SECURITY_INFO,
    PROGRESS,
    ACCOUNT_HEADING,
    ACCOUNT_INTRO,
    ACCOUNT_LABEL,
    ACCOUNT_HINT,
    NEXT,
    PASS_HEADING,
    PASS_SIGNING_IN_AS,
    PASS_CHANGE_ACCOUNT,
    PASS_LABEL,
    PASS_HINT,
    SIGN_IN,
    SIGNING_IN,
    INFO_HEADING,
    INFO_SIGNED_IN_AS,
    INFO_SESSION_ENDS,
    INFO_METHODS_HEADING,
    INFO_NO_METHODS,
    SIGN_OUT,
    LOADING,
    LATER_FAILED,
    TRY_AGAIN,
    NOT_SIGNED_IN,
    START_OVER,
    NOT_FOUND,
    COUNTDOWN_LABEL,
    COUNTDOWN_EXPLAIN,
    COUNTDOWN_WARNING,
    COUNTDOWN_CLOSED,
    ASK_ADMIN,
    PASSKEY_ALTERNATIVE,
    PASSKEY_SIGN_IN,
    PASSKEY_HEADING,
    PASSKEY_INTRO,
    PASSKEY_USE,
    PASSKEY_WAITING,
    PASSKEY_USE_PASS_INSTEAD,
    WIZARD_HEADING,
    WIZARD_INTRO,
    WIZARD_FINISH,
    WIZARD_NEED_ONE,
    WIZARD_DONE,
    ADD_HEADING,
    ADD_CLOSED,
    ADD_FULL,
    INFO_STRONGER_FIRST,
    EVERYWHERE_HEADING,
    EVERYWHERE_EXPLAIN,
    SIGN_OUT_EVERYWHERE,
    INFO_HELP_DESK,
    NEVER,
    DEFAULT_BADGE,
    ADDED,
    LAST_USED,
    RENAME,
    MAKE_DEFAULT,
    DELETE,
    DELETE_CONFIRM,
    CONFIRM_DELETE_LABEL,
    NEW_NAME,
    SAVE,
    CANCEL,
    CONTINUE,
    VERIFY,
    SEND_CODE,
    SEND_NEW_CODE,
    WAITING_FOR_BROWSER,
    NAME_LABEL,
    NAME_HINT,
    PASSKEY_ADD_INTRO,
    SECURITY_KEY_ADD_INTRO,
    AUTHENTICATOR_DEFAULT_NAME,
    AUTHENTICATOR_STEP_SCAN,
    AUTHENTICATOR_QR_LABEL,
    CANT_SCAN,
    CANT_SCAN_HELP,
    AUTHENTICATOR_CODE_HINT,
    CODE_LABEL,
    PHONE_KIND_LABEL,
    PHONE_LABEL,
    PHONE_HINT,
    PHONE_CHANNEL_LEGEND,
    PHONE_TEXT,
    PHONE_CALL,
    EMAIL_LABEL,
    EMAIL_HINT,
    LANGUAGE,
    LANG_EN,
    LANG_DE,
    LANG_AR,
    RECOVERY_HEADING,
    RECOVERY_EXPLAIN,
    RECOVERY_ONCE,
    RECOVERY_MAKE,
    RECOVERY_DONE,
);

pub fn minutes_left(minutes: i64) -> String {
    match minutes {
        1 => t("MINUTES_LEFT_ONE").to_string(),
        n => tf("MINUTES_LEFT_MANY", &[("n", &n.to_string())]),
    }
}

/// What went wrong with a field, worded for the person typing.
pub fn invalid_field(e: &ValidationError) -> &'static str {
    t(match e.code {
        ValidationCode::Empty => match e.field {
            "upn" => "FIELD_EMPTY_UPN",
            "pass" => "FIELD_EMPTY_PASS",
            "phone" => "FIELD_EMPTY_PHONE",
            "email" => "FIELD_EMPTY_EMAIL",
            "name" => "FIELD_EMPTY_NAME",
            _ => "FIELD_EMPTY_CODE",
        },
        ValidationCode::TooLong if e.field == "email" => "FIELD_EMAIL_TOO_LONG",
        ValidationCode::TooLong => "FIELD_UPN_TOO_LONG",
        ValidationCode::PhoneShape => "FIELD_PHONE_SHAPE",
        ValidationCode::EmailShape => "FIELD_EMAIL_SHAPE",
        ValidationCode::NameTooLong => "FIELD_NAME_TOO_LONG",
        ValidationCode::NameCharacters => "FIELD_NAME_CHARACTERS",
        ValidationCode::CodeShape => "FIELD_CODE_SHAPE",
        ValidationCode::UpnShape => "FIELD_UPN_SHAPE",
        ValidationCode::PassTooShort => "FIELD_PASS_TOO_SHORT",
        ValidationCode::PassTooLong => "FIELD_PASS_TOO_LONG",
        ValidationCode::PassCharacters => "FIELD_PASS_CHARACTERS",
        ValidationCode::LifetimeRange
        | ValidationCode::LengthRange
        | ValidationCode::MinAboveMax
        | ValidationCode::OutsidePolicy
        | ValidationCode::TimeZoneShape
        | ValidationCode::RedirectShape => "FIELD_OUT_OF_RANGE",
    })
}

/// The sign-in outcome, with what to do next; times in the user's time zone.
pub fn sign_in_failure(failure: &Failure) -> String {
    let Failure::Api(body) = failure else {
        return t("UNREACHABLE").to_string();
    };
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(local).unwrap_or_default();
    let ask = ASK_ADMIN();
    match body.code {
        ErrorCode::PassInvalid => tf("FAIL_PASS_INVALID", &[("ask_admin", ask)]),
        ErrorCode::PassExpired => tf(
            "FAIL_PASS_EXPIRED",
            &[("when", &when(body.expired_at)), ("ask_admin", ask)],
        ),
        ErrorCode::PassNotYetValid => tf(
            "FAIL_PASS_NOT_YET_VALID",
            &[("when", &when(body.valid_from))],
        ),
        ErrorCode::PassUsed => tf(
            "FAIL_PASS_USED",
            &[("when", &when(body.used_at)), ("ask_admin", ask)],
        ),
        ErrorCode::BlockedByPolicy => t("FAIL_BLOCKED_BY_POLICY").to_string(),
        ErrorCode::TooManyAttempts => {
            tf("FAIL_TOO_MANY_ATTEMPTS", &[("when", &when(body.retry_at))])
        }
        ErrorCode::InvalidInput => t("FAIL_SIGN_IN_INPUT").to_string(),
        ErrorCode::Overloaded | ErrorCode::Unavailable => t("FAIL_OVERLOADED").to_string(),
        ErrorCode::CodeSignInOff => t("FAIL_CODE_SIGN_IN_OFF").to_string(),
        _ => t("FAIL_INTERNAL").to_string(),
    }
}

fn refusal_why(r: KeyRefusal) -> &'static str {
    t(match r {
        KeyRefusal::Compromised => "KEY_WHY_COMPROMISED",
        KeyRefusal::Synced => "KEY_WHY_SYNCED",
        KeyRefusal::DeviceBound => "KEY_WHY_DEVICE_BOUND",
        KeyRefusal::NotAttested => "KEY_WHY_NOT_ATTESTED",
        KeyRefusal::ModelNotAllowed => "KEY_WHY_MODEL_NOT_ALLOWED",
        KeyRefusal::ModelBlocked | KeyRefusal::Unknown => "KEY_WHY_MODEL_BLOCKED",
    })
}

/// Why the organisation's passkey profile refused the key, naming its model.
fn key_not_allowed(body: &ErrorBody) -> String {
    let key = body.model.as_deref().unwrap_or_else(|| t("KEY_THIS"));
    let why = refusal_why(body.refusal.unwrap_or(KeyRefusal::Unknown));
    tf("KEY_NOT_ALLOWED", &[("key", key), ("why", why)])
}

/// A passkey's or security key's model and whether it syncs:
/// "YubiKey 5 Series · this device only".
pub fn key_summary(m: &Method) -> Option<String> {
    let k = m.authenticator.as_ref()?;
    let kind = t(if k.synced {
        "KEY_SYNCED"
    } else {
        "KEY_DEVICE_BOUND"
    });
    Some(match &k.model {
        Some(model) => format!("{model} · {kind}"),
        None => kind.to_string(),
    })
}

/// Why the passkey profile no longer lets this key sign in.
pub fn key_refused(m: &Method) -> Option<String> {
    let r = m.authenticator.as_ref()?.refused?;
    Some(tf("KEY_NO_LONGER", &[("why", refusal_why(r))]))
}

pub fn kind_name(kind: MethodKind) -> &'static str {
    t(match kind {
        MethodKind::Passkey => "KIND_PASSKEY",
        MethodKind::SecurityKey => "KIND_SECURITY_KEY",
        MethodKind::AuthenticatorApp => "KIND_AUTHENTICATOR_APP",
        MethodKind::Phone => "KIND_PHONE",
        MethodKind::AlternatePhone => "KIND_ALTERNATE_PHONE",
        MethodKind::OfficePhone => "KIND_OFFICE_PHONE",
        MethodKind::Email => "KIND_EMAIL",
    })
}

/// "Passkey “Work laptop”", or "Phone" for methods named by their detail.
pub fn method_label(m: &Method) -> String {
    match &m.name {
        Some(name) => tf(
            "METHOD_NAMED",
            &[("kind", kind_name(m.kind)), ("name", name)],
        ),
        None => kind_name(m.kind).to_string(),
    }
}

pub fn add_heading(which: Adding) -> &'static str {
    t(match which {
        Adding::Passkey => "ADD_PASSKEY",
        Adding::SecurityKey => "ADD_SECURITY_KEY",
        Adding::Authenticator => "ADD_AUTHENTICATOR",
        Adding::Phone => "ADD_PHONE",
        Adding::Email => "ADD_EMAIL",
    })
}

pub fn add_description(which: Adding) -> &'static str {
    t(match which {
        Adding::Passkey => "ADD_PASSKEY_WHY",
        Adding::SecurityKey => "ADD_SECURITY_KEY_WHY",
        Adding::Authenticator => "ADD_AUTHENTICATOR_WHY",
        Adding::Phone => "ADD_PHONE_WHY",
        Adding::Email => "ADD_EMAIL_WHY",
    })
}

pub fn added(label: &str) -> String {
    tf("DONE_ADDED", &[("label", label)])
}

pub fn renamed(was: &str, now: &str) -> String {
    tf("DONE_RENAMED", &[("was", was), ("now", now)])
}

pub fn deleted(label: &str) -> String {
    tf("DONE_DELETED", &[("label", label)])
}

pub fn made_default(label: &str) -> String {
    tf("DONE_DEFAULT", &[("label", label)])
}

pub fn confirm_delete(label: &str) -> String {
    tf("CONFIRM_DELETE", &[("label", label)])
}

pub fn code_sent(to: &str, until: &str) -> String {
    tf("CODE_SENT", &[("to", to), ("until", until)])
}

/// Why adding or managing a method failed, and what to do.
pub fn method_failure(failure: &Failure) -> String {
    let Failure::Api(body) = failure else {
        return t("UNREACHABLE").to_string();
    };
    match body.code {
        ErrorCode::PasswordlessWindowClosed => COUNTDOWN_CLOSED().to_string(),
        ErrorCode::LimitReached => tf(
            "FAIL_LIMIT",
            &[("limit", &body.limit.unwrap_or_default().to_string())],
        ),
        ErrorCode::CodeInvalid => match body.tries_left {
            Some(1) => t("FAIL_CODE_ONE_TRY").to_string(),
            Some(n) => tf("FAIL_CODE_TRIES", &[("n", &n.to_string())]),
            None => t("FAIL_CODE").to_string(),
        },
        ErrorCode::CodeExpired => t("FAIL_CODE_EXPIRED").to_string(),
        ErrorCode::WebauthnFailed => t("FAIL_WEBAUTHN").to_string(),
        ErrorCode::DeliveryFailed => t("FAIL_DELIVERY").to_string(),
        ErrorCode::TooManySends => tf(
            "FAIL_TOO_MANY_SENDS",
            &[("when", &body.retry_at.map(local).unwrap_or_default())],
        ),
        ErrorCode::Overloaded | ErrorCode::Unavailable => t("FAIL_OVERLOADED").to_string(),
        ErrorCode::Conflict => t("FAIL_CONFLICT").to_string(),
        ErrorCode::NotSignedIn => NOT_SIGNED_IN().to_string(),
        ErrorCode::NotFound => t("FAIL_NOT_FOUND").to_string(),
        ErrorCode::InvalidInput => t("FAIL_INPUT").to_string(),
        ErrorCode::StrongerSignInNeeded => t("FAIL_STRONGER").to_string(),
        ErrorCode::KeyNotAllowed => key_not_allowed(body),
        _ => t("FAIL_INTERNAL").to_string(),
    }
}

pub fn browser_refusal(r: BrowserRefusal) -> String {
    t(match r {
        BrowserRefusal::NotAllowed => "BROWSER_NOT_ALLOWED",
        BrowserRefusal::AlreadyRegistered => "BROWSER_ALREADY_REGISTERED",
        BrowserRefusal::Unsupported => "BROWSER_UNSUPPORTED",
    })
    .to_string()
}

/// "8 unused recovery codes"
pub fn recovery_left(n: u32) -> String {
    tf("RECOVERY_LEFT", &[("n", &n.to_string())])
}
