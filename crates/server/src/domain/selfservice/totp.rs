//! Registering an authenticator app: a seed shown once, confirmed by a first code.

use super::*;
use crate::domain::caller::Person;
use crate::domain::methods::{
    base32, base32_decode, otpauth_uri, random_id, totp_matches, totp_seed, Pending,
};
use crate::domain::secrets::row;
use crate::domain::strength::Action;
use crate::domain::{Error, Result, Tapin};
use chrono::Duration;
use tapin_api::wire::{Method, MethodKind, TotpFinish, TotpRegistration};
use tapin_api::{normalize_code, normalize_method_name};

impl Tapin {
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
    pub(in crate::domain) fn spend_try(&self, pending_id: &str) -> Result<u32> {
        self.store.spend_try(pending_id)?.ok_or(Error::CodeExpired)
    }
}
