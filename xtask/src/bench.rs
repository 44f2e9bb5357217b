//! `cargo xtask bench overload`: tapin's pass sign-in under a flood, measured
//! against the bound Argon2id sets on this machine in the same run.
//!
//! These machines are noisy, so every figure is printed beside a baseline
//! from the same run: throughput as a share of cores ÷ hash time, not as
//! requests per second alone.

use crate::server::{self, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

const UPN: &str = "bench@tapin.example";
/// Every request is answered within this, or it counts as timed out.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

pub fn overload(tapin: &Path, seconds: u64) -> Result {
    let dir = server::scratch("bench")?;
    let db = dir.join("bench.db");
    let pass = server::seed(tapin, &db, UPN)?;
    let cli = |args: &[&str]| server::cli(tapin, &db, args);

    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let calibrated = cli(&["calibrate", "--rounds", "30"])?;
    let figure = |name: &str| -> Result<f64> {
        calibrated
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .ok_or_else(|| format!("calibrate printed no {name}"))
    };
    let hash_alone_ms = figure("argon2id_ms ")?;
    // Under load every core hashes at once, and they share memory bandwidth:
    // the bound is what the machine's cores hash together.
    let hash_ms = figure("argon2id_ms_all_cores ")?;
    let bound = cores as f64 * 1000.0 / hash_ms;

    let server = Server::start(tapin, &db, &dir.join("dist"), &[])?;
    let body = serde_json::json!({"upn": UPN, "pass": pass}).to_string();

    // One client, one request at a time: the latency-bound rate.
    let single = flood(&server.addr, &body, 1, Duration::from_secs(seconds.min(10)));
    // Ten times the pool: the queue fills and the rest are refused at once.
    let clients = 10 * cores;
    let crowd = flood(&server.addr, &body, clients, Duration::from_secs(seconds));
    let peak_rss_kib = server.peak_rss_kib();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    let pct = |rate: f64| 100.0 * rate / bound;
    println!(
        "overload: pass sign-in, {cores} cores; Argon2id {hash_alone_ms:.1} ms per check alone, {hash_ms:.1} ms with every core checking"
    );
    println!(
        "  {:<34} {:>10} {:>12} {:>9} {:>9} {:>8} {:>9}",
        "", "answered/s", "% of bound", "p50 ms", "p99 ms", "503 %", "timeouts"
    );
    println!(
        "  {:<34} {:>10.1} {:>12} {:>9} {:>9} {:>8} {:>9}",
        "bound (cores / hash time)", bound, "100.0", "-", "-", "-", "-"
    );
    for (name, r) in [
        ("1 client".to_string(), &single),
        (format!("{clients} clients (10 x pool)"), &crowd),
    ] {
        println!(
            "  {:<34} {:>10.1} {:>12.1} {:>9.1} {:>9.1} {:>8.1} {:>9}",
            name,
            r.rate(),
            pct(r.rate()),
            r.percentile(0.50),
            r.percentile(0.99),
            r.overloaded_share(),
            r.timeouts
        );
    }
    let rss_mib = peak_rss_kib as f64 / 1024.0;
    println!("  server peak RSS: {rss_mib:.1} MiB");
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "  targets: throughput >= 85% of bound: {}; peak RSS < 300 MiB: {}; no timeouts: {}",
        verdict(pct(crowd.rate()) >= 85.0),
        verdict(rss_mib < 300.0),
        verdict(crowd.timeouts == 0 && single.timeouts == 0)
    );
    Ok(())
}

#[derive(Default)]
struct Results {
    /// Latencies of answered requests (not 503), in ms.
    latencies: Vec<f64>,
    overloaded: usize,
    timeouts: usize,
    other: usize,
    elapsed: Duration,
}

impl Results {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn overloaded_share(&self) -> f64 {
        let all = self.latencies.len() + self.overloaded + self.timeouts + self.other;
        100.0 * self.overloaded as f64 / all.max(1) as f64
    }

    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.latencies.clone();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
}

