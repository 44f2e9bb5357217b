//! Starting the real `tapin` binary for a test, and stopping it.

#[allow(dead_code)] // only the OpenID Connect tests sign in to applications
pub mod apps;
pub mod keys;
#[allow(dead_code)] // not every test file reads the store from outside
pub mod stored;
pub mod world;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `tapin serve` on a free loopback port; killed when dropped.
pub struct Running {
    child: Child,
    pub addr: String,
}

impl Running {
    #[allow(dead_code)]
    pub fn start(db: &Path, dist: &Path, extra: &[&str]) -> Self {
        Self::spawn(db, dist, extra, false, &[])
    }

    /// As `start`, with these environment variables set.
    #[allow(dead_code)]
    pub fn start_with_env(db: &Path, dist: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(db, dist, extra, false, env)
    }

    /// As `start`, logging everything (debug) to a pipe that `logs` reads.
    #[allow(dead_code)] // not every test file reads logs
    pub fn start_logging(db: &Path, dist: &Path, extra: &[&str]) -> Self {
        Self::spawn(db, dist, extra, true, &[])
    }

    /// Stops the server and returns everything it logged.
    #[allow(dead_code)]
    pub fn logs(mut self) -> String {
        self.kill();
        let mut logs = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut logs);
        }
        logs
    }

    fn spawn(db: &Path, dist: &Path, extra: &[&str], logging: bool, env: &[(&str, &str)]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_tapin"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--addr", "127.0.0.1:0", "--dist"])
            .arg(dist)
            .args(extra)
            .env("TAPIN_LOG", if logging { "debug" } else { "error" })
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(if logging {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("tapin starts");
        // From here on, dropping it (a panic included) stops the process.
        let mut running = Self {
            child,
            addr: String::new(),
        };
        let mut out = running.child.stdout.take().expect("stdout is piped");
        // Read on a thread of its own, so a server that neither starts nor
        // exits fails the test after a deadline instead of hanging it.
        let (lines, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = String::new();
            let mut buf = [0u8; 256];
            loop {
                let n = out.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    let _ = lines.send(Err(seen));
                    return;
                }
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                if let Some(line) = seen.lines().find(|l| l.contains("listening on http://")) {
                    let addr = line.rsplit("http://").next().unwrap_or_default().trim();
                    let _ = lines.send(Ok(addr.replace("localhost", "127.0.0.1")));
                    // Keep draining, so the server never blocks on a full pipe.
                    while out.read(&mut buf).unwrap_or(0) > 0 {}
                    return;
                }
            }
        });
        match address.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(Ok(addr)) => {
                running.addr = addr;
                running
            }
            Ok(Err(seen)) => panic!("tapin exited before listening: {seen}"),
            Err(_) => panic!("tapin did not say it was listening within 60 s"),
        }
    }

    /// SIGKILL, unless it has already exited; true when it was killed.
    pub fn kill(&mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        let _ = self.child.kill();
        let _ = self.child.wait();
        running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether the store contract runs against PostgreSQL this time
/// (`TAPIN_TEST_POSTGRES=postgres://…`, set by `cargo xtask test`).
#[allow(dead_code)]
pub fn on_postgres() -> bool {
    std::env::var("TAPIN_TEST_POSTGRES").is_ok_and(|u| !u.is_empty())
}

/// With `TAPIN_TEST_POSTGRES`, the URL of a PostgreSQL schema of its own
/// named after `path` (created when missing).
#[allow(dead_code)]
pub fn postgres_url_for(path: &Path) -> Option<String> {
    let url = std::env::var("TAPIN_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())?;
    let hash = path
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
    let schema = format!("t{hash:016x}");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("PostgreSQL answers");
    admin
        .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-csearch_path%3D{schema}"))
}

/// The store a test runs on: the SQLite file `path`, or, with
/// `TAPIN_TEST_POSTGRES`, a PostgreSQL schema of its own named after
/// `path` (so opening the same path twice is two instances on one database).
#[allow(dead_code)]
pub fn store_at(path: &Path) -> std::sync::Arc<dyn tapin_server::domain::Store> {
    match postgres_url_for(path) {
        Some(url) => std::sync::Arc::new(tapin_server::storage::PgStore::open(&url, None).unwrap()),
        None => std::sync::Arc::new(tapin_server::storage::SqliteStore::open(path).unwrap()),
    }
}

/// `tapin --db DB ARGS…`, which must succeed; what it printed.
#[allow(dead_code)]
pub fn cli(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tapin"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `tapin ARGS…` (no configuration file from the environment): whether it
/// succeeded, and everything it printed.
#[allow(dead_code)]
pub fn tapin_said(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tapin"))
        .args(args)
        .env_remove("TAPIN_CONFIG")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// One HTTP/1.1 request with a JSON body and this origin; the whole answer.
#[allow(dead_code)]
pub fn request(addr: &str, method: &str, path: &str, body: &str) -> String {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

/// Waits until `ready` holds, checking every 20 ms; fails after `within`
/// naming what it waited for. Deadlines are generous: a loaded 2-core
/// machine is slow, and a condition that holds ends the wait at once.
#[allow(dead_code)]
pub fn wait_for(what: &str, within: std::time::Duration, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `wait_for` in an async test.
#[allow(dead_code)]
pub async fn wait_for_async<F: std::future::Future<Output = bool>>(
    what: &str,
    within: std::time::Duration,
    mut ready: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !ready().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
