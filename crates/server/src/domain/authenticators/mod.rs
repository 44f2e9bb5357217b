//! Which authenticators hold people's keys: passkey profiles, attestation
//! trust (FIDO metadata and the operator's CAs), and the names people know
//! their keys by. Asked when a key is registered and every time it signs in.

pub mod facts;
pub mod metadata;
pub mod profiles;
mod provisioning;
mod trust;

pub use facts::KeyFacts;
pub use metadata::{Metadata, Model, OperatorCa, OperatorCas};
pub use profiles::{
    KeyRestrictions, PasskeyProfile, PasskeyProfiles, RestrictionMode, DEFAULT_PROFILE_ID,
};
pub use provisioning::ProvisioningOptions;
pub use trust::TrustCache;

use crate::domain::store::{read_setting, save_setting};
use crate::domain::{Actor, Error, Result, StoredMethod, Tapin, User};
use serde::Serialize;
use std::sync::Arc;
use tapin_api::wire::{KeyInfo, KeyRefusal, MethodKind};
use trust::Trust;
use uuid::Uuid;
use webauthn_rs::prelude::{Passkey, SecurityKey};
use webauthn_rs_core::proto::{AttestationFormat, AttestationMetadata, Credential};

const PROFILES_KEY: &str = "passkey_profiles";

impl KeyFacts {
    fn new(credential: &Credential, aaguid: Option<Uuid>, attested: bool) -> Self {
        Self {
            aaguid: aaguid.filter(|a| !a.is_nil()),
            attested,
            synced: credential.backup_eligible,
            format: format_name(&credential.attestation_format).into(),
        }
    }

    /// Of a key registered before tapin recorded facts: what its stored
    /// credential still says (its AAGUID only from packed or TPM attestation).
    fn of_credential(credential: &Credential, trust: &Trust) -> Self {
        let aaguid = match &credential.attestation.metadata {
            AttestationMetadata::Packed { aaguid } | AttestationMetadata::Tpm { aaguid, .. } => {
                Some(*aaguid)
            }
            _ => None,
        };
        Self::new(credential, aaguid, trust.attests(credential, aaguid))
    }
}

fn format_name(f: &AttestationFormat) -> &'static str {
    match f {
        AttestationFormat::Packed => "packed",
        AttestationFormat::Tpm => "tpm",
        AttestationFormat::AndroidKey => "android-key",
        AttestationFormat::AndroidSafetyNet => "android-safetynet",
        AttestationFormat::FIDOU2F => "fido-u2f",
        AttestationFormat::AppleAnonymous => "apple",
        AttestationFormat::None => "none",
    }
}

/// The AAGUID in a registration's authenticator data.
pub(in crate::domain) fn aaguid_of(attestation_object: &[u8]) -> Option<Uuid> {
    use webauthn_rs_core::internals::AuthenticatorData;
    use webauthn_rs_core::proto::Registration;
    let object: serde_cbor_2::Value = serde_cbor_2::from_slice(attestation_object).ok()?;
    let serde_cbor_2::Value::Map(map) = object else {
        return None;
    };
    let auth_data = map.iter().find_map(|(k, v)| match (k, v) {
        (serde_cbor_2::Value::Text(k), serde_cbor_2::Value::Bytes(b)) if k == "authData" => Some(b),
        _ => None,
    })?;
    let data = AuthenticatorData::<Registration>::try_from(auth_data.as_slice()).ok()?;
    data.acd.map(|acd| Uuid::from_bytes(acd.aaguid))
}

/// The credential inside a stored passkey or security key.
fn credential_of_method(method: &StoredMethod) -> Option<Credential> {
    let secret = method.secret.as_deref()?;
    match method.kind {
        MethodKind::Passkey => serde_json::from_str::<Passkey>(secret)
            .ok()
            .map(Credential::from),
        MethodKind::SecurityKey => serde_json::from_str::<SecurityKey>(secret)
            .ok()
            .map(Credential::from),
        _ => None,
    }
}

/// A summary of an import, for the operator.
#[derive(Debug, Clone, Serialize)]
pub struct MetadataSummary {
    pub no: u32,
    pub next_update: String,
    pub models: usize,
    pub compromised: usize,
    pub skipped: usize,
}

impl Tapin {
    // ---- passkey profiles --------------------------------------------------

    pub fn passkey_profiles(&self) -> Result<PasskeyProfiles> {
        Ok(read_setting(&*self.store, PROFILES_KEY)?.unwrap_or_default())
    }

    /// Replaces every profile; only an authentication policy administrator
    /// (or the operator) may. Group names become directory group ids.
    pub fn set_passkey_profiles(
        &self,
        actor: &Actor,
        profiles: PasskeyProfiles,
    ) -> Result<PasskeyProfiles> {
        self.change_passkey_profiles(actor, |_| Ok(profiles))
    }

