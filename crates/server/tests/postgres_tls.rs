//! PostgreSQL over TLS, as beyond loopback it must be: the connection is
//! encrypted, and a server whose certificate does not chain to the CA
//! tapin is given is refused. Runs when `cargo xtask test` (or
//! `cargo xtask store-contract`) provides a TLS-enabled PostgreSQL.

use std::path::PathBuf;
use tapin_server::storage::postgres::tls_connector;
use tapin_server::storage::PgStore;

fn server() -> Option<(String, PathBuf)> {
    let url = std::env::var("TAPIN_TEST_POSTGRES_TLS").ok()?;
    let ca = std::env::var_os("TAPIN_TEST_POSTGRES_CA")?;
    Some((url, PathBuf::from(ca)))
}

#[test]
fn tapin_talks_to_postgresql_over_verified_tls_only() {
    let Some((url, ca)) = server() else {
        eprintln!("no TLS-enabled PostgreSQL given (TAPIN_TEST_POSTGRES_TLS); run cargo xtask store-contract");
        return;
    };
    // The store opens with the CA, and its connections are encrypted.
    PgStore::open(&url, Some(&ca)).expect("opens over TLS with the test CA");
    let config: postgres::Config = url.parse().unwrap();
    let mut client = config.connect(tls_connector(Some(&ca)).unwrap()).unwrap();
    let encrypted: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(encrypted, "the session is encrypted");

    // Without that CA the server's certificate is not trusted: refused.
    let refused = PgStore::open(&url, None)
        .err()
        .expect("an unknown CA is refused");
    assert!(
        refused.to_string().contains("certificate"),
        "refused for its certificate: {refused}"
    );
}
