//! `cargo xtask bench`: one table from one run, every figure beside the
//! baseline it is read against (these machines are noisy: ratios, not
//! absolute times).
//!
//! - authenticated `GET /api/v1/session` per second against a bare axum
//!   hello-world (`crates/server/examples/hello.rs`), both under wrk;
//! - the same on PostgreSQL 15 (started for the run, as the tests do);
//! - pass sign-ins per second against the Argon2id bound (cores ÷ hash time);
//! - startup: process start to the first answered request.

use crate::server::{self, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

const UPN: &str = "bench@tapin.example";
const WRK_SECONDS: &str = "8s";

pub struct Row {
    what: String,
    figure: String,
    baseline: String,
    ratio: String,
    target: String,
}

fn row(what: &str, figure: String, baseline: String, ratio: String, target: &str) -> Row {
    Row {
        what: what.into(),
        figure,
        baseline,
        ratio,
        target: target.into(),
    }
}

pub fn table(tapin: &Path, hello: &Path, postgres: Option<&str>) -> Result {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let dir = server::scratch("table")?;
    let db = dir.join("bench.db");
    let pass = server::seed(tapin, &db, UPN)?;
    let mut rows = Vec::new();

    // Requests per second, same wrk settings. The machine's speed drifts
    // by a third within minutes, so each figure is read against hello runs
    // just before and just after it (their mean), not one hello at the start.
    let baseline = Baseline::start(hello)?;
    let hello_url = format!("http://{}/", baseline.addr);
    let mut hello_before = wrk(&hello_url, None)?;
    let server = Server::start(tapin, &db, &dir.join("dist"), &[])?;
    let cookie = sign_in(&server.addr, &pass)?;
    let session_rps = wrk(&format!("{}/api/v1/session", server.url()), Some(&cookie))?;
    drop(server);
    let hello_after = wrk(&hello_url, None)?;
    let hello_rps = (hello_before + hello_after) / 2.0;
    rows.push(row(
        "GET /api/v1/session, SQLite (req/s)",
        format!("{session_rps:.0}"),
        format!("{hello_rps:.0} hello"),
        format!("{:.0}%", 100.0 * session_rps / hello_rps),
        ">= 60%",
    ));
    hello_before = hello_after;
    match postgres {
        Some(url) => {
            // The same on PostgreSQL; every instance shares one key file.
            std::env::set_var("TAPIN_SECRET_KEY_FILE", dir.join("pg.key"));
            let pg_db = Path::new(url);
            let pg_pass = server::seed(tapin, pg_db, UPN)?;
            let server = Server::start(tapin, pg_db, &dir.join("dist"), &[])?;
            let cookie = sign_in(&server.addr, &pg_pass)?;
            let pg_rps = wrk(&format!("{}/api/v1/session", server.url()), Some(&cookie))?;
            drop(server);
            std::env::remove_var("TAPIN_SECRET_KEY_FILE");
            let hello_rps = (hello_before + wrk(&hello_url, None)?) / 2.0;
            rows.push(row(
                "GET /api/v1/session, PostgreSQL (req/s)",
                format!("{pg_rps:.0}"),
                format!("{hello_rps:.0} hello"),
                format!("{:.0}%", 100.0 * pg_rps / hello_rps),
                ">= 35%",
            ));
        }
        None => rows.push(row(
            "GET /api/v1/session, PostgreSQL",
            "not run".into(),
            "-".into(),
            "-".into(),
            "PostgreSQL 15 is not installed",
        )),
    }
    drop(baseline);

    // Pass sign-ins against what Argon2id allows on these cores.
    let calibrated = server::cli(tapin, &db, &["calibrate", "--rounds", "30"])?;
    let hash_ms: f64 = calibrated
        .lines()
        .find_map(|l| {
            l.strip_prefix("argon2id_ms_all_cores ")?
                .trim()
                .parse()
                .ok()
        })
        .ok_or("calibrate printed no argon2id_ms_all_cores")?;
    let bound = cores as f64 * 1000.0 / hash_ms;
    let server = Server::start(tapin, &db, &dir.join("dist"), &[])?;
    let body = serde_json::json!({"upn": UPN, "pass": pass}).to_string();
    let signins =
        crate::bench::flood_rate(&server.addr, &body, 10 * cores, Duration::from_secs(10));
    drop(server);
    rows.push(row(
        "pass sign-in, 10 clients per core (/s)",
        format!("{signins:.1}"),
        format!("{bound:.1} bound"),
        format!("{:.0}%", 100.0 * signins / bound),
        ">= 85%",
    ));

    // Startup: median of five, each on a fresh database.
    let started = |program: &Path, args: &[&str]| -> Result<f64> {
        let mut times = Vec::new();
        for i in 0..5 {
            let port = free_port()?;
            let addr = format!("127.0.0.1:{port}");
            let fresh = dir.join(format!("start-{i}.db"));
            let mut cmd = Command::new(program);
            for a in args {
                cmd.arg(
                    a.replace("{db}", &fresh.to_string_lossy())
                        .replace("{addr}", &addr),
                );
            }
            let t = Instant::now();
            let mut child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| e.to_string())?;
            let answered = loop {
                if get_status(&addr, "/healthz") == Some(200) {
                    break Some(t.elapsed());
                }
                if t.elapsed() > Duration::from_secs(20) {
                    break None;
                }
                std::thread::sleep(Duration::from_millis(1));
            };
            let _ = child.kill();
            let _ = child.wait();
            times.push(answered.ok_or("no answer within 20 s")?.as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        Ok(times[2])
    };
    let tapin_start = started(tapin, &["--db", "{db}", "serve", "--addr", "{addr}"])?;
    let hello_start = started(hello, &["{addr}"])?;
    rows.push(row(
        "startup to first answer, embedded app (ms)",
        format!("{tapin_start:.1}"),
        format!("{hello_start:.1} hello"),
        format!("{:.1}x", tapin_start / hello_start),
        "< 100 ms",
    ));
    let _ = std::fs::remove_dir_all(&dir);

    println!("\nbench: one run on this machine ({cores} cores); baselines from the same run");
    println!(
        "  {:<44} {:>12} {:>16} {:>8}  target",
        String::new(),
        "tapin",
        "baseline",
        "ratio"
    );
    for r in rows {
        println!(
            "  {:<44} {:>12} {:>16} {:>8}  {}",
            r.what, r.figure, r.baseline, r.ratio, r.target
        );
    }
    Ok(())
}

/// The hello-world baseline, stopped when dropped.
struct Baseline {
    child: std::process::Child,
    addr: String,
}

impl Baseline {
    fn start(hello: &Path) -> Result<Self> {
        let mut child = Command::new(hello)
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", hello.display()))?;
        let mut out = child.stdout.take().ok_or("no stdout")?;
        let mut seen = String::new();
        let mut buf = [0u8; 128];
        while !seen.contains('\n') {
            let n = out.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the baseline exited".into());
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let addr = seen
            .trim()
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Self { child, addr })
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// wrk's requests per second: two threads, 32 keep-alive connections.
fn wrk(url: &str, cookie: Option<&str>) -> Result<f64> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c32", "-d", WRK_SECONDS]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Non-2xx") {
        return Err(format!("wrk saw errors from {url}:\n{text}"));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:")?.trim().parse().ok())
        .ok_or_else(|| format!("wrk printed no rate:\n{text}"))
}

/// Signs in with the pass; the `name=value` of the session cookie.
fn sign_in(addr: &str, pass: &str) -> Result<String> {
    let body = serde_json::json!({"upn": UPN, "pass": pass}).to_string();
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /api/v1/signin/pass HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    answer
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap_or("").to_string())
        })
        .ok_or_else(|| format!("the sign-in set no cookie:\n{answer}"))
}

fn get_status(addr: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
