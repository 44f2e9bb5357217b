//! Policies on PostgreSQL.

use super::*;

impl Policies for PgStore {
    fn policy(&self) -> StoreResult<Option<Policy>> {
        let value = self.one(
            "SELECT value FROM settings WHERE key = 'policy'",
            &[],
            |r| r.get::<_, String>(0),
        )?;
        value
            .map(|v| serde_json::from_str(&v).map_err(backend))
            .transpose()
    }

    fn save_policy(&self, policy: &Policy, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('policy', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&json(policy)],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }
}
