//! Operations: readiness, backups, the purge of what expired, re-sealing
//! secrets after a key rotation, the outbox and the audit trail as the
//! operator reads them (from the command line).

use crate::domain::secrets::Keyring;
use crate::domain::{AuditEvent, Error, Result};
use chrono::Duration;
use tapin_api::normalize_upn;

use crate::domain::{AuditFilter, Tapin};

impl Tapin {
    /// Whether requests can be served: the database answers, its schema is current.
    pub fn ready(&self) -> Result<()> {
        Ok(self.store.ready()?)
    }

    /// Writes a consistent copy of the database to `path`, which must not exist yet.
    pub fn backup(&self, path: &std::path::Path) -> Result<()> {
        if path.exists() {
            return Err(Error::Conflict(format!(
                "{} exists already; choose a new file",
                path.display()
            )));
        }
        Ok(self.store.backup_to(path)?)
    }

    /// Removes expired sessions, challenges, attempts and sends, and outbox
    /// messages older than a week (given up, or never routed).
    pub fn purge(&self) -> Result<crate::domain::store::Purged> {
        let now = self.now();
        let limits = &self.settings.send_limits;
        let longest_send_window = limits
            .per_destination
            .1
            .max(limits.per_user.1)
            .max(limits.per_client.1);
        Ok(self.store.purge(
            now,
            now - self.settings.session_idle,
            now - self.settings.lockout_window,
            now - longest_send_window,
            now - Duration::days(7),
        )?)
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

    pub fn outbox(&self) -> Result<Vec<crate::domain::OutboxEntry>> {
        Ok(self.store.outbox()?)
    }
}
