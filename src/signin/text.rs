//! The sign-in page's sentences, from `locales/signin/<lang>.json` (loaded
//! by this bundle only).

use crate::i18n::{t, tf};

crate::sentences!(
    SGN_HEADING,
    SGN_NO_REQUEST,
    SGN_WAY_WEBAUTHN,
    SGN_WAY_CODE,
    SGN_WAY_PASS,
    SGN_WEBAUTHN_INTRO,
    SGN_WEBAUTHN_USE,
    SGN_CODE_LABEL,
    SGN_CODE_HINT,
    SGN_CODE_SHAPE,
    SGN_CODE_WRONG,
    SGN_OTHER_WAYS,
    SGN_CONSENT_ALLOW,
    SGN_CONSENT_DENY,
    SGN_CONTINUING,
    SGN_NEEDS_KEY,
    SGN_WAY_RECOVERY,
    SGN_RECOVERY_LABEL,
    SGN_RECOVERY_HINT,
    SGN_WAY_TEXT,
    SGN_WAY_CALL,
    SGN_WAY_EMAIL,
    SGN_SEND,
    SGN_SENT_LABEL,
    SGN_SENT_HINT,
    SGN_DEVICE_HEADING,
    SGN_DEVICE_INTRO,
    SGN_DEVICE_LABEL,
    SGN_DEVICE_HINT,
    SGN_DEVICE_SHAPE,
    SGN_DEVICE_UNKNOWN,
    SGN_DEVICE_NEXT,
    SGN_DEVICE_ALLOW,
    SGN_DEVICE_DENY,
    SGN_DEVICE_APPROVED,
    SGN_DEVICE_DENIED,
);

/// "Sign in to Wiki on the device that shows this code?"
pub fn device_consent(app: &str) -> String {
    tf("SGN_DEVICE_CONSENT", &[("app", app)])
}

/// "to continue to Wiki"
pub fn to_app(app: &str) -> String {
    tf("SGN_TO_APP", &[("app", app)])
}

/// "Wiki wants your name, account name and email address."
pub fn consent(app: &str) -> String {
    tf("SGN_CONSENT", &[("app", app)])
}

/// "We sent a code to +44•••••12."
pub fn sent_to(to: &str) -> String {
    tf("SGN_SENT_TO", &[("to", to)])
}
