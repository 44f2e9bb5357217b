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
use webauthn_rs_proto::{AuthenticatorAttachment, ResidentKeyRequirement};

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
}
