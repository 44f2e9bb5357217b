//! Audit on PostgreSQL.

use super::*;

impl Audit for PgStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&mut **self.client()?, e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let (sql, args) = crate::storage::audit_query(f, '$');
        let args: Vec<&(dyn postgres::types::ToSql + Sync)> = args
            .iter()
            .map(|a| match a {
                crate::storage::AuditArg::Text(t) => t as &(dyn postgres::types::ToSql + Sync),
                crate::storage::AuditArg::Millis(m) => m as &(dyn postgres::types::ToSql + Sync),
            })
            .collect();
        self.many(&sql, &args, |r| AuditEvent {
            at: time(r.get(0)),
            upn: r.get(1),
            event: r.get(2),
            detail: r.get(3),
            actor: r.get(4),
            client: r.get(5),
        })
    }
}
