//! Starting the real `tapin` binary for a test, and stopping it.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `tapin serve` on a free loopback port; killed when dropped.
pub struct Running {
    child: Child,
    pub addr: String,
}

impl Running {
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
        let mut seen = String::new();
        let mut buf = [0u8; 256];
        loop {
            let n = out.read(&mut buf).unwrap_or(0);
            assert!(n > 0, "tapin did not start: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if let Some(line) = seen.lines().find(|l| l.contains("listening on http://")) {
                let addr = line.rsplit("http://").next().unwrap_or_default().trim();
                running.addr = addr.replace("localhost", "127.0.0.1");
                return running;
            }
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
