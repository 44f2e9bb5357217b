//! Signing in with a discoverable passkey (no account name typed).

use super::session::Opening;
use super::*;
use crate::domain::oidc::SignInMethod;
use crate::domain::selfservice::PURPOSE_SIGN_IN;
use crate::domain::service::SignedIn;
use crate::domain::{Error, Result, Tapin};
use tapin_api::wire::{MethodKind, PasskeyChallenge, PasskeySignIn};
use webauthn_rs::prelude::{DiscoverableAuthentication, DiscoverableKey, Passkey};
use webauthn_rs_proto::PublicKeyCredential;

impl Tapin {
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
            .account_by_handle(&handle.to_string())?
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
        // The passkey profile decides at every sign-in: a model blocked
        // since registration signs in no more.
        self.admit_sign_in(&user, &method)?;
        let updated = key
            .update_credential(&result)
            .is_some_and(|changed| changed);
        let secret = updated.then(|| to_json(&key)).transpose()?;
        self.store.method_used(&method.id, now, secret.as_deref())?;
        // A phishing-resistant sign-in turns code sign-in back on.
        self.store.forget_code_failures(&user.upn)?;

        self.open_session(
            &user,
            Opening {
                how: SignInMethod::of_kind(method.kind),
                method_id: Some(&method.id),
                pass: None,
                event: "passkey_sign_in",
                detail: method.label(),
                client: "",
            },
        )?
        .ok_or_else(|| Error::Storage("a session without a pass was not started".into()))
    }
}
