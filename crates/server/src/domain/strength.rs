//! The one sign-in strength rule (docs/ARCHITECTURE.md, "The rules"): how a session was opened,
//! and how long ago, decide what it may do. Every door (security info, the
//! help desk and its APIs, Graph with a cookie, OIDC `acr`) asks `permits`.

use super::{Error, Result, SessionRecord};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tapin_api::wire::MethodKind;

/// How long a passkey or security-key sign-in may still change methods, and
/// how recent any sign-in must be to add a credential that outlives it.
pub const FRESH_SIGN_IN_MINUTES: i64 = 15;

/// How a session's person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Pass,
    Passkey,
    SecurityKey,
    AuthenticatorApp,
    Text,
    Call,
    Email,
    RecoveryCode,
}

impl SignInMethod {
    pub const ALL: [SignInMethod; 8] = [
        Self::Pass,
        Self::Passkey,
        Self::SecurityKey,
        Self::AuthenticatorApp,
        Self::Text,
        Self::Call,
        Self::Email,
        Self::RecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Passkey => "passkey",
            Self::SecurityKey => "security_key",
            Self::AuthenticatorApp => "authenticator_app",
            Self::Text => "text",
            Self::Call => "call",
            Self::Email => "email",
            Self::RecoveryCode => "recovery_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The method a sign-in with a registered method of `kind` counts as.
    pub fn of_kind(kind: MethodKind) -> Self {
        match kind {
            MethodKind::Passkey => Self::Passkey,
            MethodKind::SecurityKey => Self::SecurityKey,
            MethodKind::AuthenticatorApp => Self::AuthenticatorApp,
            MethodKind::Phone | MethodKind::AlternatePhone => Self::Text,
            MethodKind::OfficePhone => Self::Call,
            MethodKind::Email => Self::Email,
        }
    }
}

/// What a way of signing in is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// A passkey or security key: phishing-resistant.
    PhishingResistant,
    /// A Temporary Access Pass or a recovery code: they exist to recover.
    Recovery,
    /// An authenticator-app, text, call or email code: one phishable factor.
    Code,
}

impl SignInMethod {
    pub fn strength(self) -> Strength {
        match self {
            Self::Passkey | Self::SecurityKey => Strength::PhishingResistant,
            Self::Pass | Self::RecoveryCode => Strength::Recovery,
            Self::AuthenticatorApp | Self::Text | Self::Call | Self::Email => Strength::Code,
        }
    }
}

/// Everything a session may be asked to do that depends on its strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See security info, rename a method, sign out everywhere.
    ViewSecurityInfo,
    /// Add or remove a method, change the default, make recovery codes.
    ChangeMethods,
    /// Add a passkey or security key: a change whose credential outlives
    /// the session, so even a recovery sign-in must be recent.
    AddPasswordless,
    /// Any help-desk page, the admin API, Graph with a cookie.
    HelpDesk,
    /// An ID token with `acr` phishing-resistant.
    PhishingResistantSignIn,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Self::ViewSecurityInfo,
        Self::ChangeMethods,
        Self::AddPasswordless,
        Self::HelpDesk,
        Self::PhishingResistantSignIn,
    ];
}

