//! Deployment-wide settings: the pass policy, the strength policy, the
//! passkey profiles and the authenticator metadata, each a JSON document
//! under a key, changed with its audit event in one transaction.

use super::{StoreError, StoreResult};
use crate::domain::methods::AuditEvent;
use crate::domain::policy::Policy;

/// Deployment-wide settings, each a JSON document under a key: the
/// strength policy, the passkey profiles, the authenticator metadata.
pub trait Policies: Send + Sync {
    fn setting(&self, key: &str) -> StoreResult<Option<String>>;

    /// Writes the setting and its audit event in one transaction.
    fn save_setting(&self, key: &str, value: &str, audit: &AuditEvent) -> StoreResult<()>;

    /// Writes the setting (and its audit event) only if it still holds
    /// `old` (`None`: is not set), in one statement; false when another
    /// change got there first and nothing was written.
    fn swap_setting(
        &self,
        key: &str,
        old: Option<&str>,
        new: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    fn policy(&self) -> StoreResult<Option<Policy>> {
        read_setting(self, "policy")
    }

    fn save_policy(&self, policy: &Policy, audit: &AuditEvent) -> StoreResult<()> {
        save_setting(self, "policy", policy, audit)
    }
}

/// The setting under `key`, read from its JSON.
pub fn read_setting<T: serde::de::DeserializeOwned>(
    store: &(impl Policies + ?Sized),
    key: &str,
) -> StoreResult<Option<T>> {
    store
        .setting(key)?
        .map(|v| {
            serde_json::from_str(&v)
                .map_err(|e| StoreError::Backend(format!("stored {key} unreadable: {e}")))
        })
        .transpose()
}

/// Writes `value` as the JSON of the setting under `key`, with its audit event.
pub fn save_setting<T: serde::Serialize>(
    store: &(impl Policies + ?Sized),
    key: &str,
    value: &T,
    audit: &AuditEvent,
) -> StoreResult<()> {
    let json = serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("{key} unserialisable: {e}")))?;
    store.save_setting(key, &json, audit)
}
