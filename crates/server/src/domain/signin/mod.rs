//! Signing in to other applications: the methods offered for an account
//! (the same shape for accounts that do not exist), a passkey or security
//! key named by `allowCredentials`, and an authenticator-app code accepted
//! once. Each opens the one kind of tapin session, marked with its method.

mod pass;
mod passkey;
pub mod sent_code;
pub(in crate::domain) mod session;

use crate::domain::methods::{code_hash, totp_step};
use crate::domain::oidc::SignInMethod;
use crate::domain::selfservice::{
    credential_of, from_json, spent, to_json, to_value, webauthn_error, CEREMONY_TTL_MINUTES,
};
use crate::domain::service::SignedIn;
use crate::domain::store::{AttemptKeys, Reservation};
use crate::domain::{Actor, Error, Pending, Result, Tapin, User};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use tapin_api::normalize_upn;
use tapin_api::wire::{MethodKind, PasskeyChallenge, PasskeySignIn, SignInChoice, SignInOptions};
use webauthn_rs::prelude::{Credential, Passkey, PasskeyAuthentication, SecurityKey};
use webauthn_rs_proto::PublicKeyCredential;

const PURPOSE_WEBAUTHN: &str = "signin:webauthn";
/// At most this many wrong codes in a row per account (NIST SP 800-63B
/// §5.2.2); then code sign-in stays off until a pass or passkey signs in.
pub const CODE_FAILURES_IN_A_ROW: u32 = 100;

/// The ceremony of one account, or of none (an unknown account gets a real
/// challenge too, that nothing can answer).
#[derive(Serialize, Deserialize)]
struct Ceremony {
    state: Option<PasskeyAuthentication>,
}

