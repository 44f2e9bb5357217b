//! Security info: registering, listing and managing sign-in methods, signing
//! in with a passkey, notifications and the audit trail (DESIGN.md §3.4–§5).

use super::caller::Person;
use super::delivery::{Channel, Message, Outgoing};
use super::methods::{
    base32, base32_decode, code_hash, equal_time, is_issued_id, otpauth_uri, random_id,
    six_digit_code, totp_matches, totp_seed, AuditEvent, Pending, StoredMethod,
};
use super::methods::{hash_token, random_hex};
use super::oidc::SignInMethod;
use super::secrets::{row, Keyring};
use super::service::{session_info, SignedIn};
use super::store::{AddOutcome, Change, SendKeys};
use super::strength::Action;
use super::{Actor, AuditFilter, Error, Result, SessionRecord, Tapin, User};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tapin_api::wire::{
    CodeFinish, CodeSent, EmailStart, Method, MethodKind, PasskeyChallenge, PasskeySignIn,
    PhoneChannel, PhoneStart, Rename, SecurityInfo, TotpFinish, TotpRegistration, WebauthnFinish,
    WebauthnRegistration,
};
use tapin_api::{
    normalize_code, normalize_email, normalize_method_name, normalize_phone, normalize_upn,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, SecurityKey,
    SecurityKeyRegistration, Uuid,
};
use webauthn_rs_proto::{AuthenticatorAttachment, PublicKeyCredential, ResidentKeyRequirement};

/// How long a WebAuthn ceremony may take between start and finish.
pub(super) const CEREMONY_TTL_MINUTES: i64 = 5;
pub use super::strength::FRESH_SIGN_IN_MINUTES;
/// How long a sent code or an unconfirmed authenticator seed stays valid.
pub(super) const CODE_TTL_MINUTES: i64 = 10;
pub(super) const CODE_TRIES: u32 = 5;

const PURPOSE_PASSKEY: &str = "register:passkey";
const PURPOSE_SECURITY_KEY: &str = "register:security_key";
const PURPOSE_TOTP: &str = "register:authenticator_app";
const PURPOSE_CODE: &str = "register:code";
const PURPOSE_SIGN_IN: &str = "signin:passkey";

/// What a sent code, once echoed, registers.
#[derive(Serialize, Deserialize)]
struct CodeTarget {
    kind: MethodKind,
    detail: String,
}

pub(super) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Storage(format!("state not storable: {e}")))
}

pub(super) fn from_json<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::Storage(format!("stored state unreadable: {e}")))
}

pub(super) fn spent() -> Error {
    Error::WebauthnFailed("this request was already used or has expired; start again".into())
}

pub(super) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Error::Storage(format!("options not serialisable: {e}")))
}

/// The browser's answer in WebAuthn's JSON form, as webauthn-rs reads it.
pub(super) fn credential_of<T: for<'de> Deserialize<'de>>(json: &serde_json::Value) -> Result<T> {
    T::deserialize(json)
        .map_err(|e| Error::WebauthnFailed(format!("the answer is not a WebAuthn credential: {e}")))
}

pub(super) fn wrong_code(tries_left: u32) -> Error {
    match tries_left {
        0 => Error::CodeExpired,
        left => Error::CodeInvalid(left),
    }
}

pub(super) fn webauthn_error(e: webauthn_rs::prelude::WebauthnError) -> Error {
    Error::WebauthnFailed(e.to_string())
}

impl Tapin {
    // ---- shared ------------------------------------------------------------

