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
}
