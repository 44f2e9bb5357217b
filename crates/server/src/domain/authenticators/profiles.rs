//! Passkey profiles: which authenticators may hold a person's keys, chosen
//! by the person's groups (the first profile that names one of them, by
//! priority; the default profile for everyone else), and asked when a key is
//! registered and every time it signs in. Entra ID's passkey profiles have
//! the same four knobs: passkey types, attestation, and an AAGUID allow or
//! block list.

use super::KeyFacts;
use crate::domain::{Error, Result, Target, User};
use serde::{Deserialize, Serialize};
use tapin_api::wire::KeyRefusal;
use uuid::Uuid;

/// The id of the profile nobody can remove, for everyone no other profile names.
pub const DEFAULT_PROFILE_ID: &str = "00000000-0000-0000-0000-000000000001";

/// How many profiles, and AAGUIDs in one list, a deployment may have.
const MAX_PROFILES: usize = 50;
const MAX_AAGUIDS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionMode {
    Allow,
    Block,
}

/// Graph's `fido2KeyRestrictions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRestrictions {
    pub enforced: bool,
    pub mode: RestrictionMode,
    pub aaguids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyProfile {
    pub id: String,
    pub name: String,
    /// The groups this profile is for (directory group ids once resolved);
    /// empty only for the default profile.
    #[serde(default)]
    pub groups: Vec<Target>,
    /// Keys whose private key cannot leave the authenticator (no backup
    /// eligibility): security keys, and platform keys that do not sync.
    pub device_bound: bool,
    /// Keys that may be copied to the holder's other devices (backup eligible).
    pub synced: bool,
    /// Only keys whose attestation chains to a trust anchor the operator
    /// imported (FIDO metadata or a CA certificate).
    pub attestation_enforced: bool,
    pub key_restrictions: KeyRestrictions,
}

impl PasskeyProfile {
    /// The profile a fresh deployment has: any key, as before profiles.
    pub fn default_profile() -> Self {
        Self {
            id: DEFAULT_PROFILE_ID.into(),
            name: "Default passkey profile".into(),
            groups: vec![],
            device_bound: true,
            synced: true,
            attestation_enforced: false,
            key_restrictions: KeyRestrictions {
                enforced: false,
                mode: RestrictionMode::Block,
                aaguids: vec![],
            },
        }
    }

    pub fn is_default(&self) -> bool {
        self.id == DEFAULT_PROFILE_ID
    }

    /// Whether a key with these facts may be registered, or may still sign
    /// in. `compromised` is the FIDO metadata's word on the key's model.
    pub fn admits(&self, key: &KeyFacts, compromised: bool) -> std::result::Result<(), KeyRefusal> {
        if compromised {
            return Err(KeyRefusal::Compromised);
        }
        if key.synced && !self.synced {
            return Err(KeyRefusal::Synced);
        }
        if !key.synced && !self.device_bound {
            return Err(KeyRefusal::DeviceBound);
        }
        if self.attestation_enforced && !key.attested {
            return Err(KeyRefusal::NotAttested);
        }
        let r = &self.key_restrictions;
        if r.enforced {
            let listed = r.aaguids.contains(&key.aaguid.unwrap_or_default());
            match r.mode {
                RestrictionMode::Allow if !listed => return Err(KeyRefusal::ModelNotAllowed),
                RestrictionMode::Block if listed => return Err(KeyRefusal::ModelBlocked),
                _ => {}
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        let bad = |why: String| Error::Invalid(why, Some("passkey_profiles"));
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(bad(format!(
                "profile '{}' needs a name of 1 to 64 characters",
                self.id
            )));
        }
        if Uuid::parse_str(&self.id).is_err() {
            return Err(bad(format!("the profile id '{}' is not a GUID", self.id)));
        }
        if !self.device_bound && !self.synced {
            return Err(bad(format!(
                "profile '{name}' allows no passkey type: allow device-bound, synced or both"
            )));
        }
        if self.is_default() != self.groups.is_empty() {
            return Err(bad(if self.is_default() {
                "the default profile is for everyone no other profile names: it takes no groups"
                    .into()
            } else {
                format!("profile '{name}' names no group: only the default profile is for everyone")
            }));
        }
        if let Some(t) = self.groups.iter().find(|t| !matches!(t, Target::Group(_))) {
            return Err(bad(format!(
                "profile '{name}' is for groups: '{t}' is not one (write group:NAME)"
            )));
        }
        let r = &self.key_restrictions;
        if r.aaguids.len() > MAX_AAGUIDS {
            return Err(bad(format!(
                "profile '{name}' lists more than {MAX_AAGUIDS} AAGUIDs"
            )));
        }
        if r.enforced && r.mode == RestrictionMode::Allow && r.aaguids.is_empty() {
            return Err(bad(format!(
                "profile '{name}' allows only listed models but lists none: no key could register"
            )));
        }
        Ok(())
    }
}

/// Every profile, by priority, the default last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyProfiles {
    pub profiles: Vec<PasskeyProfile>,
}

impl Default for PasskeyProfiles {
    fn default() -> Self {
        Self {
            profiles: vec![PasskeyProfile::default_profile()],
        }
    }
}

impl PasskeyProfiles {
    /// The profile that decides for `user`.
    pub fn for_user(&self, user: &User) -> &PasskeyProfile {
        self.profiles
            .iter()
            .find(|p| !p.is_default() && p.groups.iter().any(|g| g.matches(user)))
            .or_else(|| self.profiles.iter().find(|p| p.is_default()))
            .unwrap_or_else(|| &self.profiles[self.profiles.len() - 1])
    }

    /// Puts the default last, then checks every profile and that ids are unique.
    pub fn validated(mut self) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(why.into(), Some("passkey_profiles"));
        if self.profiles.len() > MAX_PROFILES {
            return Err(bad("at most 50 passkey profiles"));
        }
        let defaults = self.profiles.iter().filter(|p| p.is_default()).count();
        if defaults != 1 {
            return Err(bad(&format!(
                "there must be exactly one default profile (id {DEFAULT_PROFILE_ID})"
            )));
        }
        self.profiles.sort_by_key(|p| p.is_default());
        for (i, p) in self.profiles.iter().enumerate() {
            p.validate()?;
            if self.profiles[..i].iter().any(|q| q.id == p.id) {
                return Err(bad(&format!("two profiles have the id {}", p.id)));
            }
        }
        Ok(self)
    }
}