    /// The person's user and session, if the strength rule lets them do `action`.
    pub(super) fn signed_in<'a>(
        &self,
        who: &'a Person,
        action: Action,
    ) -> Result<(&'a User, &'a SessionRecord)> {
        who.may(action, self)?;
        Ok((who.user(), who.session()))
    }

    /// An audit event of the user acting on their own account.
    fn own(&self, user: &User, event: &str, detail: &str) -> AuditEvent {
        self.event(&Actor::User(user.upn.clone()), &user.upn, event, detail, "")
    }

    /// Notices to the user on every channel they registered, except the
    /// method the change is about: written to the outbox with the change
    /// (and retried for a day by the courier).
    pub(super) fn notices(
        &self,
        methods: &[StoredMethod],
        user: &User,
        except: Option<&str>,
        subject: &str,
        body: &str,
    ) -> Vec<Outgoing> {
        methods
            .iter()
            .filter(|m| Some(m.id.as_str()) != except)
            .filter_map(|m| {
                let channel = match m.kind {
                    MethodKind::Email => Channel::Email,
                    MethodKind::Phone | MethodKind::AlternatePhone => Channel::Text,
                    _ => return None,
                };
                Some(Outgoing {
                    at: self.now(),
                    message: Message {
                        channel,
                        to: m.detail.clone(),
                        subject: subject.into(),
                        body: format!("{body}\n\nAccount: {}", user.upn),
                    },
                    give_up_at: self.now() + Duration::days(1),
                })
            })
            .collect()
    }

    fn check_limit(&self, user: &User, kind: MethodKind) -> Result<()> {
        let held = self
            .store
            .methods_of(user.id)?
            .iter()
            .filter(|m| kind.shares_limit_with(m.kind))
            .count();
        if held >= kind.limit() {
            return Err(Error::LimitReached(kind, kind.limit() as u32));
        }
        Ok(())
    }

    fn check_window(&self, record: &SessionRecord) -> Result<()> {
        match record.passwordless_deadline {
            Some(deadline) if self.now() >= deadline => {
                Err(Error::PasswordlessWindowClosed(deadline))
            }
            _ => Ok(()),
        }
    }

    /// Stores a new method against its challenge and the limit, then audits
    /// and notifies.
    fn add(&self, user: &User, method: StoredMethod, pending_id: &str) -> Result<Method> {
        let sharing: Vec<MethodKind> = MethodKind::ALL
            .into_iter()
            .filter(|k| method.kind.shares_limit_with(*k))
            .collect();
        let change = Change {
            audit: self.own(user, "method_added", &method.label()),
            notices: self.notices(
                &self.store.methods_of(user.id)?,
                user,
                Some(&method.id),
                "A sign-in method was added to your account",
                &format!(
                    "A sign-in method was added to your account: {}. If that was not you, tell your administrator now.",
                    method.label()
                ),
            ),
        };
        match self
            .store
            .add_method(&method, &sharing, method.kind.limit(), pending_id, &change)?
        {
            AddOutcome::Added => {}
            AddOutcome::LimitReached => {
                return Err(Error::LimitReached(method.kind, method.kind.limit() as u32))
            }
            AddOutcome::PendingGone => return Err(Error::CodeExpired),
            AddOutcome::Duplicate => {
                return Err(Error::Conflict(
                    "this passkey or security key is already registered".into(),
                ))
            }
        }
        self.wake.nudge();
        let stored = self
            .store
            .methods_of(user.id)?
            .into_iter()
            .find(|m| m.id == method.id)
            .ok_or_else(|| Error::Storage("the new method vanished".into()))?;
        Ok(stored.view())
    }

    /// A pending challenge of this user and purpose that has not expired.
    fn live_pending(&self, id: &str, user: Option<&User>, purposes: &[&str]) -> Result<Pending> {
        if !is_issued_id(id) {
            return Err(Error::Invalid(
                "the id is not one tapin issued; use the id the start request returned".into(),
                Some("id"),
            ));
        }
        let pending = self.store.pending(id)?.ok_or(Error::CodeExpired)?;
        let owner_ok = pending.user_id == user.map(|u| u.id);
        if !owner_ok || !purposes.contains(&pending.purpose.as_str()) {
            return Err(Error::CodeExpired);
        }
        if pending.expires_at <= self.now() {
            self.store.take_pending(id)?;
            return Err(Error::CodeExpired);
        }
        Ok(pending)
    }

    /// Stores a WebAuthn ceremony's state server-side; the id goes to the browser.
    fn ceremony(&self, user: Option<&User>, purpose: &str, state: String) -> Result<String> {
        let id = random_id();
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: user.map(|u| u.id),
                purpose: purpose.into(),
                state,
                code_hash: None,
                tries_left: 1,
                expires_at: self.now() + Duration::minutes(CEREMONY_TTL_MINUTES),
            },
            None,
        )?;
        Ok(id)
    }

    fn new_method(&self, user: &User, kind: MethodKind) -> StoredMethod {
        StoredMethod {
            id: random_id(),
            user_id: user.id,
            kind,
            name: None,
            detail: String::new(),
            secret: None,
            credential_id: None,
            created_at: self.now(),
            last_used_at: None,
            is_default: false,
        }
    }

    // ---- listing -----------------------------------------------------------

    pub fn security_info(&self, who: &Person) -> Result<SecurityInfo> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let policy = self.policy()?;
        Ok(SecurityInfo {
            methods: self
                .store
                .methods_of(user.id)?
                .iter()
                .map(StoredMethod::view)
                .collect(),
            registration_required: policy.require_registration && policy.in_scope(user),
            recovery_codes_left: self
                .settings()
                .recovery_codes
                .then(|| self.store.recovery_codes_left(user.id))
                .transpose()?,
        })
    }

    // ---- passkeys and security keys ----------------------------------------

    pub(super) fn user_handle(&self, user: &User) -> Result<Uuid> {
        let handle = self
            .store
            .user_handle(user.id, &Uuid::new_v4().to_string())?;
        Uuid::parse_str(&handle).map_err(|e| Error::Storage(format!("bad user handle: {e}")))
    }

    pub fn start_webauthn(&self, who: &Person, kind: MethodKind) -> Result<WebauthnRegistration> {
        let (user, record) = self.signed_in(who, Action::AddPasswordless)?;
        if !kind.is_passwordless() {
            return Err(Error::Invalid(
                "kind must be passkey or security_key".into(),
                Some("kind"),
            ));
        }
        self.check_window(record)?;
        self.check_limit(user, kind)?;
        let handle = self.user_handle(user)?;
        let existing = self.store.methods_of(user.id)?;
        let mut exclude = Vec::new();
        for m in existing.iter().filter(|m| m.kind.is_passwordless()) {
            let secret = m.secret.as_deref().unwrap_or_default();
            exclude.push(match m.kind {
                MethodKind::Passkey => from_json::<Passkey>(secret)?.cred_id().clone(),
                _ => from_json::<SecurityKey>(secret)?.cred_id().clone(),
            });
        }
        let (mut options, state, purpose) = if kind == MethodKind::Passkey {
            let (options, state) = self
                .webauthn
                .start_passkey_registration(handle, &user.upn, &user.display_name, Some(exclude))
                .map_err(webauthn_error)?;
            (
                options,
                to_json::<PasskeyRegistration>(&state)?,
                PURPOSE_PASSKEY,
            )
        } else {
            let (options, state) = self
                .webauthn
                .start_securitykey_registration(
                    handle,
                    &user.upn,
                    &user.display_name,
                    Some(exclude),
                    None,
                    Some(AuthenticatorAttachment::CrossPlatform),
                )
                .map_err(webauthn_error)?;
            (
                options,
                to_json::<SecurityKeyRegistration>(&state)?,
                PURPOSE_SECURITY_KEY,
            )
        };
        if kind == MethodKind::Passkey {
            // A passkey must be discoverable, so it can sign in without an account name.
            if let Some(sel) = options.public_key.authenticator_selection.as_mut() {
                sel.resident_key = Some(ResidentKeyRequirement::Required);
                sel.require_resident_key = true;
            }
        }
        let id = self.ceremony(Some(user), purpose, state)?;
        Ok(WebauthnRegistration {
            id,
            options: to_value(&options)?,
        })
    }

    pub fn finish_webauthn(&self, who: &Person, finish: WebauthnFinish) -> Result<Method> {
        let (user, record) = self.signed_in(who, Action::AddPasswordless)?;
        let name = normalize_method_name(&finish.name)?;
        self.check_window(record)?;
        let pending = self
            .live_pending(
                &finish.id,
                Some(user),
                &[PURPOSE_PASSKEY, PURPOSE_SECURITY_KEY],
            )
            .map_err(|_| spent())?;
        let verified = if pending.purpose == PURPOSE_PASSKEY {
            from_json::<PasskeyRegistration>(&pending.state).and_then(|state| {
                let key = self
                    .webauthn
                    .finish_passkey_registration(&credential_of(&finish.credential)?, &state)
                    .map_err(webauthn_error)?;
                Ok((
                    MethodKind::Passkey,
                    hex::encode(key.cred_id()),
                    to_json(&key)?,
                ))
            })
        } else {
            from_json::<SecurityKeyRegistration>(&pending.state).and_then(|state| {
                let key = self
                    .webauthn
                    .finish_securitykey_registration(&credential_of(&finish.credential)?, &state)
                    .map_err(webauthn_error)?;
                Ok((
                    MethodKind::SecurityKey,
                    hex::encode(key.cred_id()),
                    to_json(&key)?,
                ))
            })
        };
        let (kind, credential_id, secret) = match verified {
            Ok(v) => v,
            Err(e) => {
                // Single use: a response that fails verification spends the challenge.
                self.store.take_pending(&pending.id)?;
                return Err(e);
            }
        };
        let mut method = self.new_method(user, kind);
        method.name = Some(name);
        method.credential_id = Some(credential_id);
        method.secret = Some(secret);
        // Storing consumes the challenge in the same transaction, so a replay finds it gone.
        self.add(user, method, &pending.id).map_err(|e| match e {
            Error::CodeExpired => spent(),
            e => e,
        })
    }

    pub fn start_passkey_sign_in(&self, client: &str) -> Result<PasskeyChallenge> {
        self.reserve_start(client)?;
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(webauthn_error)?;
        let state = to_json::<DiscoverableAuthentication>(&state)?;
        let id = self.ceremony(None, PURPOSE_SIGN_IN, state)?;
        Ok(PasskeyChallenge {
            id,
            options: to_value(&options)?,
        })
    }

    pub fn finish_passkey_sign_in(&self, finish: PasskeySignIn) -> Result<SignedIn> {
        let pending = self
            .live_pending(&finish.id, None, &[PURPOSE_SIGN_IN])
            .map_err(|_| spent())?;
        self.store.take_pending(&pending.id)?.ok_or_else(spent)?;
        let state: DiscoverableAuthentication = from_json(&pending.state)?;
        let credential: PublicKeyCredential = credential_of(&finish.credential)?;
        let (handle, _) = self
            .webauthn
            .identify_discoverable_authentication(&credential)
            .map_err(webauthn_error)?;
        let unknown = || Error::WebauthnFailed("this passkey is not registered with tapin".into());
        let user = self
            .store
            .user_by_handle(&handle.to_string())?
            .ok_or_else(unknown)?;
        let mut keys = Vec::new();
        for m in self.store.methods_of(user.id)? {
            if m.kind == MethodKind::Passkey {
                let key: Passkey = from_json(m.secret.as_deref().unwrap_or_default())?;
                keys.push((m, key));
            }
        }
        if keys.is_empty() {
            return Err(unknown());
        }
        let discoverable: Vec<DiscoverableKey> = keys.iter().map(|(_, k)| k.into()).collect();
        let result = self
            .webauthn
            .finish_discoverable_authentication(&credential, state, &discoverable)
            .map_err(webauthn_error)?;
        let now = self.now();
        let (method, mut key) = keys
            .into_iter()
            .find(|(_, k)| k.cred_id() == result.cred_id())
            .ok_or_else(unknown)?;
        let updated = key
            .update_credential(&result)
            .is_some_and(|changed| changed);
        let secret = updated.then(|| to_json(&key)).transpose()?;
        self.store.method_used(&method.id, now, secret.as_deref())?;
        // A phishing-resistant sign-in turns code sign-in back on.
        self.store.forget_code_failures(&user.upn)?;

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
            method: SignInMethod::of_kind(method.kind),
            method_id: Some(method.id.clone()),
        };
        self.store.start_session(&record, None)?;
        let event = self.own(&user, "passkey_sign_in", &method.label());
        self.followups
            .run("audit the sign-in", move |s| s.record_audit(&event));
        Ok(SignedIn {
            token,
            session: session_info(&user, &record, now),
        })
    }

    // ---- authenticator app -------------------------------------------------

    pub fn start_totp(&self, who: &Person) -> Result<TotpRegistration> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        self.check_limit(user, MethodKind::AuthenticatorApp)?;
        let secret = base32(&totp_seed());
        let id = random_id();
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: Some(user.id),
                purpose: PURPOSE_TOTP.into(),
                state: self
                    .keys
                    .seal(&row("pending", &id), &secret)
                    .map_err(Error::Storage)?,
                code_hash: None,
                tries_left: CODE_TRIES,
                expires_at: self.now() + Duration::minutes(CODE_TTL_MINUTES),
            },
            None,
        )?;
        Ok(TotpRegistration {
            id,
            uri: otpauth_uri("tapin", &user.upn, &secret),
            secret,
        })
    }

    pub fn finish_totp(&self, who: &Person, finish: TotpFinish) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let name = normalize_method_name(&finish.name)?;
        let code = normalize_code(&finish.code)?;
        let pending = self.live_pending(&finish.id, Some(user), &[PURPOSE_TOTP])?;
        let left = self.spend_try(&pending.id)?;
        let secret = self
            .keys
            .open(&row("pending", &pending.id), &pending.state)
            .map_err(Error::Storage)?;
        let seed = base32_decode(&secret)
            .ok_or_else(|| Error::Storage("stored seed unreadable".into()))?;
        if !totp_matches(&seed, &code, self.now()) {
            return Err(wrong_code(left));
        }
        let mut method = self.new_method(user, MethodKind::AuthenticatorApp);
        method.name = Some(name);
        method.secret = Some(
            self.keys
                .seal(&row("methods", &method.id), &secret)
                .map_err(Error::Storage)?,
        );
        self.add(user, method, &pending.id)
    }

    /// Spends a try before the code is compared, so simultaneous guesses
    /// cannot evaluate more codes than the tries allow.
    fn spend_try(&self, pending_id: &str) -> Result<u32> {
        self.store.spend_try(pending_id)?.ok_or(Error::CodeExpired)
    }

    // ---- phone and email ---------------------------------------------------

    fn send_code(
        &self,
        user: &User,
        target: CodeTarget,
        channel: Channel,
        client: &str,
    ) -> Result<CodeSent> {
        self.check_limit(user, target.kind)?;
        let keys = SendKeys {
            user_id: user.id,
            destination: target.detail.clone(),
            client: client.to_string(),
        };
        if let Err((newest_counted, window)) =
            self.store
                .reserve_send(&keys, self.now(), &self.settings().send_limits)?
        {
            let masked = super::methods::mask(target.kind, &target.detail);
            let mut event = self.own(
                user,
                "send_refused",
                &format!("{} to {masked}", channel.as_str()),
            );
            event.client = client.to_string();
            self.store.record_audit(&event)?;
            return Err(Error::TooManySends(newest_counted + window));
        }
        let id = random_id();
        let code = six_digit_code();
        let expires_at = self.now() + Duration::minutes(CODE_TTL_MINUTES);
        let message = Message {
            channel,
            to: target.detail.clone(),
            subject: "Your tapin verification code".into(),
            body: format!(
                "Your tapin verification code is {code}. It is valid for {CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this message."
            ),
        };
        let sent_to = super::methods::mask(target.kind, &target.detail);
        // The code and its message are written together; the courier sends
        // it at once and retries until the code expires.
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: Some(user.id),
                purpose: PURPOSE_CODE.into(),
                state: to_json(&target)?,
                code_hash: Some(code_hash(&self.keys.code_mac_key(), &id, &code)),
                tries_left: CODE_TRIES,
                expires_at,
            },
            Some(&Outgoing {
                at: self.now(),
                message,
                give_up_at: expires_at,
            }),
        )?;
        self.wake.nudge();
        Ok(CodeSent {
            id,
            sent_to,
            expires_at,
        })
    }

    pub fn start_phone(&self, who: &Person, start: PhoneStart, client: &str) -> Result<CodeSent> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        if !start.kind.is_phone() {
            return Err(Error::Invalid(
                "kind must be phone, alternate_phone or office_phone".into(),
                Some("kind"),
            ));
        }
        let number = normalize_phone(&start.number)?;
        let channel = match start.channel {
            PhoneChannel::Text => Channel::Text,
            PhoneChannel::Call => Channel::Call,
        };
        self.send_code(
            user,
            CodeTarget {
                kind: start.kind,
                detail: number,
            },
            channel,
            client,
        )
    }

    pub fn start_email(&self, who: &Person, start: EmailStart, client: &str) -> Result<CodeSent> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let address = normalize_email(&start.address)?;
        self.send_code(
            user,
            CodeTarget {
                kind: MethodKind::Email,
                detail: address,
            },
            Channel::Email,
            client,
        )
    }

    pub fn verify_code(&self, who: &Person, finish: CodeFinish) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let code = normalize_code(&finish.code)?;
        let pending = self.live_pending(&finish.id, Some(user), &[PURPOSE_CODE])?;
        let left = self.spend_try(&pending.id)?;
        let expected = pending.code_hash.clone().unwrap_or_default();
        let actual = code_hash(&self.keys.code_mac_key(), &pending.id, &code);
        if !equal_time(&actual, &expected) {
            return Err(wrong_code(left));
        }
        let target: CodeTarget = from_json(&pending.state)?;
        let mut method = self.new_method(user, target.kind);
        method.detail = target.detail;
        self.add(user, method, &pending.id)
    }

    // ---- managing ----------------------------------------------------------

    fn owned(&self, user: &User, id: &str) -> Result<StoredMethod> {
        self.store
            .methods_of(user.id)?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| Error::NotFound("there is no such method on your account".into()))
    }

    pub fn rename_method(&self, who: &Person, id: &str, rename: Rename) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let method = self.owned(user, id)?;
        if !method.kind.has_name() {
            return Err(Error::Invalid(
                "only passkeys, security keys and authenticator apps have a name".into(),
                Some("name"),
            ));
        }
        let name = normalize_method_name(&rename.name)?;
        let event = self.own(
            user,
            "method_renamed",
            &format!("{} to \"{name}\"", method.label()),
        );
        self.store.rename_method(user.id, id, &name, &event)?;
        Ok(self.owned(user, id)?.view())
    }

    pub fn delete_method(&self, who: &Person, id: &str) -> Result<()> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        self.remove_method(&Actor::User(user.upn.clone()), user, id, "")
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound("there is no such method on your account".into())
                }
                e => e,
            })
    }

    pub fn set_default_method(&self, who: &Person, id: &str) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let method = self.owned(user, id)?;
        let event = self.own(user, "default_changed", &method.label());
        self.store.set_default_method(user.id, id, &event)?;
        Ok(self.owned(user, id)?.view())
    }

    pub fn sign_out_everywhere(&self, who: &Person) -> Result<()> {
        let (user, _) = self.signed_in(who, Action::ViewSecurityInfo)?;
        let event = self.own(user, "signed_out_everywhere", "");
        self.store.delete_sessions_of(user.id, &event)?;
        Ok(())
    }

    // ---- administration ----------------------------------------------------

    /// Audit events, oldest first; the user filter takes any account name
    /// typed at sign-in, known or not.
    pub fn audit_events(&self, filter: AuditFilter) -> Result<Vec<AuditEvent>> {
        let filter = AuditFilter {
            upn: filter.upn.map(|u| normalize_upn(&u)).transpose()?,
            ..filter
        };
        Ok(self.store.audit_events(&filter)?)
    }

    /// Re-encrypts every stored seed with the newest key of `keys`.
    pub fn reseal_secrets(&self, keys: &Keyring) -> Result<usize> {
        Ok(self
            .store
            .reseal_secrets(&|row, sealed| keys.reseal(row, sealed).map(Some))?)
    }

    /// Seals seeds an old version stored in plain text, and binds values
    /// sealed before binding to their rows.
    pub fn seal_plain_secrets(&self) -> Result<usize> {
        let keys = &self.keys;
        Ok(self
            .store
            .reseal_secrets(&|row, value| keys.bind(row, value))?)
    }

    pub fn outbox(&self) -> Result<Vec<super::OutboxEntry>> {
        Ok(self.store.outbox()?)
    }

    /// When the passwordless window of this session closes, if it has one.
    pub fn passwordless_deadline(&self, who: &Person) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .signed_in(who, Action::ViewSecurityInfo)?
            .1
            .passwordless_deadline)
    }
}
