//! What a test's store holds, read from outside tapin, and faults put
//! into it: the same on SQLite and on PostgreSQL, so no test has to
//! return early on one of them.

use std::path::Path;

/// Every byte the store at `path` holds: on SQLite the database file with
/// its write-ahead log and shared memory; on PostgreSQL every row of every
/// table of its schema as text (bytea as hex) and every bytea column's raw
/// bytes. `known` is a value the caller knows is stored: finding it proves
/// the scan saw the data, so a scan of nothing cannot pass.
pub fn stored_bytes(path: &Path, known: &str) -> Vec<u8> {
    let bytes = match super::postgres_url_for(path) {
        Some(url) => postgres_bytes(&url),
        None => sqlite_bytes(path),
    };
    assert!(
        bytes.windows(known.len()).any(|w| w == known.as_bytes()),
        "the scan of the store did not find {known:?}: it read nothing useful"
    );
    bytes
}

fn sqlite_bytes(path: &Path) -> Vec<u8> {
    // The file must be there; the log and shared memory only while open.
    let mut bytes = std::fs::read(path).expect("the SQLite file exists");
    for suffix in ["-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        if let Ok(b) = std::fs::read(&p) {
            bytes.extend(b);
        }
    }
    bytes
}

fn postgres_bytes(url: &str) -> Vec<u8> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("PostgreSQL answers");
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() >= 10, "only {tables:?} in the schema");
    let mut bytes = Vec::new();
    for table in &tables {
        let text: String = c
            .query_one(
                &format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM \"{table}\" t"),
                &[],
            )
            .unwrap()
            .get(0);
        bytes.extend(text.into_bytes());
    }
    let bytea: Vec<(String, String)> = c
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND data_type = 'bytea'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for (table, column) in bytea {
        for row in c
            .query(
                &format!("SELECT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"),
                &[],
            )
            .unwrap()
        {
            bytes.extend(row.get::<_, Vec<u8>>(0));
        }
    }
    bytes
}

/// From now on every insert into `table` fails as a full disk would make
/// it fail, until `mend_inserts`.
pub fn break_inserts(path: &Path, table: &str) {
    match super::postgres_url_for(path) {
        Some(url) => postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!(
                "CREATE OR REPLACE FUNCTION {table}_fails() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER {table}_fails BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_fails();"
            ))
            .unwrap(),
        None => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(&format!(
                "CREATE TRIGGER {table}_fails BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
            ))
            .unwrap(),
    }
}

/// Inserts into `table` work again.
pub fn mend_inserts(path: &Path, table: &str) {
    match super::postgres_url_for(path) {
        Some(url) => postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("DROP TRIGGER {table}_fails ON {table};"))
            .unwrap(),
        None => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(&format!("DROP TRIGGER {table}_fails;"))
            .unwrap(),
    }
}
