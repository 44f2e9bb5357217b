//! Audit on PostgreSQL.

use super::*;

impl Audit for PgStore {
    fn record_audit(&self, e: &AuditEvent) -> StoreResult<()> {
        insert_audit(&mut **self.client()?, e)
    }

    fn audit_events(&self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        self.many(
            "SELECT at, upn, event, detail, actor, client FROM (
               SELECT id, at, upn, event, detail, actor, client FROM audit
               WHERE ($1::text IS NULL OR upn = $1) AND ($2::text IS NULL OR event = $2)
                 AND ($3::bigint IS NULL OR at >= $3) AND ($4::bigint IS NULL OR at < $4)
               ORDER BY at DESC, id DESC LIMIT $5) newest
             ORDER BY id",
            &[
                &f.upn,
                &f.event,
                &f.since.map(ms),
                &f.until.map(ms),
                &f.newest.map(i64::from),
            ],
            |r| AuditEvent {
                at: time(r.get(0)),
                upn: r.get(1),
                event: r.get(2),
                detail: r.get(3),
                actor: r.get(4),
                client: r.get(5),
            },
        )
    }
}
