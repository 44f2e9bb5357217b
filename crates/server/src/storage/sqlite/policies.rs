//! Settings on SQLite.

use super::*;

impl Policies for SqliteStore {
    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.read_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
    }

    fn save_setting(&self, key: &str, value: &str, audit: &AuditEvent) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
        .map_err(backend)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)
    }

    fn swap_setting(
        &self,
        key: &str,
        old: Option<&str>,
        new: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let changed = match old {
            None => tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                [key, new],
            ),
            Some(old) => tx.execute(
                "UPDATE settings SET value = ?2 WHERE key = ?1 AND value = ?3",
                [key, new, old],
            ),
        }
        .map_err(backend)?;
        if changed == 0 {
            return Ok(false);
        }
        insert_audit(&tx, audit)?;
        tx.commit().map_err(backend)?;
        Ok(true)
    }
}
