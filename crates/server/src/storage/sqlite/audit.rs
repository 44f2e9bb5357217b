//! Audit on SQLite.

use super::*;

impl Audit for SqliteStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&self.conn(), e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let conn = self.read()?;
        let (sql, args) = crate::storage::audit_query(f, '?');
        let args: Vec<&dyn rusqlite::ToSql> = args
            .iter()
            .map(|a| match a {
                crate::storage::AuditArg::Text(t) => t as &dyn rusqlite::ToSql,
                crate::storage::AuditArg::Millis(m) => m as &dyn rusqlite::ToSql,
            })
            .collect();
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
        let rows = stmt
            .query_map(args.as_slice(), |r| {
                Ok(AuditEvent {
                    at: time(r.get(0)?),
                    upn: r.get(1)?,
                    event: r.get(2)?,
                    detail: r.get(3)?,
                    actor: r.get(4)?,
                    client: r.get(5)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}
