//! Settings on PostgreSQL.

use super::*;

impl Policies for PgStore {
    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.one("SELECT value FROM settings WHERE key = $1", &[&key], |r| {
            r.get::<_, String>(0)
        })
    }

    fn save_setting(&self, key: &str, value: &str, audit: &AuditEvent) -> StoreResult<()> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .map_err(backend)?;
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn swap_setting(
        &self,
        key: &str,
        old: Option<&str>,
        new: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(backend)?;
        let changed = match old {
            None => tx.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &new],
            ),
            Some(old) => tx.execute(
                "UPDATE settings SET value = $2 WHERE key = $1 AND value = $3",
                &[&key, &new, &old],
            ),
        }
        .map_err(backend)?;
        if changed == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}