impl Tapin {
    /// The account someone signing in names, when it exists and is
    /// enabled: to sign-in (and to the applications it signs in to) a
    /// disabled person is nobody, refused like an unknown account.
    pub(in crate::domain) fn account(&self, upn: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_upn(upn)?.filter(|u| u.enabled))
    }

    /// As `account`, by the store's id.
    pub(in crate::domain) fn account_by_id(&self, id: i64) -> Result<Option<User>> {
        Ok(self.store.user_by_id(id)?.filter(|u| u.enabled))
    }

    /// As `account`, by WebAuthn user handle (a discoverable passkey).
    pub(in crate::domain) fn account_by_handle(&self, handle: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_handle(handle)?.filter(|u| u.enabled))
    }

    /// A stable, secret-keyed digest of `upn`: what an unknown account's
    /// answers are made of, so asking twice gives the same answer.
    fn decoy(&self, upn: &str) -> Vec<u8> {
        self.decoy_part(upn, "sign-in decoy")
    }

    /// One field of an unknown account's answers, from a digest of its own
    /// (`part` names it), so no field predicts another.
    pub(super) fn decoy_part(&self, upn: &str, part: &str) -> Vec<u8> {
        hex::decode(code_hash(&self.keys.decoy_mac_key(), part, upn)).unwrap_or_default()
    }

    /// What the sign-in page offers for `upn`, strongest first. An unknown
    /// account gets a plausible list drawn from a keyed digest of its name:
    /// the answer shows nothing about whether the account exists.
    pub fn sign_in_options(&self, upn: &str) -> Result<SignInOptions> {
        let upn = normalize_upn(upn)?;
        let (webauthn, code, recovery, sent) = match self.account(&upn)? {
            Some(user) => {
                let methods = self.store.methods_of(user.id)?;
                let kinds: Vec<MethodKind> = methods.iter().map(|m| m.kind).collect();
                (
                    methods.iter().any(|m| m.kind.is_passwordless()),
                    methods
                        .iter()
                        .any(|m| m.kind == MethodKind::AuthenticatorApp),
                    self.offers_recovery(&user)?,
                    self.sent_code_ways(&kinds),
                )
            }
            None => {
                let d = self.decoy(&upn);
                let b = d.first().copied().unwrap_or(0);
                let mut kinds = Vec::new();
                if b & 8 == 8 {
                    kinds.push(MethodKind::Phone);
                }
                if b & 16 == 16 {
                    kinds.push(MethodKind::Email);
                }
                (
                    b & 1 == 1,
                    b & 2 == 2,
                    self.settings().recovery_codes && b & 4 == 4,
                    self.sent_code_ways(&kinds),
                )
            }
        };
        let mut methods = Vec::new();
        if webauthn {
            methods.push(SignInChoice::Webauthn);
        }
        if code {
            methods.push(SignInChoice::AuthenticatorApp);
        }
        methods.extend(sent);
        // The help desk can hand anyone a pass at any time.
        methods.push(SignInChoice::Pass);
        if recovery {
            methods.push(SignInChoice::RecoveryCode);
        }
        Ok(SignInOptions { methods })
    }

    fn webauthn_keys(&self, user: &User) -> Result<Vec<(crate::domain::StoredMethod, Passkey)>> {
        let mut keys = Vec::new();
        for m in self.store.methods_of(user.id)? {
            let secret = m.secret.as_deref().unwrap_or_default();
            let key = match m.kind {
                MethodKind::Passkey => from_json::<Passkey>(secret)?,
                MethodKind::SecurityKey => {
                    Passkey::from(Credential::from(from_json::<SecurityKey>(secret)?))
                }
                _ => continue,
            };
            keys.push((m, key));
        }
        Ok(keys)
    }

    /// A challenge naming the account's passkeys and security keys in
    /// `allowCredentials`, so keys that are not discoverable work too.
    pub fn start_webauthn_sign_in(&self, upn: &str, client: &str) -> Result<PasskeyChallenge> {
        let upn = normalize_upn(upn)?;
        self.reserve_start(client)?;
        let user = self.account(&upn)?;
        let keys = match &user {
            Some(u) => self.webauthn_keys(u)?,
            None => Vec::new(),
        };
        let (options, ceremony, owner) = if keys.is_empty() {
            // The same shape as a real one: a fresh challenge, no
            // discoverable-only fields, and one or two credential ids,
            // stable for this name, that no key holds.
            let (mut options, _) = self
                .webauthn
                .start_discoverable_authentication()
                .map_err(webauthn_error)?;
            options.mediation = None;
            options.public_key.extensions = None;
            let count = 1 + usize::from(
                self.decoy_part(&upn, "credential count")
                    .first()
                    .copied()
                    .unwrap_or(0)
                    % 2,
            );
            options.public_key.allow_credentials = (0..count)
                .map(|i| decoy_credential(&self.decoy_part(&upn, &format!("credential {i}"))))
                .collect();
            options.public_key.user_verification =
                webauthn_rs_proto::UserVerificationPolicy::Required;
            (options, Ceremony { state: None }, None)
        } else {
            let passkeys: Vec<Passkey> = keys.iter().map(|(_, k)| k.clone()).collect();
            let (options, state) = self
                .webauthn
                .start_passkey_authentication(&passkeys)
                .map_err(webauthn_error)?;
            (options, Ceremony { state: Some(state) }, user.as_ref())
        };
        let id = crate::domain::methods::random_id();
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: owner.map(|u| u.id),
                purpose: PURPOSE_WEBAUTHN.into(),
                state: to_json(&ceremony)?,
                code_hash: None,
                tries_left: 1,
                expires_at: self.now() + Duration::minutes(CEREMONY_TTL_MINUTES),
            },
            None,
        )?;
        Ok(PasskeyChallenge {
            id,
            options: to_value(&options)?,
        })
    }

    pub fn finish_webauthn_sign_in(&self, finish: PasskeySignIn) -> Result<SignedIn> {
        if !crate::domain::methods::is_issued_id(&finish.id) {
            return Err(spent());
        }
        let pending = self.store.take_pending(&finish.id)?.ok_or_else(spent)?;
        if pending.purpose != PURPOSE_WEBAUTHN || pending.expires_at <= self.now() {
            return Err(spent());
        }
        let unknown = || {
            Error::WebauthnFailed(
                "this passkey or security key is not registered with tapin".into(),
            )
        };
        // Read first, then one failure for every way it can fail, so the
        // answer never tells an account with keys from one without.
        let credential: PublicKeyCredential = credential_of(&finish.credential)?;
        let ceremony: Ceremony = from_json(&pending.state)?;
        let (Some(state), Some(user_id)) = (ceremony.state, pending.user_id) else {
            return Err(unknown());
        };
        let user = self.account_by_id(user_id)?.ok_or_else(unknown)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|_| unknown())?;
        let (method, _) = self
            .webauthn_keys(&user)?
            .into_iter()
            .find(|(_, k)| k.cred_id() == result.cred_id())
            .ok_or_else(unknown)?;
        self.admit_sign_in(&user, &method)?;
        // Keep the counter the authenticator reported.
        let secret = method.secret.as_deref().unwrap_or_default();
        let updated = match method.kind {
            MethodKind::Passkey => {
                let mut key: Passkey = from_json(secret)?;
                key.update_credential(&result)
                    .is_some_and(|c| c)
                    .then(|| to_json(&key))
                    .transpose()?
            }
            _ => {
                let mut key: SecurityKey = from_json(secret)?;
                key.update_credential(&result)
                    .is_some_and(|c| c)
                    .then(|| to_json(&key))
                    .transpose()?
            }
        };
        self.store
            .method_used(&method.id, self.now(), updated.as_deref())?;
        // A phishing-resistant sign-in turns code sign-in back on.
        self.store.forget_code_failures(&user.upn)?;
        let how = SignInMethod::of_kind(method.kind);
        self.open_method_session(&user, how, Some(&method.id), &method.label())
    }

    /// Counts a sign-in attempt at `upn` from `client` in smart lockout
    /// (one statement), or says until when the account is locked.
    pub(super) fn reserve_sign_in(&self, upn: &str, client: &str) -> Result<(i64, AttemptKeys)> {
        let now = self.now();
        let window = self.settings().lockout_window;
        let keys = AttemptKeys {
            account: upn.to_string(),
            client: client.to_string(),
        };
        match self
            .store
            .reserve_attempt(&keys, now, now - window, &self.settings().lockout)?
        {
            Reservation::Reserved { id, .. } => Ok((id, keys)),
            Reservation::Locked { newest_counted, .. } => {
                Err(Error::TooManyAttempts(newest_counted + window))
            }
        }
    }

    /// Counts an anonymous start (a row written for someone not signed in)
    /// against `client`'s limit.
    pub(super) fn reserve_start(&self, client: &str) -> Result<()> {
        let now = self.now();
        let window = self.settings().lockout_window;
        self.store
            .reserve_start(client, now, now - window, self.settings().starts_per_client)?
            .map_err(|oldest| Error::TooManyStarts(oldest + window))
    }

    /// Counts a code try against the account's failures in a row (unknown
    /// accounts alike), or refuses it when code sign-in is off for it.
    pub(super) fn count_code_try(&self, upn: &str) -> Result<u32> {
        self.store
            .reserve_code_try(upn, self.now(), CODE_FAILURES_IN_A_ROW)?
            .ok_or(Error::CodeSignInOff)
    }

    /// A code try failed; the one that reaches the limit turns code sign-in
    /// off, which is audited and told to the person on their channels.
    pub(super) fn code_try_failed(&self, upn: &str, nth: u32, user: Option<&User>) -> Result<()> {
        if nth < CODE_FAILURES_IN_A_ROW {
            return Ok(());
        }
        let event = self.event(
            &Actor::User(upn.to_string()),
            upn,
            "code_sign_in_off",
            &format!("{nth} wrong codes in a row"),
            "",
        );
        self.store.record_audit(&event)?;
        if let Some(user) = user {
            let methods = self.store.methods_of(user.id)?;
            for notice in self.notices(
                &methods,
                user,
                None,
                "Signing in with a code is off for your account",
                "Someone entered a wrong sign-in code for your account many times in a row, so tapin stopped accepting codes for it. Sign in with a passkey, a security key or a Temporary Access Pass to turn codes back on, or ask your administrator.",
            ) {
                self.store.enqueue(&notice)?;
            }
            self.wake.nudge();
        }
        Ok(())
    }

    /// An authenticator-app code, counted by smart lockout like a pass and
    /// accepted once: the time step it belongs to is spent in one statement.
    pub fn sign_in_with_code(&self, upn: &str, code: &str, client: &str) -> Result<SignedIn> {
        let upn = normalize_upn(upn)?;
        let code = code.trim().replace(' ', "");
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid(
                "the code is the six digits your authenticator app shows".into(),
                Some("code"),
            ));
        }
        let now = self.now();
        let (attempt, keys) = self.reserve_sign_in(&upn, client)?;
        let nth = self.count_code_try(&upn)?;
        let user = self.account(&upn)?;
        let mut matched = None;
        if let Some(user) = &user {
            for m in self.store.methods_of(user.id)? {
                if m.kind != MethodKind::AuthenticatorApp {
                    continue;
                }
                let seed = self
                    .keys
                    .open(
                        &crate::domain::secrets::row("methods", &m.id),
                        m.secret.as_deref().unwrap_or_default(),
                    )
                    .map_err(Error::Storage)?;
                let seed = crate::domain::methods::base32_decode(&seed).unwrap_or_default();
                if let Some(step) = totp_step(&seed, &code, now) {
                    matched = Some((m, step));
                }
            }
        } else {
            // The work of one app's comparison (a seed opened, three steps
            // tried), so the time taken says nothing about the account.
            let seed = self.decoy(&upn);
            let row = crate::domain::secrets::row("methods", "decoy");
            let sealed = self
                .keys
                .seal(&row, &hex::encode(&seed))
                .map_err(Error::Storage)?;
            let _ = self.keys.open(&row, &sealed);
            let _ = totp_step(&seed, &code, now);
        }
        let refused = |e: Error| -> Result<SignedIn> {
            let event = self.event(
                &Actor::User(upn.clone()),
                &upn,
                "sign_in_failed",
                "authenticator_app_code",
                client,
            );
            self.store.record_audit(&event)?;
            self.code_try_failed(&upn, nth, user.as_ref())?;
            Err(e)
        };
        // A match always has its user; both are needed to go on.
        let (Some((method, step)), Some(user)) = (matched, user.clone()) else {
            return refused(Error::SignInCodeInvalid);
        };
        if !self.store.use_totp_step(&method.id, step, now)? {
            return refused(Error::SignInCodeInvalid);
        }
        self.store.attempt_succeeded(attempt, Some(&keys))?;
        self.store.forget_code_failures(&upn)?;
        self.open_method_session(
            &user,
            SignInMethod::AuthenticatorApp,
            Some(&method.id),
            &method.label(),
        )
    }
}

/// A stand-in credential for an account without keys, from its own digest:
/// as long as real ids, with transports in the order browsers report them.
fn decoy_credential(digest: &[u8]) -> webauthn_rs_proto::AllowCredentials {
    use webauthn_rs_proto::AuthenticatorTransport as T;
    // As real keys come: with the transports their authenticator reported,
    // or none (an authenticator that reports none, a key from before).
    let pick = digest.get(16).copied().unwrap_or(0) % 4;
    let transports = match pick {
        0 => Some(vec![T::Hybrid, T::Internal]),
        1 => Some(vec![T::Usb]),
        2 => Some(vec![T::Internal]),
        _ => None,
    };
    webauthn_rs_proto::AllowCredentials {
        type_: "public-key".into(),
        id: digest[..16.min(digest.len())].to_vec().into(),
        transports,
    }
}