    /// Changes the profiles as `change` says, from what is stored: the write
    /// holds only if nothing else changed them meanwhile.
    pub fn change_passkey_profiles(
        &self,
        actor: &Actor,
        change: impl FnOnce(PasskeyProfiles) -> Result<PasskeyProfiles>,
    ) -> Result<PasskeyProfiles> {
        if !crate::domain::helpdesk::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may edit the passkey profiles".into(),
            ));
        }
        let raw = self.store.setting(PROFILES_KEY)?;
        let held = match &raw {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| Error::Storage(format!("stored passkey profiles unreadable: {e}")))?,
            None => PasskeyProfiles::default(),
        };
        let mut profiles = change(held)?.validated()?;
        let groups = self.store.groups()?;
        for p in &mut profiles.profiles {
            p.groups = std::mem::take(&mut p.groups)
                .into_iter()
                .map(|t| crate::domain::directory::groups::resolve_target(t, &groups))
                .collect();
        }
        let json = serde_json::to_string(&profiles)
            .map_err(|e| Error::Storage(format!("passkey profiles unserialisable: {e}")))?;
        let audit = self.event(actor, "", "passkey_profiles_changed", &json, "");
        // Written only over what `change` saw: a change that landed
        // meanwhile is not undone, and this one is refused to be retried.
        if self
            .store
            .swap_setting(PROFILES_KEY, raw.as_deref(), &json, &audit)?
        {
            Ok(profiles)
        } else {
            Err(Error::Conflict(
                "the passkey profiles changed while this change was made: read them again and retry"
                    .into(),
            ))
        }
    }

    // ---- trust -------------------------------------------------------------

    fn trust(&self) -> Result<Arc<Trust>> {
        let now = self.now();
        if let Some(t) = self.trust.get(now) {
            return Ok(t);
        }
        let metadata: Metadata =
            read_setting(&*self.store, metadata::METADATA_KEY)?.unwrap_or_default();
        let cas: OperatorCas = read_setting(&*self.store, metadata::CAS_KEY)?.unwrap_or_default();
        let trust = Arc::new(Trust::build(&metadata, &cas));
        self.trust.put(now, trust.clone());
        Ok(trust)
    }

    pub fn metadata(&self) -> Result<Option<Metadata>> {
        Ok(read_setting(&*self.store, metadata::METADATA_KEY)?)
    }

    /// Imports a FIDO Metadata Service BLOB whose signature chain leads to
    /// `trust_root` (PEM; FIDO's root when none). An older BLOB than the one
    /// imported is refused, so a replayed BLOB cannot undo a revocation.
    pub fn import_metadata(
        &self,
        actor: &Actor,
        blob: &str,
        trust_root: Option<&str>,
    ) -> Result<MetadataSummary> {
        if !crate::domain::helpdesk::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may import authenticator metadata"
                    .into(),
            ));
        }
        let mut imported =
            metadata::read_blob(blob, trust_root.unwrap_or(metadata::FIDO_MDS_ROOT))?;
        if let Some(held) = self.metadata()? {
            if imported.no < held.no {
                return Err(Error::Conflict(format!(
                    "this BLOB is number {}, older than number {} already imported",
                    imported.no, held.no
                )));
            }
        }
        imported.imported_at = Some(self.now());
        let summary = MetadataSummary {
            no: imported.no,
            next_update: imported.next_update.clone(),
            models: imported.models.len(),
            compromised: imported
                .models
                .iter()
                .filter(|m| m.compromised.is_some())
                .count(),
            skipped: imported.skipped,
        };
        let detail = format!(
            "BLOB no {}: {} models, {} compromised or revoked, {} entries unreadable",
            summary.no, summary.models, summary.compromised, summary.skipped
        );
        save_setting(
            &*self.store,
            metadata::METADATA_KEY,
            &imported,
            &self.event(actor, "", "authenticator_metadata_imported", &detail, ""),
        )?;
        self.trust.clear();
        Ok(summary)
    }

    pub fn attestation_cas(&self) -> Result<OperatorCas> {
        Ok(read_setting(&*self.store, metadata::CAS_KEY)?.unwrap_or_default())
    }

    /// Trusts a CA certificate (PEM) for the attestation of any model.
    pub fn add_attestation_ca(&self, actor: &Actor, pem: &str) -> Result<OperatorCa> {
        if !crate::domain::helpdesk::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may trust attestation CAs".into(),
            ));
        }
        let mut cas = self.attestation_cas()?;
        let ca = metadata::read_ca(pem, self.now(), &cas)?;
        cas.cas.push(ca.clone());
        let detail = format!("{} ({})", ca.subject, ca.fingerprint);
        save_setting(
            &*self.store,
            metadata::CAS_KEY,
            &cas,
            &self.event(actor, "", "attestation_ca_added", &detail, ""),
        )?;
        self.trust.clear();
        Ok(ca)
    }

    pub fn remove_attestation_ca(&self, actor: &Actor, fingerprint: &str) -> Result<()> {
        if !crate::domain::helpdesk::Capabilities::of(actor).edit_policy {
            return Err(Error::Forbidden(
                "only an authentication policy administrator may remove attestation CAs".into(),
            ));
        }
        let mut cas = self.attestation_cas()?;
        let before = cas.cas.len();
        let wanted = fingerprint.trim().to_ascii_lowercase().replace(':', "");
        cas.cas.retain(|c| c.fingerprint != wanted);
        if cas.cas.len() == before {
            return Err(Error::NotFound(format!(
                "no trusted CA certificate has the fingerprint {fingerprint}"
            )));
        }
        save_setting(
            &*self.store,
            metadata::CAS_KEY,
            &cas,
            &self.event(actor, "", "attestation_ca_removed", &wanted, ""),
        )?;
        self.trust.clear();
        Ok(())
    }

    // ---- asking the profile ------------------------------------------------

    /// The facts of a key just registered: its AAGUID from the
    /// authenticator data, whether its attestation is trusted, whether it syncs.
    pub(in crate::domain) fn key_facts(
        &self,
        credential: &Credential,
        attestation_object: &[u8],
    ) -> Result<KeyFacts> {
        let aaguid = aaguid_of(attestation_object);
        let trust = self.trust()?;
        let attested = trust.attests(credential, aaguid);
        Ok(KeyFacts::new(credential, aaguid, attested))
    }

    /// Whether `user`'s passkey profile asks for attestation or a model list,
    /// so registration asks the authenticator for its attestation.
    pub(in crate::domain) fn wants_attestation(&self, user: &User) -> Result<bool> {
        let profiles = self.passkey_profiles()?;
        let p = profiles.for_user(user);
        Ok(p.attestation_enforced || p.key_restrictions.enforced)
    }

    /// Refuses a key `user`'s passkey profile does not allow, naming its model.
    pub(in crate::domain) fn admit_key(&self, user: &User, facts: &KeyFacts) -> Result<()> {
        let trust = self.trust()?;
        let profiles = self.passkey_profiles()?;
        let compromised = trust.compromised(facts.aaguid).is_some();
        profiles
            .for_user(user)
            .admits(facts, compromised)
            .map_err(|refusal| Error::KeyRefused {
                refusal,
                model: trust.name(facts.aaguid).map(Into::into),
            })
    }

    /// The facts of a stored key: as recorded, or derived from its credential.
    fn facts_of(&self, method: &StoredMethod, trust: &Trust) -> Option<KeyFacts> {
        method
            .authenticator
            .clone()
            .or_else(|| credential_of_method(method).map(|c| KeyFacts::of_credential(&c, trust)))
    }

    /// Asks the profile before a stored key signs in; a refusal is audited.
    pub(in crate::domain) fn admit_sign_in(
        &self,
        user: &User,
        method: &StoredMethod,
    ) -> Result<()> {
        let trust = self.trust()?;
        let Some(facts) = self.facts_of(method, &trust) else {
            return Ok(());
        };
        self.admit_key(user, &facts).inspect_err(|e| {
            let detail = format!("{}: {e}", method.label());
            let _ = self.store.record_audit(&self.event(
                &Actor::User(user.upn.clone()),
                &user.upn,
                "passkey_refused_by_profile",
                &detail,
                "",
            ));
        })
    }

    /// How a passkey or security key is shown: its model, whether it syncs,
    /// and why the profile no longer lets it sign in.
    pub(in crate::domain) fn key_info(
        &self,
        user: &User,
        method: &StoredMethod,
    ) -> Option<KeyInfo> {
        if !method.kind.is_passwordless() {
            return None;
        }
        let trust = self.trust().ok()?;
        let facts = self.facts_of(method, &trust)?;
        let refused = match self.admit_key(user, &facts) {
            Err(Error::KeyRefused { refusal, .. }) => Some(refusal),
            _ => None,
        };
        Some(KeyInfo {
            model: trust.name(facts.aaguid).map(Into::into),
            aaguid: facts.aaguid.map(|a| a.to_string()),
            synced: facts.synced,
            attested: facts.attested,
            refused,
        })
    }

    /// A method as its owner and the help desk see it, keys with their model.
    pub fn method_view(&self, user: &User, method: &StoredMethod) -> tapin_api::wire::Method {
        let mut view = method.view();
        view.authenticator = self.key_info(user, method);
        view
    }
}

/// The sentence a refusal is told in, naming the model when known.
pub fn refusal_message(refusal: KeyRefusal, model: Option<&str>) -> String {
    let key = model.map_or_else(|| "This key".to_string(), |m| format!("This key ({m})"));
    let why = match refusal {
        KeyRefusal::Compromised => "is a model whose keys are reported compromised or revoked",
        KeyRefusal::Synced => {
            "is a synced passkey, and your organisation allows only keys that stay on one device (a security key, or a passkey on this device only)"
        }
        KeyRefusal::DeviceBound => {
            "stays on one device, and your organisation allows only synced passkeys"
        }
        KeyRefusal::NotAttested => {
            "could not prove which model it is, and your organisation allows only keys from vendors it trusts"
        }
        KeyRefusal::ModelNotAllowed => "is not a model your organisation allows",
        KeyRefusal::ModelBlocked => "is a model your organisation has blocked",
        KeyRefusal::Unknown => "is not allowed by your organisation",
    };
    format!("{key} {why}. Use another key, or ask your help desk which keys are allowed.")
}
