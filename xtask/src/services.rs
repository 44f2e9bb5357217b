//! Real services for the tests, each in a temporary directory as an
//! unprivileged user (they refuse to run as root), stopped when dropped:
//! Debian's PostgreSQL 15 and nginx.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, String>;

pub(crate) const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn as_user(user: &str, command: &str) -> Result<String> {
    let out = Command::new("su")
        .args([user, "-s", "/bin/sh", "-c", command])
        .output()
        .map_err(|e| format!("cannot run su: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "as {user}: {command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A private directory the given user owns.
fn owned_dir(name: &str, user: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tapin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let status = Command::new("chown")
        .arg(format!("{user}:"))
        .arg(&dir)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("cannot give {} to {user}", dir.display()));
    }
    Ok(dir)
}

pub struct Postgres {
    dir: PathBuf,
    port: u16,
    /// `postgres://tapin@127.0.0.1:PORT/tapin?sslmode=disable`: loopback,
    /// where TLS buys nothing.
    pub url: String,
    /// The same database over TLS that must verify:
    /// `postgres://tapin@localhost:PORT/tapin?sslmode=require`.
    pub tls_url: String,
    /// The CA that signed the server's certificate (for `localhost`).
    pub ca: PathBuf,
}

/// A throwaway CA and a certificate for `localhost` signed by it.
fn certificates(dir: &Path) -> Result {
    let d = dir.display();
    let script = format!(
        "set -e; cd {d}
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=tapin test CA' -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost\\n' > san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null
chown postgres: server.key server.crt ca.pem; chmod 600 server.key"
    );
    let status = Command::new("sh")
        .args(["-c", &script])
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err("openssl could not make the test certificates".into())
    }
}

impl Postgres {
    /// initdb, start and a database `tapin` owned by the role `tapin`.
    pub fn start() -> Result<Self> {
        if !Path::new(PG_BIN).join("initdb").exists() {
            return Err("PostgreSQL 15 is not installed (apt-get install postgresql)".into());
        }
        let dir = owned_dir("pg", "postgres")?;
        certificates(&dir)?;
        let port = free_port()?;
        let d = dir.display();
        as_user(
            "postgres",
            &format!("{PG_BIN}/initdb -D {d}/data -A trust -U tapin --no-sync -E UTF8 >{d}/initdb.log 2>&1"),
        )?;
        as_user(
            "postgres",
            &format!(
                "{PG_BIN}/pg_ctl -D {d}/data -w -l {d}/log -o '-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c ssl=on -c ssl_cert_file={d}/server.crt -c ssl_key_file={d}/server.key' start"
            ),
        )?;
        let pg = Self {
            port,
            url: format!("postgres://tapin@127.0.0.1:{port}/tapin?sslmode=disable"),
            tls_url: format!("postgres://tapin@localhost:{port}/tapin?sslmode=require"),
            ca: dir.join("ca.pem"),
            dir,
        };
        as_user(
            "postgres",
            &format!("{PG_BIN}/createdb -h 127.0.0.1 -p {port} -U tapin tapin"),
        )?;
        eprintln!("xtask: PostgreSQL 15 on {}", pg.url);
        Ok(pg)
    }

    /// A new, empty database beside `tapin`; its URL.
    pub fn database(&self, name: &str) -> Result<String> {
        let port = self.port;
        as_user(
            "postgres",
            &format!("{PG_BIN}/createdb -h 127.0.0.1 -p {port} -U tapin {name}"),
        )?;
        Ok(format!(
            "postgres://tapin@127.0.0.1:{port}/{name}?sslmode=disable"
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_user(
            "postgres",
            &format!(
                "{PG_BIN}/pg_ctl -D {}/data -m fast stop",
                self.dir.display()
            ),
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
