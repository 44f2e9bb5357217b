//! Audit on SQLite.

use super::*;

impl Audit for SqliteStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&self.conn(), e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, upn, event, detail, actor, client FROM (
                   SELECT id, at, upn, event, detail, actor, client FROM audit
                   WHERE (?1 IS NULL OR upn = ?1) AND (?2 IS NULL OR event = ?2)
                     AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
                   ORDER BY at DESC, id DESC LIMIT coalesce(?5, -1))
                 ORDER BY id",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(
                params![f.upn, f.event, f.since.map(ms), f.until.map(ms), f.newest],
                |r| {
                    Ok(AuditEvent {
                        at: time(r.get(0)?),
                        upn: r.get(1)?,
                        event: r.get(2)?,
                        detail: r.get(3)?,
                        actor: r.get(4)?,
                        client: r.get(5)?,
                    })
                },
            )
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}
