//! Real services for the tests, each in a temporary directory as an
//! unprivileged user (they refuse to run as root), stopped when dropped:
//! Debian's PostgreSQL 15 and nginx.

use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T = ()> = std::result::Result<T, String>;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

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
    /// `postgres://tapin@127.0.0.1:PORT/tapin`
    pub url: String,
}

impl Postgres {
    /// initdb, start and a database `tapin` owned by the role `tapin`.
    pub fn start() -> Result<Self> {
        if !Path::new(PG_BIN).join("initdb").exists() {
            return Err("PostgreSQL 15 is not installed (apt-get install postgresql)".into());
        }
        let dir = owned_dir("pg", "postgres")?;
        let port = free_port()?;
        let d = dir.display();
        as_user(
            "postgres",
            &format!("{PG_BIN}/initdb -D {d}/data -A trust -U tapin --no-sync -E UTF8 >{d}/initdb.log 2>&1"),
        )?;
        as_user(
            "postgres",
            &format!(
                "{PG_BIN}/pg_ctl -D {d}/data -w -l {d}/log -o '-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' start"
            ),
        )?;
        let pg = Self {
            url: format!("postgres://tapin@127.0.0.1:{port}/tapin"),
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
        let port = self.url.rsplit(':').next().and_then(|p| p.split('/').next()).unwrap_or("");
        as_user(
            "postgres",
            &format!("{PG_BIN}/createdb -h 127.0.0.1 -p {port} -U tapin {name}"),
        )?;
        let base = self.url.strip_suffix("/tapin").ok_or("odd PostgreSQL URL")?;
        Ok(format!("{base}/{name}"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = as_user(
            "postgres",
            &format!("{PG_BIN}/pg_ctl -D {}/data -m fast stop", self.dir.display()),
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