/// Whether a session opened with `method` at `signed_in_at` may do `action`
/// at `now`; the refusal says what to do instead.
pub fn permits(
    method: SignInMethod,
    signed_in_at: DateTime<Utc>,
    now: DateTime<Utc>,
    action: Action,
) -> Result<()> {
    let fresh = now - signed_in_at <= Duration::minutes(FRESH_SIGN_IN_MINUTES);
    let strength = method.strength();
    let allowed = match (action, strength) {
        (Action::ViewSecurityInfo, _) => true,
        // A pass or recovery code exists to recover: at any age (a one-time
        // pass's own ten minutes for a passkey are its session's deadline).
        (Action::ChangeMethods | Action::AddPasswordless, Strength::Recovery) => true,
        (Action::ChangeMethods | Action::AddPasswordless, Strength::PhishingResistant) => fresh,
        (Action::ChangeMethods | Action::AddPasswordless, Strength::Code) => false,
        (Action::HelpDesk | Action::PhishingResistantSignIn, s) => s == Strength::PhishingResistant,
    };
    if allowed {
        return Ok(());
    }
    Err(Error::StrongerSignInNeeded(match (action, strength) {
        (Action::HelpDesk, _) => "The help desk needs a sign-in with a passkey or security key; a Temporary Access Pass or a code is not enough. Sign in with yours, then come back.".into(),
        (Action::PhishingResistantSignIn, _) => "This application takes only a passkey or security key.".into(),
        (_, Strength::Code) => "A sign-in with a code can view your methods, rename them and sign out everywhere, but not add or remove one. Sign in with a passkey, a security key or a Temporary Access Pass first.".into(),
        _ => format!("To do this, sign in again first: your sign-in is more than {FRESH_SIGN_IN_MINUTES} minutes old."),
    }))
}

impl SessionRecord {
    /// The strength rule, asked of this session.
    pub fn permits(&self, action: Action, now: DateTime<Utc>) -> Result<()> {
        permits(self.method, self.created_at, now, action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_table_of_design_section_eleven() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let fresh = t0 + Duration::minutes(FRESH_SIGN_IN_MINUTES);
        let old = fresh + Duration::seconds(1);
        use Action::*;
        use Strength::*;
        // (strength, action, fresh, old)
        let table = [
            (PhishingResistant, ViewSecurityInfo, true, true),
            (PhishingResistant, ChangeMethods, true, false),
            (PhishingResistant, AddPasswordless, true, false),
            (PhishingResistant, HelpDesk, true, true),
            (PhishingResistant, PhishingResistantSignIn, true, true),
            (Recovery, ViewSecurityInfo, true, true),
            (Recovery, ChangeMethods, true, true),
            (Recovery, AddPasswordless, true, true),
            (Recovery, HelpDesk, false, false),
            (Recovery, PhishingResistantSignIn, false, false),
            (Code, ViewSecurityInfo, true, true),
            (Code, ChangeMethods, false, false),
            (Code, AddPasswordless, false, false),
            (Code, HelpDesk, false, false),
            (Code, PhishingResistantSignIn, false, false),
        ];
        assert_eq!(table.len(), 3 * Action::ALL.len());
        for method in SignInMethod::ALL {
            for (strength, action, when_fresh, when_old) in table {
                if method.strength() != strength {
                    continue;
                }
                assert_eq!(
                    permits(method, t0, fresh, action).is_ok(),
                    when_fresh,
                    "{method:?} {action:?} fresh"
                );
                assert_eq!(
                    permits(method, t0, old, action).is_ok(),
                    when_old,
                    "{method:?} {action:?} old"
                );
            }
        }
    }

    /// Each refusal says what to do instead, in the words of where it happened.
    #[test]
    fn a_refusal_says_what_would_be_enough() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let old = t0 + Duration::minutes(FRESH_SIGN_IN_MINUTES + 1);
        let why = |method, at, action| match permits(method, t0, at, action) {
            Err(Error::StrongerSignInNeeded(why)) => why,
            other => panic!("{method:?} {action:?}: {other:?}"),
        };
        for method in [SignInMethod::Pass, SignInMethod::AuthenticatorApp] {
            assert!(why(method, t0, Action::HelpDesk)
                .starts_with("The help desk needs a sign-in with a passkey"));
            assert!(why(method, t0, Action::PhishingResistantSignIn)
                .starts_with("This application takes only a passkey"));
        }
        assert!(
            why(SignInMethod::AuthenticatorApp, t0, Action::ChangeMethods)
                .starts_with("A sign-in with a code can view")
        );
        assert!(why(SignInMethod::Passkey, old, Action::ChangeMethods)
            .contains("more than 15 minutes old"));
    }
}
