//! The connection pool: r2d2 over the synchronous client, each connection
//! with its prepared statements, over TLS that verifies the server.

use crate::domain::store::{StoreError, StoreResult};
use postgres_native_tls::MakeTlsConnector;
use std::collections::HashMap;
use std::path::Path;

pub(super) type Pool = r2d2::Pool<Manager>;

/// Connections for the pool, each with its prepared statements. Written
/// here rather than taken from r2d2_postgres because that one has no
/// statement cache: every query then costs a Parse round trip before its
/// Execute: `cargo xtask bench` measured an authenticated GET on
/// PostgreSQL at 5,400 requests per second without the cache and 14,600
/// with it, on the same 2-core machine.
pub(super) struct Manager {
    pub(super) config: postgres::Config,
    pub(super) tls: MakeTlsConnector,
}

pub struct Conn {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl Conn {
    /// `sql` prepared once per connection.
    pub(super) fn prepared(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl std::ops::Deref for Conn {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        &self.client
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.config.connect(self.tls.clone())?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

/// Connects over TLS that trusts the system's roots, or only `ca_file`.
pub fn tls_connector(ca_file: Option<&Path>) -> StoreResult<MakeTlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            StoreError::Backend(format!("cannot read the CA file {}: {e}", path.display()))
        })?;
        let ca = native_tls::Certificate::from_pem(&pem).map_err(|e| {
            StoreError::Backend(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        builder
            .disable_built_in_roots(true)
            .add_root_certificate(ca);
    }
    let connector = builder
        .build()
        .map_err(|e| StoreError::Backend(format!("cannot set up TLS: {e}")))?;
    Ok(MakeTlsConnector::new(connector))
}

/// The door's connection, shared by every request at once: queries issued
/// together on one connection are pipelined (tokio-postgres sends them in
/// one write and reads the answers in order), where a connection per
/// request costs a write, a read and a backend wake-up each. On this 2-core
/// machine an authenticated GET went from 11% of a bare hello (r2d2 on a
/// blocking thread) to 22% with a deadpool connection per request, 26%
/// with two shared and about 30% with one (and mimalloc).
/// deadpool still makes, checks and times out the connection.
pub(in crate::storage) struct SharedReads {
    pub(super) pool: deadpool_postgres::Pool,
    pub(super) client: std::sync::Mutex<Option<std::sync::Arc<deadpool_postgres::Object>>>,
}

impl SharedReads {
    pub(super) async fn client(&self) -> StoreResult<std::sync::Arc<deadpool_postgres::Object>> {
        let shared = self.client.lock().ok().and_then(|c| c.clone());
        if let Some(c) = shared.filter(|c| !c.is_closed()) {
            return Ok(c);
        }
        // Gone (the database restarted) or not made yet: a fresh one.
        let fresh = std::sync::Arc::new(
            self.pool
                .get()
                .await
                .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))?,
        );
        if let Ok(mut c) = self.client.lock() {
            *c = Some(fresh.clone());
        }
        Ok(fresh)
    }
}
