//! Policies on SQLite.

use super::*;

impl Policies for SqliteStore {
    fn policy(&self) -> StoreResult<Option<Policy>> {
        let value: Option<String> =
            self.read_row("SELECT value FROM settings WHERE key = 'policy'", [], |r| {
                r.get(0)
            })?;
        value
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| StoreError::Backend(format!("stored policy unreadable: {e}")))
            })
            .transpose()
    }

    fn save_policy(&self, policy: &Policy, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('policy', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [json(policy)],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }
}
