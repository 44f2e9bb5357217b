//! `cargo xtask bench oidc`: what signing in to another application costs
//! the server once a person has a tapin session: `/oauth2/authorize` (the
//! session honoured, a code issued) then `/oauth2/token` (the code spent,
//! an ES256 ID token signed); then what the application does afterwards: a
//! refresh (the token rotated, a new ID token) and an introspection by a
//! resource server; each measured beside an authenticated GET of the same
//! session in the same run (these machines are noisy: ratios).

use crate::server::{self, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

const UPN: &str = "bench@tapin.example";
const REDIRECT: &str = "http://localhost:9/cb";

/// One HTTP/1.1 request on a fresh connection: status, head, body.
pub(crate) fn http(addr: &str, request: &str) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.get(9..12)?.parse().ok()?;
    Some((status, head.to_string(), body.to_string()))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

struct Client {
    id: String,
    basic: String,
}

/// authorize then token; true when both answered as they should.
fn sign_in_to_app(addr: &str, cookie: &str, client: &Client) -> bool {
    tokens_of(addr, cookie, client).is_some()
}

fn post_form(addr: &str, path: &str, client: &Client, form: &str) -> Option<(u16, String, String)> {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        client.basic,
        form.len()
    );
    http(addr, &request)
}

fn field(body: &str, name: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .get(name)?
        .as_str()
        .map(str::to_string)
}

/// A refresh: the new refresh token, if it worked.
fn refresh(addr: &str, client: &Client, token: &str) -> Option<String> {
    let form = format!("grant_type=refresh_token&refresh_token={token}");
    match post_form(addr, "/oauth2/token", client, &form) {
        Some((200, _, body)) if body.contains("id_token") => field(&body, "refresh_token"),
        _ => None,
    }
}

fn introspect(addr: &str, client: &Client, token: &str) -> bool {
    matches!(
        post_form(addr, "/oauth2/introspect", client, &format!("token={token}")),
        Some((200, _, body)) if body.contains("\"active\":true")
    )
}

/// authorize then token: (access token, refresh token).
fn tokens_of(addr: &str, cookie: &str, client: &Client) -> Option<(String, String)> {
    let authorize = format!(
        "GET /oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=s&nonce=n HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
        client.id,
        url_encode(REDIRECT)
    );
    let Some((303, head, _)) = http(addr, &authorize) else {
        return None;
    };
    let code = header(&head, "location")
        .and_then(|l| l.split("code=").nth(1))
        .map(|c| c.split('&').next().unwrap_or_default().to_string())?;
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        url_encode(REDIRECT)
    );
    match post_form(addr, "/oauth2/token", client, &form) {
        Some((200, _, body)) if body.contains("id_token") => Some((
            field(&body, "access_token")?,
            field(&body, "refresh_token")?,
        )),
        _ => None,
    }
}

fn session_get(addr: &str, cookie: &str) -> bool {
    let get = format!(
        "GET /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    matches!(http(addr, &get), Some((200, _, _)))
}

pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `clients` threads doing `work` for `duration`: completed per second and
/// the median and 99th-percentile milliseconds of one.
pub(crate) fn measure(
    clients: usize,
    duration: Duration,
    work: impl Fn() -> bool + Send + Sync + 'static,
) -> (f64, f64, f64, usize) {
    let work = Arc::new(work);
    let stop = Arc::new(AtomicBool::new(false));
    let times = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (work, stop, times) = (work.clone(), stop.clone(), times.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let ok = work();
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    let mut r = times.lock().unwrap();
                    if ok {
                        r.0.push(ms);
                    } else {
                        r.1 += 1;
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
    let elapsed = started.elapsed().as_secs_f64();
    let (mut ms, failed) = std::mem::take(&mut *times.lock().unwrap());
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        ms.get(((ms.len() as f64 * p) as usize).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    (ms.len() as f64 / elapsed, pct(0.5), pct(0.99), failed)
}

pub fn oidc(tapin: &Path, seconds: u64) -> Result {
    let dir = server::scratch("bench-oidc")?;
    let db = dir.join("bench.db");
    let pass = server::seed(tapin, &db, UPN)?;
    let created: serde_json::Value = serde_json::from_str(&server::cli(
        tapin,
        &db,
        &[
            "client",
            "add",
            "Bench",
            "--redirect-uri",
            REDIRECT,
            "--json",
        ],
    )?)
    .map_err(|e| e.to_string())?;
    let id = created["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let secret = created["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    };
    let client = Arc::new(Client { id, basic });
    let server = Server::start(tapin, &db, &dir.join("dist"), &[])?;
    let addr = server.addr.clone();
    let body = serde_json::json!({"upn": UPN, "pass": pass}).to_string();
    let signin = format!(
        "POST /api/v1/signin/pass HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (_, head, _) = http(&addr, &signin).ok_or("the pass sign-in got no answer")?;
    let cookie = header(&head, "set-cookie")
        .and_then(|c| c.split(';').next())
        .ok_or("the pass sign-in set no cookie")?
        .to_string();
    if !sign_in_to_app(&addr, &cookie, &client) {
        return Err("authorize + token did not work once".into());
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let clients = 2 * cores;
    let duration = Duration::from_secs(seconds);
    let (a, c) = (addr.clone(), cookie.clone());
    let baseline = measure(clients, duration, move || session_get(&a, &c));
    let (a, c, cl) = (addr.clone(), cookie.clone(), client.clone());
    let flow = measure(clients, duration, move || sign_in_to_app(&a, &c, &cl));
    // Each thread refreshes its own sign-in, rotating its token every time.
    let (a, c, cl) = (addr.clone(), cookie.clone(), client.clone());
    let refreshed = measure(clients, duration, move || {
        thread_local!(static HELD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) });
        HELD.with(|held| {
            let current = held
                .borrow_mut()
                .take()
                .or_else(|| tokens_of(&a, &c, &cl).map(|t| t.1));
            let next = current.and_then(|t| refresh(&a, &cl, &t));
            let ok = next.is_some();
            *held.borrow_mut() = next;
            ok
        })
    });
    let (access, _) = tokens_of(&addr, &cookie, &client).ok_or("no tokens to introspect")?;
    let (a, cl) = (addr.clone(), client.clone());
    let introspected = measure(clients, duration, move || introspect(&a, &cl, &access));
    let rss = server.peak_rss_kib();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    println!("oidc: a tapin session signing in to an application, {cores} cores, {clients} clients, {seconds} s each");
    println!(
        "  {:<44} {:>10} {:>9} {:>9} {:>7}",
        "", "per second", "p50 ms", "p99 ms", "failed"
    );
    for (name, (rate, p50, p99, failed)) in [
        ("baseline: GET /api/v1/session (same cookie)", baseline),
        ("authorize (code) + token (ES256 ID token)", flow),
        ("refresh_token grant (rotated, ID token)", refreshed),
        ("introspection of an access token", introspected),
    ] {
        println!("  {name:<44} {rate:>10.0} {p50:>9.2} {p99:>9.2} {failed:>7}");
    }
    println!(
        "  one sign-in to an application costs {:.1} authenticated GETs, a refresh {:.1}, an introspection {:.1}; peak RSS {} MiB",
        baseline.0 / flow.0,
        baseline.0 / refreshed.0,
        baseline.0 / introspected.0,
        rss / 1024
    );
    Ok(())
}
