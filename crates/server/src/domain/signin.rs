//! Signing in to other applications: the methods offered for an account
//! (the same shape for accounts that do not exist), a passkey or security
//! key named by `allowCredentials`, and an authenticator-app code accepted
//! once. Each opens the one kind of tapin session, marked with its method.

use super::methods::{code_hash, hash_token, random_hex, totp_step};
use super::oidc::SignInMethod;
use super::registration::{
    credential_of, from_json, spent, to_json, to_value, webauthn_error, CEREMONY_TTL_MINUTES,
};
use super::service::{session_info, SignedIn};
use super::store::{AttemptKeys, Reservation};
use super::{Actor, Error, Pending, Result, SessionRecord, Tapin, User};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use tapin_api::normalize_upn;
use tapin_api::wire::{MethodKind, PasskeyChallenge, PasskeySignIn, SignInChoice, SignInOptions};
use webauthn_rs::prelude::{Credential, Passkey, PasskeyAuthentication, SecurityKey};
use webauthn_rs_proto::PublicKeyCredential;

const PURPOSE_WEBAUTHN: &str = "signin:webauthn";

/// The ceremony of one account, or of none (an unknown account gets a real
/// challenge too, that nothing can answer).
#[derive(Serialize, Deserialize)]
struct Ceremony {
    state: Option<PasskeyAuthentication>,
}

impl Tapin {
    /// A stable, secret-keyed digest of `upn`: what an unknown account's
    /// answers are made of, so asking twice gives the same answer.
    pub(super) fn decoy_of(&self, upn: &str) -> Vec<u8> {
        self.decoy(upn)
    }

    fn decoy(&self, upn: &str) -> Vec<u8> {
        hex::decode(code_hash(&self.keys.code_mac_key(), "sign-in decoy", upn)).unwrap_or_default()
    }

    /// What the sign-in page offers for `upn`, strongest first. An unknown
    /// account gets a plausible list drawn from a keyed digest of its name:
    /// the answer shows nothing about whether the account exists.
    pub fn sign_in_options(&self, upn: &str) -> Result<SignInOptions> {
        let upn = normalize_upn(upn)?;
        let (webauthn, code, recovery, sent) = match self.store.user_by_upn(&upn)? {
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

    fn webauthn_keys(&self, user: &User) -> Result<Vec<(super::StoredMethod, Passkey)>> {
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
    pub fn start_webauthn_sign_in(&self, upn: &str) -> Result<PasskeyChallenge> {
        let upn = normalize_upn(upn)?;
        let user = self.store.user_by_upn(&upn)?;
        let keys = match &user {
            Some(u) => self.webauthn_keys(u)?,
            None => Vec::new(),
        };
        let (options, ceremony, owner) = if keys.is_empty() {
            // The same shape as a real one: a fresh challenge and one
            // credential id, stable for this name, that no key holds.
            let (mut options, _) = self
                .webauthn
                .start_discoverable_authentication()
                .map_err(webauthn_error)?;
            let fake = self.decoy(&upn);
            options.public_key.allow_credentials = vec![webauthn_rs_proto::AllowCredentials {
                type_: "public-key".into(),
                id: fake[..16.min(fake.len())].to_vec().into(),
                transports: None,
            }];
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
        let id = super::methods::random_id();
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
        if !super::methods::is_issued_id(&finish.id) {
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
        let ceremony: Ceremony = from_json(&pending.state)?;
        let (Some(state), Some(user_id)) = (ceremony.state, pending.user_id) else {
            return Err(unknown());
        };
        let user = self.store.user_by_id(user_id)?.ok_or_else(unknown)?;
        let credential: PublicKeyCredential = credential_of(&finish.credential)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(webauthn_error)?;
        let (method, _) = self
            .webauthn_keys(&user)?
            .into_iter()
            .find(|(_, k)| k.cred_id() == result.cred_id())
            .ok_or_else(unknown)?;
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
        let how = SignInMethod::of_kind(method.kind);
        self.open_session(&user, how, &method.label())
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
        let user = self.store.user_by_upn(&upn)?;
        let mut matched = None;
        if let Some(user) = &user {
            for m in self.store.methods_of(user.id)? {
                if m.kind != MethodKind::AuthenticatorApp {
                    continue;
                }
                let seed = self
                    .keys
                    .open(m.secret.as_deref().unwrap_or_default())
                    .map_err(Error::Storage)?;
                let seed = super::methods::base32_decode(&seed).unwrap_or_default();
                if let Some(step) = totp_step(&seed, &code, now) {
                    matched = Some((m, step));
                }
            }
        } else {
            // The work of one app's comparison (a seed opened, three steps
            // tried), so the time taken says nothing about the account.
            let seed = self.decoy(&upn);
            let sealed = self
                .keys
                .seal(&hex::encode(&seed))
                .map_err(Error::Storage)?;
            let _ = self.keys.open(&sealed);
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
            Err(e)
        };
        // A match always has its user; both are needed to go on.
        let (Some((method, step)), Some(user)) = (matched, user) else {
            return refused(Error::SignInCodeInvalid);
        };
        if !self.store.use_totp_step(&method.id, step, now)? {
            return refused(Error::SignInCodeInvalid);
        }
        self.store.attempt_succeeded(attempt, Some(&keys))?;
        self.open_session(&user, SignInMethod::AuthenticatorApp, &method.label())
    }

    pub(super) fn open_session(
        &self,
        user: &User,
        how: SignInMethod,
        label: &str,
    ) -> Result<SignedIn> {
        let now = self.now();
        let token = random_hex(32);
        let record = SessionRecord {
            id: random_hex(8),
            token_hash: hash_token(&token),
            user_id: user.id,
            created_at: now,
            expires_at: now + self.settings().session_max,
            passwordless_deadline: None,
            pass_id: None,
            last_seen_at: now,
            method: how,
        };
        self.store.start_session(&record, None)?;
        let event = self.event(
            &Actor::User(user.upn.clone()),
            &user.upn,
            "sign_in",
            &format!("{} ({label})", how.as_str()),
            "",
        );
        self.followups
            .run("audit the sign-in", move |s| s.record_audit(&event));
        Ok(SignedIn {
            token,
            session: session_info(user, &record, now),
        })
    }
}
