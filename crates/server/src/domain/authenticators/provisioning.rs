//! Registering a passkey for someone else (Graph's fido2 provisioning): the
//! help desk enrols a key plugged into its own computer, and hands it to
//! the person, who signs in with it without ever holding a pass.
//!
//! Graph's `POST .../fido2Methods` carries no ceremony id, so the ceremony
//! is found by the challenge the authenticator signed (its SHA-256 is the
//! ceremony's id), for that person only, once.

use crate::domain::selfservice::{credential_of, from_json, spent, to_json, webauthn_error};
use crate::domain::{Actor, Error, Pending, Result, Tapin, User};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use tapin_api::normalize_method_name;
use tapin_api::wire::{Method, MethodKind};
use webauthn_rs::prelude::{Passkey, PasskeyRegistration, SecurityKey};
use webauthn_rs_core::proto::Credential;
use webauthn_rs_proto::{
    AttestationConveyancePreference, AuthenticatorAttachment, RegisterPublicKeyCredential,
    ResidentKeyRequirement,
};

const PURPOSE_PROVISION: &str = "provision:passkey";

/// Graph's bounds for `challengeTimeoutInMinutes`, and its default.
const TIMEOUT_MINUTES: std::ops::RangeInclusive<u32> = 5..=43200;
const DEFAULT_TIMEOUT_MINUTES: u32 = 5;

/// The options a browser (or a script's authenticator) creates the key with.
pub struct ProvisioningOptions {
    pub expires_at: DateTime<Utc>,
    /// WebAuthn's `PublicKeyCredentialCreationOptions`.
    pub public_key: serde_json::Value,
}

fn ceremony_id(challenge: &[u8]) -> String {
    hex::encode(&openssl::sha::sha256(challenge)[..16])
}

impl Tapin {
    /// The person `id_or_upn`, if `actor` may enrol keys for them.
    fn provisionable(&self, actor: &Actor, id_or_upn: &str) -> Result<User> {
        let user = self.read_user(actor, id_or_upn)?;
        if !self.may_change(actor, &user) {
            return Err(Error::Forbidden(format!(
                "{} may not add sign-in methods for {}",
                actor.name(),
                user.upn
            )));
        }
        if !user.enabled {
            return Err(Error::Conflict(format!(
                "{} is disabled: enable them before enrolling a key",
                user.upn
            )));
        }
        Ok(user)
    }

    /// Starts enrolling a passkey for `id_or_upn` on a key the help desk holds.
    pub fn provisioning_options(
        &self,
        actor: &Actor,
        id_or_upn: &str,
        timeout_minutes: Option<u32>,
    ) -> Result<ProvisioningOptions> {
        let user = self.provisionable(actor, id_or_upn)?;
        let minutes = timeout_minutes.unwrap_or(DEFAULT_TIMEOUT_MINUTES);
        if !TIMEOUT_MINUTES.contains(&minutes) {
            return Err(Error::Invalid(
                "challengeTimeoutInMinutes must be 5 to 43200".into(),
                Some("challengeTimeoutInMinutes"),
            ));
        }
        self.check_limit(&user, MethodKind::Passkey)?;
        let handle = self.user_handle(&user)?;
        let mut exclude = Vec::new();
        for m in self.store.methods_of(user.id)? {
            let secret = m.secret.as_deref().unwrap_or_default();
            match m.kind {
                MethodKind::Passkey => {
                    exclude.push(from_json::<Passkey>(secret)?.cred_id().clone())
                }
                MethodKind::SecurityKey => {
                    exclude.push(from_json::<SecurityKey>(secret)?.cred_id().clone())
                }
                _ => {}
            }
        }
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(handle, &user.upn, &user.display_name, Some(exclude))
            .map_err(webauthn_error)?;
        // A key to hand out: discoverable, on a roaming authenticator, its
        // model attested (the help desk bought it).
        if let Some(sel) = options.public_key.authenticator_selection.as_mut() {
            sel.resident_key = Some(ResidentKeyRequirement::Required);
            sel.require_resident_key = true;
            sel.authenticator_attachment = Some(AuthenticatorAttachment::CrossPlatform);
        }
        options.public_key.attestation = Some(AttestationConveyancePreference::Direct);
        options.public_key.timeout = Some(minutes * 60_000);
        let expires_at = self.now() + Duration::minutes(i64::from(minutes));
        self.store.put_pending(
            &Pending {
                id: ceremony_id(options.public_key.challenge.as_slice()),
                user_id: Some(user.id),
                purpose: PURPOSE_PROVISION.into(),
                state: to_json::<PasskeyRegistration>(&state)?,
                code_hash: None,
                tries_left: 1,
                expires_at,
            },
            None,
        )?;
        Ok(ProvisioningOptions {
            expires_at,
            public_key: serde_json::to_value(&options.public_key)
                .map_err(|e| Error::Storage(format!("options not serialisable: {e}")))?,
        })
    }

    /// Registers the key an authenticator made from those options for
    /// `id_or_upn`, as `actor`: audited, and the person told on their channels.
    pub fn provision_passkey(
        &self,
        actor: &Actor,
        id_or_upn: &str,
        display_name: &str,
        credential: &serde_json::Value,
    ) -> Result<Method> {
        let user = self.provisionable(actor, id_or_upn)?;
        let name = normalize_method_name(display_name)?;
        let reg: RegisterPublicKeyCredential = credential_of(credential)?;
        let client_data: serde_json::Value =
            serde_json::from_slice(reg.response.client_data_json.as_slice())
                .map_err(|_| Error::WebauthnFailed("clientDataJSON is not JSON".into()))?;
        let challenge = client_data["challenge"]
            .as_str()
            .and_then(|c| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
            })
            .ok_or_else(spent)?;
        let pending = self
            .live_pending(&ceremony_id(&challenge), Some(&user), &[PURPOSE_PROVISION])
            .map_err(|_| spent())?;
        let registered = from_json::<PasskeyRegistration>(&pending.state).and_then(|state| {
            let key = self
                .webauthn
                .finish_passkey_registration(&reg, &state)
                .map_err(webauthn_error)?;
            let credential = Credential::from(key.clone());
            let facts = self.key_facts(&credential, reg.response.attestation_object.as_slice())?;
            self.admit_key(&user, &facts)?;
            Ok((key, facts))
        });
        let (key, facts) = match registered {
            Ok(v) => v,
            Err(e) => {
                self.store.take_pending(&pending.id)?;
                if let Error::KeyRefused { .. } = &e {
                    let _ = self.store.record_audit(&self.event(
                        actor,
                        &user.upn,
                        "passkey_refused_by_profile",
                        &format!("provisioning: {e}"),
                        "",
                    ));
                }
                return Err(e);
            }
        };
        let mut method = self.new_method(&user, MethodKind::Passkey);
        method.name = Some(name);
        method.credential_id = Some(hex::encode(key.cred_id()));
        method.secret = Some(to_json(&key)?);
        method.authenticator = Some(facts);
        let audit = self.event(actor, &user.upn, "passkey_provisioned", &method.label(), "");
        let added = self
            .add_audited(&user, method, &pending.id, audit)
            .map_err(|e| match e {
                Error::CodeExpired => spent(),
                e => e,
            })?;
        Ok(added)
    }
}
