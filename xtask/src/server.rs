//! A real `tapin` for the benchmarks and the contract test: a seeded
//! database, a server on a free loopback port, stopped when dropped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

type Result<T = ()> = std::result::Result<T, String>;

/// A database with the policy enabled, one member and a multi-use pass of
/// ten hours; returns the pass.
pub fn seed(tapin: &Path, db: &Path, upn: &str) -> Result<String> {
    cli(
        tapin,
        db,
        &[
            "policy",
            "set",
            "--enabled",
            "true",
            "--max-lifetime",
            "43200",
        ],
    )?;
    cli(tapin, db, &["user", "add", upn, "--name", "Test"])?;
    let issued = cli(
        tapin,
        db,
        &["tap", "issue", upn, "--lifetime", "600", "--json"],
    )?;
    serde_json::from_str::<serde_json::Value>(&issued).map_err(|e| e.to_string())?
        ["temporaryAccessPass"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no pass issued".into())
}

pub fn cli(tapin: &Path, db: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(tapin)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tapin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "tapin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A fresh working folder under the system's temporary one, with an empty `dist/`.
pub fn scratch(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tapin-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("dist")).map_err(|e| e.to_string())?;
    Ok(dir)
}

pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Server {
    pub fn start(tapin: &Path, db: &Path, dist: &Path, extra: &[&str]) -> Result<Self> {
        let child = Command::new(tapin)
            .arg("--db")
            .arg(db)
            .args(["serve", "--addr", "127.0.0.1:0", "--dist"])
            .arg(dist)
            .args(extra)
            .env("TAPIN_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", tapin.display()))?;
        let mut server = Self {
            child,
            addr: String::new(),
        };
        let mut out = server.child.stdout.take().ok_or("no stdout")?;
        let mut seen = String::new();
        let mut buf = [0u8; 256];
        loop {
            let n = out.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("tapin exited before listening: {seen}"));
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(line) = seen.lines().find(|l| l.contains("listening on http://")) {
                let addr = line.rsplit("http://").next().unwrap_or_default().trim();
                server.addr = addr.replace("localhost", "127.0.0.1");
                return Ok(server);
            }
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's peak resident set (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first, so it shuts down as in production.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
