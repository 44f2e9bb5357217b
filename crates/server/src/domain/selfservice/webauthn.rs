//! Registering a passkey or a security key (WebAuthn).

use super::*;
use crate::domain::caller::Person;
use crate::domain::strength::Action;
use crate::domain::{Error, Result, Tapin, User};
use tapin_api::normalize_method_name;
use tapin_api::wire::{Method, MethodKind, WebauthnFinish, WebauthnRegistration};
use webauthn_rs::prelude::{
    Passkey, PasskeyRegistration, SecurityKey, SecurityKeyRegistration, Uuid,
};
use webauthn_rs_core::proto::Credential;
use webauthn_rs_proto::{
    AttestationConveyancePreference, AuthenticatorAttachment, RegisterPublicKeyCredential,
    ResidentKeyRequirement,
};

impl Tapin {
    // ---- passkeys and security keys ----------------------------------------

    pub(in crate::domain) fn user_handle(&self, user: &User) -> Result<Uuid> {
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
        if self.wants_attestation(user)? {
            // The profile asks which model holds the key: the authenticator's
            // attestation says, signed by its vendor.
            options.public_key.attestation = Some(AttestationConveyancePreference::Direct);
        }
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
        let registered =
            credential_of::<RegisterPublicKeyCredential>(&finish.credential).and_then(|reg| {
                let (kind, credential, secret) = if pending.purpose == PURPOSE_PASSKEY {
                    let state = from_json::<PasskeyRegistration>(&pending.state)?;
                    let key = self
                        .webauthn
                        .finish_passkey_registration(&reg, &state)
                        .map_err(webauthn_error)?;
                    (
                        MethodKind::Passkey,
                        Credential::from(key.clone()),
                        to_json(&key)?,
                    )
                } else {
                    let state = from_json::<SecurityKeyRegistration>(&pending.state)?;
                    let key = self
                        .webauthn
                        .finish_securitykey_registration(&reg, &state)
                        .map_err(webauthn_error)?;
                    (
                        MethodKind::SecurityKey,
                        Credential::from(key.clone()),
                        to_json(&key)?,
                    )
                };
                // The person's passkey profile decides whether this
                // authenticator may hold their key.
                let facts =
                    self.key_facts(&credential, reg.response.attestation_object.as_slice())?;
                self.admit_key(user, &facts)?;
                Ok((kind, hex::encode(&credential.cred_id), secret, facts))
            });
        let (kind, credential_id, secret, facts) = match registered {
            Ok(v) => v,
            Err(e) => {
                // Single use: a response that fails verification, or a key the
                // profile refuses, spends the challenge.
                self.store.take_pending(&pending.id)?;
                if let Error::KeyRefused { .. } = &e {
                    let _ = self.store.record_audit(&self.event(
                        &crate::domain::Actor::User(user.upn.clone()),
                        &user.upn,
                        "passkey_refused_by_profile",
                        &format!("registration: {e}"),
                        "",
                    ));
                }
                return Err(e);
            }
        };
        let mut method = self.new_method(user, kind);
        method.name = Some(name);
        method.credential_id = Some(credential_id);
        method.secret = Some(secret);
        method.authenticator = Some(facts);
        // Storing consumes the challenge in the same transaction, so a replay finds it gone.
        self.add(user, method, &pending.id).map_err(|e| match e {
            Error::CodeExpired => spent(),
            e => e,
        })
    }
}