/// Answered (200) pass sign-ins per second from `clients` clients.
pub fn flood_rate(addr: &str, body: &str, clients: usize, duration: Duration) -> f64 {
    flood(addr, body, clients, duration).rate()
}

fn flood(addr: &str, body: &str, clients: usize, duration: Duration) -> Results {
    let results = Arc::new(Mutex::new(Results::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, body, results, stop) = (
                addr.to_string(),
                body.to_string(),
                results.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let status = post(&addr, "/api/v1/signin/pass", &body);
                    let ms = sent.elapsed().as_secs_f64() * 1000.0;
                    let mut r = results.lock().unwrap();
                    match status {
                        Some(503) => {
                            r.overloaded += 1;
                            drop(r);
                            // A client told to come back does not hammer.
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Some(200) => r.latencies.push(ms),
                        Some(_) => r.other += 1,
                        None => r.timeouts += 1,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let mut r = std::mem::take(&mut *results.lock().unwrap());
    r.elapsed = started.elapsed();
    r
}

/// One HTTP/1.1 POST on a fresh connection; the status, or `None` when no
/// answer came within `ANSWER_WITHIN`.
fn post(addr: &str, path: &str, body: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(ANSWER_WITHIN)).ok()?;
    stream.set_write_timeout(Some(ANSWER_WITHIN)).ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < 12 {
        let n = stream.read(&mut head[got..]).ok()?;
        if n == 0 {
            return None;
        }
        got += n;
    }
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

pub fn server_binary(root: &Path) -> PathBuf {
    root.join("target/server/tapin")
}

/// `cargo xtask bench load`: the first step on a mobile profile in Chromium,
/// the app's page against a static page with the same form, same server,
/// same run; and the bundles' sizes.
pub fn load(root: &Path, tapin: &Path, runs: u32) -> Result {
    let dir = server::scratch("load")?;
    let dist = dir.join("dist");
    for entry in std::fs::read_dir(root.join("dist")).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        copy_tree(&entry.path(), &dist.join(entry.file_name()))?;
    }
    // The baseline: the served page with every script and preload taken out,
    // its form sending the account name to a static pass page.
    let page = std::fs::read_to_string(dist.join("index.html")).map_err(|e| e.to_string())?;
    let (account_page, pass_page) = two_page_form(&without_scripts(&page))?;
    std::fs::write(dist.join("baseline.html"), account_page).map_err(|e| e.to_string())?;
    std::fs::write(dist.join("baseline-pass.html"), pass_page).map_err(|e| e.to_string())?;
    let db = dir.join("load.db");
    server::seed(tapin, &db, UPN)?;
    let server = Server::start(tapin, &db, &dist, &[])?;
    let out = std::process::Command::new("node")
        .arg("load.bench.mjs")
        .arg(server.url())
        .arg(runs.to_string())
        .current_dir(root.join("tests/e2e"))
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    drop(server);
    if !out.status.success() {
        return Err(format!(
            "load bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let figures: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let sizes = server::cli(
        tapin,
        &db,
        &["assets", "--dist", dist.to_str().ok_or("odd path")?],
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    let ms = |k: &str| figures[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "load: time to a usable account step, median of {runs}, Chromium with 4x CPU slowdown, 150 ms RTT, 1.6 Mbps"
    );
    println!("  {:<40} {:>10}", "", "ms");
    println!(
        "  {:<40} {:>10.0}",
        "static page, same form (baseline)",
        ms("baseline_ms")
    );
    println!("  {:<40} {:>10.0}", "tapin's first step", ms("app_ms"));
    let verdict = |ratio: f64, target: f64| if ratio <= target { "met" } else { "NOT met" };
    println!(
        "  ratio {:.2} (target <= 1.05: {})",
        ms("ratio"),
        verdict(ms("ratio"), 1.05)
    );
    println!(
        "load: open, account name, Enter, until the pass field takes typing, median of {runs}, same profile"
    );
    println!("  {:<40} {:>10}", "", "ms");
    println!(
        "  {:<40} {:>10.0}",
        "static two-page form (baseline)",
        ms("two_pages_ms")
    );
    println!("  {:<40} {:>10.0}", "tapin's second step", ms("second_ms"));
    println!(
        "  ratio {:.2} (target <= 1.00: {})",
        ms("second_ratio"),
        verdict(ms("second_ratio"), 1.0)
    );
    for line in sizes
        .lines()
        .filter(|l| l.trim_start().starts_with("total") || !l.starts_with(' '))
    {
        println!("  {}", line.trim_end());
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result {
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
        for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The static two-page form: the account page (the served page without its
/// scripts) sending the name to a pass page like the app's second step.
fn two_page_form(page: &str) -> Result<(String, String)> {
    let account_page = page.replacen(
        r#"<form id="boot-form" action="/""#,
        r#"<form id="boot-form" action="/baseline-pass.html""#,
        1,
    );
    if account_page == page {
        return Err("the first load's page has no account form to send".into());
    }
    let start = page
        .find(r#"<div id="boot-account">"#)
        .ok_or("the first load's page has no account step")?;
    let end = start
        + page[start..]
            .find(r#"<p id="boot-loading""#)
            .ok_or("the account step has no end")?;
    let pass_page = format!("{}{PASS_STEP}\n    {}", &page[..start], &page[end..]);
    Ok((account_page, pass_page))
}

/// The app's pass step as static HTML (`src/pages/pass.rs`).
const PASS_STEP: &str = r#"<div id="boot-pass">
      <h1 tabindex="-1">Temporary Access Pass</h1>
      <p class="who">Signing in as <strong id="who"></strong> <a href="/baseline.html">Change account</a></p>
      <form action="/baseline-pass.html" method="get" novalidate>
        <div class="field">
          <label for="pass">Temporary Access Pass</label>
          <p id="pass-hint" class="hint">The code your help desk gave you.</p>
          <input id="pass" name="pass" type="text" class="code" autocomplete="one-time-code" inputmode="text" autocapitalize="characters" spellcheck="false" required aria-describedby="pass-hint">
        </div>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </div>"#;

/// The page without `<script>` elements and `<link rel=preload|modulepreload>`.
fn without_scripts(page: &str) -> String {
    let mut out = String::new();
    let mut rest = page;
    loop {
        let script = rest.find("<script");
        let link = rest
            .match_indices("<link")
            .find(|(i, _)| {
                let tag = &rest[*i..rest[*i..].find('>').map_or(rest.len(), |e| i + e)];
                tag.contains("preload")
            })
            .map(|(i, _)| i);
        let Some(at) = [script, link].into_iter().flatten().min() else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = if tail.starts_with("<script") {
            tail.find("</script>")
                .map_or(tail.len(), |e| e + "</script>".len())
        } else {
            tail.find('>').map_or(tail.len(), |e| e + 1)
        };
        rest = &tail[end..];
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_two_page_form_sends_the_account_to_a_pass_page() {
        let page = r#"<body><main id="boot"><div id="boot-account"><form id="boot-form" action="/" method="get"><input id="upn"></form></div>
    <p id="boot-loading" hidden>Loading</p></main></body>"#;
        let (account, pass) = super::two_page_form(page).unwrap();
        assert!(
            account.contains(r#"action="/baseline-pass.html""#),
            "{account}"
        );
        assert!(account.contains(r#"id="upn""#));
        assert!(
            pass.contains(r#"id="pass""#) && !pass.contains(r#"id="upn""#),
            "{pass}"
        );
        assert!(pass.contains(r#"<p id="boot-loading" hidden>"#), "{pass}");
        assert!(super::two_page_form("<body></body>").is_err());
    }

    #[test]
    fn the_baseline_page_keeps_the_form_and_loses_every_script() {
        let page = r#"<head><link rel="stylesheet" href="/a.css"/><script type="module" src="/s.js"></script><link rel="modulepreload" href="/x.js"><link rel="preload" href="/x.wasm" as="fetch"></head><body><form><input id="upn"></form><script src="/b.js" defer></script></body>"#;
        let out = super::without_scripts(page);
        assert_eq!(
            out,
            r#"<head><link rel="stylesheet" href="/a.css"/></head><body><form><input id="upn"></form></body>"#
        );
    }
}
