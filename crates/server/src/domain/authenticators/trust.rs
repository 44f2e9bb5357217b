//! The trust anchors and model names an instance answers from: built from
//! the imported metadata, the operator's CAs and the shipped community list
//! of AAGUIDs, and kept a few seconds so a sign-in does not read and parse
//! the whole metadata every time.

use super::metadata::{Metadata, OperatorCas};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;
use webauthn_rs_core::proto::{AttestationCaList, AttestationCaListBuilder, Credential};

/// How long an instance trusts what it read; another instance's import
/// reaches it within this.
const CACHE_SECONDS: i64 = 5;

/// The community list of passkey providers' AAGUIDs (names only), refreshed
/// with `cargo xtask aaguids FILE`.
const COMMUNITY_NAMES: &str = include_str!("aaguids.json");

pub struct Trust {
    cas: AttestationCaList,
    /// Each known model: its name and the status that refuses it.
    models: BTreeMap<Uuid, (String, Option<String>)>,
}

impl Trust {
    pub fn build(metadata: &Metadata, operator: &OperatorCas) -> Self {
        let mut models = BTreeMap::new();
        if let Ok(list) = serde_json::from_str::<serde_json::Value>(COMMUNITY_NAMES) {
            if let Some(names) = list["names"].as_object() {
                for (aaguid, name) in names {
                    if let (Ok(id), Some(name)) = (Uuid::parse_str(aaguid), name.as_str()) {
                        models.insert(id, (name.to_string(), None));
                    }
                }
            }
        }
        let engine = base64::engine::general_purpose::STANDARD;
        let mut builder = AttestationCaListBuilder::new();
        for m in &metadata.models {
            models.insert(m.aaguid, (m.description.clone(), m.compromised.clone()));
            if m.compromised.is_some() {
                continue;
            }
            for root in &m.roots {
                let Ok(der) = base64::Engine::decode(&engine, root) else {
                    continue;
                };
                // A root that no longer parses is skipped, not the whole list.
                let _ = builder.insert_device_der(
                    &der,
                    m.aaguid,
                    m.description.clone(),
                    Default::default(),
                );
            }
        }
        let mut cas = builder.build();
        let blanket = metadata
            .u2f_roots
            .iter()
            .filter_map(|r| base64::Engine::decode(&engine, r).ok())
            .filter_map(|der| openssl::x509::X509::from_der(&der).ok())
            .filter_map(|c| c.to_pem().ok())
            .chain(operator.cas.iter().map(|c| c.pem.clone().into_bytes()));
        for pem in blanket {
            if let Ok(list) = AttestationCaList::try_from(pem.as_slice()) {
                cas.union(&list);
            }
        }
        Self { cas, models }
    }

    /// Whether the key's attestation chains to a trusted root that vouches
    /// for its model (or for any model).
    pub fn attests(&self, credential: &Credential, aaguid: Option<Uuid>) -> bool {
        if self.cas.is_empty() {
            return false;
        }
        match credential.verify_attestation(&self.cas) {
            Ok(Some(ca)) => {
                ca.blanket_allow() || aaguid.is_some_and(|a| ca.aaguids().contains_key(&a))
            }
            _ => false,
        }
    }

    pub fn name(&self, aaguid: Option<Uuid>) -> Option<&str> {
        self.models.get(&aaguid?).map(|(name, _)| name.as_str())
    }

    /// The status report that makes the model's keys untrustworthy.
    pub fn compromised(&self, aaguid: Option<Uuid>) -> Option<&str> {
        self.models.get(&aaguid?)?.1.as_deref()
    }
}

/// One instance's copy of the trust, read again after a few seconds.
#[derive(Default)]
pub struct TrustCache(Mutex<Option<(DateTime<Utc>, Arc<Trust>)>>);

impl std::fmt::Debug for TrustCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustCache")
    }
}

impl TrustCache {
    pub fn get(&self, now: DateTime<Utc>) -> Option<Arc<Trust>> {
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(at, _)| now >= *at && now - *at < Duration::seconds(CACHE_SECONDS))
            .map(|(_, t)| t.clone())
    }

    pub fn put(&self, now: DateTime<Utc>, trust: Arc<Trust>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, trust));
    }

    /// Forgets the copy after this instance changed what it is built from.
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
